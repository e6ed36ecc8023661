import {
  FAKE_EOS,
  FAKE_PAD,
  FAKE_VOCAB,
  FakeSeq2SeqRuntime,
  fakeGenerationSettings,
  fakeSpec,
  FakeModelSpec,
  hashedLogits,
} from '../../test/support/fake-seq2seq-runtime';
import { ModelPackageError } from '../model/model-package';
import { RuntimeSession } from '../model/model-runtime.port';
import { BeamHypotheses, topCandidates } from './beam-search';
import { GenerateOptions, GenerationSettings } from './generation-settings';
import { Seq2SeqGenerator } from './seq2seq-generator';
import { logSoftmax } from './tensor-ops';

const V = FAKE_VOCAB;
const EOS = FAKE_EOS;
const PAD = FAKE_PAD;
const settings = fakeGenerationSettings;

async function makeGenerator(
  spec: FakeModelSpec,
  overrides: Partial<GenerationSettings> = {},
): Promise<{ generator: Seq2SeqGenerator; runtime: FakeSeq2SeqRuntime }> {
  const runtime = new FakeSeq2SeqRuntime(spec);
  const encoder = await runtime.createSession('/m/onnx/encoder_model.onnx');
  const decoder = await runtime.createSession('/m/onnx/decoder_model_merged.onnx');
  return {
    generator: new Seq2SeqGenerator(encoder, decoder, { ...settings, ...overrides }),
    runtime,
  };
}

/** Cache-free greedy decoding straight from the logits function: the oracle. */
function referenceGreedy(spec: FakeModelSpec, source: number[], maxNew: number): number[] {
  const out: number[] = [];
  for (let step = 0; step < maxNew; step++) {
    const logits = spec.nextLogits(source, [PAD, ...out]);
    let best = -1;
    logits.forEach((v, i) => {
      if (i !== PAD && (best === -1 || v > logits[best])) best = i;
    });
    if (best === EOS) break;
    out.push(best);
  }
  return out;
}

/** Cache-free beam search over the logits function (same HF bookkeeping, no batching). */
function referenceBeam(spec: FakeModelSpec, source: number[], opts: GenerateOptions): number[] {
  const K = opts.beamSize;
  const hyps = new BeamHypotheses(K, opts.lengthPenalty);
  let beams = [{ tokens: [] as number[], score: 0 }];
  for (let step = 1; step <= opts.maxNewTokens; step++) {
    const rows = beams.map((b) =>
      logSoftmax(spec.nextLogits(source, [PAD, ...b.tokens]), new Set([PAD])),
    );
    const candidates = topCandidates(
      rows,
      beams.map((b) => b.score),
      2 * K,
    );
    const next: { tokens: number[]; score: number }[] = [];
    for (const [rank, c] of candidates.entries()) {
      if (c.token === EOS) {
        if (rank < K) hyps.add(beams[c.beam].tokens, c.score, step);
      } else {
        next.push({ tokens: [...beams[c.beam].tokens, c.token], score: c.score });
      }
      if (next.length === K) break;
    }
    beams = next;
    if (hyps.isDone(candidates[0]?.score ?? -Infinity, step)) return hyps.best()!.tokens;
  }
  for (const b of beams) hyps.add(b.tokens, b.score, b.tokens.length);
  return hyps.best()!.tokens;
}

/** Options with the default length penalty of 1. */
const opts = (beamSize: number, maxNewTokens: number): GenerateOptions => ({
  beamSize,
  maxNewTokens,
  lengthPenalty: 1,
});

const sources = [[3, 4, 5], [6], [7, 8, 9, 10, 3, 4], [5, 5], [9, 8, 7, 6]];

