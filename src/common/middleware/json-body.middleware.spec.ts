import { jsonDepthExceeds } from './json-body.middleware';

const depth = (s: string, max: number) => jsonDepthExceeds(Buffer.from(s), max);

describe('jsonDepthExceeds', () => {
  it('counts nested arrays and objects', () => {
    expect(depth('{"text":["a"]}', 2)).toBe(false);
    expect(depth('{"text":[["a"]]}', 2)).toBe(true);
    expect(depth('[[[[{}]]]]', 5)).toBe(false);
    expect(depth('[[[[{}]]]]', 4)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(depth('{"text":"[[[[[[{{{{"}', 1)).toBe(false);
    expect(depth('{"text":"a\\\\"}', 1)).toBe(false);
    expect(depth('{"text":"\\"[[[["}', 1)).toBe(false);
  });
});
