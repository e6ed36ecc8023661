import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { collectDefaultMetrics, register } from 'prom-client';
import { AppModule } from '../../src/app.module';
import { configureApp, createHttpAdapter, NEST_APP_OPTIONS } from '../../src/app.setup';
import { AppConfig, loadAppConfig } from '../../src/config/app-config';
import { ModelRuntime, MODEL_RUNTIME } from '../../src/model/model-runtime.port';
import { ModelService } from '../../src/model/model.service';
import { OnnxRuntimeAdapter } from '../../src/model/onnx-runtime.adapter';

/** The real tiny model package the e2e tests run against. */
export const FIXTURE_MODELS = path.resolve(__dirname, '../fixtures/models');
export const TINY = 'tiny';
export const TINY_DIR = path.join(FIXTURE_MODELS, TINY, '1');

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  logDir: string;
  models: ModelService;
  http: ReturnType<INestApplication['getHttpServer']>;
}

/**
 * Boots the real application (all modules, global pipe/filter/interceptor, swagger) on the
 * tiny model with logs in a temp folder. `load: false` leaves model loading to the test.
 */
export async function startApp(
  env: Record<string, string> = {},
  options: { runtime?: ModelRuntime; load?: boolean } = {},
): Promise<TestApp> {
  if (!existsSync(TINY_DIR)) throw new Error(`missing model fixture ${TINY_DIR}`);
  // prom-client's registry is process-global; each app registers its metrics afresh.
  register.clear();
  collectDefaultMetrics();
  const logDir = mkdtempSync(path.join(tmpdir(), 'anuvaad-logs-'));
  const config = loadAppConfig({
    MODEL_DIR: FIXTURE_MODELS,
    MODEL_NAME: TINY,
    LOG_DIR: logDir,
    LOG_STDOUT: 'false',
    ...env,
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] })
    .overrideProvider(MODEL_RUNTIME)
    .useValue(options.runtime ?? new OnnxRuntimeAdapter())
    .compile();
  const app = moduleRef.createNestApplication(createHttpAdapter(config), NEST_APP_OPTIONS);
  configureApp(app);
  await app.init();
  const models = app.get(ModelService);
  if (options.load !== false) await models.load();
  return { app, config, logDir, models, http: app.getHttpServer() };
}

/** A copy of the tiny package under a fresh models folder, for tests that damage or move it. */
export function copyTinyPackage(version = '1'): { modelDir: string; versionDir: string } {
  const modelDir = mkdtempSync(path.join(tmpdir(), 'anuvaad-models-'));
  const versionDir = path.join(modelDir, TINY, version);
  cpSync(TINY_DIR, versionDir, { recursive: true });
  return { modelDir, versionDir };
}

/** Runtime whose sessions wait for `release()`: holds the model in the "loading" state. */
export class GatedRuntime implements ModelRuntime {
  readonly description = 'gated onnxruntime (tests)';
  private open!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  private arrive!: () => void;
  /** resolves when loading has reached session creation */
  readonly reached = new Promise<void>((resolve) => (this.arrive = resolve));

  constructor(private readonly inner: ModelRuntime = new OnnxRuntimeAdapter()) {}

  release(): void {
    this.open();
  }

  async createSession(...args: Parameters<ModelRuntime['createSession']>) {
    this.arrive();
    await this.gate;
    return this.inner.createSession(...args);
  }
}

/** JSON lines of a log file; waits briefly for asynchronous log writes to land. */
export async function readJsonLines(
  file: string,
  until: (lines: Record<string, unknown>[]) => boolean = () => true,
): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const lines = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as Record<string, unknown>)
      : [];
    if (until(lines) || Date.now() > deadline) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Drops version `to` of the tiny model into `modelDir` as a copy of version `from`, the way a
 * deployment should: copied beside the repository's scan, then renamed into place at once.
 * `damage` may alter the copy before it appears.
 */
export function addVersion(
  modelDir: string,
  from: string,
  to: string,
  damage?: (versionDir: string) => void,
): string {
  const staging = path.join(modelDir, TINY, `.incoming-${to}`);
  cpSync(path.join(modelDir, TINY, from), staging, { recursive: true });
  damage?.(staging);
  const target = path.join(modelDir, TINY, to);
  renameSync(staging, target);
  return target;
}

/** Polls `check` every 50 ms until it returns true; false when `timeoutMs` passed first. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Runtime that records when each session is created and released (to test release timing). */
export class ReleaseTrackingRuntime implements ModelRuntime {
  readonly description: string;
  readonly created: string[] = [];
  readonly released: { path: string; at: number }[] = [];

  constructor(private readonly inner: ModelRuntime = new OnnxRuntimeAdapter()) {
    this.description = inner.description;
  }

  async createSession(...args: Parameters<ModelRuntime['createSession']>) {
    const session = await this.inner.createSession(...args);
    this.created.push(args[0]);
    return {
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      run: (...run: Parameters<typeof session.run>) => session.run(...run),
      release: async () => {
        await session.release();
        this.released.push({ path: args[0], at: Date.now() });
      },
    };
  }
}
