import request from 'supertest';
import { cpSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { GracefulShutdown } from '../src/shutdown/graceful-shutdown.service';
import { copyTinyPackage, eventually, readJsonLines, startApp, TestApp } from './support/e2e-app';

const text = (data: unknown[], shape: number[] = [data.length]) => ({
  name: 'text',
  datatype: 'BYTES',
  shape,
  data,
});

/** Listens on an ephemeral port (supertest then reuses it) until `stopListening`. */
async function listen(server: http.Server): Promise<number> {
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, resolve));
  return (server.address() as AddressInfo).port;
}

async function stopListening(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await closed;
}

/**
 * A POST through node:http, so the test controls every header (supertest adds a Content-Type
 * to string bodies). `hold` sends only the first part of the body until `release()`.
 */
function rawPost(
  port: number,
  urlPath: string,
  body: string,
  headers: Record<string, string> = {},
  hold = 0,
) {
  let release!: () => void;
  const done = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
    const req = http.request(
      {
        port,
        method: 'POST',
        path: urlPath,
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    if (hold > 0) {
      req.write(body.slice(0, hold));
      release = () => req.end(body.slice(hold));
    } else req.end(body);
  });
  return { done, release: () => release() };
}

/** The Open Inference Protocol (KServe V2) REST routes against the tiny model. */
describe('Open Inference Protocol (V2)', () => {
  let t: TestApp;
  beforeAll(
    async () => (t = await startApp({ MAX_TEXTS_PER_REQUEST: '4', MAX_BODY_BYTES: '4096' })),
  );
  afterAll(() => t.app.close());

  const expectError = (body: unknown, message: RegExp) => {
    expect(Object.keys(body as object)).toEqual(['error']);
    expect((body as { error: string }).error).toMatch(message);
  };

  describe('health and metadata', () => {
    it('GET /v2 gives the server metadata', async () => {
      const res = await request(t.http).get('/v2').expect(200);
      expect(res.body).toEqual({ name: 'anuvaad', version: '0.1.0', extensions: [] });
    });

    it('live and ready answer 200 once the model is ready', async () => {
      expect((await request(t.http).get('/v2/health/live').expect(200)).body).toEqual({
        live: true,
      });
      expect((await request(t.http).get('/v2/health/ready').expect(200)).body).toEqual({
        ready: true,
      });
    });

    it('model metadata names the versions, platform and BYTES tensors', async () => {
      const expected = {
        name: 'tiny',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [-1] }],
        outputs: [{ name: 'translation', datatype: 'BYTES', shape: [-1] }],
      };
      expect((await request(t.http).get('/v2/models/tiny').expect(200)).body).toEqual(expected);
      expect((await request(t.http).get('/v2/models/tiny/versions/1').expect(200)).body).toEqual(
        expected,
      );
    });

    it('model and version ready', async () => {
      expect((await request(t.http).get('/v2/models/tiny/ready').expect(200)).body).toEqual({
        name: 'tiny',
        ready: true,
      });
      await request(t.http).get('/v2/models/tiny/versions/1/ready').expect(200);
    });

    it('unknown models and versions are 404 with an error body', async () => {
      for (const url of [
        '/v2/models/en-de',
        '/v2/models/en-de/ready',
        '/v2/models/tiny/versions/9',
        '/v2/models/tiny/versions/9/ready',
      ]) {
        const res = await request(t.http).get(url).expect(404);
        expectError(res.body, /not (served here|loaded)/);
      }
    });

    it('unknown V2 paths and methods are 404 with an error body', async () => {
      for (const [method, url] of [
        ['get', '/v2/foo'],
        ['post', '/v2/models/tiny/unknown'],
        ['get', '/v2/models/tiny/versions/1/extra'],
        ['delete', '/v2/models/tiny/infer'],
        ['post', '/v2'],
      ] as const) {
        const res = await request(t.http)[method](url).expect(404);
        expectError(res.body, /no Open Inference Protocol route/);
      }
    });
  });

  describe('inference', () => {
    it('translates a BYTES tensor, echoes the id and names the model version', async () => {
      const texts = ['Hello.', 'How are you?'];
      const res = await request(t.http)
        .post('/v2/models/tiny/infer')
        .set('x-request-id', 'v2-infer-1')
        .send({ id: 'req-42', inputs: [text(texts)] })
        .expect(200);
      expect(res.headers).toMatchObject({ 'x-model-name': 'tiny', 'x-model-version': '1' });
      // the request's log line names the version that served it
      const lines = await readJsonLines(path.join(t.logDir, 'app.log'), (ls) =>
        ls.some((l) => l.request_id === 'v2-infer-1'),
      );
      expect(lines.find((l) => l.request_id === 'v2-infer-1')).toMatchObject({
        msg: 'request completed',
        model_name: 'tiny',
        model_version: '1',
      });
      const v1 = await request(t.http).post('/v1/translate').send({ text: texts }).expect(200);
      expect(res.body).toEqual({
        model_name: 'tiny',
        model_version: '1',
        id: 'req-42',
        outputs: [
          { name: 'translation', datatype: 'BYTES', shape: [2], data: v1.body.translations },
        ],
      });
    });

    it('takes a version, nested data, requested outputs and generation parameters', async () => {
      const res = await request(t.http)
        .post('/v2/models/tiny/versions/1/infer')
        .send({
          parameters: { beam_size: 2, max_new_tokens: 8 },
          inputs: [text([['Hello.'], ['Bye.']], [2, 1])],
          outputs: [{ name: 'translation' }],
        })
        .expect(200);
      expect(res.body).toMatchObject({ model_name: 'tiny', model_version: '1' });
      expect(res.body).not.toHaveProperty('id');
      expect(res.body.outputs[0]).toMatchObject({ shape: [2, 1], datatype: 'BYTES' });
      expect(res.body.outputs[0].data).toHaveLength(2);
    });

    it.each([
      [{ inputs: [{ ...text(['a']), datatype: 'FP32' }] }, 400, /datatype BYTES/],
      [{ inputs: [text(['a'], [3])] }, 400, /shape \[3\] needs 3/],
      [{ inputs: [{ ...text(['a']), name: 'x' }] }, 400, /named "text"/],
      [{ inputs: [text(['a'])], parameters: { beam_size: 0 } }, 400, /beam_size/],
      [{ inputs: [text(['a', 'b', 'c', 'd', 'e'])] }, 400, /MAX_TEXTS_PER_REQUEST/],
      [{}, 400, /"inputs"/],
    ])('answers %j with %d and an error body', async (body, status, message) => {
      const res = await request(t.http).post('/v2/models/tiny/infer').send(body).expect(status);
      expectError(res.body, message);
    });

    it('unknown model or version: 404 with an error body', async () => {
      const body = { inputs: [text(['a'])] };
      expectError(
        (await request(t.http).post('/v2/models/en-de/infer').send(body).expect(404)).body,
        /model "en-de" is not served here/,
      );
      expectError(
        (await request(t.http).post('/v2/models/tiny/versions/3/infer').send(body).expect(404))
          .body,
        /version "3" of model "tiny" is not loaded/,
      );
    });

    it('a path that does not decode: 400 with an error body, not the service shape', async () => {
      const res = await request(t.http)
        .post('/v2/models/%ZZ/infer')
        .send({ inputs: [text(['a'])] })
        .expect(400);
      expect(Object.keys(res.body as object)).toEqual(['error']);
    });

    it('malformed JSON: 400 with an error body', async () => {
      const res = await request(t.http)
        .post('/v2/models/tiny/infer')
        .set('content-type', 'application/json')
        .send('{"inputs": [')
        .expect(400);
      expectError(res.body, /malformed JSON/);
    });

    it('takes a body without Content-Type as JSON (standard V2 clients send none)', async () => {
      const port = await listen(t.http);
      try {
        const res = await rawPost(
          port,
          '/v2/models/tiny/infer',
          JSON.stringify({ inputs: [text(['Hello.'])] }),
        ).done;
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ model_name: 'tiny', outputs: [{ shape: [1] }] });
        const bad = await rawPost(port, '/v2/models/tiny/infer', '{"inputs": [').done;
        expect(bad.status).toBe(400);
        expectError(bad.body, /malformed JSON/);
      } finally {
        await stopListening(t.http);
      }
    });

    it('a body of another explicit type: 415 with an error body', async () => {
      const res = await request(t.http)
        .post('/v2/models/tiny/infer')
        .set('content-type', 'text/plain')
        .send('Hello')
        .expect(415);
      expectError(res.body, /must be JSON/);
    });

    it('accepts binary_data_output/binary_data false as Triton clients send them', async () => {
      const res = await request(t.http)
        .post('/v2/models/tiny/infer')
        .send({
          parameters: { binary_data_output: false },
          inputs: [{ ...text(['Hello.']), parameters: { binary_data: false } }],
          outputs: [{ name: 'translation', parameters: { binary_data: false } }],
        })
        .expect(200);
      expect(res.body.outputs[0].data).toHaveLength(1);
    });

    it('refuses binary tensor data with a clear 400', async () => {
      for (const body of [
        { parameters: { binary_data_output: true }, inputs: [text(['Hello.'])] },
        {
          inputs: [text(['Hello.'])],
          outputs: [{ name: 'translation', parameters: { binary_data: true } }],
        },
      ]) {
        const res = await request(t.http).post('/v2/models/tiny/infer').send(body).expect(400);
        expectError(res.body, /binary tensor data extension is not supported; send JSON tensors/);
      }
      // a binary request: JSON header of the given length, raw tensor bytes after it
      const header = JSON.stringify({
        inputs: [
          { name: 'text', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 10 } },
        ],
      });
      const res = await request(t.http)
        .post('/v2/models/tiny/infer')
        .set('Inference-Header-Content-Length', String(header.length))
        .set('content-type', 'application/octet-stream')
        .send(
          Buffer.concat([
            Buffer.from(header),
            Buffer.from([6, 0, 0, 0, 72, 101, 108, 108, 111, 46]),
          ]),
        )
        .expect(400);
      expectError(res.body, /binary tensor data extension is not supported/);
    });

    it('a body over MAX_BODY_BYTES: 413 with an error body', async () => {
      const res = await request(t.http)
        .post('/v2/models/tiny/infer')
        .send({ inputs: [text(['x'.repeat(5000)])] })
        .expect(413);
      expectError(res.body, /MAX_BODY_BYTES/);
    });
  });
});

