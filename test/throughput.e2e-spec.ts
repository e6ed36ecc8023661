import * as path from 'node:path';
import request from 'supertest';
import { OnnxRuntimeAdapter } from '../src/model/onnx-runtime.adapter';
import { OnnxWorkerRuntime } from '../src/model/onnx-worker-runtime.adapter';
import { startApp, TestApp } from './support/e2e-app';
import { SlowDecoderRuntime } from './support/slow-runtime';

const TEXTS = [
  'Hello.',
  'Good night.',
  'The cat sat on the mat.',
  'How are you today?',
  'I will go to the market tomorrow morning with my brother.',
  'Water.',
  'Where is the station? It is near the river.',
  'Please close the door.',
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Value of a model-labelled series in the Prometheus text; 0 while it has no sample yet. */
async function metricValue(t: TestApp, name: string): Promise<number> {
  const res = await request(t.http).get('/metrics').expect(200);
  const line = res.text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && l.includes('model_version="1"'));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

async function waitFor(check: () => boolean | Promise<boolean>, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(25);
  }
  return check();
}

// The worker script is the compiled one (`nest build` runs before the e2e tests).
const WORKER_SCRIPT = path.resolve(__dirname, '../dist/model/onnx-runtime.worker.js');

describe.each([
  ['decode loop on a worker thread (the default)', () => new OnnxWorkerRuntime({}, WORKER_SCRIPT)],
  ['decode loop on the HTTP thread', () => new OnnxRuntimeAdapter()],
])('dynamic batching (real tiny ONNX model), %s', (_name, makeRuntime) => {
  let t: TestApp;

  beforeAll(async () => {
    // No cache, so every request really decodes; a longer delay so concurrent requests meet.
    t = await startApp(
      { TRANSLATION_CACHE_SIZE: '0', MAX_BATCH_DELAY_MS: '20' },
      { runtime: makeRuntime() },
    );
  });
  afterAll(() => t.app.close());

  const translate = (body: object) =>
    request(t.http).post('/v1/translate').set('content-type', 'application/json').send(body);

  it('gives each of many concurrent requests exactly its single-request result', async () => {
    for (const beam_size of [1, 3]) {
      const alone: string[] = [];
      for (const text of TEXTS) {
        const res = await translate({ text, beam_size }).expect(200);
        alone.push(res.body.translations[0]);
      }
      const batchesBefore = await metricValue(t, 'anuvaad_batch_size_count');
      const together = await Promise.all(
        TEXTS.map((text) => translate({ text, beam_size }).expect(200)),
      );
      expect(together.map((r) => r.body.translations[0])).toEqual(alone);
      // the 8 requests shared batches
      const batches = (await metricValue(t, 'anuvaad_batch_size_count')) - batchesBefore;
      expect(batches).toBeLessThan(TEXTS.length);
    }
  });

  it('keeps requests with different options apart and still answers each correctly', async () => {
    const bodies = TEXTS.slice(0, 4).flatMap((text) => [
      { text, beam_size: 1 },
      { text, beam_size: 2, max_new_tokens: 5 },
    ]);
    const alone = [];
    for (const body of bodies) alone.push((await translate(body).expect(200)).body.translations);
    const together = await Promise.all(bodies.map((b) => translate(b).expect(200)));
    expect(together.map((r) => r.body.translations)).toEqual(alone);
  });

  it('exports queue, batch and decoder series', async () => {
    const { text } = await request(t.http).get('/metrics').expect(200);
    for (const name of [
      'anuvaad_batch_queue_length',
      'anuvaad_batch_queue_wait_seconds_bucket',
      'anuvaad_batch_size_bucket',
      'anuvaad_decoder_steps_total',
      'anuvaad_generated_tokens_total',
    ]) {
      expect(text).toMatch(new RegExp(`^${name}\\{[^}]*model_name="tiny",model_version="1"`, 'm'));
    }
    expect(await metricValue(t, 'anuvaad_batch_queue_length')).toBe(0);
    expect(await metricValue(t, 'anuvaad_decoder_steps_total')).toBeGreaterThan(0);
  });
});

describe('translation cache', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.app.close());

  it('answers a repeated sentence from the cache with the same translation', async () => {
    const body = { text: 'Good morning. How are you?' };
    const first = await request(t.http).post('/v1/translate').send(body).expect(200);
    const misses = await metricValue(t, 'anuvaad_translation_cache_misses_total');
    expect(misses).toBeGreaterThanOrEqual(2);
    const steps = await metricValue(t, 'anuvaad_decoder_steps_total');
    const second = await request(t.http).post('/v1/translate').send(body).expect(200);
    expect(second.body.translations).toEqual(first.body.translations);
    expect(await metricValue(t, 'anuvaad_translation_cache_hits_total')).toBe(2);
    expect(await metricValue(t, 'anuvaad_decoder_steps_total')).toBe(steps);
    // other options are another cache entry
    await request(t.http)
      .post('/v1/translate')
      .send({ ...body, beam_size: 2 })
      .expect(200);
    expect(await metricValue(t, 'anuvaad_translation_cache_hits_total')).toBe(2);
  });
});

