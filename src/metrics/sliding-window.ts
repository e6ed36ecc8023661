/** Fixed-capacity ring buffer of the most recent numeric samples. */
export class SlidingWindow {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  /** Samples in ascending order. */
  sorted(): Float64Array {
    return this.values.slice(0, this.count).sort();
  }
}

export interface LatencySummary {
  window_size: number;
  min: number | null;
  mean: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Nearest-rank percentile of ascending samples. */
export function percentile(sorted: Float64Array, p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(Math.max(rank, 1), sorted.length) - 1];
}

export function summarize(window: SlidingWindow): LatencySummary {
  const sorted = window.sorted();
  if (sorted.length === 0) {
    return { window_size: 0, min: null, mean: null, p50: null, p95: null, p99: null, max: null };
  }
  const round = (v: number) => Math.round(v * 1000) / 1000;
  return {
    window_size: sorted.length,
    min: round(sorted[0]),
    mean: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1]),
  };
}
