import { HttpStatus, Logger } from '@nestjs/common';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FAKE_EOS, FAKE_PAD, FAKE_VOCAB, writeFakePackage } from '../../test/support/fake-package';
import {
  FakeSeq2SeqRuntime,
  fakeSpec,
  hashedLogits,
} from '../../test/support/fake-seq2seq-runtime';
import { ApiError } from '../common/api-errors';
import { loadAppConfig } from '../config/app-config';
import type { ServiceMetrics } from '../metrics/service-metrics';
import { ModelService } from './model.service';

const runtime = () =>
  new FakeSeq2SeqRuntime(
    fakeSpec({ vocabSize: FAKE_VOCAB, nextLogits: hashedLogits(FAKE_VOCAB, FAKE_EOS, FAKE_PAD) }),
  );

function makeService(root: string, env: Record<string, string> = {}, rt = runtime()) {
  const config = loadAppConfig({ MODEL_DIR: root, MODEL_NAME: 'fake', ...env });
  const metrics = { setModel: jest.fn(), setModelReady: jest.fn() };
  const service = new ModelService(config, rt, metrics as unknown as ServiceMetrics);
  return { service, metrics, rt };
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
    const e = thrown(() => service.require());
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
    const model = service.require('fake', '2');
    expect(model.dir).toBe(path.join(root, 'fake', '2'));
    expect(model.metrics).toEqual({ dev_bleu: 1.5, dev_chrf: 10.2 });
    expect(model.driftProfile?.n_texts).toBe(1000);
    expect(Object.keys(model.checksums!.files)).toContain('tokenizer.json');
    expect(rt.decoderRuns).toBeGreaterThan(0); // warm-up ran the decoder
    expect(metrics.setModel).toHaveBeenCalledWith('fake', '2');
    expect(metrics.setModelReady).toHaveBeenLastCalledWith(true);
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
    expect(service.require().version).toBe('1');
    expect(thrown(() => service.require('other')).getStatus()).toBe(404);
    const wrongVersion = thrown(() => service.require('fake', '2'));
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
    expect(metrics.setModelReady).toHaveBeenLastCalledWith(false);
    expect(thrown(() => service.require()).message).toMatch(
      /not ready \(failed\): checksum mismatch/,
    );
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
