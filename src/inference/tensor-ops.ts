import { RuntimeTensor, tensor, TensorDataByType, TensorType } from '../model/model-runtime.port';

/** New tensor whose row i (along dim 0) is row indices[i] of the input. */
export function gatherRows<T extends TensorType>(
  input: RuntimeTensor<T>,
  indices: readonly number[],
): RuntimeTensor<T> {
  const rowSize = input.dims.slice(1).reduce((a, b) => a * b, 1);
  const source = input.data;
  const Ctor = source.constructor as new (n: number) => TensorDataByType[T];
  const out = new Ctor(indices.length * rowSize);
  indices.forEach((row, i) => {
    (out as Float32Array).set(
      (source as Float32Array).subarray(row * rowSize, (row + 1) * rowSize),
      i * rowSize,
    );
  });
  return tensor(input.type, out, [indices.length, ...input.dims.slice(1)]);
}

/** The logits of the last position of row b of a [B, T, V] tensor. */
export function lastPositionLogits(logits: RuntimeTensor<'float32'>, row: number): Float32Array {
  const [, steps, vocab] = logits.dims;
  const start = (row * steps + (steps - 1)) * vocab;
  return logits.data.subarray(start, start + vocab);
}

/** Index of the largest value, skipping banned indices; ties go to the lowest index. */
export function argmax(values: Float32Array, banned: ReadonlySet<number>): number {
  let best = -1;
  let bestValue = -Infinity;
  // The banned set is consulted only for a would-be maximum: one Set lookup per improvement
  // instead of one per vocabulary entry (this loop runs for every row at every decoder step).
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if ((value > bestValue || best === -1) && !banned.has(i)) {
      best = i;
      bestValue = value;
    }
  }
  return best;
}

/** log_softmax in float64, with banned indices set to -Infinity afterwards (HF order). */
export function logSoftmax(values: Float32Array, banned: ReadonlySet<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i] - max);
  const logSum = max + Math.log(sum);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] - logSum;
  for (const id of banned) if (id < out.length) out[id] = -Infinity;
  return out;
}
