import { AddressInfo } from 'node:net';
import * as net from 'node:net';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { copyTinyPackage, readJsonLines, startApp, TestApp } from './support/e2e-app';

/** Sends raw bytes to the app's server and returns the raw answer (for what supertest cannot send). */
async function raw(t: TestApp, payload: string): Promise<string> {
  const server = t.http as import('node:http').Server;
  if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(payload));
    let answer = '';
    socket.on('data', (c) => (answer += c.toString('utf8')));
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

const jsonBody = (answer: string) =>
  JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;

// bearer secrets are at least 16 characters (MIN_SECRET_LENGTH)
const KEY_ONE = 'key-one-0123456789';
const KEY_TWO = 'key-two-0123456789';
const SCRAPE_TOKEN = 'scrape-token-0123456789';
const KEY_A = 'key-a-0123456789ab';
const KEY_B = 'key-b-0123456789ab';

describe('access control', () => {
  describe('with API_KEYS and METRICS_TOKEN set', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp({
        API_KEYS: `${KEY_ONE}, ${KEY_TWO}`,
        METRICS_TOKEN: SCRAPE_TOKEN,
        ADMIN_TOKEN: 'admin-token-0123456789',
      });
    });
    afterAll(() => t.app.close());

    it('refuses API routes without a key: 401 in the error shape, naming the header', async () => {
      const res = await request(t.http).post('/v1/translate').send({ text: 'Hello' }).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toMatchObject({
        statusCode: 401,
        reason: 'unauthorized',
        request_id: expect.any(String),
      });
      expect(res.body.message).toContain('Authorization: Bearer');
      await request(t.http).get('/v1/models').expect(401);
      await request(t.http).post('/predict').send({ text: 'Hello' }).expect(401);
    });

    it('refuses a wrong key, whatever its length, and other schemes', async () => {
      const wrong = [KEY_ONE.slice(0, -1), `${KEY_ONE}-`, 'x'].map((key) => `Bearer ${key}`);
      for (const auth of [...wrong, `Basic ${Buffer.from(KEY_ONE).toString('base64')}`]) {
        const res = await request(t.http)
          .post('/v1/translate')
          .set('authorization', auth)
          .send({ text: 'Hello' })
          .expect(401);
        expect(res.body.reason).toBe('unauthorized');
      }
    });

    it('accepts every configured key', async () => {
      for (const key of [KEY_ONE, KEY_TWO]) {
        await request(t.http)
          .post('/v1/translate')
          .set('authorization', `Bearer ${key}`)
          .send({ text: 'Hello' })
          .expect(200);
      }
    });

    it('keeps health routes open and puts metrics behind METRICS_TOKEN, not the API keys', async () => {
      await request(t.http).get('/health/live').expect(200);
      await request(t.http).get('/health/ready').expect(200);
      await request(t.http).get('/metrics').expect(401);
      const withApiKey = await request(t.http)
        .get('/metrics')
        .set('authorization', `Bearer ${KEY_ONE}`)
        .expect(401);
      // says which secret the route takes, so the operator does not try the other API keys
      expect(withApiKey.body.message).toBe(
        'the bearer key is not valid for this route, which takes METRICS_TOKEN',
      );
      await request(t.http).get('/metrics/summary').expect(401);
      await request(t.http)
        .get('/metrics')
        .set('authorization', `Bearer ${SCRAPE_TOKEN}`)
        .expect(200);
    });

    it('keeps the Open Inference Protocol health routes open and its model routes behind the keys', async () => {
      await request(t.http).get('/v2/health/live').expect(200);
      await request(t.http).get('/v2/health/ready').expect(200);
      await request(t.http).get('/v2/models/tiny').expect(401);
      await request(t.http)
        .get('/v2/models/tiny')
        .set('authorization', `Bearer ${KEY_TWO}`)
        .expect(200);
    });

    it('guards the admin API with ADMIN_TOKEN alone: an API key does not open it', async () => {
      const unload = (auth: string) =>
        request(t.http)
          .post('/v1/admin/models/tiny/unload')
          .set('authorization', auth)
          .send({ version: '9' });
      expect((await unload(`Bearer ${KEY_ONE}`).expect(401)).body.reason).toBe('unauthorized');
      // the admin token passes (version 9 does not exist: 404, not 401)
      expect((await unload('Bearer admin-token-0123456789').expect(404)).body.reason).toBe(
        'model_not_found',
      );
    });
  });

  it('is off by default: API and metrics routes need no key', async () => {
    const t = await startApp();
    try {
      await request(t.http).post('/v1/translate').send({ text: 'Hello' }).expect(200);
      await request(t.http).get('/metrics').expect(200);
    } finally {
      await t.app.close();
    }
  });
});

