import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { GenerateOptions, GenerationSettings } from '../inference/generation-settings';
import type {
  GenerateControl,
  GenerationOutput,
  TextGenerator,
} from '../inference/seq2seq-generator';
import {
  ModelRuntime,
  RuntimeSession,
  SessionOptions,
  TensorDataByType,
  TensorMap,
} from './model-runtime.port';
import {
  decodeTensor,
  decodeTensors,
  encodeTensors,
  GENERATION_FLAGS,
  GenerationEvent,
  WireTensor,
  WorkerReply,
  WorkerRequest,
} from './onnx-worker-protocol';
import { ModelPackageError } from './model-package';
import type { OnnxRuntimeOptions } from './onnx-runtime.adapter';

type Pending = {
  resolve: (reply: WorkerReply & { ok: true }) => void;
  reject: (e: Error) => void;
  feeds?: TensorMap;
  /** progress of a running generation, before its final reply */
  onEvent?: (event: GenerationEvent) => void;
};

/**
 * How often a running generation re-reads which of its rows are still wanted, besides on every
 * event it sends. Rare on purpose: each wake-up of this thread takes a core from onnxruntime's
 * intra-op threads, and a cancelled row only costs its share of the batch until then.
 */
const WANTED_REFRESH_MS = 25;

/**
 * Runs onnxruntime on a worker thread. onnxruntime-node executes a session synchronously on the
 * calling thread, so in-thread every decoder step blocks the HTTP event loop; here the event loop
 * parses, validates, logs and answers requests while the model computes. Generators run their
 * whole decode loop on the worker (one message per batch and per finished sentence, not per
 * step), so HTTP work and decoding overlap on separate cores. Single session runs move their
 * tensors, not copy them: a run lends its input buffers to the worker and gets them back.
 */
export class OnnxWorkerRuntime implements ModelRuntime {
  readonly description = 'onnxruntime-node (cpu, worker thread)';
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure?: Error;

  constructor(
    options: OnnxRuntimeOptions = {},
    workerScript = path.join(__dirname, 'onnx-runtime.worker.js'),
  ) {
    this.worker = new Worker(workerScript, { workerData: options });
    // The HTTP server keeps the process alive; an idle worker must not (CLI, tests).
    this.worker.unref();
    this.worker.on('message', (reply: WorkerReply) => this.settle(reply));
    this.worker.on('error', (e) => this.fail(new Error(`onnxruntime worker failed: ${e.message}`)));
    this.worker.on('exit', (code) =>
      this.fail(new Error(`onnxruntime worker exited with code ${code}`)),
    );
  }

  async createSession(modelPath: string, options: SessionOptions): Promise<RuntimeSession> {
    const reply = await this.request({ id: this.nextId++, op: 'create', modelPath, options });
    if (reply.op !== 'create') throw new Error(`unexpected worker reply ${reply.op}`);
    return new WorkerSession(this, reply.sessionId, reply.inputNames, reply.outputNames);
  }

  async createGenerator(
    encoder: RuntimeSession,
    decoder: RuntimeSession,
    settings: GenerationSettings,
  ): Promise<TextGenerator> {
    if (!(encoder instanceof WorkerSession && decoder instanceof WorkerSession)) {
      throw new Error('createGenerator needs sessions created by this runtime');
    }
    const reply = await this.request({
      id: this.nextId++,
      op: 'generator',
      encoderSessionId: encoder.sessionId,
      decoderSessionId: decoder.sessionId,
      settings,
    });
    if (reply.op !== 'generator') throw new Error(`unexpected worker reply ${reply.op}`);
    return new WorkerGenerator(this, reply.generatorId, settings);
  }

  /** Set once the worker has died: its sessions are gone, liveness reports it. */
  brokenReason(): string | undefined {
    return this.failure?.message;
  }

