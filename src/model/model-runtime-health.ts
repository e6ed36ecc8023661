import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ServiceMetrics } from '../metrics/service-metrics';
import { ModelService } from './model.service';

/** Least time between two recovery probes. */
export const RECOVERY_PROBE_INTERVAL_MS = 1000;

export interface RuntimeFailure {
  reason: string;
  since: string;
}

/**
 * Whether the loaded model still works at run time. After MODEL_FAILURE_THRESHOLD inferences
 * in a row fail, readiness reports the model down (so traffic goes to healthy replicas); the
 * next successful inference, or a test translation started by a readiness check while failing,
 * reports it up again. Requests are still attempted meanwhile: each is a chance to recover.
 */
@Injectable()
export class ModelRuntimeHealth {
  private readonly logger = new Logger(ModelRuntimeHealth.name);
  private failuresInARow = 0;
  private failing?: RuntimeFailure;
  private probing = false;
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

  recordSuccess(): void {
    this.failuresInARow = 0;
    if (!this.failing) return;
    this.logger.log(`model works again after failing since ${this.failing.since}`);
    this.failing = undefined;
    this.metrics.setModelReady(this.models.status.state === 'ready');
  }

  recordFailure(error: unknown): void {
    this.failuresInARow++;
    const threshold = this.config.resilience.modelFailureThreshold;
    if (this.failing || this.failuresInARow < threshold) return;
    const message = error instanceof Error ? error.message : String(error);
    this.failing = {
      reason: `inference failed ${this.failuresInARow} times in a row (MODEL_FAILURE_THRESHOLD=${threshold}), last: ${message}`,
      since: new Date().toISOString(),
    };
    this.logger.error(`model failing at run time: ${this.failing.reason}`);
    this.metrics.setModelReady(false);
  }

  /** While failing, runs one test translation (at most one at a time, one per second). */
  probe(): void {
    const model = this.models.current;
    if (!this.failing || !model || this.probing) return;
    if (Date.now() - this.lastProbeAt < RECOVERY_PROBE_INTERVAL_MS) return;
    this.probing = true;
    this.lastProbeAt = Date.now();
    model.translator
      .translateTexts([this.config.model.warmupText], {
        split: true,
        batchSize: 1,
        maxNewTokens: 8,
      })
      .then(
        () => this.recordSuccess(),
        (e: unknown) => this.logger.warn(`recovery probe failed: ${(e as Error).message}`),
      )
      .finally(() => (this.probing = false));
  }
}
