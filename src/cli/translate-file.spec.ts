import { parseCliArgs, splitLines, UsageError } from './translate-file';

describe('translate-file arguments', () => {
  const base = ['--model-dir', 'models/en-hi/1', '--input', 'in.txt', '--output', 'out.jsonl'];

  it('parses the documented contract with defaults', () => {
    expect(parseCliArgs(base)).toEqual({
      modelDir: 'models/en-hi/1',
      input: 'in.txt',
      output: 'out.jsonl',
      beamSize: undefined,
      maxNewTokens: undefined,
      split: true,
      batchSize: 32,
      threads: 0,
    });
    expect(
      parseCliArgs([
        ...base,
        '--beam-size',
        '4',
        '--max-new-tokens',
        '100',
        '--no-split',
        '--batch-size',
        '8',
      ]),
    ).toMatchObject({ beamSize: 4, maxNewTokens: 100, split: false, batchSize: 8 });
  });

  it.each([
    [['--input', 'a', '--output', 'b'], /--model-dir is required/],
    [[...base, '--beam-size', '9'], /--beam-size must be an integer from 1 to 8/],
    [[...base, '--batch-size', 'x'], /--batch-size/],
    [[...base, '--bogus'], /Unknown option/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });

  it('splits lines without inventing a trailing empty one', () => {
    expect(splitLines('a\r\nb\n\nc\n')).toEqual(['a', 'b', '', 'c']);
    expect(splitLines('a')).toEqual(['a']);
    expect(splitLines('')).toEqual([]);
  });
});
