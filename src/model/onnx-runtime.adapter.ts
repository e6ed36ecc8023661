import * as ort from 'onnxruntime-node';
import {
  ModelRuntime,
  RuntimeSession,
  RuntimeTensor,
  SessionOptions,
  TensorMap,
} from './model-runtime.port';

export interface OnnxRuntimeOptions {
  /**
   * Let idle intra-op threads busy-wait for work. Off by default: measured here (bench/), spinning
   * threads compete with the HTTP thread and other processes for the cores and halve throughput.
   */
  allowSpinning?: boolean;
}

/** The one file that imports onnxruntime-node: adapts its sessions to the ModelRuntime port. */
export class OnnxRuntimeAdapter implements ModelRuntime {
  readonly description = `onnxruntime-node ${ort.env.versions.node ?? 'unknown'} (cpu)`;

  constructor(private readonly options: OnnxRuntimeOptions = {}) {}

  async createSession(modelPath: string, options: SessionOptions): Promise<RuntimeSession> {
    const session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      ...(options.intraOpThreads > 0 ? { intraOpNumThreads: options.intraOpThreads } : {}),
      // session config entry "session.intra_op.allow_spinning"
      extra: { session: { intra_op: { allow_spinning: this.options.allowSpinning ? '1' : '0' } } },
    });
    return new OnnxRuntimeSession(session);
  }
}

class OnnxRuntimeSession implements RuntimeSession {
  constructor(private readonly session: ort.InferenceSession) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: TensorMap, fetches?: readonly string[]): Promise<TensorMap> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      ortFeeds[name] = new ort.Tensor(t.type, t.data, t.dims);
    }
    const outputs = await (fetches
      ? this.session.run(ortFeeds, [...fetches])
      : this.session.run(ortFeeds));
    const result: TensorMap = {};
    for (const [name, t] of Object.entries(outputs)) {
      result[name] = fromOrt(name, t);
    }
    return result;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function fromOrt(name: string, t: ort.Tensor): RuntimeTensor {
  switch (t.type) {
    case 'float32':
      return { type: 'float32', data: t.data as Float32Array, dims: t.dims };
    case 'int64':
      return { type: 'int64', data: t.data as BigInt64Array, dims: t.dims };
    case 'bool':
      return { type: 'bool', data: t.data as Uint8Array, dims: t.dims };
    default:
      throw new Error(`output ${name} has unsupported tensor type ${t.type}`);
  }
}