describe('Open Inference Protocol (V2) request limits and the drain', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startApp({ MAX_URL_BYTES: '256' })));
  afterAll(() => t.app.close());

  it('checks the URL limit before parsing the body (414, not a JSON error)', async () => {
    const res = await request(t.http)
      .post(`/v2/models/tiny/infer?pad=${'x'.repeat(300)}`)
      .set('content-type', 'application/json')
      .send('{"inputs": [')
      .expect(414);
    expect(JSON.stringify(res.body)).toMatch(/MAX_URL_BYTES/);
  });

  it('counts an infer request still uploading its body as in flight', async () => {
    const shutdown = t.app.get(GracefulShutdown);
    const port = await listen(t.http);
    try {
      const body = JSON.stringify({ inputs: [text(['Hello.'])] });
      const upload = rawPost(
        port,
        '/v2/models/tiny/infer',
        body,
        { 'content-type': 'application/json' },
        10,
      );
      // the drain sees the request while its body has not all arrived
      expect(await eventually(() => shutdown.inFlightCount === 1, 5000)).toBe(true);
      upload.release();
      const res = await upload.done;
      expect(res.status).toBe(200);
      expect(await eventually(() => shutdown.inFlightCount === 0, 5000)).toBe(true);
    } finally {
      await stopListening(t.http);
    }
  });
});

