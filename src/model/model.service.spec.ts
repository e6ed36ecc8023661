import { HttpStatus, Logger } from '@nestjs/common';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  FAKE_EOS,
  FAKE_PAD,
  FAKE_VOCAB,
  writeChecksums,
  writeFakePackage,
} from '../../test/support/fake-package';
import {
  FakeSeq2SeqRuntime,
  fakeSpec,
  hashedLogits,
} from '../../test/support/fake-seq2seq-runtime';
import { ApiError } from '../common/api-errors';
import { loadAppConfig } from '../config/app-config';
import type { ServiceMetrics } from '../metrics/service-metrics';
import { FileModelRepository } from './file-model-repository';
import { LoadedModel, ModelService } from './model.service';

const runtime = () =>
  new FakeSeq2SeqRuntime(
    fakeSpec({ vocabSize: FAKE_VOCAB, nextLogits: hashedLogits(FAKE_VOCAB, FAKE_EOS, FAKE_PAD) }),
  );

function makeService(root: string, env: Record<string, string> = {}, rt = runtime()) {
  const config = loadAppConfig({ MODEL_DIR: root, MODEL_NAME: 'fake', ...env });
  const metrics = {
    setModel: jest.fn(),
    setModelReady: jest.fn(),
    removeModelReady: jest.fn(),
    setVersionState: jest.fn(),
    recordLoadFailure: jest.fn(),
  };
  const repository = new FileModelRepository(config.model.dir);
  const service = new ModelService(config, repository, rt, metrics as unknown as ServiceMetrics);
  return { service, metrics, rt };
}

/** The model a request would get (acquired and released at once). */
function lookup(service: ModelService, name?: string, version?: string): LoadedModel {
  const lease = service.acquire(name, version);
  lease.release();
  return lease.model;
}

function thrown(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected an error');
}

describe('ModelService', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  it('starts in "loading" and answers 503 with Retry-After meanwhile', () => {
    const { service } = makeService(mkdtempSync(path.join(tmpdir(), 'models-')));
    expect(service.status.state).toBe('loading');
    const e = thrown(() => lookup(service));
    expect(e.getStatus()).toBe(HttpStatus.SERVICE_UNAVAILABLE);
    expect(e.reason).toBe('model_not_ready');
    expect(e.retryAfterSeconds).toBe(5);
  });

  it('loads the newest version, verifies it, warms up and becomes ready', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'models-'));
    writeFakePackage({ root, version: '1' });
    writeFakePackage({ root, version: '2' });
    const { service, metrics, rt } = makeService(root);
    await service.load();
    expect(service.status).toMatchObject({ state: 'ready', version: '2' });
    expect(service.status.reason).toBeUndefined();
    const model = lookup(service, 'fake', '2');
    expect(model.dir).toBe(path.join(root, 'fake', '2'));
    expect(model.metrics).toEqual({ dev_bleu: 1.5, dev_chrf: 10.2 });
    expect(model.driftProfile?.n_texts).toBe(1000);
    expect(Object.keys(model.checksums!.files)).toContain('tokenizer.json');
    expect(rt.decoderRuns).toBeGreaterThan(0); // warm-up ran the decoder
    expect(metrics.setModel).toHaveBeenCalledWith('fake', '2');
    expect(metrics.setVersionState).toHaveBeenLastCalledWith(
      { model_name: 'fake', model_version: '2' },
      'ready',
      expect.any(Array),
    );
    expect(await service.availableVersions()).toEqual(['1', '2']);
  });

  it('load() is idempotent', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'models-'));
    writeFakePackage({ root });
    const { service, rt } = makeService(root);
    await Promise.all([service.load(), service.load()]);
    expect(rt.created).toHaveLength(2);
  });

  it('honours MODEL_VERSION and 404s other names and versions', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'models-'));
    writeFakePackage({ root, version: '1' });
    writeFakePackage({ root, version: '2' });
    const { service } = makeService(root, { MODEL_VERSION: '1' });
    await service.load();
    expect(lookup(service).version).toBe('1');
    expect(thrown(() => lookup(service, 'other')).getStatus()).toBe(404);
    const wrongVersion = thrown(() => lookup(service, 'fake', '2'));
    expect(wrongVersion.getStatus()).toBe(404);
    expect(wrongVersion.message).toMatch(/loaded version: "1"/);
  });

  it('fails with the checksum reason when a file was altered, and releases nothing half-made', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'models-'));
    const dir = writeFakePackage({ root });
    appendFileSync(path.join(dir, 'tokenizer.json'), ' ');
    const { service, metrics, rt } = makeService(root);
    await service.load();
    expect(service.status.state).toBe('failed');
    expect(service.status.reason).toMatch(/checksum mismatch for tokenizer\.json/);
    expect(rt.created).toHaveLength(0);
    expect(metrics.setVersionState).toHaveBeenLastCalledWith(
      { model_name: 'fake', model_version: '1' },
      'failed',
      expect.any(Array),
    );
    expect(metrics.recordLoadFailure).toHaveBeenCalledWith(
      { model_name: 'fake', model_version: '1' },
      'checksum',
    );
    expect(thrown(() => lookup(service)).message).toMatch(
      /not ready \(failed\): checksum mismatch/,
    );
  });

  it('fails with the checksum reason when checksums.sha256 leaves out the graphs', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'models-'));
    const dir = writeFakePackage({ root });
    const list = path.join(dir, 'checksums.sha256');
    const lines = readFileSync(list, 'utf8').split('\n');
    writeFileSync(list, lines.filter((l) => !l.includes('encoder_model.onnx')).join('\n'));
    const { service, rt } = makeService(root);
    await service.load();
    expect(service.status.state).toBe('failed');
    expect(service.status.reason).toMatch(
      /onnx\/encoder_model\.onnx is loaded by the service but not listed/,
    );
    expect(rt.created).toHaveLength(0);
  });

  it('fails when no version folder exists', async () => {
    const { service } = makeService(mkdtempSync(path.join(tmpdir(), 'models-')));
    await service.load();
    expect(service.status).toMatchObject({ state: 'failed' });
    expect(service.status.reason).toMatch(/no integer version folder/);
  });

  it('fails and releases sessions when the graphs cannot be used', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'models-'));
    writeFakePackage({ root });
    const broken = runtime();
    const original = broken.createSession.bind(broken);
    broken.createSession = async (p: string) => {
      const session = await original(p);
      return p.endsWith('decoder_model_merged.onnx')
        ? { ...session, inputNames: ['input_ids'] }
        : session;
    };
    const { service } = makeService(root, {}, broken);
    await service.load();
    expect(service.status.reason).toMatch(/no input named encoder_hidden_states/);
    expect(broken.released).toHaveLength(2);
  });

  it('disposes the sessions on shutdown', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'models-'));
    writeFakePackage({ root });
    const { service, rt } = makeService(root);
    await service.load();
    await service.onApplicationShutdown();
    expect(rt.released).toHaveLength(2);
  });
});

