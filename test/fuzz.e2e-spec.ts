import fc from 'fast-check';
import { AddressInfo } from 'node:net';
import * as http from 'node:http';
import { startApp, TestApp } from './support/e2e-app';

/**
 * Property-based fuzzing of every route with hostile input: random JSON, wrong types, huge and
 * empty strings, control characters, lone surrogates, invalid UTF-8, deep nesting, wrong content
 * types, odd paths and methods. Whatever comes in: never a 5xx, never a crash, and every error
 * is the service's JSON error shape with a message that names the problem.
 */

const REASONS = new Set([
  'validation_failed',
  'malformed_json',
  'payload_too_large',
  'unsupported_media_type',
  'uri_too_long',
  'input_limit_exceeded',
  'model_not_found',
  'route_not_found',
  'admin_disabled',
]);

const GET_ROUTES = [
  '/v1/models',
  '/v1/models/tiny',
  '/v1/monitoring/drift',
  '/health',
  '/health/live',
  '/health/ready',
  '/metrics',
  '/metrics/summary',
  '/docs',
  '/docs-json',
];
const POST_ROUTES = ['/v1/translate', '/v1/models/tiny/versions/1/translate', '/predict'];
/** Open Inference Protocol routes: their errors are `{"error": "…"}` (see expectSaneV2). */
const V2_GET_ROUTES = [
  '/v2',
  '/v2/health/live',
  '/v2/health/ready',
  '/v2/models/tiny',
  '/v2/models/tiny/ready',
  '/v2/models/tiny/versions/1',
  '/v2/models/tiny/versions/1/ready',
];
const V2_POST_ROUTES = ['/v2/models/tiny/infer', '/v2/models/tiny/versions/1/infer'];

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

interface Got {
  status: number;
  contentType: string;
  text: string;
}

let t: TestApp;
let port: number;

function send({ method, path, headers = {}, body }: Sent): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, timeout: 30000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** The properties every answer must have, whatever was sent. */
function expectSane(got: Got, sent: Sent): void {
  const what = `${sent.method} ${sent.path.slice(0, 80)} → ${got.status} ${got.text.slice(0, 300)}`;
  if (got.status >= 500) throw new Error(`server error: ${what}`);
  if (got.status < 400) return;
  if (!got.contentType.startsWith('application/json')) throw new Error(`not JSON: ${what}`);
  const body = JSON.parse(got.text) as Record<string, unknown>;
  if (!REASONS.has(String(body.reason))) throw new Error(`unexpected reason: ${what}`);
  if (typeof body.message !== 'string' || body.message.length < 8) {
    throw new Error(`no message naming the problem: ${what}`);
  }
  if (body.statusCode !== got.status || typeof body.request_id !== 'string') {
    throw new Error(`not the error shape: ${what}`);
  }
  if (/\n\s+at |\/node_modules\/|\/dist\/|\/src\//.test(got.text)) {
    throw new Error(`internals in the error body: ${what}`);
  }
  // the message names the problem: the field, the limit's variable, the JSON, the content type…
  const names: Record<string, RegExp> = {
    validation_failed:
      /\b(text|beam_size|max_new_tokens|model|version|property \S+)\b|charset|malformed request|percent-decode|request body/,
    malformed_json: /JSON/,
    input_limit_exceeded: /\b[A-Z_]{8,}\b/,
    unsupported_media_type: /Content-Type|charset/,
    model_not_found: /model|version/,
    route_not_found: new RegExp(`Cannot ${sent.method}`),
    payload_too_large: /MAX_BODY_BYTES/,
    uri_too_long: /MAX_URL_BYTES/,
    admin_disabled: /ADMIN_TOKEN/,
  };
  if (got.status === 415 && body.reason !== 'unsupported_media_type') {
    throw new Error(`415 with reason ${String(body.reason)}: ${what}`);
  }
  if (!names[String(body.reason)].test(String(body.message))) {
    throw new Error(`message does not name the problem: ${what}`);
  }
  if (body.reason === 'validation_failed' && got.status === 400 && sent.method === 'POST') {
    const details = body.details as { field: string }[] | undefined;
    if (details && !details.every((d) => String(body.message).includes(d.field))) {
      throw new Error(`details and message disagree: ${what}`);
    }
  }
}

/** The V2 contract: never a 5xx; a 4xx is JSON `{"error": "<what is wrong>"}` without internals. */
function expectSaneV2(got: Got, sent: Sent): void {
  const what = `${sent.method} ${sent.path.slice(0, 80)} → ${got.status} ${got.text.slice(0, 300)}`;
  if (got.status >= 500) throw new Error(`server error: ${what}`);
  if (got.status < 400) return;
  if (!got.contentType.startsWith('application/json')) throw new Error(`not JSON: ${what}`);
  const body = JSON.parse(got.text) as Record<string, unknown>;
  // not-ready answers carry {"ready": false}; every other error names its problem
  if (body.ready === false) return;
  if (typeof body.error !== 'string' || body.error.length < 8) {
    throw new Error(`no V2 error message: ${what}`);
  }
  if (/\n\s+at |\/node_modules\/|\/dist\/|\/src\//.test(got.text)) {
    throw new Error(`internals in the error body: ${what}`);
  }
}

