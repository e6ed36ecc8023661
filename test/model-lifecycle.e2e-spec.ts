import { Logger } from '@nestjs/common';
import { appendFileSync, cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { writeChecksums } from './support/fake-package';
import {
  addVersion,
  copyTinyPackage,
  TINY_DIR,
  eventually,
  readJsonLines,
  ReleaseTrackingRuntime,
  startApp,
  TestApp,
} from './support/e2e-app';
import { SlowDecoderRuntime } from './support/slow-runtime';

const ADMIN_TOKEN = 'e2e-admin-token-0123456789';
const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

interface Outcome {
  status: number;
  version?: string;
}

/**
 * `workers` clients each sending translate requests back to back until stopped;
 * every answer's status and served version is kept.
 */
function loadTest(http: TestApp['http'], workers: number) {
  const outcomes: Outcome[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running; i++) {
      const res = await request(http)
        .post('/v1/translate')
        .send({ text: `Hello number ${w} ${i}.` });
      outcomes.push({ status: res.status, version: res.body?.model?.version });
    }
  });
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

const versionsOf = async (t: TestApp) =>
  (await request(t.http).get('/v1/models/tiny').expect(200)).body.versions as {
    version: string;
    state: string;
    reason?: string;
    default: boolean;
    in_flight: number;
  }[];