describe('Seq2SeqGenerator', () => {
  const spec = fakeSpec({ vocabSize: V, nextLogits: hashedLogits(V, EOS, PAD) });

  it('greedy decoding with the KV cache matches cache-free decoding, row by row', async () => {
    const { generator } = await makeGenerator(spec);
    const { sequences } = await generator.generate(sources, opts(1, 20));
    expect(sequences).toEqual(sources.map((s) => referenceGreedy(spec, s, 20)));
    expect(sequences.some((s) => s.length > 1)).toBe(true);
  });

  it('fetches the cross-attention cache on the first step only (later steps reuse it)', async () => {
    const { generator, runtime } = await makeGenerator(spec);
    for (const beam of [1, 3]) {
      runtime.decoderFetches.length = 0;
      await generator.generate(sources, opts(beam, 20));
      const [first, ...later] = runtime.decoderFetches;
      expect(first).toBeUndefined(); // the uncached step computes the cross-attention K/V: all of it
      expect(later.length).toBeGreaterThan(0);
      for (const fetches of later) {
        expect(fetches).toContain('logits');
        expect(fetches).toContain('present.0.decoder.key');
        expect(fetches!.some((n) => n.includes('.encoder.'))).toBe(false);
      }
    }
    // and the results are still those of cache-free decoding (the test above, with beams below)
  });

  it('never emits the pad token that bad_words_ids bans (its raw logit is the largest)', async () => {
    const { generator } = await makeGenerator(spec);
    const { sequences } = await generator.generate(sources, opts(3, 20));
    for (const s of sequences) expect(s).not.toContain(PAD);
  });

  it('gives the same ids for a sentence alone and inside a padded batch (greedy and beam)', async () => {
    const { generator } = await makeGenerator(spec);
    for (const beamSize of [1, 4]) {
      const opts = { beamSize, maxNewTokens: 20, lengthPenalty: 1 };
      const batched = (await generator.generate(sources, opts)).sequences;
      const alone = [];
      for (const s of sources) alone.push((await generator.generate([s], opts)).sequences[0]);
      expect(batched).toEqual(alone);
    }
  });

  it('beam search with cache reordering matches a cache-free reference beam search', async () => {
    const { generator } = await makeGenerator(spec);
    for (const lengthPenalty of [1, 0.6]) {
      const opts = { beamSize: 4, maxNewTokens: 12, lengthPenalty };
      const { sequences } = await generator.generate(sources, opts);
      expect(sequences).toEqual(sources.map((s) => referenceBeam(spec, s, opts)));
    }
  });

  it('beam search finds the better sequence that greedy misses', async () => {
    // Step 1: token 3 is likelier than token 4, but after 3 every continuation is poor,
    // while after 4 the end-of-sentence is nearly certain.
    const trap = fakeSpec({
      vocabSize: V,
      nextLogits: (_source, prefix) => {
        const l = new Float32Array(V).fill(0);
        l[PAD] = 99;
        if (prefix.length === 1) {
          l[3] = 5;
          l[4] = 4.6;
          l[EOS] = -20;
        } else if (prefix[1] === 4) {
          l[EOS] = 10;
        } else if (prefix.length >= 3) {
          l[EOS] = 10;
        }
        return l;
      },
    });
    const { generator } = await makeGenerator(trap);
    const greedy = await generator.generate([[5]], opts(1, 5));
    const beam = await generator.generate([[5]], opts(2, 5));
    expect(greedy.sequences[0][0]).toBe(3);
    expect(beam.sequences[0]).toEqual([4]);
  });

  it('stops at max_new_tokens and once every row has finished', async () => {
    const endless = fakeSpec({
      vocabSize: V,
      nextLogits: () => {
        const l = new Float32Array(V).fill(0);
        l[5] = 1;
        l[EOS] = -1;
        return l;
      },
    });
    const { generator, runtime } = await makeGenerator(endless);
    const { sequences, timings } = await generator.generate([[3], [4, 4]], opts(1, 7));
    expect(sequences).toEqual([
      [5, 5, 5, 5, 5, 5, 5],
      [5, 5, 5, 5, 5, 5, 5],
    ]);
    expect(timings.steps).toBe(7);
    expect(runtime.decoderRuns).toBe(7);

    const quick = fakeSpec({
      vocabSize: V,
      nextLogits: (_s, prefix) => {
        const l = new Float32Array(V).fill(0);
        l[prefix.length < 3 ? 6 : EOS] = 5;
        return l;
      },
    });
    const q = await makeGenerator(quick);
    const out = await q.generator.generate([[3]], opts(1, 50));
    expect(out.sequences).toEqual([[6, 6]]);
    expect(q.runtime.decoderRuns).toBe(3);
  });

  it('drops finished rows and sentences from the batch', async () => {
    // source [3] ends after 1 token, source [4, 4] after 4 tokens
    const staggered = fakeSpec({
      vocabSize: V,
      nextLogits: (source, prefix) => {
        const l = new Float32Array(V).fill(0);
        l[prefix.length > source.length * 2 ? EOS : 5] = 5;
        l[6] = 4;
        return l;
      },
    });
    const greedy = await makeGenerator(staggered);
    const out = await greedy.generator.generate([[3], [4, 4]], opts(1, 10));
    expect(out.sequences).toEqual([
      [5, 5],
      [5, 5, 5, 5],
    ]);
    expect(greedy.runtime.decoderRows).toEqual([2, 2, 2, 1, 1]);

    const beam = await makeGenerator(staggered);
    const beamOut = await beam.generator.generate([[3], [4, 4]], opts(2, 10));
    expect(beamOut.sequences).toEqual(out.sequences);
    const rows = beam.runtime.decoderRows;
    expect(rows[0]).toBe(2); // one row per sentence on the first step
    expect(rows[1]).toBe(4); // then K = 2 beams each
    expect(rows.at(-1)).toBe(2); // the short sentence has left
  });

  it('bans a multi-token bad word only after its prefix', async () => {
    const spec2 = fakeSpec({
      vocabSize: V,
      nextLogits: (_s, prefix) => {
        const l = new Float32Array(V).fill(0);
        if (prefix.length === 1) l[3] = 5;
        else if (prefix.length === 2) {
          l[4] = 5;
          l[6] = 4;
        } else l[EOS] = 5;
        return l;
      },
    });
    const { generator } = await makeGenerator(spec2, { badWordsIds: [[PAD], [3, 4]] });
    const { sequences } = await generator.generate([[2]], opts(1, 5));
    expect(sequences).toEqual([[3, 6]]);
  });

  it('returns nothing for an empty batch without running the model', async () => {
    const { generator, runtime } = await makeGenerator(spec);
    expect((await generator.generate([], opts(1, 3))).sequences).toEqual([]);
    expect(runtime.decoderRuns).toBe(0);
  });

  it('rejects a decoder without past_key_values inputs', () => {
    const session = (inputs: string[]): RuntimeSession => ({
      inputNames: inputs,
      outputNames: [],
      run: () => Promise.reject(new Error('unused')),
      release: () => Promise.resolve(),
    });
    expect(
      () =>
        new Seq2SeqGenerator(
          session(['input_ids', 'attention_mask']),
          session(['input_ids', 'encoder_hidden_states', 'encoder_attention_mask']),
          settings,
        ),
    ).toThrow(ModelPackageError);
  });
});
