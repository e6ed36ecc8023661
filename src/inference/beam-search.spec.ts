import { BeamHypotheses, topCandidates } from './beam-search';

describe('BeamHypotheses', () => {
  it('scores by sum_logprob / length^length_penalty and keeps the n best', () => {
    const h = new BeamHypotheses(2, 1);
    h.add([1], -2, 2); // -1
    h.add([2], -3, 1); // -3
    h.add([3], -1, 2); // -0.5, evicts -3
    expect(h.size).toBe(2);
    expect(h.best()).toEqual({ tokens: [3], score: -0.5 });
    h.add([4], -10, 1); // worse than worst: ignored
    expect(h.size).toBe(2);
  });

  it('length_penalty 0 ranks raw sums; > 1 favours longer output', () => {
    const raw = new BeamHypotheses(1, 0);
    raw.add([1], -2, 1);
    raw.add([1, 2, 3, 4], -3, 4);
    expect(raw.best()!.tokens).toEqual([1]);
    const long = new BeamHypotheses(1, 2);
    long.add([1], -2, 1);
    long.add([1, 2, 3, 4], -3, 4);
    expect(long.best()!.tokens).toEqual([1, 2, 3, 4]);
  });

  it('is done only when full and no running beam can beat the worst hypothesis', () => {
    const h = new BeamHypotheses(2, 1);
    expect(h.isDone(-100, 3)).toBe(false);
    h.add([1], -2, 2); // -1
    expect(h.isDone(-100, 3)).toBe(false);
    h.add([2], -4, 2); // -2
    expect(h.isDone(-3, 3)).toBe(false); // -1 > -2
    expect(h.isDone(-9, 3)).toBe(true); // -3 < -2
  });

  it('applies length_penalty to the running beam too, and is done on a tie (HF: worst >= attainable)', () => {
    const h = new BeamHypotheses(2, 2);
    h.add([1], -8, 2); // -8 / 2^2 = -2
    h.add([2], -12, 2); // -3, the worst
    expect(h.isDone(-12, 2)).toBe(true); // -3: a tie cannot beat the worst
    expect(h.isDone(-10, 2)).toBe(false); // -2.5 beats -3 (unpenalised, -5 would not)
    expect(h.isDone(-13, 2)).toBe(true); // -3.25
  });
});

describe('topCandidates', () => {
  it('returns the k best (beam, token) pairs by cumulative score, ties in scan order', () => {
    const rows = [Float64Array.from([-1, -2, -0.5]), Float64Array.from([-0.1, -Infinity, -3])];
    const top = topCandidates(rows, [0, -1], 3);
    expect(top).toEqual([
      { score: -0.5, beam: 0, token: 2 },
      { score: -1, beam: 0, token: 0 },
      { score: -1.1, beam: 1, token: 0 },
    ]);
    const tie = topCandidates([Float64Array.from([-1, -1, -1])], [0], 2);
    expect(tie.map((c) => c.token)).toEqual([0, 1]);
  });
});
