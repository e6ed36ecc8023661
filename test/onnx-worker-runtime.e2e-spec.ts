import * as path from 'node:path';
import { ModelPackageError } from '../src/model/model-package';
import { RuntimeSession, tensor } from '../src/model/model-runtime.port';
import { OnnxRuntimeAdapter } from '../src/model/onnx-runtime.adapter';
import { OnnxWorkerRuntime } from '../src/model/onnx-worker-runtime.adapter';
import { Translator } from '../src/inference/translator';
import request from 'supertest';
import { startApp, TINY_DIR } from './support/e2e-app';

// The worker script is the compiled one (`nest build` runs before the e2e tests).
const WORKER_SCRIPT = path.resolve(__dirname, '../dist/model/onnx-runtime.worker.js');
const TEXTS = [
  'Hello, how are you?',
  'The weather is nice today. I would like a cup of tea.',
  'Where is the railway station?',
];

describe('OnnxWorkerRuntime (onnxruntime on a worker thread, real tiny model)', () => {
  let runtime: OnnxWorkerRuntime;

  beforeAll(() => {
    runtime = new OnnxWorkerRuntime({}, WORKER_SCRIPT);
  });
  afterAll(() => runtime.close());

  it('translates exactly like onnxruntime on the calling thread, greedy and beam', async () => {
    const inThread = await Translator.load(TINY_DIR, new OnnxRuntimeAdapter(), {
      intraOpThreads: 1,
    });
    const onWorker = await Translator.load(TINY_DIR, runtime, { intraOpThreads: 1 });
    try {
      for (const beamSize of [1, 3]) {
        const options = { split: true, beamSize, batchSize: 8 };
        const expected = await inThread.translateTexts(TEXTS, options);
        const actual = await onWorker.translateTexts(TEXTS, options);
        expect(actual.results.map((r) => r.ids)).toEqual(expected.results.map((r) => r.ids));
        expect(actual.results.map((r) => r.text)).toEqual(expected.results.map((r) => r.text));
      }
    } finally {
      await Promise.all([inThread.dispose(), onWorker.dispose()]);
    }
  });

  it('runs the whole decode loop on the worker and honours the control hooks across threads', async () => {
    const inThread = await Translator.load(TINY_DIR, new OnnxRuntimeAdapter(), {
      intraOpThreads: 1,
    });
    const onWorker = await Translator.load(TINY_DIR, runtime, { intraOpThreads: 1 });
    try {
      const batch = TEXTS.map((t) => inThread.tokenizer.encode(t));
      const options = { beamSize: 1, maxNewTokens: 40, lengthPenalty: 1 };
      const expected = await inThread.generator.generate(batch, options);

      const delivered = new Map<number, number[]>();
      let encoded = 0;
      const out = await onWorker.generator.generate(batch, options, {
        onEncoded: () => encoded++,
        onSequence: (row, ids) => delivered.set(row, ids),
        isWanted: (row) => row !== 1, // row 1's request was cancelled before the batch ran
      });
      expect(encoded).toBe(1);
      expect([...delivered.keys()].sort()).toEqual([0, 2]);
      expect(delivered.get(0)).toEqual(expected.sequences[0]);
      expect(delivered.get(2)).toEqual(expected.sequences[2]);
      expect(out.sequences[0]).toEqual(expected.sequences[0]);
      expect(out.timings.steps).toBeGreaterThan(0);

      // an abort rejects with its reason at once; the worker drops the batch and serves on
      const abort = new AbortController();
      const reason = new Error('client went away');
      const aborted = onWorker.generator.generate(
        batch,
        { ...options, maxNewTokens: 400 },
        {
          signal: abort.signal,
          onEncoded: () => abort.abort(reason),
        },
      );
      await expect(aborted).rejects.toBe(reason);
      await expect(onWorker.generator.generate(batch, options)).resolves.toEqual(
        expect.objectContaining({ sequences: expected.sequences }),
      );
    } finally {
      await Promise.all([inThread.dispose(), onWorker.dispose()]);
    }
  });

  it('stops decoding a cancelled batch on the worker: the next batch does not wait for it', async () => {
    const onWorker = await Translator.load(TINY_DIR, runtime, { intraOpThreads: 1 });
    try {
      // 16 long sources at beam 4: about 40 decoder steps of 64 rows
      const batch = Array.from({ length: 16 }, () =>
        onWorker.tokenizer.encode('word '.repeat(300)),
      );
      const options = { beamSize: 4, maxNewTokens: 200, lengthPenalty: 1 };
      const next = [onWorker.tokenizer.encode('Hello.')];
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
      const whole: number[] = [];
      const cancelled: number[] = [];
      for (let round = 0; round < 3; round++) {
        let started = performance.now();
        await onWorker.generator.generate(batch, options);
        whole.push(performance.now() - started);
        // cancelled once encoded: the worker must drop it before its first decoder step
        const abort = new AbortController();
        started = performance.now();
        await onWorker.generator
          .generate(batch, options, {
            signal: abort.signal,
            onEncoded: () => abort.abort(new Error('client went away')),
          })
          .catch(() => undefined);
        await onWorker.generator.generate(next, { ...options, beamSize: 1, maxNewTokens: 20 });
        cancelled.push(performance.now() - started);
      }
      // measured here: about a fifth (encoding only); decoding on would take longer than whole
      expect(median(cancelled)).toBeLessThan(median(whole) * 0.6);
    } finally {
      await onWorker.dispose();
    }
  });

  it('reports a package the decode loop cannot use as a ModelPackageError, across the thread', async () => {
    const inThread = await Translator.load(TINY_DIR, new OnnxRuntimeAdapter(), {
      intraOpThreads: 1,
    });
    const encoder = await runtime.createSession(path.join(TINY_DIR, 'onnx/encoder_model.onnx'), {
      intraOpThreads: 1,
    });
    try {
      // the encoder graph as the decoder: no encoder_hidden_states input, no KV cache
      const failure = runtime.createGenerator(encoder, encoder, inThread.settings);
      await expect(failure).rejects.toBeInstanceOf(ModelPackageError);
      await expect(failure).rejects.toThrow(/has no input named encoder_hidden_states/);
    } finally {
      await Promise.all([inThread.dispose(), encoder.release()]);
    }
  });

  it('gives the caller its input tensors back, usable for the next run', async () => {
    const encoder: RuntimeSession = await runtime.createSession(
      path.join(TINY_DIR, 'onnx/encoder_model.onnx'),
      { intraOpThreads: 1 },
    );
    const feeds = {
      input_ids: tensor('int64', BigInt64Array.from([5n, 6n, 7n, 0n]), [1, 4]),
      attention_mask: tensor('int64', BigInt64Array.from([1n, 1n, 1n, 1n]), [1, 4]),
    };
    const first = await encoder.run(feeds);
    // the buffers went to the worker and came back: same values, still readable
    expect(Array.from(feeds.input_ids.data)).toEqual([5n, 6n, 7n, 0n]);
    const second = await encoder.run(feeds);
    expect(second.last_hidden_state.data).toEqual(first.last_hidden_state.data);
    expect(second.last_hidden_state.dims).toEqual([1, 4, expect.any(Number)]);
    await encoder.release();
    await expect(encoder.run(feeds)).rejects.toThrow(/released/);
  });

  it('reports a failed run as an error of that run only', async () => {
    const encoder = await runtime.createSession(path.join(TINY_DIR, 'onnx/encoder_model.onnx'), {
      intraOpThreads: 1,
    });
    const ids = tensor('int64', BigInt64Array.from([5n, 0n]), [1, 2]);
    await expect(encoder.run({ input_ids: ids })).rejects.toThrow(/attention_mask/);
    // the failed run handed its buffers back too
    expect(Array.from(ids.data)).toEqual([5n, 0n]);
    const mask = tensor('int64', BigInt64Array.from([1n, 1n]), [1, 2]);
    await expect(encoder.run({ input_ids: ids, attention_mask: mask })).resolves.toHaveProperty(
      'last_hidden_state',
    );
    await encoder.release();
  });

  it('fails pending and later runs with a clear error when the worker is gone', async () => {
    const doomed = new OnnxWorkerRuntime({}, WORKER_SCRIPT);
    const encoder = await doomed.createSession(path.join(TINY_DIR, 'onnx/encoder_model.onnx'), {
      intraOpThreads: 1,
    });
    const translator = await Translator.load(TINY_DIR, doomed, { intraOpThreads: 1 });
    await doomed.close();
    await expect(
      translator.generator.generate([[5, 0]], { beamSize: 1, maxNewTokens: 5, lengthPenalty: 1 }),
    ).rejects.toThrow(/worker exited/);
    const feeds = { input_ids: tensor('int64', BigInt64Array.from([5n, 0n]), [1, 2]) };
    await expect(encoder.run(feeds)).rejects.toThrow(/worker exited/);
    await expect(encoder.release()).resolves.toBeUndefined();
  });

  it('serves the app, and a dead worker fails liveness so the pod is restarted', async () => {
    const workerRuntime = new OnnxWorkerRuntime({}, WORKER_SCRIPT);
    const t = await startApp({}, { runtime: workerRuntime });
    try {
      const ok = await request(t.http).post('/v1/translate').send({ text: 'Hello.' }).expect(200);
      expect(ok.body.translations).toHaveLength(1);
      await request(t.http).get('/health/live').expect(200);
      await workerRuntime.close(); // the worker thread is gone, and its sessions with it
      const live = await request(t.http).get('/health/live').expect(503);
      expect(live.body.error.runtime).toEqual({
        status: 'down',
        reason: expect.stringContaining('worker exited'),
      });
    } finally {
      await t.app.close();
    }
  });
});
