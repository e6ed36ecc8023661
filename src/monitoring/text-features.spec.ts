import { nonLatinShare } from './text-features';

describe('text features', () => {
  it('measures the share of non-Latin letters, ignoring digits and punctuation', () => {
    expect(nonLatinShare('Hello, world! 123')).toBe(0);
    expect(nonLatinShare('नमस्ते')).toBe(1);
    expect(nonLatinShare('ab नम')).toBeCloseTo(0.5, 5);
    expect(nonLatinShare('Ünïcödé façade')).toBe(0);
    expect(nonLatinShare('12345 !!')).toBe(0);
    expect(nonLatinShare('Привет')).toBe(1);
  });
});