const json = (value: unknown): Sent['body'] => JSON.stringify(value);
const postJson = (path: string, body: Sent['body']): Sent => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json' },
  body,
});

/** Strings that break naive code: control characters, lone surrogates, RTL marks, huge and empty. */
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff\ud800',
    '\u202e\u200b\ufeff',
    '\r\n\t\u0007',
    '%s%n%x',
    '{{7*7}}',
    '<script>alert(1)</script>',
    '../../../../etc/passwd',
    '\\u0000',
  ),
  fc.integer({ min: 4990, max: 5010 }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 1, max: 300 }).map((n) => 'Hi. '.repeat(n)),
);

/** Any value of the wrong type for a field, and sometimes a right one. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  hostileString,
  fc.double(),
  fc.constantFrom(0, -1, 1, 8, 9, 512, 513, 1e308, -0, 2 ** 53, 1.5),
);

/** Nested arrays/objects of a given depth around a value. */
const nested = (depth: number, inner: unknown): unknown => {
  let v = inner;
  for (let i = 0; i < depth; i++) v = i % 2 ? { a: v } : [v];
  return v;
};

const FUZZ = { numRuns: 60, interruptAfterTimeLimit: 20000, markInterruptAsFailure: false };

beforeAll(async () => {
  // MAX_NEW_TOKENS keeps each accepted translation short, so many inputs fit the time.
  t = await startApp({ MAX_NEW_TOKENS: '4', MAX_BODY_BYTES: '65536', TRANSLATION_CACHE_SIZE: '0' });
  await t.app.listen(0, '127.0.0.1');
  port = (t.app.getHttpServer().address() as AddressInfo).port;
});

afterAll(async () => {
  // never a crash: the app still answers after everything above
  const live = await send({ method: 'GET', path: '/health/live' });
  expect(live.status).toBe(200);
  await t.app.close();
});

