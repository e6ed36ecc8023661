import {
  ModelRuntime,
  RuntimeSession,
  RuntimeTensor,
  TensorMap,
} from '../../src/model/model-runtime.port';
import { OnnxRuntimeAdapter } from '../../src/model/onnx-runtime.adapter';

/**
 * The real runtime with injectable faults in the encoder: `failAll` makes every run throw (the
 * model breaking at run time); `poisonId` makes a run throw when any row holds that token id
 * (an input that breaks the model). Records the rows of each failed run.
 */
export class FaultyRuntime implements ModelRuntime {
  readonly description = 'faulty onnxruntime (tests)';
  failAll = false;
  poisonId?: number;
  readonly failedRunRows: number[] = [];

  constructor(private readonly inner: ModelRuntime = new OnnxRuntimeAdapter()) {}

  async createSession(...args: Parameters<ModelRuntime['createSession']>) {
    const session = await this.inner.createSession(...args);
    if (!args[0].includes('encoder')) return session;
    const faulty: RuntimeSession = {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      release: () => session.release(),
      run: (feeds: TensorMap, fetches?: readonly string[]) => {
        const ids = feeds.input_ids as RuntimeTensor<'int64'>;
        const poisoned =
          this.poisonId !== undefined && ids.data.some((id) => id === BigInt(this.poisonId!));
        if (this.failAll || poisoned) {
          this.failedRunRows.push(ids.dims[0]);
          return Promise.reject(
            new Error('ORT run failed: /opt/onnxruntime/lib/libonnxruntime.so: bad allocation'),
          );
        }
        return session.run(feeds, fetches);
      },
    };
    return faulty;
  }
}
