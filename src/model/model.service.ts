import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { modelNotFound, modelNotReady } from '../common/api-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Translator } from '../inference/translator';
import { ServiceMetrics } from '../metrics/service-metrics';
import type { DriftProfile } from '../monitoring/drift-profile';
import { ChecksumReport, verifyChecksums } from './checksums';
import { listVersions, PACKAGE_FILES, readOptionalJson, resolveVersion } from './model-package';
import { MODEL_RUNTIME, ModelRuntime } from './model-runtime.port';

export type ModelState = 'loading' | 'ready' | 'failed';

export interface ModelStatus {
  name: string;
  /** undefined until the version folder has been resolved */
  version?: string;
  state: ModelState;
  /** why the model is not ready */
  reason?: string;
  since: string;
}

/** One model version, loaded, verified and warmed up. */
export interface LoadedModel {
  name: string;
  version: string;
  dir: string;
  translator: Translator;
  checksums?: ChecksumReport;
  metrics?: Record<string, unknown>;
  driftProfile?: DriftProfile;
  loadMs: number;
  warmupMs: number;
}

/**
 * Owns the lifecycle of the served model version: resolve the folder, verify checksums,
 * create sessions, warm up, then report `ready` (or `failed` with the reason).
 */
@Injectable()
export class ModelService implements OnApplicationShutdown {
  private readonly logger = new Logger(ModelService.name);
  private loaded?: LoadedModel;
  private modelStatus: ModelStatus;
  private loading?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MODEL_RUNTIME) private readonly runtime: ModelRuntime,
    private readonly metrics: ServiceMetrics,
  ) {
    this.modelStatus = {
      name: config.model.name,
      version: config.model.version,
      state: 'loading',
      reason: 'model loading has not finished',
      since: new Date().toISOString(),
    };
  }

  get status(): ModelStatus {
    return this.modelStatus;
  }

  get current(): LoadedModel | undefined {
    return this.loaded;
  }

  get modelName(): string {
    return this.config.model.name;
  }

  /** Starts loading once; later calls return the same promise. Never rejects. */
  load(): Promise<void> {
    this.loading ??= this.doLoad();
    return this.loading;
  }

  /**
   * The loaded model if it matches the requested name/version and is ready.
   * Unknown name or version → 404; known but not ready → 503 with Retry-After.
   */
  require(name?: string, version?: string): LoadedModel {
    if (name !== undefined && name !== this.config.model.name) {
      throw modelNotFound(
        `model "${name}" is not served here; available: "${this.config.model.name}"`,
      );
    }
    const { state, reason, version: current } = this.modelStatus;
    if (version !== undefined && current !== undefined && version !== current) {
      throw modelNotFound(
        `version "${version}" of model "${this.config.model.name}" is not loaded; loaded version: "${current}"`,
      );
    }
    if (state !== 'ready' || !this.loaded) {
      throw modelNotReady(
        `model "${this.config.model.name}" is not ready (${state}): ${reason ?? 'unknown reason'}`,
        this.config.http.retryAfterSeconds,
      );
    }
    return this.loaded;
  }

  /** Version folders present on disk for the served model name. */
  availableVersions(): Promise<string[]> {
    return listVersions(this.config.model.dir, this.config.model.name);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loading;
    await this.loaded?.translator.dispose();
  }

  private setStatus(state: ModelState, reason?: string): void {
    this.modelStatus = { ...this.modelStatus, state, reason, since: new Date().toISOString() };
    this.metrics.setModelReady(state === 'ready');
  }

  private async doLoad(): Promise<void> {
    const {
      dir,
      name,
      version: pinned,
      intraOpThreads,
      requireChecksums,
      warmupText,
    } = this.config.model;
    const started = performance.now();
    let translator: Translator | undefined;
    try {
      this.setStatus('loading', 'resolving model version');
      const version = await resolveVersion(dir, name, pinned);
      const versionDir = path.join(dir, name, version);
      this.modelStatus.version = version;
      this.metrics.setModel(name, version);
      this.logger.log(`loading model ${name} version ${version} from ${versionDir}`);

      this.setStatus('loading', 'verifying checksums');
      const checksums = await verifyChecksums(versionDir, requireChecksums);
      if (checksums?.unlisted.length) {
        this.logger.warn(`files not covered by checksums.sha256: ${checksums.unlisted.join(', ')}`);
      }

      this.setStatus('loading', 'creating inference sessions');
      translator = await Translator.load(versionDir, this.runtime, { intraOpThreads });
      const loadMs = performance.now() - started;

      this.setStatus('loading', 'warming up');
      const warmStart = performance.now();
      const warm = await translator.translateTexts([warmupText], {
        split: true,
        batchSize: 1,
        maxNewTokens: Math.min(16, translator.settings.maxNewTokensLimit),
      });
      if (warm.results.length !== 1) throw new Error('warm-up translation returned no result');
      const warmupMs = performance.now() - warmStart;

      this.loaded = {
        name,
        version,
        dir: versionDir,
        translator,
        checksums,
        metrics: await readOptionalJson(path.join(versionDir, PACKAGE_FILES.metrics)),
        driftProfile: await readOptionalJson<DriftProfile>(
          path.join(versionDir, PACKAGE_FILES.driftProfile),
        ),
        loadMs,
        warmupMs,
      };
      this.setStatus('ready');
      this.logger.log(
        `model ${name} version ${version} ready (load ${loadMs.toFixed(0)} ms, warm-up ${warmupMs.toFixed(0)} ms)`,
      );
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      await translator?.dispose().catch(() => undefined);
      this.setStatus('failed', reason);
      this.logger.error(`model ${name} failed to load: ${reason}`);
    }
  }
}
