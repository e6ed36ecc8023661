import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ServiceMetrics } from '../metrics/service-metrics';
import { LoadedModel, ModelService } from './model.service';

/** Least time between two recovery probes. */
export const RECOVERY_PROBE_INTERVAL_MS = 1000;

export interface RuntimeFailure {
  reason: string;
  since: string;
}

/**
 * Whether the default model version still works at run time. Its failed inferences are counted;
 * after MODEL_FAILURE_THRESHOLD in a row, a test translation of WARMUP_TEXT (an input known to
 * work) decides. If it fails too, readiness reports the model down so traffic goes to healthy
 * replicas, and readiness checks retry it (one at a time, one a second) until it works again;
 * a successful inference also ends it. If the test translation works, the failures were the
 * inputs' fault: readiness stays up, so a client sending inputs that break the model cannot
 * take the replica out of service. Other versions (pinned, canary) do not decide readiness.
 */
@Injectable()
export class ModelRuntimeHealth {
  private readonly logger = new Logger(ModelRuntimeHealth.name);
  private failuresInARow = 0;
  private failing?: RuntimeFailure;
  private testing = false;
  private lastProbeAt = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly models: ModelService,
    private readonly metrics: ServiceMetrics,
  ) {}

  /** Set while the model counts as failing. */
  get failure(): RuntimeFailure | undefined {
    return this.failing;
  }

  recordSuccess(model: LoadedModel): void {
    if (this.isDefault(model)) this.recovered();
  }

  recordFailure(model: LoadedModel, error: unknown): void {
    if (!this.isDefault(model)) return;
    this.failuresInARow++;
    const threshold = this.config.resilience.modelFailureThreshold;
    // a test translation already running decides for these failures too
    if (this.failing || this.testing || this.failuresInARow < threshold) return;
    const failures = this.failuresInARow;
    const message = error instanceof Error ? error.message : String(error);
    void this.testTranslation().then((probeError) => {
      if (probeError === undefined) {
        this.failuresInARow = 0;
        this.logger.warn(
          `${failures} inferences in a row failed, but the model translates WARMUP_TEXT: treating them as bad inputs (last: ${message})`,
        );
        return;
      }
      if (this.failing) return;
      this.failing = {
        reason: `inference failed ${failures} times in a row (MODEL_FAILURE_THRESHOLD=${threshold}) and so did a test translation of WARMUP_TEXT: ${probeError}`,
        since: new Date().toISOString(),
      };
      this.logger.error(`model failing at run time: ${this.failing.reason}`);
      this.metrics.setModelReady(false);
    });
  }

  /** While failing, runs one test translation (at most one at a time, one per second). */
  probe(): void {
    if (!this.failing || this.testing) return;
    if (Date.now() - this.lastProbeAt < RECOVERY_PROBE_INTERVAL_MS) return;
    this.lastProbeAt = Date.now();
    void this.testTranslation().then((probeError) => {
      if (probeError === undefined) this.recovered();
      else this.logger.warn(`recovery probe failed: ${probeError}`);
    });
  }

  private recovered(): void {
    this.failuresInARow = 0;
    if (!this.failing) return;
    this.logger.log(`model works again after failing since ${this.failing.since}`);
    this.failing = undefined;
    this.metrics.setModelReady(this.models.status.state === 'ready');
  }

  /**
   * Translates WARMUP_TEXT on the default version, holding a lease so the version cannot be
   * released meanwhile. Resolves with the error message, or undefined when it worked.
   */
  private async testTranslation(): Promise<string | undefined> {
    const current = this.models.current;
    if (!current) return 'no model version is loaded';
    this.testing = true;
    try {
      const lease = this.models.acquire(current.name, current.version);
      try {
        await lease.model.translator.translateTexts([this.config.model.warmupText], {
          split: true,
          batchSize: 1,
          maxNewTokens: 8,
        });
        return undefined;
      } finally {
        lease.release();
      }
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    } finally {
      this.testing = false;
    }
  }

  private isDefault(model: LoadedModel): boolean {
    const current = this.models.current;
    return current?.name === model.name && current.version === model.version;
  }
}
