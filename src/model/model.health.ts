import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { ModelRuntimeHealth } from './model-runtime-health';
import { MODEL_RUNTIME, ModelRuntime } from './model-runtime.port';
import { ModelService } from './model.service';

/**
 * Terminus indicator: up only when the default model has a version loaded, verified and warmed
 * up, and not failing at run time (then each check also starts a recovery probe); the details
 * list every version's state and failure.
 */
@Injectable()
export class ModelHealthIndicator {
  constructor(
    private readonly models: ModelService,
    private readonly health: HealthIndicatorService,
    private readonly runtime: ModelRuntimeHealth,
    @Inject(MODEL_RUNTIME) private readonly modelRuntime: ModelRuntime,
  ) {}

  /**
   * For liveness: down only when the runtime itself is gone (the onnxruntime worker thread
   * died), which no reload can mend; a model that failed to load is readiness' business.
   */
  isRuntimeAlive(key = 'runtime'): HealthIndicatorResult {
    const indicator = this.health.check(key);
    const broken = this.modelRuntime.brokenReason?.();
    return broken ? indicator.down({ reason: broken }) : indicator.up();
  }

  isReady(key = 'model'): HealthIndicatorResult {
    const indicator = this.health.check(key);
    const { name, version, state, reason, since, versions } = this.models.status;
    const details = {
      name,
      version: version ?? null,
      state,
      since,
      // per version, so a failed new version shows here while the old one keeps serving
      ...(versions?.length
        ? {
            versions: Object.fromEntries(
              versions.map((v) => [
                v.version,
                {
                  state: v.state,
                  ...(v.reason ? { reason: v.reason } : {}),
                  ...(v.last_failure ? { last_failure: v.last_failure.message } : {}),
                },
              ]),
            ),
          }
        : {}),
    };
    const failure = state === 'ready' ? this.runtime.failure : undefined;
    if (failure) {
      this.runtime.probe();
      return indicator.down({ ...details, state: 'failing', ...failure });
    }
    return state === 'ready'
      ? indicator.up(details)
      : indicator.down({ ...details, reason: reason ?? 'unknown' });
  }
}