  /** Stops the worker; sessions still open are released with it. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  async run(sessionId: number, feeds: TensorMap, fetches?: readonly string[]): Promise<TensorMap> {
    const { tensors, transfer } = encodeTensors(feeds);
    const reply = await this.request(
      {
        id: this.nextId++,
        op: 'run',
        sessionId,
        feeds: tensors,
        transfer,
        ...(fetches ? { fetches: [...fetches] } : {}),
      },
      transfer,
      feeds,
    );
    if (reply.op !== 'run') throw new Error(`unexpected worker reply ${reply.op}`);
    return decodeTensors(reply.outputs);
  }

  /**
   * One generation on the worker. Control hooks are honoured across the thread boundary:
   * `onEncoded` and `onSequence` fire as the worker's events arrive, `isWanted` is re-read on
   * every event and every WANTED_REFRESH_MS into shared flags the worker checks before each step,
   * and an abort rejects at once while the worker drops the batch at its next step.
   */
  async generate(
    generatorId: number,
    batch: number[][],
    options: GenerateOptions,
    control: GenerateControl,
  ): Promise<GenerationOutput> {
    const { signal, isWanted, onEncoded, onSequence } = control;
    signal?.throwIfAborted();
    if (this.failure) throw this.failure;
    const flagsBuffer = new SharedArrayBuffer(
      Int32Array.BYTES_PER_ELEMENT * (GENERATION_FLAGS.rowOffset + batch.length),
    );
    const flags = new Int32Array(flagsBuffer);
    const refreshWanted = () => {
      if (!isWanted) return;
      for (let row = 0; row < batch.length; row++) {
        if (!isWanted(row)) Atomics.store(flags, GENERATION_FLAGS.rowOffset + row, 1);
      }
    };
    const id = this.nextId++;
    return new Promise<GenerationOutput>((resolve, reject) => {
      const timer = isWanted ? setInterval(refreshWanted, WANTED_REFRESH_MS) : undefined;
      const done = () => {
        clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const onAbort = () => {
        Atomics.store(flags, GENERATION_FLAGS.cancelled, 1);
        done();
        // the signal's own reason, as the in-thread generator's throwIfAborted() rejects with
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      refreshWanted();
      this.pending.set(id, {
        resolve: (reply) => {
          done();
          if (reply.op === 'generate') resolve(reply.output);
          else reject(new Error(`unexpected worker reply ${reply.op}`));
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onEvent: (event) => {
          if (event.kind === 'encoded') onEncoded?.(event.encodeMs);
          else onSequence?.(event.row, event.ids);
          refreshWanted();
        },
      });
      this.worker.postMessage({
        id,
        op: 'generate',
        generatorId,
        batch,
        options,
        flags: flagsBuffer,
      } satisfies WorkerRequest);
    });
  }

  async release(sessionId: number): Promise<void> {
    if (this.failure) return; // the worker and its sessions are gone already
    await this.request({ id: this.nextId++, op: 'release', sessionId });
  }

  private request(
    message: WorkerRequest,
    transfer: ArrayBuffer[] = [],
    feeds?: TensorMap,
  ): Promise<WorkerReply & { ok: true }> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject, feeds });
      this.worker.postMessage(message, transfer);
    });
  }

  private settle(reply: WorkerReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if (reply.ok && reply.op === 'event') {
      pending.onEvent?.(reply.event);
      return;
    }
    this.pending.delete(reply.id);
    const inputs = 'inputs' in reply ? reply.inputs : undefined;
    if (pending.feeds && inputs) this.giveBack(pending.feeds, inputs);
    if (reply.ok) pending.resolve(reply);
    else if (reply.errorName === 'ModelPackageError')
      pending.reject(new ModelPackageError(reply.error));
    else pending.reject(new Error(reply.error));
  }

  /** Re-attaches the returned buffers to the caller's tensors (their old views were detached). */
  private giveBack(feeds: TensorMap, inputs: readonly WireTensor[]): void {
    for (const wire of inputs) {
      const target = feeds[wire.name] as { data: TensorDataByType[keyof TensorDataByType] };
      if (target && target.data.buffer !== wire.buffer) target.data = decodeTensor(wire).data;
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const { reject } of this.pending.values()) reject(this.failure);
    this.pending.clear();
  }
}

class WorkerSession implements RuntimeSession {
  constructor(
    private readonly runtime: OnnxWorkerRuntime,
    readonly sessionId: number,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {}

  run(feeds: TensorMap, fetches?: readonly string[]): Promise<TensorMap> {
    return this.runtime.run(this.sessionId, feeds, fetches);
  }

  release(): Promise<void> {
    return this.runtime.release(this.sessionId);
  }
}

/** A Seq2SeqGenerator living on the worker thread, driven from the caller's thread. */
class WorkerGenerator implements TextGenerator {
  constructor(
    private readonly runtime: OnnxWorkerRuntime,
    private readonly generatorId: number,
    readonly settings: GenerationSettings,
  ) {}

  generate(
    batch: number[][],
    options: GenerateOptions,
    control: GenerateControl = {},
  ): Promise<GenerationOutput> {
    return this.runtime.generate(this.generatorId, batch, options, control);
  }
}
