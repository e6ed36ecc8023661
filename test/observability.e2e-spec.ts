import * as path from 'node:path';
import request from 'supertest';
import { MarianTokenizer } from '../src/inference/marian-tokenizer';
import { DriftProfile } from '../src/monitoring/drift-profile';
import { readJsonLines, startApp, TestApp, TINY_DIR } from './support/e2e-app';
import profileJson from './fixtures/models/tiny/1/drift_profile.json';

const WORDS = (
  'the people went to the city and saw a great house near the river where children played ' +
  'while their mother cooked rice for the evening meal and the old man told stories about ' +
  'kings who ruled the land long ago with wisdom and kindness'
).split(' ');

/** English texts whose token lengths follow the profile's length distribution. */
async function inDistributionTexts(count: number): Promise<string[]> {
  const tokenizer = await MarianTokenizer.fromDir(TINY_DIR);
  const { bin_edges: edges, proportions } = (profileJson as DriftProfile).token_length;
  // largest-remainder allocation of `count` texts over the bins
  const exact = proportions.map((p) => p * count);
  const counts = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0]);
  for (let k = 0; counts.reduce((a, b) => a + b, 0) < count; k++) counts[order[k][1]]++;
  const texts: string[] = [];
  counts.forEach((n, bin) => {
    const low = edges[bin];
    const high = edges[bin + 1] ?? low + 24;
    for (let j = 0; j < n; j++) {
      const target = low + ((j * 7) % Math.max(1, high - low));
      const words: string[] = [];
      let w = j + bin;
      while (tokenizer.encodeWithoutSpecial(words.join(' ')).length < Math.max(target, 1)) {
        words.push(WORDS[w++ % WORDS.length]);
      }
      texts.push(words.join(' ').replace(/^./, (c) => c.toUpperCase()) + '.');
    }
  });
  // interleave the bins so that every part of the stream looks like the whole
  return texts.map((_, i) => texts[(i * 37) % texts.length]);
}

const SHIFTED = [
  'यह एक हिंदी वाक्य है जो अंग्रेज़ी नहीं है।',
  'Это предложение на русском языке.',
  '这是一个中文句子，不是英语。',
  'هذه جملة باللغة العربية.',
];

