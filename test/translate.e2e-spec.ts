import request from 'supertest';
import { startApp, TestApp } from './support/e2e-app';

const SENTENCES = [
  'Hello.',
  'Good night.',
  'The cat sat on the mat.',
  'How are you today?',
  'I will go to the market tomorrow morning with my brother.',
  'Water.',
];

describe('translation endpoints (real tiny ONNX model)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({
      MAX_TEXTS_PER_REQUEST: '8',
      MAX_CHARS_PER_TEXT: '300',
      MAX_SENTENCES_PER_REQUEST: '20',
      MAX_BODY_BYTES: '4096',
    });
    expect(t.models.status.state).toBe('ready');
  });
  afterAll(() => t.app.close());

  const translate = (body: object) =>
    request(t.http).post('/v1/translate').set('content-type', 'application/json').send(body);

  describe('POST /v1/translate', () => {
    it('translates one text and reports the model and latency', async () => {
      const res = await translate({ text: 'Hello' }).expect(200);
      expect(res.body).toEqual({
        translations: [expect.any(String)],
        truncated: [expect.any(Boolean)],
        model: { name: 'tiny', version: '1' },
        latency_ms: expect.any(Number),
      });
      expect(res.body.translations[0].length).toBeGreaterThan(0);
      expect(res.body.latency_ms).toBeGreaterThan(0);
    });

    it('returns one translation per text, in order', async () => {
      const res = await translate({ text: SENTENCES }).expect(200);
      expect(res.body.translations).toHaveLength(SENTENCES.length);
      const reversed = await translate({ text: [...SENTENCES].reverse() }).expect(200);
      expect(reversed.body.translations).toEqual([...res.body.translations].reverse());
    });

    it('is deterministic and identical alone or batched (greedy and beam)', async () => {
      for (const beam_size of [1, 4]) {
        const batched = await translate({ text: SENTENCES, beam_size }).expect(200);
        const alone: string[] = [];
        for (const text of SENTENCES) {
          alone.push((await translate({ text, beam_size }).expect(200)).body.translations[0]);
        }
        expect(batched.body.translations).toEqual(alone);
        const again = await translate({ text: SENTENCES, beam_size }).expect(200);
        expect(again.body.translations).toEqual(batched.body.translations);
      }
    });

    it('splits a multi-sentence text and joins the sentence translations', async () => {
      const [a, b] = (await translate({ text: ['Hello.', 'Good night.'] }).expect(200)).body
        .translations;
      const joined = (await translate({ text: 'Hello. Good night.' }).expect(200)).body
        .translations[0];
      expect(joined).toBe([a, b].filter((s: string) => s !== '').join(' '));
    });

    it('caps generation with max_new_tokens', async () => {
      const long = 'I will go to the market tomorrow morning with my brother and my sister.';
      const cappedBody = (
        await translate({ text: [long, 'Hello.'], max_new_tokens: 1 }).expect(200)
      ).body;
      const capped = cappedBody.translations[0];
      const full = (await translate({ text: long }).expect(200)).body;
      expect(capped.length).toBeLessThanOrEqual(full.translations[0].length);
      expect(capped.split(' ').length).toBeLessThanOrEqual(1);
      // one token cannot hold the sentence and its end: the answer says the output was cut
      expect(cappedBody.truncated[0]).toBe(true);
      expect(full.truncated).toEqual([false]);
    });

    it('accepts the model name and version it serves', async () => {
      await translate({ text: 'Hello', model: 'tiny', version: '1' }).expect(200);
    });
  });

  describe('POST /predict (seed-compatible)', () => {
    it('translates one text', async () => {
      const res = await request(t.http).post('/predict').send({ text: 'hello world' }).expect(200);
      expect(res.body).toEqual({
        translation: expect.any(String),
        truncated: false,
        model_version: '1',
        latency_ms: expect.any(Number),
      });
      const same = await translate({ text: 'hello world' }).expect(200);
      expect(same.body.translations[0]).toBe(res.body.translation);
    });

    it('rejects a list or a missing text', async () => {
      const res = await request(t.http)
        .post('/predict')
        .send({ text: ['a'] })
        .expect(400);
      expect(res.body.details).toContainEqual(
        expect.objectContaining({ field: 'text', rule: 'isString' }),
      );
      await request(t.http).post('/predict').send({}).expect(400);
    });
  });

  describe('errors', () => {
    it.each([
      [{}, 'text', 'isTextInput'],
      [{ text: '' }, 'text', 'isTextInput'],
      [{ text: [] }, 'text', 'isTextInput'],
      [{ text: ['ok', 3] }, 'text', 'isTextInput'],
      [{ text: 'Hi', beam_size: 0 }, 'beam_size', 'min'],
      [{ text: 'Hi', beam_size: 9 }, 'beam_size', 'max'],
      [{ text: 'Hi', beam_size: 1.5 }, 'beam_size', 'isInt'],
      [{ text: 'Hi', max_new_tokens: 513 }, 'max_new_tokens', 'max'],
      [{ text: 'Hi', max_new_tokens: '5' }, 'max_new_tokens', 'isInt'],
      [{ text: 'Hi', version: 'latest' }, 'version', 'matches'],
      [{ text: 'Hi', extra: true }, 'extra', 'whitelistValidation'],
    ])('400 for %j names %s and rule %s', async (body, field, rule) => {
      const res = await translate(body).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, reason: 'validation_failed' });
      expect(res.body.details).toContainEqual(expect.objectContaining({ field, rule }));
      expect(res.body.message).toContain(field);
    });

    it('400 for malformed JSON, with the request id', async () => {
      const res = await request(t.http)
        .post('/v1/translate')
        .set('content-type', 'application/json')
        .set('x-request-id', 'bad-json-1')
        .send('{"text": "Hello"')
        .expect(400);
      expect(res.body).toMatchObject({ reason: 'malformed_json', request_id: 'bad-json-1' });
      expect(res.headers['x-request-id']).toBe('bad-json-1');
    });

    it('413 for a body over MAX_BODY_BYTES', async () => {
      const res = await translate({ text: 'a'.repeat(5000) }).expect(413);
      expect(res.body).toMatchObject({ reason: 'payload_too_large' });
      expect(res.body.message).toContain('MAX_BODY_BYTES');
    });

    it('400 naming the limit when there are too many texts or characters', async () => {
      const many = await translate({ text: Array(9).fill('Hi') }).expect(400);
      expect(many.body.reason).toBe('input_limit_exceeded');
      expect(many.body.message).toMatch(/9 items; at most 8 .*MAX_TEXTS_PER_REQUEST/);
      const sentences = await translate({ text: ['Hi. '.repeat(15), 'Yes. '.repeat(6)] }).expect(
        400,
      );
      expect(sentences.body.message).toMatch(
        /21 sentences; at most 20 .*MAX_SENTENCES_PER_REQUEST/,
      );
      const long = await translate({ text: ['Hi', 'b'.repeat(301)] }).expect(400);
      expect(long.body.message).toMatch(
        /text\[1\] has 301 characters; at most 300 .*MAX_CHARS_PER_TEXT/,
      );
    });

    it('404 for an unknown model or version', async () => {
      const model = await translate({ text: 'Hi', model: 'en-de' }).expect(404);
      expect(model.body).toMatchObject({ reason: 'model_not_found' });
      expect(model.body.message).toContain('en-de');
      const version = await translate({ text: 'Hi', version: '99' }).expect(404);
      expect(version.body.message).toContain('"99"');
    });

    it('404 JSON for an unknown route', async () => {
      const res = await request(t.http).get('/v1/nothing').expect(404);
      expect(res.body).toMatchObject({ statusCode: 404, reason: 'route_not_found' });
      // under /v2 in the Open Inference Protocol's error shape
      const v2 = await request(t.http).get('/v2/nothing').expect(404);
      expect(v2.body).toEqual({ error: expect.stringContaining('/v2/nothing') });
    });

    it('bad requests never turn into 5xx and do not disturb concurrent good ones', async () => {
      const expected = (await translate({ text: SENTENCES }).expect(200)).body.translations;
      const good = () => translate({ text: SENTENCES });
      const bad = [
        translate({ text: 'x'.repeat(301) }),
        translate({ text: '\u0000\uffff\ud800 weird' }),
        translate({ text: 'नमस्ते दुनिया '.repeat(20) }),
        translate({ text: '🙂'.repeat(100) }),
        request(t.http).post('/v1/translate').set('content-type', 'application/json').send('[1,2'),
        request(t.http).post('/v1/translate').set('content-type', 'text/plain').send('Hello'),
      ];
      const responses = await Promise.all([good(), ...bad, good()]);
      for (const r of responses) expect(r.status).toBeLessThan(500);
      expect(responses[0].body.translations).toEqual(expected);
      expect(responses.at(-1)!.body.translations).toEqual(expected);
    });
  });

  describe('x-request-id', () => {
    it('echoes a valid incoming id and generates one otherwise', async () => {
      const echoed = await translate({ text: 'Hi' }).set('x-request-id', 'client-42').expect(200);
      expect(echoed.headers['x-request-id']).toBe('client-42');
      const generated = await request(t.http).get('/health/live').expect(200);
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      const unsafe = await request(t.http)
        .get('/health/live')
        .set('x-request-id', 'has spaces <and> markup')
        .expect(200);
      expect(unsafe.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });
});