describe('ModelService as a model repository', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  const repo = (...versions: string[]) => {
    const root = mkdtempSync(path.join(tmpdir(), 'models-'));
    for (const version of versions) writeFakePackage({ root, version });
    return root;
  };
  const versionsOf = (service: ModelService) =>
    service.status.versions?.map((v) => [v.version, v.state, v.default]);
  const releasedVersions = (rt: FakeSeq2SeqRuntime) =>
    [...new Set(rt.released.map((p) => path.basename(path.dirname(path.dirname(p)))))].sort();
  const tick = () => new Promise((r) => setImmediate(r));
  /** From now on, `rt` creates the sessions of `version` only once the returned function runs. */
  const holdSessions = (rt: FakeSeq2SeqRuntime, version: string) => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const create = rt.createSession.bind(rt);
    rt.createSession = async (modelPath: string) => {
      if (modelPath.includes(`${path.sep}${version}${path.sep}`)) await held;
      return create(modelPath);
    };
    return () => release();
  };
  /** Waits (up to 2 s) until `version` shows as loading, and fails if it never does. */
  const untilLoading = async (service: ModelService, version: string) => {
    const loading = () =>
      service.status.versions?.some((v) => v.version === version && v.state === 'loading');
    for (let i = 0; i < 200 && !loading(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(loading()).toBe(true);
  };

  it('loads what the policy selects and serves the newest ready version by default', async () => {
    const { service } = makeService(repo('1', '2', '3'), { MODEL_VERSION_POLICY: 'latest:2' });
    await service.load();
    expect(versionsOf(service)).toEqual([
      ['2', 'ready', false],
      ['3', 'ready', true],
    ]);
    expect(lookup(service).version).toBe('3');
    expect(lookup(service, 'fake', '2').version).toBe('2');
    expect(thrown(() => lookup(service, 'fake', '1')).message).toMatch(
      /version "1" of model "fake" is not loaded; loaded versions: "2", "3"/,
    );
  });

  it('reads version_policy.json, and falls back to MODEL_VERSION_POLICY when it is broken', async () => {
    const root = repo('1', '2');
    writeFileSync(
      path.join(root, 'fake', 'version_policy.json'),
      JSON.stringify({ version_policy: { specific: { versions: [1] } } }),
    );
    const { service } = makeService(root);
    await service.load();
    expect(versionsOf(service)).toEqual([['1', 'ready', true]]);
    expect(service.view('fake')).toMatchObject({
      policy: 'specific:1',
      policySource: 'version_policy.json',
    });

    writeFileSync(path.join(root, 'fake', 'version_policy.json'), '{ nope');
    await service.refresh();
    await tick(); // version 1's sessions are released (it shows as unloading until then)
    expect(versionsOf(service)).toEqual([['2', 'ready', true]]);
    expect(service.view('fake').policyError).toMatch(/not valid JSON/);
  });

  it('hot-loads a new version and releases the old one once its running request ends', async () => {
    const root = repo('1');
    const { service, rt } = makeService(root);
    await service.load();
    const lease = service.acquire();
    expect(lease.model.version).toBe('1');

    writeFakePackage({ root, version: '2' });
    await service.refresh();
    expect(lookup(service).version).toBe('2');
    // v1 left the registry but still has a running request: its sessions stay alive, and it
    // shows as unloading, with the request, until they are released
    expect(versionsOf(service)).toEqual([
      ['1', 'unloading', false],
      ['2', 'ready', true],
    ]);
    expect(service.view('fake').status.versions?.[0]).toMatchObject({ in_flight: 1 });
    await tick();
    expect(releasedVersions(rt)).toEqual([]);
    await expect(
      lease.model.translator.translateTexts(['abc'], { split: true, batchSize: 1 }),
    ).resolves.toBeTruthy();

    lease.release();
    lease.release(); // releasing twice must not count twice
    await tick();
    expect(releasedVersions(rt)).toEqual(['1']);
    expect(versionsOf(service)).toEqual([['2', 'ready', true]]);
  });

  it('keeps a version shown and its series until every unload of it has released', async () => {
    const { service, metrics } = makeService(repo('1', '2'), { MODEL_VERSION_POLICY: 'all' });
    await service.load();
    const lease = service.acquire('fake', '2'); // keeps the first load of 2 busy
    const firstUnload = service.unloadModel('fake', '2');
    await service.loadModel('fake', '2');
    await service.unloadModel('fake', '2'); // the second load had no request: released at once
    const dropped = () =>
      metrics.setVersionState.mock.calls.filter(
        ([labels, state]) => labels.model_version === '2' && state === undefined,
      );
    expect(dropped()).toHaveLength(0);
    expect(versionsOf(service)).toEqual([
      ['1', 'ready', true],
      ['2', 'unloading', false],
    ]);
    expect(service.view('fake').status.versions?.[1]).toMatchObject({ in_flight: 1 });

    lease.release();
    await firstUnload;
    expect(dropped()).toHaveLength(1);
    expect(versionsOf(service)).toEqual([['1', 'ready', true]]);
  });

  it('never lets a broken version replace a working one, and reports why', async () => {
    const root = repo('1');
    const { service, metrics } = makeService(root);
    await service.load();
    const dir = writeFakePackage({ root, version: '2' });
    appendFileSync(path.join(dir, 'config.json'), ' ');
    await service.refresh();

    expect(service.status).toMatchObject({ state: 'ready', version: '1' });
    expect(lookup(service).version).toBe('1');
    const failed = service.status.versions!.find((v) => v.version === '2')!;
    expect(failed).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(/checksum mismatch for config\.json/),
      last_failure: { reason: 'checksum' },
    });
    expect(metrics.recordLoadFailure).toHaveBeenCalledWith(
      { model_name: 'fake', model_version: '2' },
      'checksum',
    );
    // asked for by name: 404 without Retry-After, since waiting would not bring it
    const pinned = thrown(() => lookup(service, 'fake', '2'));
    expect([pinned.getStatus(), pinned.reason, pinned.retryAfterSeconds]).toEqual([
      404,
      'model_not_found',
      undefined,
    ]);
    expect(pinned.message).toMatch(
      /version "2" of model "fake" failed to load and is not served \(checksum mismatch.*; loaded version: "1"/,
    );

    // a failed version is not retried until its folder changes
    const calls = metrics.recordLoadFailure.mock.calls.length;
    await service.refresh();
    expect(metrics.recordLoadFailure.mock.calls.length).toBe(calls);
    writeChecksums(dir);
    await service.refresh();
    expect(lookup(service).version).toBe('2');
  });

  it('reloads a version changed in place, keeping the old load when the new one fails', async () => {
    const root = repo('1');
    const { service } = makeService(root);
    await service.load();
    const first = lookup(service);
    const dir = path.join(root, 'fake', '1');

    writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ dev_bleu: 9 }));
    writeChecksums(dir);
    await service.refresh();
    const second = lookup(service);
    expect(second.revision).not.toBe(first.revision);
    expect(second.metrics).toEqual({ dev_bleu: 9 });

    writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ dev_bleu: 10 }));
    await service.refresh(); // checksums not updated: the changed package is rejected
    expect(lookup(service).revision).toBe(second.revision);
    expect(service.status.versions![0]).toMatchObject({
      state: 'ready',
      last_failure: { reason: 'checksum' },
    });
  });

  it('reports a warm-up failure with its stage', async () => {
    const rt = runtime();
    const create = rt.createSession.bind(rt);
    rt.createSession = async (p: string) => {
      const session = await create(p);
      return p.endsWith('decoder_model_merged.onnx')
        ? { ...session, run: () => Promise.reject(new Error('kernel exploded')) }
        : session;
    };
    const { service, metrics } = makeService(repo('1'), {}, rt);
    await service.load();
    expect(service.status).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(/warm-up failed: kernel exploded/),
    });
    expect(metrics.recordLoadFailure).toHaveBeenCalledWith(expect.anything(), 'warmup');
    expect(rt.released).toHaveLength(2);
  });

  it('splits default traffic with a canary by weight; explicit versions bypass it', async () => {
    const { service } = makeService(repo('1', '2'), { MODEL_CANARY: 'fake:2=30' });
    await service.load();
    expect(versionsOf(service)).toEqual([
      ['1', 'ready', true],
      ['2', 'ready', false],
    ]);
    expect(service.status.versions![1].canary_weight).toBe(30);
    const served = Array.from({ length: 100 }, () => lookup(service).version);
    expect(served.filter((v) => v === '2')).toHaveLength(30);
    expect(served.slice(0, 10).filter((v) => v === '2')).toHaveLength(3);
    expect(lookup(service, 'fake', '1').version).toBe('1');
  });

  it('does not give a canary all traffic while the stable version is still loading', async () => {
    const root = repo('1', '2', '3');
    appendFileSync(path.join(root, 'fake', '3', 'config.json'), ' '); // 3 fails; 2 takes over
    const rt = runtime();
    const open = holdSessions(rt, '2');
    const { service } = makeService(root, { MODEL_CANARY: 'fake:1=10' }, rt);
    const loaded = service.load();
    await untilLoading(service, '2');
    expect(versionsOf(service)?.slice(0, 2)).toEqual([
      ['1', 'ready', false],
      ['2', 'loading', false],
    ]);
    expect(service.status.state).toBe('loading');
    expect(thrown(() => lookup(service)).getStatus()).toBe(503);
    open();
    await loaded;
    const served = Array.from({ length: 100 }, () => lookup(service).version);
    expect(served.filter((v) => v === '1')).toHaveLength(10);
  });

  it('serves the canary alone when no other version works, also while a new one loads', async () => {
    const root = repo('1', '2');
    appendFileSync(path.join(root, 'fake', '2', 'config.json'), ' ');
    const rt = runtime();
    const open = holdSessions(rt, '3');
    const { service } = makeService(root, { MODEL_CANARY: 'fake:1=10' }, rt);
    await service.load();
    expect(service.status).toMatchObject({ state: 'ready', version: '1' });
    expect(lookup(service).version).toBe('1');

    // a new version dropped in: the canary keeps serving until it is ready
    writeFakePackage({ root, version: '3' });
    const refreshed = service.refresh();
    await untilLoading(service, '3');
    expect(service.status).toMatchObject({ state: 'ready', version: '1' });
    expect(lookup(service).version).toBe('1');
    open();
    await refreshed;
    expect(service.status).toMatchObject({ state: 'ready', version: '3' });
  });

  it('gives a pinned MODEL_VERSION all default traffic, a canary in the policy file too', async () => {
    const root = repo('1', '2');
    writeFileSync(
      path.join(root, 'fake', 'version_policy.json'),
      JSON.stringify({ version_policy: { all: {} }, canary: { version: '2', weight: 50 } }),
    );
    const { service } = makeService(root, { MODEL_VERSION: '1' });
    await service.load();
    const served = Array.from({ length: 20 }, () => lookup(service).version);
    expect(new Set(served)).toEqual(new Set(['1']));
    // nor is the canary loaded, or shown with a weight it does not get
    expect(versionsOf(service)).toEqual([['1', 'ready', true]]);
    expect(service.view('fake').canary).toBeUndefined();
  });

  it('says, once, that a version policy selecting no folder on disk serves nothing', async () => {
    const root = repo('1');
    const { service } = makeService(root);
    await service.load();
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    writeFileSync(
      path.join(root, 'fake', 'version_policy.json'),
      JSON.stringify({ version_policy: { specific: { versions: [9] } } }),
    );
    await service.refresh();
    await service.refresh();
    const said = error.mock.calls.map((c) => String(c[0])).filter((m) => /selects none/.test(m));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/version policy .* selects none of the versions on disk \(1\)/);
    error.mockRestore();
  });

  it('publishes a version being unloaded as unloading, not ready, until it is released', async () => {
    const root = repo('1');
    const { service, metrics } = makeService(root);
    await service.load();
    const lease = service.acquire();
    writeFakePackage({ root, version: '2' });
    await service.refresh();
    const v1 = { model_name: 'fake', model_version: '1' };
    expect(metrics.setVersionState).toHaveBeenLastCalledWith(v1, 'unloading', expect.anything());
    lease.release();
    await new Promise((r) => setImmediate(r));
    expect(metrics.setVersionState).toHaveBeenLastCalledWith(v1, undefined, expect.anything());
  });

  it('keeps model_ready at 0 for the default model while none of its versions is loaded', async () => {
    const root = repo('1');
    const { service, metrics } = makeService(root);
    await service.load();
    const v1 = { model_name: 'fake', model_version: '1' };
    await service.unloadModel('fake');
    await new Promise((r) => setImmediate(r));
    // the version's own series went with it; the model still says "not ready"
    expect(metrics.setVersionState).toHaveBeenLastCalledWith(v1, undefined, expect.anything());
    expect(metrics.setModelReady).toHaveBeenLastCalledWith(false, v1);
    metrics.removeModelReady.mockClear();
    await service.loadModel('fake');
    // version 1 is back and owns its series again: the placeholder is not removed under it
    expect(metrics.setVersionState).toHaveBeenLastCalledWith(v1, 'ready', expect.anything());
    expect(metrics.removeModelReady).not.toHaveBeenCalled();
  });

  it('serves every model folder of the repository', async () => {
    const root = repo('1');
    writeFakePackage({ root, name: 'other', version: '4' });
    const { service } = makeService(root);
    await service.load();
    expect(service.modelNames).toEqual(['fake', 'other']);
    expect(lookup(service, 'other').version).toBe('4');
    expect(thrown(() => lookup(service, 'none')).message).toMatch(
      /model "none" is not served here; available: "fake", "other"/,
    );

    rmSync(path.join(root, 'other'), { recursive: true });
    await service.refresh();
    expect(service.modelNames).toEqual(['fake']);
  });

  it('loads and unloads through the admin operations', async () => {
    const root = repo('1', '2');
    const { service, rt } = makeService(root);
    await service.load();
    expect(versionsOf(service)).toEqual([['2', 'ready', true]]);

    await service.loadModel('fake', '1'); // beyond the policy, until unloaded
    expect(versionsOf(service)).toEqual([
      ['1', 'ready', false],
      ['2', 'ready', true],
    ]);
    await service.refresh();
    expect(lookup(service, 'fake', '1').version).toBe('1');

    await service.unloadModel('fake', '2');
    expect(releasedVersions(rt)).toEqual(['2']);
    expect(lookup(service).version).toBe('1');
    await service.refresh(); // stays unloaded despite the policy
    expect(versionsOf(service)).toEqual([['1', 'ready', true]]);

    await service.unloadModel('fake');
    expect(service.status).toMatchObject({ state: 'unloaded' });
    expect(thrown(() => lookup(service)).getStatus()).toBe(503);
    await service.loadModel('fake');
    expect(versionsOf(service)).toEqual([['2', 'ready', true]]);

    await expect(service.loadModel('fake', '9')).rejects.toMatchObject({
      reason: 'model_not_found',
    });
    await expect(service.loadModel('none')).rejects.toMatchObject({ reason: 'model_not_found' });
    await expect(service.loadModel('..')).rejects.toMatchObject({ reason: 'model_not_found' });
    await expect(service.unloadModel('fake', '7')).rejects.toMatchObject({
      reason: 'model_not_found',
    });
  });

  it('falls back to the next version when the one the policy picks is unloaded, and keeps serving when a failed one is', async () => {
    const { service, rt } = makeService(repo('1', '2')); // latest:1
    await service.load();
    expect(versionsOf(service)).toEqual([['2', 'ready', true]]);
    await service.unloadModel('fake', '2');
    expect(versionsOf(service)).toEqual([['1', 'ready', true]]);
    expect(lookup(service).version).toBe('1');

    const root = repo('1', '2');
    appendFileSync(path.join(root, 'fake', '2', 'config.json'), ' ');
    const broken = makeService(root);
    await broken.service.load();
    expect(lookup(broken.service).version).toBe('1');
    const released = broken.rt.released.length;
    await broken.service.unloadModel('fake', '2'); // only the failed entry goes
    expect(versionsOf(broken.service)).toEqual([['1', 'ready', true]]);
    expect(broken.rt.released).toHaveLength(released);
    expect(rt.released.length).toBeGreaterThan(0);
  });

  it('takes an admin-unloaded version out of service at once, while the fallback loads', async () => {
    const { service, rt } = makeService(repo('1', '2')); // latest:1 serves 2
    await service.load();
    const release = holdSessions(rt, '1');
    const unloading = service.unloadModel('fake', '2');
    await untilLoading(service, '1');
    expect(thrown(() => lookup(service)).getStatus()).toBe(503);
    expect(thrown(() => lookup(service, 'fake', '2')).getStatus()).toBe(404);
    release();
    await unloading;
    expect(lookup(service).version).toBe('1');
  });

  it('loads the canary last after an admin reload of the whole model, so it never serves alone', async () => {
    const { service, rt } = makeService(repo('1', '2'), { MODEL_CANARY: 'fake:2=10' });
    await service.load();
    await service.unloadModel('fake');
    const release = holdSessions(rt, '1');
    const loading = service.loadModel('fake');
    await untilLoading(service, '1');
    expect(thrown(() => lookup(service)).getStatus()).toBe(503);
    release();
    await loading;
    const served = Array.from({ length: 20 }, () => lookup(service).version);
    expect(served.filter((v) => v === '2')).toHaveLength(2);
  });

  it('says a model is unloaded through the admin API when its only version was', async () => {
    const { service } = makeService(repo('2'));
    await service.load();
    await service.unloadModel('fake', '2');
    expect(service.status).toMatchObject({
      state: 'unloaded',
      reason:
        'unloaded through the admin API ("2"); no other version is selected by the version policy',
    });
  });

  it('says an admin unload, not a failed version beside it, took the model out of service', async () => {
    const root = repo('1', '2');
    appendFileSync(path.join(root, 'fake', '2', 'config.json'), ' ');
    const { service } = makeService(root);
    await service.load();
    expect(service.status).toMatchObject({ state: 'ready', version: '1' });
    await service.unloadModel('fake', '1');
    expect(service.status).toMatchObject({
      state: 'unloaded',
      reason: expect.stringMatching(
        /^unloaded through the admin API \("1"\); version "2" failed to load \(checksum mismatch/,
      ),
    });
    // a failed version is not "loaded"
    await expect(service.unloadModel('fake', '1')).rejects.toMatchObject({
      message: 'version "1" of model "fake" is not loaded; loaded versions: none',
    });
  });

  it('answers 422 when an admin load fails, and what served keeps serving', async () => {
    const root = repo('1');
    const { service } = makeService(root);
    await service.load();
    const dir = writeFakePackage({ root, version: '2' });
    appendFileSync(path.join(dir, 'tokenizer.json'), ' ');
    const error = await service.loadModel('fake', '2').catch((e: unknown) => e as ApiError);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).getStatus()).toBe(422);
    expect((error as ApiError).message).toMatch(/failed to load \(checksum\)/);
    expect(lookup(service).version).toBe('1');
  });

  it('picks up new versions by polling every MODEL_POLL_S seconds', async () => {
    const root = repo('1');
    const { service } = makeService(root, { MODEL_POLL_S: '1' });
    await service.load();
    writeFakePackage({ root, version: '2' });
    const deadline = Date.now() + 5000;
    while (service.status.version !== '2' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(service.status).toMatchObject({ version: '2', state: 'ready' });
    await service.onApplicationShutdown();
  });
});
