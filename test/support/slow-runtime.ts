import { ModelRuntime, RuntimeSession, TensorMap } from '../../src/model/model-runtime.port';
import { OnnxRuntimeAdapter } from '../../src/model/onnx-runtime.adapter';

/**
 * The real runtime with every decoder run delayed by `delayMs` (a timer, so the event loop stays
 * free as it does during onnxruntime's async run) and counted; `delayMs` can change mid-test.
 */
export class SlowDecoderRuntime implements ModelRuntime {
  readonly description = 'slow-decoder onnxruntime (tests)';
  decoderRuns = 0;

  constructor(
    public delayMs: number,
    private readonly inner: ModelRuntime = new OnnxRuntimeAdapter(),
  ) {}

  async createSession(...args: Parameters<ModelRuntime['createSession']>) {
    const session = await this.inner.createSession(...args);
    if (!args[0].includes('decoder')) return session;
    const slow: RuntimeSession = {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      release: () => session.release(),
      run: async (feeds: TensorMap, fetches?: readonly string[]) => {
        this.decoderRuns++;
        if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
        return session.run(feeds, fetches);
      },
    };
    return slow;
  }
}
