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

  it('decodes an empty id list to an empty string', () => {
    expect(tokenizer.decode([])).toBe('');
  });
});