describe('observability', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      DRIFT_WINDOW_SIZE: '100',
      // scored on a full window only: fewer sentences score drift on unchanged traffic by chance
      DRIFT_MIN_SAMPLES: '100',
      DRIFT_THRESHOLD: '0.25',
    });
  });
  afterAll(() => t.app.close());

  const translate = (body: object, requestId?: string) => {
    const r = request(t.http).post('/v1/translate').send(body);
    return requestId ? r.set('x-request-id', requestId) : r;
  };

  describe('GET /metrics', () => {
    it('exports every service metric with model_name and model_version labels', async () => {
      await translate({ text: ['Hello.', 'Good night.'] }).expect(200);
      await translate({ text: 'Hi', beam_size: 0 }).expect(400);
      const res = await request(t.http).get('/metrics').expect(200);
      expect(res.headers['content-type']).toContain('text/plain');
      const text = res.text;
      const labels = 'model_name="tiny",model_version="1"';
      for (const line of [
        `anuvaad_http_request_duration_seconds_count{${labels},method="POST",route="/v1/translate",status_code="200"}`,
        `anuvaad_http_request_duration_seconds_count{${labels},method="POST",route="/v1/translate",status_code="400"}`,
        `anuvaad_http_requests_in_flight{${labels}}`,
        `anuvaad_inference_stage_duration_seconds_count{${labels},stage="tokenize"}`,
        `anuvaad_inference_stage_duration_seconds_count{${labels},stage="encode"}`,
        `anuvaad_inference_stage_duration_seconds_count{${labels},stage="decode"}`,
        `anuvaad_inference_stage_duration_seconds_count{${labels},stage="detokenize"}`,
        `anuvaad_input_tokens_per_text_count{${labels}}`,
        `anuvaad_generated_tokens_per_text_count{${labels}}`,
        `anuvaad_translations_total{${labels}}`,
        `anuvaad_errors_total{${labels},reason="validation_failed"} 1`,
        `anuvaad_model_ready{${labels}} 1`,
      ]) {
        expect(text).toContain(line);
      }
      expect(text).toMatch(/^process_cpu_user_seconds_total /m);
      expect(text).toMatch(/^nodejs_heap_size_total_bytes /m);
      // translations_total counts texts: the two of the first request at least
      expect(
        Number(/anuvaad_translations_total\{[^}]*\} (\d+)/.exec(text)![1]),
      ).toBeGreaterThanOrEqual(2);
    });
  });

  it('exports no two families that an OpenMetrics scraper would read as one', async () => {
    const text = (await request(t.http).get('/metrics').expect(200)).text;
    const types = new Map(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]] as const),
    );
    // OpenMetrics names a counter without `_total` and reserves a histogram's sample suffixes
    const claimed = new Map<string, string>();
    for (const [name, type] of types) {
      const family = type === 'counter' ? name.replace(/_total$/, '') : name;
      const names = type === 'histogram' ? ['', '_bucket', '_sum', '_count'] : [''];
      for (const suffix of names) {
        const key = family + suffix;
        expect([key, claimed.get(key) ?? name]).toEqual([key, name]);
        claimed.set(key, name);
      }
    }
    expect(types.get('anuvaad_generated_tokens_total')).toBe('counter');
    expect(types.get('anuvaad_generated_tokens_per_text')).toBe('histogram');
  });

  it('labels a body refused before routing with its prediction route, not "unmatched"', async () => {
    for (const path of ['/v1/models/tiny/versions/1/translate', '/v2/models/tiny/infer']) {
      await request(t.http)
        .post(path)
        .set('content-type', 'application/json')
        .send('{')
        .expect(400);
    }
    const text = (await request(t.http).get('/metrics').expect(200)).text;
    expect(text).toContain(
      'route="/v1/models/:name/versions/:version/translate",status_code="400"',
    );
    expect(text).toContain('route="/v2/models/:name/infer",status_code="400"');
  });

  it('labels another method on /v2 "unmatched", not as the /v2 metadata route', async () => {
    await request(t.http).post('/v2').expect(404);
    await request(t.http).put('/v2/').expect(404);
    await request(t.http).get('/v2').expect(200);
    const text = (await request(t.http).get('/metrics').expect(200)).text;
    expect(text).not.toMatch(/route="\/v2",status_code="404"/);
    expect(text).toMatch(/method="POST",route="unmatched",status_code="404"/);
    expect(text).toMatch(/method="GET",route="\/v2",status_code="200"/);
  });

  describe('GET /metrics/summary', () => {
    it('counts predictions and errors and summarises latency', async () => {
      const before = (await request(t.http).get('/metrics/summary').expect(200)).body;
      await translate({ text: 'Hello.' }).expect(200);
      await request(t.http).post('/predict').send({ text: 'Good night.' }).expect(200);
      await request(t.http).post('/predict').send({}).expect(400);
      await request(t.http).get('/v1/models/unknown').expect(404); // not a prediction
      const after = (await request(t.http).get('/metrics/summary').expect(200)).body;
      expect(after.predictions - before.predictions).toBe(2);
      expect(after.errors - before.errors).toBe(1);
      expect(after.error_rate).toBeCloseTo(after.errors / (after.errors + after.predictions), 5);
      expect(after.uptime_seconds).toBeGreaterThan(0);
      const l = after.latency_ms;
      expect(l.window_size).toBe(after.predictions);
      expect(l.min).toBeLessThanOrEqual(l.p50);
      expect(l.p50).toBeLessThanOrEqual(l.p95);
      expect(l.p95).toBeLessThanOrEqual(l.p99);
      expect(l.p99).toBeLessThanOrEqual(l.max);
      expect(l.mean).toBeGreaterThan(0);
    });
  });

  describe('logs', () => {
    it('writes one prediction line with counts and no text by default', async () => {
      const res = await translate(
        { text: ['Hello.', 'Good night.'], beam_size: 2 },
        'pred-log-1',
      ).expect(200);
      const lines = await readJsonLines(path.join(t.logDir, 'predictions.log'), (ls) =>
        ls.some((l) => l.request_id === 'pred-log-1'),
      );
      const line = lines.filter((l) => l.request_id === 'pred-log-1');
      expect(line).toHaveLength(1);
      expect(line[0]).toMatchObject({
        event: 'prediction',
        endpoint: '/v1/translate',
        model_name: 'tiny',
        model_version: '1',
        texts: 2,
        beam_size: 2,
        latency_ms: res.body.latency_ms,
      });
      expect(line[0].input_tokens).toBeGreaterThan(2);
      expect(typeof line[0].output_tokens).toBe('number');
      expect(line[0].truncated_texts).toBe(res.body.truncated.filter(Boolean).length);
      expect(line[0]).not.toHaveProperty('source');
      expect(line[0]).not.toHaveProperty('translation');
    });

    it('writes JSON app logs whose request lines carry the request id', async () => {
      await translate({ text: 'Hello.' }, 'app-log-1').expect(200);
      await request(t.http)
        .post('/v1/translate')
        .set('x-request-id', 'app-log-2')
        .set('content-type', 'application/json')
        .send('{')
        .expect(400);
      const lines = await readJsonLines(path.join(t.logDir, 'app.log'), (ls) =>
        ['app-log-1', 'app-log-2'].every((id) => ls.some((l) => l.request_id === id)),
      );
      const ok = lines.find((l) => l.request_id === 'app-log-1');
      expect(ok).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
      const bad = lines.find((l) => l.request_id === 'app-log-2');
      expect(bad).toMatchObject({ res: { statusCode: 400 } });
      expect(lines.some((l) => String(l.msg).includes('ready'))).toBe(true);
    });
  });

  describe('GET /v1/monitoring/drift', () => {
    it('tells in-distribution English from shifted traffic', async () => {
      const texts = await inDistributionTexts(100);
      for (let i = 0; i < texts.length; i += 20) {
        await translate({ text: texts.slice(i, i + 20), max_new_tokens: 2 }).expect(200);
      }
      const normal = (await request(t.http).get('/v1/monitoring/drift').expect(200)).body;
      expect(normal).toMatchObject({ status: 'ok', window: { samples: 100, capacity: 100 } });
      expect(normal.score).toBeLessThan(0.25);
      // the signals are exported with the score, once the window is full enough to give one
      expect((await request(t.http).get('/metrics').expect(200)).text).toContain(
        'anuvaad_drift_signal{model_name="tiny",model_version="1",signal="token_length_psi"}',
      );

      const shifted = [
        ...Array.from({ length: 60 }, (_, i) => SHIFTED[i % SHIFTED.length]),
        ...Array.from({ length: 40 }, () => texts[0].repeat(12).slice(0, 1900)),
      ];
      for (let i = 0; i < shifted.length; i += 20) {
        await translate({ text: shifted.slice(i, i + 20), max_new_tokens: 2 }, `drift-${i}`).expect(
          200,
        );
      }
      const drift = (await request(t.http).get('/v1/monitoring/drift').expect(200)).body;
      expect(drift.status).toBe('drift');
      expect(drift.score).toBeGreaterThan(0.25);
      expect(drift.signals.non_latin_share_psi).toBeGreaterThan(0.25);
      expect(drift.signals.token_length_psi).toBeGreaterThan(0.25);
      expect(drift.signals.unknown_token_rate_psi).toBeGreaterThan(
        normal.signals.unknown_token_rate_psi,
      );
      expect(drift.live.non_latin_share.mean).toBeGreaterThan(0.5);

      const metrics = (await request(t.http).get('/metrics').expect(200)).text;
      const gauge = /anuvaad_drift_score\{model_name="tiny",model_version="1"\} ([\d.e+-]+)/.exec(
        metrics,
      );
      expect(Number(gauge![1])).toBeCloseTo(drift.score, 5);

      const lines = await readJsonLines(path.join(t.logDir, 'app.log'), (ls) =>
        ls.some((l) => String(l.msg).includes('input drift detected')),
      );
      const warning = lines.find((l) => String(l.msg).includes('input drift detected'));
      expect(warning).toMatchObject({ level: 40 });
      expect(String(warning!.request_id)).toMatch(/^drift-/);
    });
  });
});
