import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
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
  WireTensor,
  WorkerReply,
  WorkerRequest,
} from './onnx-worker-protocol';
import type { OnnxRuntimeOptions } from './onnx-runtime.adapter';

type Pending = {
  resolve: (reply: WorkerReply & { ok: true }) => void;
  reject: (e: Error) => void;
  feeds?: TensorMap;
};

/**
 * Runs onnxruntime on a worker thread. onnxruntime-node executes a session synchronously on the
 * calling thread, so in-thread every decoder step blocks the HTTP event loop; here the event loop
 * parses, validates, logs and answers requests while the model computes. Tensors are moved, not
 * copied: a run lends its input buffers to the worker and gets them back with the outputs.
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

  /** Set once the worker has died: its sessions are gone, liveness reports it. */
  brokenReason(): string | undefined {
    return this.failure?.message;
  }

  /** Stops the worker; sessions still open are released with it. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }

  async run(sessionId: number, feeds: TensorMap): Promise<TensorMap> {
    const { tensors, transfer } = encodeTensors(feeds);
    const reply = await this.request(
      { id: this.nextId++, op: 'run', sessionId, feeds: tensors, transfer },
      transfer,
      feeds,
    );
    if (reply.op !== 'run') throw new Error(`unexpected worker reply ${reply.op}`);
    return decodeTensors(reply.outputs);
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
    this.pending.delete(reply.id);
    const inputs = 'inputs' in reply ? reply.inputs : undefined;
    if (pending.feeds && inputs) this.giveBack(pending.feeds, inputs);
    if (reply.ok) pending.resolve(reply);
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
    private readonly sessionId: number,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {}

  run(feeds: TensorMap): Promise<TensorMap> {
    return this.runtime.run(this.sessionId, feeds);
  }

  release(): Promise<void> {
    return this.runtime.release(this.sessionId);
  }
}