describe('Open Inference Protocol (V2) before the first repository scan', () => {
  it('model ready is 400 with ready: false (not 503); unknown models stay 404', async () => {
    const t = await startApp({}, { load: false });
    try {
      expect((await request(t.http).get('/v2/models/tiny/ready').expect(400)).body).toEqual({
        name: 'tiny',
        ready: false,
      });
      expect(
        (await request(t.http).get('/v2/models/tiny/versions/1/ready').expect(400)).body,
      ).toEqual({ name: 'tiny', ready: false });
      const res = await request(t.http).get('/v2/models/en-de/ready').expect(404);
      expect(Object.keys(res.body)).toEqual(['error']);
      await t.models.load();
      await request(t.http).get('/v2/models/tiny/ready').expect(200);
    } finally {
      await t.app.close();
    }
  });
});

describe('Open Inference Protocol (V2) while the model is not ready', () => {
  it('server and model ready answer 400 with ready: false; infer is 503', async () => {
    const t = await startApp({ MODEL_VERSION: '42' });
    try {
      expect((await request(t.http).get('/v2/health/ready').expect(400)).body).toEqual({
        ready: false,
      });
      expect((await request(t.http).get('/v2/models/tiny/ready').expect(400)).body).toEqual({
        name: 'tiny',
        ready: false,
      });
      await request(t.http).get('/v2/health/live').expect(200);
      const res = await request(t.http)
        .post('/v2/models/tiny/infer')
        .send({ inputs: [text(['Hello'])] })
        .expect(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body.error).toMatch(/MODEL_VERSION=42 not found/);
    } finally {
      await t.app.close();
    }
  });
});

describe('Open Inference Protocol (V2) server readiness with a model unloaded on purpose', () => {
  it('stays ready when another model is unloaded through the admin API, not when the default one is', async () => {
    const { modelDir, versionDir } = copyTinyPackage();
    cpSync(versionDir, path.join(modelDir, 'other', '1'), { recursive: true });
    const token = 'e2e-admin-token-0123456789';
    const t = await startApp({ MODEL_DIR: modelDir, ADMIN_TOKEN: token });
    const admin = (name: string, action: 'load' | 'unload') =>
      request(t.http)
        .post(`/v1/admin/models/${name}/${action}`)
        .set('authorization', `Bearer ${token}`)
        .send({})
        .expect(200);
    try {
      await request(t.http).get('/v2/health/ready').expect(200);
      await admin('other', 'unload');
      await request(t.http).get('/v2/health/ready').expect(200);
      await admin('tiny', 'unload');
      await request(t.http).get('/v2/health/ready').expect(400);
      await admin('tiny', 'load');
      await request(t.http).get('/v2/health/ready').expect(200);
    } finally {
      await t.app.close();
    }
  });
});