describe('model lifecycle: hot reload, rollback, unload, canary', () => {
  describe('a new version dropped in under load', () => {
    it('is served within the poll interval, with zero failed requests', async () => {
      const { modelDir } = copyTinyPackage();
      const t = await startApp({ MODEL_DIR: modelDir, MODEL_POLL_S: '1' });
      try {
        const load = loadTest(t.http, 24);
        await eventually(() => load.outcomes.length >= 48, 10000);
        const dropped = Date.now();
        addVersion(modelDir, '1', '2');
        const switched = await eventually(
          () => load.outcomes.some((o) => o.version === '2'),
          15000,
        );
        const tookMs = Date.now() - dropped;
        // keep the load on while version 1 drains and is released
        const served = load.outcomes.length;
        await eventually(() => load.outcomes.length >= served + 48, 10000);
        const outcomes = await load.stop();

        expect(switched).toBe(true);
        // one poll interval (1 s) plus loading and warming up the tiny model
        expect(tookMs).toBeLessThan(1000 + 5000);
        expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
        expect(new Set(outcomes.map((o) => o.version))).toEqual(new Set(['1', '2']));
        // once version 2 answered, version 1 was never the default again
        const first2 = outcomes.findIndex((o) => o.version === '2');
        const after = outcomes.slice(first2 + 24 * 2);
        expect(after.length).toBeGreaterThan(0);
        expect(after.every((o) => o.version === '2')).toBe(true);
        // MODEL_VERSION_POLICY=latest:1: version 1 left once version 2 was ready
        expect(await versionsOf(t)).toEqual([
          expect.objectContaining({ version: '2', state: 'ready', default: true }),
        ]);
      } finally {
        await t.app.close();
      }
    });
  });

  describe('a corrupt version', () => {
    let t: TestApp;
    let modelDir: string;
    // the app log's destination is process-wide (the first app's folder): watch the logger
    const loggedErrors = jest.spyOn(Logger.prototype, 'error');
    beforeAll(async () => {
      ({ modelDir } = copyTinyPackage());
      t = await startApp({ MODEL_DIR: modelDir, MODEL_POLL_S: '1' });
    });
    afterAll(async () => {
      loggedErrors.mockRestore();
      await t.app.close();
    });

    it('is rejected (checksum mismatch) while the old one keeps serving, and says why', async () => {
      const load = loadTest(t.http, 8);
      addVersion(modelDir, '1', '2', (dir) =>
        appendFileSync(path.join(dir, 'onnx/decoder_model_merged.onnx'), Buffer.from([0])),
      );
      const rejected = await eventually(
        async () => (await versionsOf(t)).some((v) => v.version === '2' && v.state === 'failed'),
        10000,
      );
      const outcomes = await load.stop();
      expect(rejected).toBe(true);
      expect(outcomes.length).toBeGreaterThan(0);
      expect(outcomes.every((o) => o.status === 200 && o.version === '1')).toBe(true);

      const versions = await versionsOf(t);
      expect(versions).toEqual([
        expect.objectContaining({ version: '1', state: 'ready', default: true }),
        expect.objectContaining({
          version: '2',
          state: 'failed',
          reason: expect.stringMatching(/checksum mismatch for onnx\/decoder_model_merged\.onnx/),
        }),
      ]);
      const ready = await request(t.http).get('/health/ready').expect(200);
      expect(ready.body.info.model).toMatchObject({
        version: '1',
        versions: { '1': { state: 'ready' }, '2': { state: 'failed' } },
      });
      const metrics = (await request(t.http).get('/metrics').expect(200)).text;
      expect(metrics).toContain(
        'anuvaad_model_load_failures_total{model_name="tiny",model_version="2",reason="checksum"} 1',
      );
      expect(metrics).toContain(
        'anuvaad_model_version_state{model_name="tiny",model_version="2",state="failed"} 1',
      );
      expect(metrics).toContain('anuvaad_model_ready{model_name="tiny",model_version="1"} 1');
      expect(
        loggedErrors.mock.calls.some(([m]) =>
          /model tiny version 2 failed to load \(checksum\): checksum mismatch/.test(String(m)),
        ),
      ).toBe(true);
    });

    it('is rejected when the ONNX graph is corrupt even with matching checksums', async () => {
      addVersion(modelDir, '1', '3', (dir) => {
        writeFileSync(path.join(dir, 'onnx/encoder_model.onnx'), 'not an onnx graph');
        rmSync(path.join(dir, 'checksums.sha256'));
        writeChecksums(dir);
      });
      const rejected = await eventually(
        async () => (await versionsOf(t)).some((v) => v.version === '3' && v.state === 'failed'),
        10000,
      );
      expect(rejected).toBe(true);
      const v3 = (await versionsOf(t)).find((v) => v.version === '3')!;
      expect(v3).toMatchObject({ last_failure: { reason: 'session' } });
      const res = await request(t.http).post('/v1/translate').send({ text: 'Hello' }).expect(200);
      expect(res.body.model.version).toBe('1');
    });

    it('is replaced by a fixed copy on the next poll', async () => {
      rmSync(path.join(modelDir, 'tiny', '3'), { recursive: true });
      addVersion(modelDir, '1', '4');
      const served = await eventually(
        async () =>
          (await request(t.http).post('/v1/translate').send({ text: 'Hello' })).body.model
            ?.version === '4',
        10000,
      );
      expect(served).toBe(true);
    });
  });

  describe('the admin API', () => {
    it('is off without ADMIN_TOKEN', async () => {
      const t = await startApp();
      try {
        const res = await request(t.http).post('/v1/admin/models/tiny/load').set(auth).expect(403);
        expect(res.body).toMatchObject({ reason: 'admin_disabled' });
        expect(res.body.message).toMatch(/set ADMIN_TOKEN/);
      } finally {
        await t.app.close();
      }
    });

    describe('with ADMIN_TOKEN', () => {
      let t: TestApp;
      let runtime: ReleaseTrackingRuntime;
      let slow: SlowDecoderRuntime;
      let modelDir: string;
      beforeAll(async () => {
        ({ modelDir } = copyTinyPackage());
        addVersion(modelDir, '1', '2');
        slow = new SlowDecoderRuntime(0);
        runtime = new ReleaseTrackingRuntime(slow);
        t = await startApp({ MODEL_DIR: modelDir, ADMIN_TOKEN }, { runtime });
      });
      afterAll(() => t.app.close());

      it('needs the bearer token', async () => {
        await request(t.http).post('/v1/admin/models/tiny/load').expect(401);
        const wrong = await request(t.http)
          .post('/v1/admin/models/tiny/load')
          .set({ Authorization: 'Bearer not-the-token' })
          .expect(401);
        expect(wrong.body.reason).toBe('unauthorized');
        expect(wrong.headers['www-authenticate']).toBe('Bearer realm="anuvaad-admin"');
      });

      it('loads a version beyond the policy and serves it on its own route', async () => {
        expect((await versionsOf(t)).map((v) => v.version)).toEqual(['2']);
        const res = await request(t.http)
          .post('/v1/admin/models/tiny/load')
          .set(auth)
          .send({ version: '1' })
          .expect(200);
        expect(res.body).toMatchObject({ name: 'tiny', version: '2', state: 'ready' });
        expect(res.body.versions.map((v: { version: string }) => v.version)).toEqual(['1', '2']);
        const v1 = await request(t.http)
          .post('/v1/models/tiny/versions/1/translate')
          .send({ text: 'Hello' })
          .expect(200);
        expect(v1.body.model).toEqual({ name: 'tiny', version: '1' });
        const byField = await request(t.http)
          .post('/v1/translate')
          .send({ text: 'Hello', version: '1' })
          .expect(200);
        expect(byField.body.model.version).toBe('1');
        await request(t.http)
          .post('/v1/models/tiny/versions/1/translate')
          .send({ text: 'Hello', version: '2' })
          .expect(400);
      });

      it('unloads a version only after the request running on it finished', async () => {
        slow.delayMs = 40;
        const running = request(t.http)
          .post('/v1/models/tiny/versions/1/translate')
          .send({ text: 'How are you today, my friend?', max_new_tokens: 40 })
          .then((res) => ({ res, at: Date.now() }));
        const before = slow.decoderRuns;
        await eventually(() => slow.decoderRuns > before, 5000);
        const during = (await versionsOf(t)).find((v) => v.version === '1');
        expect(during).toMatchObject({ state: 'ready', in_flight: 1 });
        const unload = await request(t.http)
          .post('/v1/admin/models/tiny/unload')
          .set(auth)
          .send({ version: '1' })
          .expect(200);
        const { res, at } = await running;
        slow.delayMs = 0;

        expect(res.status).toBe(200);
        expect(res.body.model.version).toBe('1');
        const v1Releases = runtime.released.filter((r) =>
          r.path.includes(`${path.sep}1${path.sep}`),
        );
        expect(v1Releases).toHaveLength(2);
        expect(Math.min(...v1Releases.map((r) => r.at))).toBeGreaterThanOrEqual(at - 50);
        expect(unload.body.versions.map((v: { version: string }) => v.version)).toEqual(['2']);
        // the version is gone: its route is 404, the default one serves
        await request(t.http)
          .post('/v1/models/tiny/versions/1/translate')
          .send({ text: 'Hello' })
          .expect(404);
        await request(t.http).post('/v1/translate').send({ text: 'Hello' }).expect(200);
      });

      it('answers 422 for a version that fails to load, and 404 for unknown ones', async () => {
        addVersion(modelDir, '1', '5', (dir) => rmSync(path.join(dir, 'tokenizer.json')));
        const failed = await request(t.http)
          .post('/v1/admin/models/tiny/load')
          .set(auth)
          .send({ version: '5' })
          .expect(422);
        expect(failed.body).toMatchObject({ reason: 'model_load_failed' });
        expect(failed.body.message).toMatch(/tokenizer\.json/);
        const res = await request(t.http).post('/v1/translate').send({ text: 'Hi' }).expect(200);
        expect(res.body.model.version).toBe('2');
        await request(t.http)
          .post('/v1/admin/models/tiny/load')
          .set(auth)
          .send({ version: '9' })
          .expect(404);
        await request(t.http).post('/v1/admin/models/en-de/load').set(auth).expect(404);
        await request(t.http)
          .post('/v1/admin/models/tiny/unload')
          .set(auth)
          .send({ version: 'x' })
          .expect(400);
      });

      it('releases every session it loaded: load/unload cycles keep memory flat', async () => {
        const cycle = async () => {
          await request(t.http)
            .post('/v1/admin/models/tiny/load')
            .set(auth)
            .send({ version: '1' })
            .expect(200);
          await request(t.http)
            .post('/v1/models/tiny/versions/1/translate')
            .send({ text: 'Hello' })
            .expect(200);
          await request(t.http)
            .post('/v1/admin/models/tiny/unload')
            .set(auth)
            .send({ version: '1' })
            .expect(200);
        };
        for (let i = 0; i < 5; i++) await cycle();
        const rssBefore = process.memoryUsage().rss;
        const sessionsBefore = runtime.created.length - runtime.released.length;
        for (let i = 0; i < 20; i++) await cycle();
        const growthMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
        expect(runtime.created.length - runtime.released.length).toBe(sessionsBefore);
        expect(growthMb).toBeLessThan(24);
      });

      it('dates the unloaded state from the unload, not from the process start', async () => {
        const before = new Date().toISOString();
        const res = await request(t.http)
          .post('/v1/admin/models/tiny/unload')
          .set(auth)
          .expect(200);
        expect(res.body.state).toBe('unloaded');
        expect(res.body.since >= before).toBe(true);
        await request(t.http).post('/v1/admin/models/tiny/load').set(auth).expect(200);
      });
    });
  });

  describe('a canary split', () => {
    it('serves both versions in the configured ratio, naming the version everywhere', async () => {
      const { modelDir } = copyTinyPackage();
      addVersion(modelDir, '1', '2');
      const t = await startApp({ MODEL_DIR: modelDir, MODEL_CANARY: 'tiny:2=30' });
      try {
        const versions: string[] = [];
        for (let round = 0; round < 10; round++) {
          const answers = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              request(t.http)
                .post('/v1/translate')
                .send({ text: `Hello ${round} ${i}.` })
                .expect(200),
            ),
          );
          versions.push(...answers.map((a) => a.body.model.version as string));
          for (const a of answers) expect(a.headers['x-model-version']).toBe(a.body.model.version);
        }
        const canary = versions.filter((v) => v === '2').length;
        expect(versions.filter((v) => v !== '1' && v !== '2')).toEqual([]);
        expect(canary).toBeGreaterThanOrEqual(40); // 30% of 200 = 60
        expect(canary).toBeLessThanOrEqual(80);

        const detail = await request(t.http).get('/v1/models/tiny').expect(200);
        expect(detail.body.canary).toEqual({ version: '2', weight: 30 });
        expect(detail.body.versions).toEqual([
          expect.objectContaining({ version: '1', default: true }),
          expect.objectContaining({ version: '2', default: false, canary_weight: 30 }),
        ]);
        const predict = await request(t.http).post('/predict').send({ text: 'Hi' }).expect(200);
        expect(['1', '2']).toContain(predict.body.model_version);

        const log = await readJsonLines(
          path.join(t.logDir, 'predictions.log'),
          (lines) => lines.length >= 201,
        );
        const logged = log.map((l) => l.model_version);
        expect(logged.filter((v) => v === '2').length).toBeGreaterThanOrEqual(canary);
        const metrics = (await request(t.http).get('/metrics').expect(200)).text;
        for (const v of ['1', '2']) {
          expect(metrics).toMatch(
            new RegExp(
              `anuvaad_translations_total\\{model_name="tiny",model_version="${v}"\\} \\d+`,
            ),
          );
        }
      } finally {
        await t.app.close();
      }
    });
  });

  describe('a symlinked version folder (tiny/2 -> a release folder)', () => {
    it('is listed and served', async () => {
      const { modelDir } = copyTinyPackage();
      const releases = mkdtempSync(path.join(tmpdir(), 'anuvaad-releases-'));
      cpSync(TINY_DIR, path.join(releases, 'rel-2'), { recursive: true });
      symlinkSync(path.join(releases, 'rel-2'), path.join(modelDir, 'tiny', '2'), 'dir');
      const t = await startApp({ MODEL_DIR: modelDir });
      try {
        expect((await versionsOf(t)).map((v) => v.version)).toEqual(['2']);
        const res = await request(t.http).post('/v1/translate').send({ text: 'Hi.' }).expect(200);
        expect(res.body.model.version).toBe('2');
      } finally {
        await t.app.close();
      }
    });
  });

  describe('version_policy.json spelling versions with leading zeros', () => {
    it('matches "01" and a canary "02" to folders 1 and 2', async () => {
      const { modelDir } = copyTinyPackage();
      addVersion(modelDir, '1', '2');
      writeFileSync(
        path.join(modelDir, 'tiny', 'version_policy.json'),
        JSON.stringify({
          version_policy: { specific: { versions: ['01'] } },
          canary: { version: '02', weight: 50 },
        }),
      );
      const t = await startApp({ MODEL_DIR: modelDir });
      try {
        const detail = await request(t.http).get('/v1/models/tiny').expect(200);
        expect(detail.body.canary).toEqual({ version: '2', weight: 50 });
        expect(detail.body.versions).toEqual([
          expect.objectContaining({ version: '1', state: 'ready', default: true }),
          expect.objectContaining({ version: '2', state: 'ready', canary_weight: 50 }),
        ]);
      } finally {
        await t.app.close();
      }
    });
  });
});
