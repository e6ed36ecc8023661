/**
 * Worker-thread side of OnnxWorkerRuntime: owns the onnxruntime sessions and runs them off the
 * HTTP event loop. Tensor buffers travel as transferables in both directions (no copies); the
 * input buffers are handed back with the outputs so the caller can reuse them (the KV cache and
 * encoder states are fed again at every decoder step).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RuntimeSession } from './model-runtime.port';
import { OnnxRuntimeAdapter, OnnxRuntimeOptions } from './onnx-runtime.adapter';
import { decodeTensors, encodeTensors, WorkerReply, WorkerRequest } from './onnx-worker-protocol';

const runtime = new OnnxRuntimeAdapter(workerData as OnnxRuntimeOptions);
const sessions = new Map<number, RuntimeSession>();
let nextSessionId = 1;

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.op) {
    case 'create': {
      const session = await runtime.createSession(request.modelPath, request.options);
      const sessionId = nextSessionId++;
      sessions.set(sessionId, session);
      return {
        id: request.id,
        ok: true,
        op: 'create',
        sessionId,
        inputNames: [...session.inputNames],
        outputNames: [...session.outputNames],
      };
    }
    case 'run': {
      const session = sessions.get(request.sessionId);
      if (!session) throw new Error(`session ${request.sessionId} was released`);
      const feeds = decodeTensors(request.feeds);
      const outputs = await session.run(feeds);
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
      const session = sessions.get(request.sessionId);
      sessions.delete(request.sessionId);
      await session?.release();
      return { id: request.id, ok: true, op: 'release' };
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
        // a failed run still returns the lent input buffers
        ...(request.op === 'run' ? { inputs: request.feeds } : {}),
      } satisfies WorkerReply),
  );
});
