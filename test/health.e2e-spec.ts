import { GracefulShutdown } from '../src/shutdown/graceful-shutdown.service';
import { appendFileSync } from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { copyTinyPackage, GatedRuntime, startApp, TestApp } from './support/e2e-app';

describe('health and model lifecycle', () => {
  describe('once the model is ready', () => {
    let t: TestApp;
    beforeAll(async () => (t = await startApp()));
    afterAll(() => t.app.close());

    it('GET /health/ready is 200 with the model details', async () => {
      const res = await request(t.http).get('/health/ready').expect(200);
      expect(res.body).toMatchObject({
        status: 'ok',
        info: { model: { status: 'up', name: 'tiny', version: '1', state: 'ready' } },
      });
    });

    it('GET /health reports model and heap (terminus format)', async () => {
      const res = await request(t.http).get('/health').expect(200);
      expect(res.body.status).toBe('ok');
      expect(Object.keys(res.body.details).sort()).toEqual(['memory_heap', 'model']);
    });

    it('GET /health/live is 200', async () => {
      const res = await request(t.http).get('/health/live').expect(200);
      expect(res.body).toMatchObject({ status: 'ok' });
    });

    it('GET /v1/models lists the served model and versions on disk', async () => {
      const res = await request(t.http).get('/v1/models').expect(200);
      expect(res.body).toEqual({
        models: [{ name: 'tiny', version: '1', state: 'ready', versions_available: ['1'] }],
      });
    });

    it('GET /v1/models/:name shows config, generation defaults and verified checksums', async () => {
      const res = await request(t.http).get('/v1/models/tiny').expect(200);
      expect(res.body).toMatchObject({
        name: 'tiny',
        version: '1',
        state: 'ready',
        runtime: expect.stringContaining('onnxruntime-node'),
        config: { model_type: 'marian', pad_token_id: 999, eos_token_id: 0 },
        generation: {
          beam_size: 1,
          max_new_tokens: 64,
          decoder_start_token_id: 999,
          eos_token_ids: [0],
          not_applied: [],
        },
        checksums: { verified: true },
        drift_profile: true,
      });
      expect(Object.keys(res.body.checksums.files)).toEqual(
        expect.arrayContaining([
          'onnx/encoder_model.onnx',
          'onnx/decoder_model_merged.onnx',
          'tokenizer.json',
        ]),
      );
      expect(res.body.checksums.files['config.json']).toMatch(/^[0-9a-f]{64}$/);
    });

    it('GET /v1/models/:name is 404 for another name', async () => {
      const res = await request(t.http).get('/v1/models/en-de').expect(404);
      expect(res.body.reason).toBe('model_not_found');
    });
  });

  describe('while the model is loading', () => {
    it('ready is 503 "loading" with Retry-After, live is 200, translate is 503', async () => {
      const runtime = new GatedRuntime();
      const t = await startApp({ RETRY_AFTER_SECONDS: '7' }, { runtime, load: false });
      try {
        const loading = t.models.load();
        await runtime.reached;
        const ready = await request(t.http).get('/health/ready').expect(503);
        expect(ready.headers['retry-after']).toBe('7');
        expect(ready.body).toMatchObject({
          status: 'error',
          error: {
            model: { status: 'down', state: 'loading', reason: 'creating inference sessions' },
          },
        });
        await request(t.http).get('/health/live').expect(200);
        await request(t.http).get('/health').expect(503);
        const translate = await request(t.http)
          .post('/v1/translate')
          .send({ text: 'Hello' })
          .expect(503);
        expect(translate.headers['retry-after']).toBe('7');
        expect(translate.body).toMatchObject({ reason: 'model_not_ready' });
        expect(translate.body.message).toMatch(/not ready \(loading\)/);
        const metrics = await request(t.http).get('/metrics').expect(200);
        expect(metrics.text).toContain(
          'anuvaad_model_ready{model_name="tiny",model_version="1"} 0',
        );

        runtime.release();
        await loading;
        await request(t.http).get('/health/ready').expect(200);
        await request(t.http).post('/v1/translate').send({ text: 'Hello' }).expect(200);
        const after = await request(t.http).get('/metrics').expect(200);
        expect(after.text).toContain('anuvaad_model_ready{model_name="tiny",model_version="1"} 1');
      } finally {
        runtime.release();
        await t.app.close();
      }
    });
  });

  describe('after a failed load (checksum mismatch)', () => {
    let t: TestApp;
    beforeAll(async () => {
      const { modelDir, versionDir } = copyTinyPackage();
      appendFileSync(path.join(versionDir, 'onnx/decoder_model_merged.onnx'), Buffer.from([0]));
      t = await startApp({ MODEL_DIR: modelDir });
    });
    afterAll(() => t.app.close());

    it('ready is 503 with the reason while live stays 200', async () => {
      const ready = await request(t.http).get('/health/ready').expect(503);
      expect(ready.body.error.model).toMatchObject({ status: 'down', state: 'failed' });
      expect(ready.body.error.model.reason).toMatch(
        /checksum mismatch for onnx\/decoder_model_merged\.onnx/,
      );
      await request(t.http).get('/health/live').expect(200);
    });

    it('model info and translate report the failure', async () => {
      const info = await request(t.http).get('/v1/models/tiny').expect(200);
      expect(info.body).toMatchObject({
        state: 'failed',
        reason: expect.stringMatching(/checksum mismatch/),
      });
      const res = await request(t.http).post('/predict').send({ text: 'Hello' }).expect(503);
      expect(res.body.message).toMatch(/failed.*checksum mismatch/);
    });
  });

  describe('with MODEL_VERSION pinned to a missing version', () => {
    it('fails with a reason naming the variable', async () => {
      const t = await startApp({ MODEL_VERSION: '42' });
      try {
        const ready = await request(t.http).get('/health/ready').expect(503);
        expect(ready.body.error.model.reason).toMatch(/MODEL_VERSION=42 not found/);
      } finally {
        await t.app.close();
      }
    });
  });

  describe('on SIGTERM with SHUTDOWN_GRACE_MS', () => {
    it('fails health checks at once but keeps serving until the grace period ends', async () => {
      const t = await startApp({ SHUTDOWN_GRACE_MS: '1500' });
      await request(t.http).get('/health/ready').expect(200);
      // what main.ts does on a real SIGTERM, without signalling the test process
      const closing = t.app.get(GracefulShutdown).shutdown('SIGTERM');
      try {
        const ready = await request(t.http).get('/health/ready').expect(503);
        expect(ready.body.status).toBe('shutting_down');
        await request(t.http).get('/health/live').expect(503);
        // every health route, the Open Inference ones too
        expect((await request(t.http).get('/v2/health/live').expect(400)).body).toEqual({
          live: false,
        });
        await request(t.http).get('/v2/health/ready').expect(400);
        // and the per-model readiness a balancer may watch instead
        for (const route of ['/v2/models/tiny/ready', '/v2/models/tiny/versions/1/ready']) {
          expect((await request(t.http).get(route).expect(400)).body).toEqual({
            name: 'tiny',
            ready: false,
          });
        }
        await request(t.http).post('/v1/translate').send({ text: 'Hello' }).expect(200);
      } finally {
        await closing;
        await t.app.close();
      }
    });
  });
});
