import { percentile, SlidingWindow, summarize } from './sliding-window';

describe('SlidingWindow', () => {
  it('keeps only the most recent samples', () => {
    const w = new SlidingWindow(3);
    [5, 1, 9, 7].forEach((v) => w.push(v));
    expect(w.size).toBe(3);
    expect(Array.from(w.sorted())).toEqual([1, 7, 9]);
  });

  it('computes nearest-rank percentiles', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(Float64Array.from([4]), 99)).toBe(4);
  });

  it('summarises an empty and a filled window', () => {
    const w = new SlidingWindow(10);
    expect(summarize(w)).toEqual({
      window_size: 0,
      min: null,
      mean: null,
      p50: null,
      p95: null,
      p99: null,
      max: null,
    });
    [10, 20, 30, 40].forEach((v) => w.push(v));
    expect(summarize(w)).toEqual({
      window_size: 4,
      min: 10,
      mean: 25,
      p50: 20,
      p95: 40,
      p99: 40,
      max: 40,
    });
  });
});
