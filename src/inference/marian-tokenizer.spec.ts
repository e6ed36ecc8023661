import { FAKE_EOS, FAKE_UNK, writeFakePackage } from '../../test/support/fake-package';
import { MarianTokenizer } from './marian-tokenizer';

describe('MarianTokenizer', () => {
  let tokenizer: MarianTokenizer;
  beforeAll(async () => (tokenizer = await MarianTokenizer.fromDir(writeFakePackage())));

  it('appends </s> on encode and can leave it out', () => {
    const ids = tokenizer.encode('ab c.');
    expect(ids.at(-1)).toBe(FAKE_EOS);
    expect(tokenizer.encodeWithoutSpecial('ab c.')).toEqual(ids.slice(0, -1));
  });

  it('normalises whitespace like SentencePiece', () => {
    expect(tokenizer.encode('  ab   c ')).toEqual(tokenizer.encode('ab c'));
  });

  it('maps unknown characters to the unk id read from the tokenizer', () => {
    expect(tokenizer.unkTokenId).toBe(FAKE_UNK);
    expect(tokenizer.encodeWithoutSpecial('ab नम')).toContain(FAKE_UNK);
  });

  it('decodes without special tokens and without clean-up heuristics', () => {
    const ids = tokenizer.encode('ab , c .');
    expect(tokenizer.decode(ids)).toBe('ab , c .');
    expect(tokenizer.decode([FAKE_EOS])).toBe('');
  });

  it('reads special-token strings in user text as ordinary characters, as SentencePiece does', async () => {
    // a package made by the training pipeline (training/tests/test_tokenizer.py checks the shipped
    // one's ids against SentencePiece's on these strings)
    const shipped = await MarianTokenizer.fromDir('test/fixtures/models/tiny/1');
    const eos = shipped.encode('x').at(-1)!;
    for (const text of ['Type </s> to end <pad> here', 'a</s>b', '<unk> and <s> tags']) {
      const ids = shipped.encode(text);
      // one </s>, the one the post-processor appends; no pad id inside the source
      expect(ids.filter((id) => id === eos)).toHaveLength(1);
      expect(ids.at(-1)).toBe(eos);
      expect(ids).not.toContain(999); // the tiny model's pad id
    }
  });

  it('leaves no stray space where a skipped <unk> was', async () => {
    const shipped = await MarianTokenizer.fromDir('test/fixtures/models/tiny/1');
    const decoded = (text: string) => {
      const ids = shipped.encodeWithoutSpecial(text);
      expect(ids).toContain(shipped.unkTokenId);
      return shipped.decode(ids);
    };
    expect(decoded('Use the → key.')).toBe('Use the key.');
    expect(decoded('→ first')).toBe('first');
    expect(decoded('Hello 😀')).toBe('Hello');
  });

  it('decodes an empty id list to an empty string', () => {
    expect(tokenizer.decode([])).toBe('');
  });
});
