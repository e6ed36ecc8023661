import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import request from 'supertest';
import { eventually, startApp, TestApp } from './support/e2e-app';
import { FaultyRuntime } from './support/faulty-runtime';

describe('resilience', () => {
  let t: TestApp;
  const runtime = new FaultyRuntime();
  const translate = (text: string | string[]) =>
    request(t.http).post('/v1/translate').send({ text, beam_size: 1 });

  beforeAll(async () => {
    // a long batching window, so requests sent together share a decoder batch
    t = await startApp(
      { MAX_BATCH_DELAY_MS: '100', TRANSLATION_CACHE_SIZE: '0', MODEL_FAILURE_THRESHOLD: '3' },
      { runtime },
    );
  });
  afterAll(() => t.app.close());
  afterEach(() => {
    runtime.failAll = false;
    runtime.poisonId = undefined;
  });

  it('an input that breaks decoding fails only its own request (500 with request id); its batch mates complete', async () => {
    const good = ['Good morning.', 'The weather is nice today.'];
    const alone = await Promise.all(good.map(async (text) => (await translate(text)).body));
    const { tokenizer } = t.models.current!.translator;
    const goodIds = new Set(good.flatMap((g) => tokenizer.encode(g)));
    const poisonText = 'A zebra quiz, 7%!';
    runtime.poisonId = tokenizer.encodeWithoutSpecial(poisonText).find((id) => !goodIds.has(id));
    expect(runtime.poisonId).toBeDefined();

    const [first, poisoned, second] = await Promise.all([
      translate(good[0]),
      translate(poisonText).set('x-request-id', 'poisoned-1'),
      translate(good[1]),
    ]);
    // the first failing run held more than the poisoned sentence: the batch was shared
    expect(runtime.failedRunRows[0]).toBeGreaterThan(1);
    expect(poisoned.status).toBe(500);
    expect(poisoned.body).toMatchObject({
      statusCode: 500,
      reason: 'inference_failed',
      request_id: 'poisoned-1',
    });
    expect(poisoned.body.message).toContain('poisoned-1');
    // the runtime's text (with its library path) stays in the log
    expect(JSON.stringify(poisoned.body)).not.toContain('/opt/onnxruntime');
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(first.body.translations).toEqual(alone[0].translations);
    expect(second.body.translations).toEqual(alone[1].translations);
  });

  it('a model failing at run time turns readiness 503 with the reason, and it recovers', async () => {
    await request(t.http).get('/health/ready').expect(200);
    runtime.failAll = true;
    for (let i = 0; i < 3; i++) {
      const res = await translate(`Failure number ${i}.`).expect(500);
      expect(res.body.reason).toBe('inference_failed');
    }
    // the third failure starts a test translation of WARMUP_TEXT, which fails too
    let down = await request(t.http).get('/health/ready');
    for (let i = 0; i < 20 && down.status !== 503; i++) {
      await new Promise((r) => setTimeout(r, 50));
      down = await request(t.http).get('/health/ready');
    }
    expect(down.status).toBe(503);
    expect(down.body.error.model).toMatchObject({
      status: 'down',
      state: 'failing',
      reason: expect.stringContaining('MODEL_FAILURE_THRESHOLD=3'),
    });
    expect(down.headers['retry-after']).toBeDefined();
    // liveness is unaffected: restarting would not help more than the probe does
    await request(t.http).get('/health/live').expect(200);

    runtime.failAll = false;
    // readiness checks start recovery probes (at most one a second) until one works
    const deadline = Date.now() + 10000;
    let status = 503;
    while (status !== 200 && Date.now() < deadline) {
      status = (await request(t.http).get('/health/ready')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    await translate('Hello again.').expect(200);
  });

  it('inputs that break the model, however many in a row, do not take the replica out of readiness', async () => {
    const { tokenizer } = t.models.current!.translator;
    const poisonText = 'Quixotic zebras jump.';
    const warmIds = new Set(tokenizer.encode(t.config.model.warmupText));
    runtime.poisonId = tokenizer.encodeWithoutSpecial(poisonText).find((id) => !warmIds.has(id));
    expect(runtime.poisonId).toBeDefined();
    for (let i = 0; i < 5; i++) await translate(poisonText).expect(500);
    await new Promise((r) => setTimeout(r, 200)); // the test translation of WARMUP_TEXT works
    await request(t.http).get('/health/ready').expect(200);
    await translate('Good morning.').expect(200);
  });

  it('a rejected promise nobody handles is logged and the process carries on', () => {
    const safetyNet = path.resolve(__dirname, '../dist/common/process-safety-net.js');
    const script = `
      const { logUnhandledRejections } = require(${JSON.stringify(safetyNet)});
      logUnhandledRejections({ error: (m) => console.log('logged:', m) });
      Promise.reject(new Error('forgotten await in request code'));
      setTimeout(() => console.log('still alive'), 100);
    `;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10000 });
    expect(run.stdout).toContain(
      'logged: unhandled promise rejection, the process carries on: forgotten await in request code',
    );
    expect(run.stdout).toContain('still alive');
    expect(run.status).toBe(0);
  });
});

describe('resilience with the translation cache on', () => {
  it('a request answered from the cache alone does not count as the model working again', async () => {
    const runtime = new FaultyRuntime();
    const t = await startApp({ MODEL_FAILURE_THRESHOLD: '2' }, { runtime });
    const translate = (text: string) =>
      request(t.http).post('/v1/translate').send({ text, beam_size: 1 });
    try {
      await translate('Hello.').expect(200); // now cached
      runtime.failAll = true;
      for (const text of ['Broken one.', 'Broken two.']) await translate(text).expect(500);
      const failing = async () => (await request(t.http).get('/health/ready')).status === 503;
      expect(await eventually(failing, 2000)).toBe(true);
      // the cache still answers, but no decoder ran: readiness stays 503
      await translate('Hello.').expect(200);
      expect(await failing()).toBe(true);
      await translate('Broken three.').expect(500);
      expect(await failing()).toBe(true);
    } finally {
      await t.app.close();
    }
  });
});