describe('rate limits', () => {
  it('limits each API key separately, with 429, Retry-After and the error shape', async () => {
    const t = await startApp({
      API_KEYS: `${KEY_A},${KEY_B}`,
      RATE_LIMIT_PER_KEY: '3',
      RATE_LIMIT_WINDOW_MS: '60000',
    });
    try {
      const call = (key: string) =>
        request(t.http).get('/v1/models').set('authorization', `Bearer ${key}`);
      for (let i = 0; i < 3; i++) await call(KEY_A).expect(200);
      const limited = await call(KEY_A).expect(429);
      // the window is RATE_LIMIT_WINDOW_MS (60 s), just opened: the wait is most of it
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(50);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(limited.body).toMatchObject({
        statusCode: 429,
        error: 'Too Many Requests',
        reason: 'rate_limited',
        request_id: expect.any(String),
      });
      expect(limited.body.message).toContain(
        'at most 3 requests per 60 s per API key (RATE_LIMIT_PER_KEY)',
      );
      // one count over all API routes, not per route
      await request(t.http)
        .post('/v1/translate')
        .set('authorization', `Bearer ${KEY_A}`)
        .send({ text: 'Hi' })
        .expect(429);
      await call(KEY_B).expect(200);
      // probes are never throttled
      for (let i = 0; i < 5; i++) await request(t.http).get('/health/ready').expect(200);
    } finally {
      await t.app.close();
    }
  });

  it('limits each client address', async () => {
    const t = await startApp({ RATE_LIMIT_PER_ADDRESS: '2' });
    try {
      await request(t.http).get('/v1/models').expect(200);
      await request(t.http).get('/v1/models').expect(200);
      const limited = await request(t.http).get('/v1/models').expect(429);
      expect(limited.body.message).toContain('RATE_LIMIT_PER_ADDRESS');
      expect(limited.headers['retry-after']).toBeDefined();
      await request(t.http).get('/metrics').expect(200);
    } finally {
      await t.app.close();
    }
  });

  it('counts requests with a wrong or missing API key against the address limit', async () => {
    const t = await startApp({ API_KEYS: KEY_A, RATE_LIMIT_PER_ADDRESS: '3' });
    try {
      await request(t.http).get('/v1/models').expect(401);
      await request(t.http).get('/v1/models').set('authorization', 'Bearer guess1').expect(401);
      await request(t.http).get('/v1/models').set('authorization', 'Bearer guess2').expect(401);
      // the fourth guess is refused before its key is even compared
      const limited = await request(t.http)
        .get('/v1/models')
        .set('authorization', 'Bearer guess3')
        .expect(429);
      expect(limited.body.message).toContain('RATE_LIMIT_PER_ADDRESS');
      await request(t.http).get('/v1/models').set('authorization', `Bearer ${KEY_A}`).expect(429);
    } finally {
      await t.app.close();
    }
  });
});

