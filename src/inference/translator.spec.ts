import { splitSentences } from './sentence-splitter';
import { FAKE_EOS, FAKE_PAD, FAKE_VOCAB, writeFakePackage } from '../../test/support/fake-package';
import {
  FakeSeq2SeqRuntime,
  fakeSpec,
  hashedLogits,
} from '../../test/support/fake-seq2seq-runtime';
import { Translator } from './translator';

describe('Translator', () => {
  let translator: Translator;
  let runtime: FakeSeq2SeqRuntime;
  const dir = writeFakePackage({
    config: { max_position_embeddings: 16 },
    generationConfig: { max_new_tokens: 12 },
  });

  beforeAll(async () => {
    runtime = new FakeSeq2SeqRuntime(
      fakeSpec({ vocabSize: FAKE_VOCAB, nextLogits: hashedLogits(FAKE_VOCAB, FAKE_EOS, FAKE_PAD) }),
    );
    translator = await Translator.load(dir, runtime, { intraOpThreads: 1 });
  });

  it('loads both graphs of the package and reads defaults from its config files', () => {
    expect(runtime.created.map((p) => p.slice(dir.length))).toEqual([
      '/onnx/encoder_model.onnx',
      '/onnx/decoder_model_merged.onnx',
    ]);
    expect(translator.settings.defaultMaxNewTokens).toBe(12);
    expect(translator.settings.maxSourceTokens).toBe(16);
  });

  it('decodes generated ids with the package tokenizer and keeps input order', async () => {
    const segments = ['ab cd ef.', 'hi.', 'abc.'];
    const { results, timings } = await translator.translateSegments(segments, { batchSize: 2 });
    expect(results).toHaveLength(3);
    results.forEach((r, i) => {
      expect(r.text).toBe(translator.tokenizer.decode(r.ids));
      expect(r.inputTokens).toBe(translator.tokenizer.encode(segments[i]).length);
      expect(r.ids).not.toContain(FAKE_EOS);
    });
    expect(timings.encodeMs).toBeGreaterThanOrEqual(0);
  });

  it('reports the source tokens and unknown tokens of each text from its own tokenization', async () => {
    const texts = ['ab cd. Ω ef ☃.', 'hi.', ''];
    const { results } = await translator.translateTexts(texts, { split: true, batchSize: 4 });
    const { tokenizer } = translator;
    results.forEach((r, i) => {
      const ids = splitSentences(texts[i]).sentences.flatMap((s) =>
        tokenizer.encodeWithoutSpecial(s),
      );
      expect(r.sourceTokens).toBe(ids.length);
      expect(r.unknownTokens).toBe(ids.filter((id) => id === tokenizer.unkTokenId).length);
    });
    expect(results[0].unknownTokens).toBeGreaterThan(0); // Ω and ☃ are not in the vocabulary
    expect(results[2]).toMatchObject({ sourceTokens: 0, unknownTokens: 0 });
  });

  it('gives identical results whatever the batch size', async () => {
    const segments = ['one.', 'two words.', 'three words here.', 'four words in here.', 'x'];
    const one = await translator.translateSegments(segments, { batchSize: 1 });
    const all = await translator.translateSegments(segments, { batchSize: 32 });
    const beamOne = await translator.translateSegments(segments, { batchSize: 1, beamSize: 3 });
    const beamAll = await translator.translateSegments(segments, { batchSize: 32, beamSize: 3 });
    expect(all.results).toEqual(one.results);
    expect(beamAll.results).toEqual(beamOne.results);
  });

  it('splits texts into sentences, translates them together and joins them back', async () => {
    const texts = ['Hello there. How are you?', 'fine.'];
    const joint = await translator.translateTexts(texts, { split: true, batchSize: 8 });
    const parts = await translator.translateSegments(['Hello there.', 'How are you?', 'fine.'], {
      batchSize: 8,
    });
    expect(joint.results[0].segments).toBe(2);
    expect(joint.results[0].ids).toEqual([...parts.results[0].ids, ...parts.results[1].ids]);
    expect(joint.results[0].text).toBe(
      [parts.results[0].text, parts.results[1].text].filter((t) => t !== '').join(' '),
    );
    expect(joint.results[1].ids).toEqual(parts.results[2].ids);

    const unsplit = await translator.translateTexts(texts, { split: false, batchSize: 8 });
    expect(unsplit.results[0].segments).toBe(1);
  });

  it('returns empty output for blank text without running the model', async () => {
    const before = runtime.decoderRuns;
    const { results } = await translator.translateTexts(['', '   '], { split: true, batchSize: 4 });
    expect(results.map((r) => [r.text, r.ids, r.inputTokens])).toEqual([
      ['', [], 0],
      ['', [], 0],
    ]);
    expect(runtime.decoderRuns).toBe(before);
  });

  it('keeps a sentence without Latin letters as it is, without running the model', async () => {
    const before = runtime.decoderRuns;
    const kept = ['12345', '🍕', 'नमस्ते, आप कैसे हैं?', ' 3.14 '];
    const { results } = await translator.translateSegments(kept, { batchSize: 4 });
    expect(results.map((r) => r.text)).toEqual(['12345', '🍕', 'नमस्ते, आप कैसे हैं?', '3.14']);
    expect(results.every((r) => r.ids.length === 0 && !r.outputCut)).toBe(true);
    // returned whole however long (past the 16 positions here): nothing of it was cut
    const long = '१२३ '.repeat(40).trim();
    const whole = await translator.translateSegments([long], { batchSize: 1 });
    expect(whole.results[0]).toMatchObject({ text: long, truncated: false });
    // still counted for the drift detector
    expect(results[1].inputTokens).toBeGreaterThan(1);
    expect(results[1].unknownTokens).toBeGreaterThan(0);
    expect(runtime.decoderRuns).toBe(before);
    // one Latin letter is enough to be translated
    const mixed = await translator.translateTexts(['12345. Room 12.'], {
      split: true,
      batchSize: 2,
    });
    expect(mixed.results[0].text.startsWith('12345')).toBe(true);
    expect(runtime.decoderRuns).toBeGreaterThan(before);
  });

  it('truncates sources longer than the position table, keeping </s> last', async () => {
    const long = 'abcdefghij abcdefghij abcdefghij';
    const { results } = await translator.translateSegments([long], { batchSize: 1 });
    expect(results[0].truncated).toBe(true);
    expect(results[0].inputTokens).toBe(16);
  });

  it('honours max_new_tokens, and says when the output stopped there', async () => {
    // uncapped, the fake model ends 'hi.' after 7 tokens and runs the others to the default 12
    const segments = ['abc def ghi jkl mno.', 'hi.', 'ab cd ef.'];
    const full = await translator.translateSegments(segments, { batchSize: 3 });
    const seen = new Set<boolean>();
    for (const maxNewTokens of [1, 7, 8]) {
      const { results } = await translator.translateSegments(segments, {
        batchSize: 3,
        maxNewTokens,
      });
      results.forEach((r, i) => {
        expect(r.ids.length).toBeLessThanOrEqual(maxNewTokens);
        // cut exactly when the uncapped output is longer than the cap
        expect(r.outputCut).toBe(full.results[i].ids.length >= maxNewTokens);
        expect(r.ids).toEqual(full.results[i].ids.slice(0, maxNewTokens));
        seen.add(r.outputCut);
      });
    }
    expect([...seen].sort()).toEqual([false, true]); // both cases happened
    // a sentence the model ended within the budget is not cut
    expect(full.results.map((r) => r.outputCut)).toEqual(
      full.results.map((r) => r.ids.length >= 12),
    );
    const texts = await translator.translateTexts(['abc def ghi jkl mno. hi.'], {
      split: true,
      batchSize: 2,
      maxNewTokens: 1,
    });
    expect(texts.results[0].outputCut).toBe(true);
  });

  it('releases its sessions on dispose', async () => {
    const rt = new FakeSeq2SeqRuntime(
      fakeSpec({ vocabSize: FAKE_VOCAB, nextLogits: hashedLogits(FAKE_VOCAB, FAKE_EOS, FAKE_PAD) }),
    );
    const t = await Translator.load(dir, rt, { intraOpThreads: 0 });
    await t.dispose();
    expect(rt.released).toHaveLength(2);
  });
});
