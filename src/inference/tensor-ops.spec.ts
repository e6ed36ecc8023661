import { tensor } from '../model/model-runtime.port';
import { argmax, gatherRows, lastPositionLogits, logSoftmax } from './tensor-ops';

describe('tensor ops', () => {
  const t = tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [3, 2]);

  it('gathers rows along dim 0, repeating or dropping them', () => {
    expect(Array.from(gatherRows(t, [2, 0, 2]).data)).toEqual([5, 6, 1, 2, 5, 6]);
    expect(gatherRows(t, [1]).dims).toEqual([1, 2]);
    const r = gatherRows(tensor('int64', BigInt64Array.from([1n, 2n]), [2, 1]), [0, 0, 1]);
    expect(Array.from(r.data)).toEqual([1n, 1n, 2n]);
    expect(r.dims).toEqual([3, 1]);
  });

  it('validates data length against dims', () => {
    expect(() => tensor('float32', new Float32Array(5), [2, 3])).toThrow(/does not match/);
  });

  it('takes the last position of [B, T, V] logits', () => {
    const logits = tensor('float32', Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), [2, 2, 2]);
    expect(Array.from(lastPositionLogits(logits, 1))).toEqual([6, 7]);
  });

  it('argmax skips banned ids and breaks ties low', () => {
    expect(argmax(Float32Array.from([1, 9, 3, 9]), new Set([1]))).toBe(3);
    expect(argmax(Float32Array.from([5, 5]), new Set())).toBe(0);
  });

  it('log_softmax normalises and bans', () => {
    const out = logSoftmax(Float32Array.from([1, 2, 3]), new Set([2]));
    expect(
      Math.exp(out[0]) +
        Math.exp(out[1]) +
        Math.exp(Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)))),
    ).toBeCloseTo(1, 10);
    expect(out[2]).toBe(-Infinity);
    expect(out[1] - out[0]).toBeCloseTo(1, 10);
  });
});
