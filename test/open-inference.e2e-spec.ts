import request from 'supertest';
import * as path from 'node:path';
import { readJsonLines, startApp, TestApp } from './support/e2e-app';

const text = (data: unknown[], shape: number[] = [data.length]) => ({
  name: 'text',
  datatype: 'BYTES',
  shape,
  data,
});

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

    it('malformed JSON: 400 with an error body', async () => {
      const res = await request(t.http)
        .post('/v2/models/tiny/infer')
        .set('content-type', 'application/json')
        .send('{"inputs": [')
        .expect(400);
      expectError(res.body, /malformed JSON/);
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