describe('fuzz', () => {
  it('translate and predict: random JSON bodies and fields of wrong types', async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record(
        {
          text: fc.oneof(anyValue, fc.array(hostileString, { maxLength: 40 })),
          beam_size: anyValue,
          max_new_tokens: anyValue,
          model: anyValue,
          version: anyValue,
        },
        { requiredKeys: [] },
      ),
      fc.dictionary(fc.string({ maxLength: 12 }), anyValue, { maxKeys: 5 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...POST_ROUTES), body, async (path, value) => {
        const sent = postJson(path, json(value));
        expectSane(await send(sent), sent);
      }),
      FUZZ,
    );
  }, 60000);

  it('texts with control characters, lone surrogates, huge and empty strings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POST_ROUTES),
        fc.oneof(hostileString, fc.array(hostileString, { minLength: 0, maxLength: 40 })),
        async (path, text) => {
          const sent = postJson(path, json({ text }));
          const got = await send(sent);
          expectSane(got, sent);
        },
      ),
      FUZZ,
    );
  }, 60000);

  it('bytes that are not valid UTF-8 or not JSON at all', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => Buffer.from(a)),
      fc
        .uint8Array({ minLength: 1, maxLength: 8 })
        .map((a) => Buffer.concat([Buffer.from('{"text":"'), Buffer.from(a), Buffer.from('"}')])),
      fc.constantFrom(
        Buffer.from([0xc3, 0x28]),
        Buffer.from([0xed, 0xa0, 0x80]), // an encoded surrogate
        Buffer.from('{"text": "unterminated'),
        Buffer.from('{"text": NaN}'),
        Buffer.from('null'),
        Buffer.from('"just a string"'),
        Buffer.from('[]'),
        Buffer.from('{"__proto__": {"polluted": true}, "text": "x"}'),
        Buffer.from('{"constructor": {"prototype": {"x": 1}}, "text": "x"}'),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...POST_ROUTES), bytes, async (path, body) => {
        const sent = postJson(path, body);
        expectSane(await send(sent), sent);
      }),
      FUZZ,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }, 60000);

  it('deeply nested bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POST_ROUTES),
        fc.integer({ min: 1, max: 3000 }),
        fc.boolean(),
        async (path, depth, asText) => {
          const value = asText ? { text: nested(depth, 'x') } : nested(depth, { text: 'x' });
          const sent = postJson(path, json(value));
          const got = await send(sent);
          expectSane(got, sent);
          if (depth > 40) expect(got.status).toBe(400);
        },
      ),
      { ...FUZZ, numRuns: 30 },
    );
  }, 60000);

  it('wrong content types at every route and method', async () => {
    const contentType = fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/octet-stream',
      'image/png',
      'json',
      ';;;',
    );
    const route = fc.constantFrom(...POST_ROUTES, ...GET_ROUTES);
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE');
    await fc.assert(
      fc.asyncProperty(route, method, contentType, hostileString, async (path, m, type, text) => {
        const sent: Sent = {
          method: m,
          path,
          headers: { 'content-type': type },
          body: m === 'GET' ? undefined : JSON.stringify({ text }),
        };
        const got = await send(sent);
        expectSane(got, sent);
        if (sent.body !== undefined && POST_ROUTES.includes(path) && m === 'POST') {
          // UTF-8 bytes read as UTF-16 are not JSON (400); any other charset or type is 415
          expect(got.status).toBe(type.endsWith('charset=utf-16') ? 400 : 415);
        }
      }),
      FUZZ,
    );
  }, 60000);

  it('Open Inference Protocol routes: random bodies, tensors of wrong shapes, bytes, content types', async () => {
    const tensor = fc.record(
      {
        name: anyValue,
        datatype: fc.oneof(fc.constantFrom('BYTES', 'FP32', 'INT64', 'bytes', ''), anyValue),
        shape: fc.oneof(fc.array(fc.integer({ min: -2, max: 40 }), { maxLength: 3 }), anyValue),
        data: fc.oneof(fc.array(hostileString, { maxLength: 40 }), anyValue),
        parameters: fc.oneof(fc.dictionary(fc.string({ maxLength: 12 }), anyValue), anyValue),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc
        .record(
          {
            id: anyValue,
            inputs: fc.oneof(fc.array(tensor, { maxLength: 3 }), anyValue),
            outputs: anyValue,
            parameters: anyValue,
          },
          { requiredKeys: [] },
        )
        .map(json),
      fc.jsonValue({ maxDepth: 4 }).map(json),
      fc.uint8Array({ minLength: 1, maxLength: 200 }).map((a) => Buffer.from(a)),
      fc.integer({ min: 1, max: 3000 }).map((depth) => json({ inputs: nested(depth, {}) })),
    );
    const contentType = fc.constantFrom('application/json', 'text/plain', 'application/xml', ';;;');
    const request = fc.oneof(
      fc
        .tuple(fc.constantFrom(...V2_POST_ROUTES), body, contentType)
        .map(([path, b, type]): Sent => ({
          method: 'POST',
          path,
          headers: { 'content-type': type },
          body: b,
        })),
      fc
        .tuple(
          fc.constantFrom(...V2_GET_ROUTES, ...V2_POST_ROUTES),
          fc.constantFrom('GET', 'PUT', 'DELETE'),
        )
        .map(([path, method]): Sent => ({ method, path })),
    );
    await fc.assert(
      fc.asyncProperty(request, async (sent) => expectSaneV2(await send(sent), sent)),
      FUZZ,
    );
  }, 60000);

  it('the admin API is refused with a clear message while ADMIN_TOKEN is unset', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('load', 'unload'),
        fc.oneof(anyValue, fc.constant({ version: '1' })),
        // header values must be visible ASCII, or Node refuses to send them
        fc.option(fc.oneof(fc.string({ maxLength: 40 }).map(encodeURIComponent), fc.constant(''))),
        async (op, value, token) => {
          const sent = postJson(`/v1/admin/models/tiny/${op}`, json(value));
          if (token !== null) sent.headers = { ...sent.headers, authorization: `Bearer ${token}` };
          const got = await send(sent);
          expectSane(got, sent);
          expect(got.status).toBeGreaterThanOrEqual(400);
        },
      ),
      { ...FUZZ, numRuns: 30 },
    );
  }, 60000);

  it('odd paths, query strings and percent-encodings', async () => {
    const segment = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 12 }).map(encodeURIComponent),
      fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '..', '%2e%2e', '%ff', '\u00e9', ';a=b', '*'),
    );
    const path = fc
      .tuple(
        fc.constantFrom(
          '/v1/models/',
          '/v1/translate/',
          '/health/',
          '/',
          '/docs/',
          '/metrics/',
          '/v1/admin/models/',
        ),
        fc.array(segment, { maxLength: 3 }),
        fc.option(fc.string({ maxLength: 30 }).map((q) => `?${encodeURIComponent(q)}&a[b]=1`)),
      )
      .map(([base, parts, query]) => `${base}${parts.join('/')}${query ?? ''}`);
    await fc.assert(
      fc.asyncProperty(path, fc.constantFrom('GET', 'POST'), async (p, method) => {
        // a path that is not a valid request target is refused by Node itself; skip those
        if (/[^\x21-\x7e]/.test(p)) return;
        const sent: Sent =
          method === 'POST' ? postJson(p, json({ text: 'Hello' })) : { method: 'GET', path: p };
        expectSane(await send(sent), sent);
      }),
      FUZZ,
    );
  }, 60000);
});
