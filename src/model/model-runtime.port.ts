/**
 * The port between the service and whatever executes the ONNX graphs.
 * Only the onnxruntime adapter knows about onnxruntime-node; everything else
 * (generator, model service, tests with fakes) speaks these plain types.
 */
import type { GenerationSettings } from '../inference/generation-settings';
import type { TextGenerator } from '../inference/seq2seq-generator';

export const MODEL_RUNTIME = Symbol('MODEL_RUNTIME');

export type TensorType = 'int64' | 'float32' | 'bool';

export interface TensorDataByType {
  int64: BigInt64Array;
  float32: Float32Array;
  bool: Uint8Array;
}

export interface RuntimeTensor<T extends TensorType = TensorType> {
  readonly type: T;
  readonly data: TensorDataByType[T];
  readonly dims: readonly number[];
}

export type TensorMap = Record<string, RuntimeTensor>;

export interface SessionOptions {
  /** 0 lets the runtime decide. */
  intraOpThreads: number;
}

export interface RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /**
   * Runs the graph. With `fetches`, only those outputs are returned (and the runtime need not
   * copy out the others): the decoder's cached steps skip the cross-attention K/V it passes through.
   */
  run(feeds: TensorMap, fetches?: readonly string[]): Promise<TensorMap>;
  release(): Promise<void>;
}

export interface ModelRuntime {
  /** A short name for logs and model info, e.g. "onnxruntime-node 1.30.0 (cpu)". */
  readonly description: string;
  createSession(modelPath: string, options: SessionOptions): Promise<RuntimeSession>;
  /**
   * Runtimes whose sessions live on another thread run the whole decode loop there too, so the
   * caller's thread only sends source ids and receives target ids (not one message per decoder
   * step). Without it the caller decodes over `createSession`'s sessions itself.
   */
  createGenerator?(
    encoder: RuntimeSession,
    decoder: RuntimeSession,
    settings: GenerationSettings,
  ): Promise<TextGenerator>;
  /** Frees what the runtime itself holds (threads), after every session is released. */
  close?(): Promise<void>;
  /** Why the runtime cannot run anything any more (only a restart helps), if it cannot. */
  brokenReason?(): string | undefined;
}

export function tensor<T extends TensorType>(
  type: T,
  data: TensorDataByType[T],
  dims: readonly number[],
): RuntimeTensor<T> {
  const expected = dims.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new Error(`tensor data length ${data.length} does not match dims [${dims.join(', ')}]`);
  }
  return { type, data, dims };
}