describe('a model with a short position table', () => {
  it('refuses max_new_tokens past it with 400 input_limit_exceeded instead of cutting it short', async () => {
    const { modelDir, versionDir } = copyTinyPackage();
    const configFile = path.join(versionDir, 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...config, max_position_embeddings: 64 }));
    rmSync(path.join(versionDir, 'checksums.sha256'));
    const t = await startApp({ MODEL_DIR: modelDir, REQUIRE_CHECKSUMS: 'false' });
    try {
      const res = await request(t.http)
        .post('/v1/translate')
        .send({ text: 'Hello', max_new_tokens: 65 })
        .expect(400);
      expect(res.body).toMatchObject({ reason: 'input_limit_exceeded' });
      expect(res.body.message).toContain('at most 64 tokens');
      await request(t.http)
        .post('/v1/translate')
        .send({ text: 'Hello', max_new_tokens: 64 })
        .expect(200);
    } finally {
      await t.app.close();
    }
  });
});

describe('limits and headers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp({ MAX_URL_BYTES: '256', MAX_HEADER_BYTES: '4096', MAX_NEW_TOKENS: '16' });
  });
  afterAll(() => t.app.close());

  it('answers 414 for a URL over MAX_URL_BYTES', async () => {
    const res = await request(t.http)
      .get(`/v1/models?${'q'.repeat(300)}`)
      .expect(414);
    expect(res.body).toMatchObject({ reason: 'uri_too_long', request_id: expect.any(String) });
    expect(res.body.message).toContain('MAX_URL_BYTES');
    await request(t.http)
      .get(`/v1/models?${'q'.repeat(200)}`)
      .expect(200);
  });

  it('answers 431 in the JSON error shape for headers over MAX_HEADER_BYTES', async () => {
    const answer = await raw(
      t,
      `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(6000)}\r\n\r\n`,
    );
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(jsonBody(answer)).toMatchObject({
      statusCode: 431,
      reason: 'header_too_large',
      message: expect.stringContaining('MAX_HEADER_BYTES'),
    });
    const fine = await raw(
      t,
      `GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`,
    );
    expect(fine.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });

  it('answers an HTTP/1.1 request without Host with 400 in the error shape; HTTP/1.0 needs none', async () => {
    // every route, the docs (mounted before the app's middleware) included
    for (const route of ['/health/live', '/docs', '/docs-json', '/v1/models']) {
      const answer = await raw(t, `GET ${route} HTTP/1.1\r\nConnection: close\r\n\r\n`);
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      expect(answer).toMatch(/\r\nx-request-id: \S+/i);
      expect(answer).toMatch(/\r\nx-content-type-options: nosniff\r\n/i); // security headers too
      const message = 'an HTTP/1.1 request needs a Host header';
      expect(jsonBody(answer)).toMatchObject({
        reason: 'validation_failed',
        message,
        details: [{ field: 'host', rule: 'required', message }],
      });
    }
    const old = await raw(t, 'GET /health/live HTTP/1.0\r\n\r\n');
    expect(old.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
  });

  it('answers broken HTTP with a 400 JSON body', async () => {
    const answer = await raw(t, 'NONSENSE\r\n\r\n');
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
    expect(jsonBody(answer)).toMatchObject({ statusCode: 400, message: 'malformed HTTP request' });
  });

  it('caps max_new_tokens at MAX_NEW_TOKENS', async () => {
    const res = await request(t.http)
      .post('/v1/translate')
      .send({ text: 'Hello', max_new_tokens: 17 })
      .expect(400);
    expect(res.body).toMatchObject({ reason: 'input_limit_exceeded' });
    expect(res.body.message).toContain('MAX_NEW_TOKENS');
    await request(t.http)
      .post('/v1/translate')
      .send({ text: 'Hello', max_new_tokens: 16 })
      .expect(200);
    // and the model's own default, as the model details show it
    const detail = await request(t.http).get('/v1/models/tiny').expect(200);
    expect(detail.body.generation.max_new_tokens).toBe(16);
  });

  it('answers 415 for a body that is not JSON, naming the content type', async () => {
    const res = await request(t.http)
      .post('/v1/translate')
      .set('content-type', 'text/plain')
      .send('Hello')
      .expect(415);
    expect(res.body).toMatchObject({ reason: 'unsupported_media_type' });
    expect(res.body.message).toContain('text/plain');
  });

  it('answers GET routes whatever body they carry: probes and scrapers are not parsed', async () => {
    for (const route of ['/health/ready', '/v2/health/ready', '/metrics', '/v1/models']) {
      await request(t.http)
        .get(route)
        .set('content-type', 'application/json')
        .send('{bad')
        .expect(200);
      await request(t.http).get(route).set('content-type', 'text/plain').send('x').expect(200);
    }
  });

  it('shows the model folder in model details without the server path', async () => {
    const res = await request(t.http).get('/v1/models/tiny').expect(200);
    expect(path.isAbsolute(t.config.model.dir)).toBe(true);
    expect(res.body.path).toBe('…/1');
  });

  it.each([
    ['content-type', 'application/json; charset=latin1', /charset/],
    ['content-encoding', 'zstd', /encoding/],
  ])('answers 415 unsupported_media_type for JSON sent with %s %s', async (header, value, says) => {
    const res = await request(t.http)
      .post('/v1/translate')
      .set('content-type', 'application/json')
      .set(header, value)
      .send('{"text":"Hello"}')
      .expect(415);
    expect(res.body).toMatchObject({ reason: 'unsupported_media_type' });
    expect(res.body.message).toMatch(says);
  });

  it.each([
    ['"Hello"', 'a string'],
    ['42', 'a number'],
    ['null', 'null'],
    ['["Hello"]', 'an array'],
  ])(
    'answers valid JSON that is not an object (%s) with what the body must be',
    async (json, kind) => {
      const res = await request(t.http)
        .post('/v1/translate')
        .set('content-type', 'application/json')
        .send(json)
        .expect(400);
      expect(res.body).toMatchObject({
        reason: 'validation_failed',
        message: `the request body must be a JSON object, not ${kind}`,
        details: [{ field: 'body', rule: 'isObject' }],
      });
    },
  );

  it("says a compressed body did not decompress, not zlib's words alone", async () => {
    const res = await request(t.http)
      .post('/v1/translate')
      .set('content-type', 'application/json')
      .set('content-encoding', 'gzip')
      .send('{"text":"Hello"}')
      .expect(400);
    expect(res.body).toMatchObject({ reason: 'validation_failed', details: [{ field: 'body' }] });
    expect(res.body.message).toMatch(
      /^request body could not be decompressed \(Content-Encoding: gzip\): /,
    );
  });

  it('names the path when it does not percent-decode, and logs and times the request', async () => {
    const urls = ['/v1/models/%ZZ', '/v1/translate/%ZZ?x=1', '/v1/models/%C3'];
    for (const [i, url] of urls.entries()) {
      const res = await request(t.http)
        .get(url)
        .set('x-request-id', `undecodable-${i}`)
        .expect(400);
      expect(res.body).toMatchObject({
        reason: 'validation_failed',
        details: [{ field: 'path', rule: 'uriEncoding' }],
      });
      expect(res.body.message).toContain(JSON.stringify(url.split('?')[0]));
    }
    const lines = await readJsonLines(path.join(t.logDir, 'app.log'), (ls) =>
      ls.some((l) => l.request_id === 'undecodable-0'),
    );
    expect(lines.find((l) => l.request_id === 'undecodable-0')).toMatchObject({
      res: { statusCode: 400 },
    });
    const metrics = (await request(t.http).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/method="GET",route="unmatched",status_code="400"\} [1-9]/);
  });

  it('counts characters as code points: an emoji is one', async () => {
    const limit = t.config.limits.maxCharsPerText;
    await request(t.http)
      .post('/v1/translate')
      .send({ text: '🍕'.repeat(limit) })
      .expect(200);
    const res = await request(t.http)
      .post('/v1/translate')
      .send({ text: '🍕'.repeat(limit + 1) })
      .expect(400);
    const tail = `has ${limit + 1} characters; at most ${limit} per text (MAX_CHARS_PER_TEXT)`;
    expect(res.body.message).toBe(`text ${tail}`);
  });

  it('refuses half a surrogate pair with 400, keeps whole ones (emoji)', async () => {
    for (const [text, field] of [
      ['a\udc00b', 'text'],
      [['ok', '\ud83d'], 'text[1]'],
    ] as const) {
      const res = await request(t.http).post('/v1/translate').send({ text }).expect(400);
      expect(res.body).toMatchObject({
        reason: 'validation_failed',
        details: [{ field, rule: 'wellFormed' }],
      });
      expect(res.body.message).toBe(
        `${field} holds an unpaired UTF-16 surrogate (half of a character)`,
      );
    }
    await request(t.http).post('/v1/translate').send({ text: 'Pizza 🍕.' }).expect(200);
  });

  it('names the over-long text as the request gave it: list item, single text or tensor element', async () => {
    const limit = t.config.limits.maxCharsPerText;
    const long = 'a'.repeat(limit + 1);
    const tail = `has ${limit + 1} characters; at most ${limit} per text (MAX_CHARS_PER_TEXT)`;
    const message = async (route: string, body: object) =>
      (await request(t.http).post(route).send(body).expect(400)).body as Record<string, unknown>;
    expect((await message('/v1/translate', { text: ['ok', long] })).message).toBe(
      `text[1] ${tail}`,
    );
    expect((await message('/predict', { text: long })).message).toBe(`text ${tail}`);
    const v2 = await message('/v2/models/tiny/infer', {
      inputs: [{ name: 'text', datatype: 'BYTES', shape: [2], data: ['ok', long] }],
    });
    expect(v2.error).toBe(`element 1 of input "text" ${tail}`);
  });

  it('refuses bodies nested deeper than 32 levels before parsing them', async () => {
    const deep = `{"text":"a","x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await request(t.http)
      .post('/v1/translate')
      .set('content-type', 'application/json')
      .send(deep)
      .expect(400);
    expect(res.body).toMatchObject({ reason: 'malformed_json' });
    expect(res.body.message).toContain('deeper than 32');
  });

  it('sends security headers on API responses and on the Swagger UI page', async () => {
    for (const route of ['/health/live', '/docs']) {
      const res = await request(t.http).get(route).expect(200);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['strict-transport-security']).toBeDefined();
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      // plain HTTP behind a TLS proxy: the page must not be forced to https
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    // Swagger UI loads only same-origin scripts, which the CSP allows.
    const page = await request(t.http).get('/docs').expect(200);
    const scripts = [...page.text.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, inline] of scripts) {
      expect(attrs).toMatch(/src="(\.\/|\/)?(docs\/)?[\w.-]+\.js"/);
      expect(inline.trim()).toBe('');
    }
  });

  it('keeps CORS closed by default', async () => {
    const res = await request(t.http)
      .get('/v1/models')
      .set('origin', 'https://evil.example')
      .expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await request(t.http)
      .options('/v1/translate')
      .set('origin', 'https://evil.example')
      .set('access-control-request-method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS_ORIGINS', () => {
  it('allows exactly the listed origins', async () => {
    const t = await startApp({ CORS_ORIGINS: 'https://app.example' });
    try {
      const preflight = await request(t.http)
        .options('/v1/translate')
        .set('origin', 'https://app.example')
        .set('access-control-request-method', 'POST')
        .set('access-control-request-headers', 'content-type,authorization')
        .expect(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(preflight.headers['access-control-allow-headers']).toContain('Authorization');
      const other = await request(t.http)
        .get('/v1/models')
        .set('origin', 'https://evil.example')
        .expect(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await t.app.close();
    }
  });

  it('lets a browser read the served model and the rate-limit budget', async () => {
    const t = await startApp({ CORS_ORIGINS: 'https://app.example', RATE_LIMIT_PER_ADDRESS: '5' });
    try {
      const res = await request(t.http)
        .post('/v1/translate')
        .set('origin', 'https://app.example')
        .send({ text: 'Hello' })
        .expect(200);
      const exposed = String(res.headers['access-control-expose-headers']).toLowerCase().split(',');
      // every header of the answer a client would look at is readable
      for (const header of ['x-request-id', 'x-model-name', 'x-model-version']) {
        expect(res.headers[header]).toBeDefined();
        expect(exposed).toContain(header);
      }
      const budget = Object.keys(res.headers).filter((h) => h.startsWith('x-ratelimit-'));
      expect(budget).toHaveLength(3);
      for (const header of budget) expect(exposed).toContain(header);
      expect(exposed).toContain('retry-after');
    } finally {
      await t.app.close();
    }
  });
});

describe('error bodies', () => {
  it('never show server paths, even when a failed model load quotes one', async () => {
    const { modelDir, versionDir } = copyTinyPackage();
    writeFileSync(path.join(versionDir, 'config.json'), '{ not json');
    const t = await startApp({ MODEL_DIR: modelDir, REQUIRE_CHECKSUMS: 'false' });
    try {
      const ready = await request(t.http).get('/health/ready').expect(503);
      const translate = await request(t.http)
        .post('/v1/translate')
        .send({ text: 'Hi' })
        .expect(503);
      for (const body of [JSON.stringify(ready.body), JSON.stringify(translate.body)]) {
        expect(body).not.toContain(modelDir);
        expect(body).not.toContain(process.cwd());
        expect(body).toContain('config.json');
        expect(body).not.toMatch(/\s+at\s+\S+\s+\(/); // no stack frames
      }
    } finally {
      await t.app.close();
    }
  });
});

describe('model status', () => {
  it('never shows server paths either, in the 200 of a probe or in the model details', async () => {
    const { modelDir, versionDir } = copyTinyPackage();
    const broken = path.join(path.dirname(versionDir), '2');
    cpSync(versionDir, broken, { recursive: true });
    writeFileSync(path.join(broken, 'config.json'), '{ not json');
    rmSync(path.join(broken, 'checksums.sha256')); // so that the parse error, quoting a path, tells
    const t = await startApp({ MODEL_DIR: modelDir, REQUIRE_CHECKSUMS: 'false' });
    try {
      // version 2 failed, version 1 serves
      const ready = await request(t.http).get('/health/ready').expect(200);
      expect(ready.body.details.model.versions['2'].state).toBe('failed');
      const detail = await request(t.http).get('/v1/models/tiny').expect(200);
      for (const body of [JSON.stringify(ready.body), JSON.stringify(detail.body)]) {
        expect(body).toContain('…/config.json');
        expect(body).not.toContain(modelDir);
      }
    } finally {
      await t.app.close();
    }
  });
});

describe('incomplete translations', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.app.close());

  it('flags a text whose sentence was longer than the model reads, on every route', async () => {
    // one "sentence" of 900 words (4,500 characters): past the tiny model's 512 positions; its
    // output (49 tokens) ends well within max_new_tokens, so only the source cut can flag it
    const long = 'word '.repeat(900);
    const res = await request(t.http)
      .post('/v1/translate')
      .send({ text: [long, 'Hello.'], max_new_tokens: 512 })
      .expect(200);
    expect(res.body.truncated).toEqual([true, false]);
    const predict = await request(t.http).post('/predict').send({ text: long }).expect(200);
    expect(predict.body.truncated).toBe(true);
    const v2 = await request(t.http)
      .post('/v2/models/tiny/infer')
      .send({
        parameters: { max_new_tokens: 512 },
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [2], data: [long, 'Hello.'] }],
      })
      .expect(200);
    expect(v2.body.parameters).toEqual({ truncated_texts: 1 });
  });
});