describe('backpressure, deadlines and cancellation', () => {
  let t: TestApp;
  const runtime = new SlowDecoderRuntime(0);

  beforeAll(async () => {
    t = await startApp(
      {
        REQUEST_TIMEOUT_MS: '300',
        MAX_QUEUE: '4',
        MAX_SENTENCES_PER_REQUEST: '4',
        TRANSLATION_CACHE_SIZE: '0',
      },
      { runtime },
    );
  });
  afterAll(() => t.app.close());
  afterEach(() => {
    runtime.delayMs = 0;
  });

  const translate = (body: object) =>
    request(t.http).post('/v1/translate').set('content-type', 'application/json').send(body);

  /** Waits until no decoder run has started for a while. */
  async function decoderIdle(): Promise<number> {
    let last = -1;
    while (runtime.decoderRuns !== last) {
      last = runtime.decoderRuns;
      await sleep(runtime.delayMs * 3 + 50);
    }
    return last;
  }

  it('refuses work beyond MAX_QUEUE with 503 queue_full and Retry-After', async () => {
    // the first request keeps the model busy; of the next two only one fits the 4 queue slots
    runtime.delayMs = 60;
    const runsBefore = runtime.decoderRuns;
    const busy = translate({ text: 'The cat sat on the mat.' }).then((r) => r.status);
    await waitFor(() => runtime.decoderRuns > runsBefore);
    const [a, b] = await Promise.all([
      translate({ text: ['One.', 'Two.', 'Three.'] }),
      translate({ text: ['Four.', 'Five.'] }),
    ]);
    const refused = [a, b].filter((r) => r.status === 503);
    expect(refused).toHaveLength(1);
    expect(refused[0].headers['retry-after']).toBe('5');
    expect(refused[0].body).toMatchObject({ reason: 'queue_full' });
    expect(refused[0].body.message).toContain('MAX_QUEUE');
    await busy;
    await decoderIdle();
  });

  it('answers 504 deadline_exceeded past REQUEST_TIMEOUT_MS and stops the decoding', async () => {
    // two decoder steps already pass the 300 ms deadline
    runtime.delayMs = 250;
    const res = await translate({ text: 'I will go to the market tomorrow morning.' }).expect(504);
    expect(res.body).toMatchObject({ reason: 'deadline_exceeded' });
    const runsAtAnswer = runtime.decoderRuns;
    const finalRuns = await decoderIdle();
    // at most the step already running when the deadline passed
    expect(finalRuns - runsAtAnswer).toBeLessThanOrEqual(1);
    expect(await metricValue(t, 'anuvaad_batch_queue_length')).toBe(0);
  });

  it('drops a queued request whose client disconnects, freeing its queue slots', async () => {
    runtime.delayMs = 60;
    const batchesBefore = await metricValue(t, 'anuvaad_batch_size_count');
    // the first request keeps the model busy, the second waits in the queue
    const runsBefore = runtime.decoderRuns;
    const busy = translate({ text: 'The cat sat on the mat.' }).then(
      (r) => r,
      (e: unknown) => e,
    );
    await waitFor(() => runtime.decoderRuns > runsBefore);
    const abandoned = translate({ text: ['Hello.', 'Water.', 'Good night.'] })
      .timeout(100)
      .then(
        () => 'answered',
        (e: { code?: string; timeout?: number }) => e.code ?? 'error',
      );
    expect(
      await waitFor(async () => (await metricValue(t, 'anuvaad_batch_queue_length')) === 3, 2000),
    ).toBe(true);
    expect(await abandoned).toBe('ECONNABORTED');
    expect(
      await waitFor(async () => (await metricValue(t, 'anuvaad_batch_queue_length')) === 0),
    ).toBe(true);
    await busy;
    await decoderIdle();
    // the abandoned sentences were never decoded: only the busy request's batch ran
    expect((await metricValue(t, 'anuvaad_batch_size_count')) - batchesBefore).toBe(1);
    // and its 3 slots are free again: a 4-sentence request fits MAX_QUEUE=4
    runtime.delayMs = 0;
    await translate({ text: ['One.', 'Two.', 'Three.', 'Four.'] }).expect(200);
  });
});

describe('the HTTP thread while the worker decodes (the shipped model)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(
      {
        MODEL_DIR: path.resolve(__dirname, '../models'),
        MODEL_NAME: 'en-hi',
        TRANSLATION_CACHE_SIZE: '0',
      },
      { runtime: new OnnxWorkerRuntime({}, WORKER_SCRIPT) },
    );
  }, 60000);
  afterAll(() => t.app.close());

  it('answers /health/live at once while a request decodes over 200 sentences', async () => {
    const text = Array.from({ length: 30 }, (_, i) => TEXTS[i % TEXTS.length]).join(' ');
    const started = performance.now();
    let decoding = true;
    const long = request(t.http)
      .post('/v1/translate')
      .send({ text: Array.from({ length: 7 }, () => text), beam_size: 4 }) // 238 sentences
      .then((r) => {
        decoding = false;
        return { status: r.status, ms: performance.now() - started };
      });
    const waits: number[] = [];
    while (decoding) {
      const probe = performance.now();
      await request(t.http).get('/health/live').expect(200);
      waits.push(performance.now() - probe);
      await sleep(20);
    }
    const answer = await long;
    expect(answer.status).toBe(200);
    expect(waits.length).toBeGreaterThanOrEqual(5);
    // With the decode loop on the HTTP thread, probes wait behind its steps (median ~460 ms here,
    // against ~3 ms with the worker); a synchronous decode would hold one probe for the whole request.
    const median = waits.sort((a, b) => a - b)[Math.floor(waits.length / 2)];
    expect(median).toBeLessThan(Math.min(100, answer.ms / 10));
  }, 60000);
});
