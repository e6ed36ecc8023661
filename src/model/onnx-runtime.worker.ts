/**
 * Worker-thread side of OnnxWorkerRuntime: owns the onnxruntime sessions and runs them off the
 * HTTP event loop. Serving runs whole generations here (the decode loop included), so a decoder
 * step never waits for the HTTP thread; single session runs are offered too. Tensor buffers of
 * single runs travel as transferables in both directions (no copies); the input buffers are
 * handed back with the outputs so the caller can reuse them.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Seq2SeqGenerator } from '../inference/seq2seq-generator';
import { ModelPackageError } from './model-package';
import { RuntimeSession } from './model-runtime.port';
import { OnnxRuntimeAdapter, OnnxRuntimeOptions } from './onnx-runtime.adapter';
import {
  decodeTensors,
  encodeTensors,
  GENERATION_FLAGS,
  GenerationEvent,
  WorkerReply,
  WorkerRequest,
} from './onnx-worker-protocol';

const runtime = new OnnxRuntimeAdapter(workerData as OnnxRuntimeOptions);
const sessions = new Map<number, RuntimeSession>();
const generators = new Map<number, { generator: Seq2SeqGenerator; sessionIds: number[] }>();
let nextId = 1;
// Generations run one after another, as they would on the calling thread: onnxruntime-node's
// run yields to the event loop between steps, so a second one would otherwise interleave.
let generating: Promise<unknown> = Promise.resolve();

function session(sessionId: number): RuntimeSession {
  const found = sessions.get(sessionId);
  if (!found) throw new Error(`session ${sessionId} was released`);
  return found;
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.op) {
    case 'create': {
      const created = await runtime.createSession(request.modelPath, request.options);
      const sessionId = nextId++;
      sessions.set(sessionId, created);
      return {
        id: request.id,
        ok: true,
        op: 'create',
        sessionId,
        inputNames: [...created.inputNames],
        outputNames: [...created.outputNames],
      };
    }
    case 'run': {
      const feeds = decodeTensors(request.feeds);
      const outputs = await session(request.sessionId).run(feeds, request.fetches);
      const encodedOutputs = encodeTensors(outputs);
      return {
        id: request.id,
        ok: true,
        op: 'run',
        outputs: encodedOutputs.tensors,
        // the caller's input buffers go back to it; output buffers are new and move over too
        inputs: request.feeds,
        transfer: [...request.transfer, ...encodedOutputs.transfer],
      };
    }
    case 'release': {
      const released = sessions.get(request.sessionId);
      sessions.delete(request.sessionId);
      for (const [generatorId, entry] of generators) {
        if (entry.sessionIds.includes(request.sessionId)) generators.delete(generatorId);
      }
      await released?.release();
      return { id: request.id, ok: true, op: 'release' };
    }
    case 'generator': {
      const { encoderSessionId, decoderSessionId, settings } = request;
      const generator = new Seq2SeqGenerator(
        session(encoderSessionId),
        session(decoderSessionId),
        settings,
      );
      const generatorId = nextId++;
      generators.set(generatorId, { generator, sessionIds: [encoderSessionId, decoderSessionId] });
      return { id: request.id, ok: true, op: 'generator', generatorId };
    }
    case 'generate': {
      const entry = generators.get(request.generatorId);
      if (!entry) throw new Error(`generator ${request.generatorId} was released`);
      const flags = new Int32Array(request.flags);
      const report = (event: GenerationEvent): void =>
        parentPort!.postMessage({
          id: request.id,
          ok: true,
          op: 'event',
          event,
        } satisfies WorkerReply);
      const run = generating.then(() =>
        entry.generator.generate(request.batch, request.options, {
          onEncoded: (encodeMs) => report({ kind: 'encoded', encodeMs }),
          onSequence: (row, ids) => report({ kind: 'sequence', row, ids }),
          // checked before every encoder/decoder run: a cancelled batch stops there
          isCancelled: () => Atomics.load(flags, GENERATION_FLAGS.cancelled) !== 0,
          isWanted: (row) => Atomics.load(flags, GENERATION_FLAGS.rowOffset + row) === 0,
        }),
      );
      generating = run.catch(() => undefined);
      return { id: request.id, ok: true, op: 'generate', output: await run };
    }
  }
}

parentPort!.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (reply) => parentPort!.postMessage(reply, 'transfer' in reply ? reply.transfer : []),
    (e: unknown) =>
      parentPort!.postMessage({
        id: request.id,
        ok: false,
        error: e instanceof Error ? e.message : String(e),
        // lets the caller tell a bad package (e.g. a decoder without a KV cache) from other failures
        errorName: e instanceof ModelPackageError ? 'ModelPackageError' : undefined,
        // a failed run still returns the lent input buffers
        ...(request.op === 'run' ? { inputs: request.feeds } : {}),
      } satisfies WorkerReply),
  );
});
