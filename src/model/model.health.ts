import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { ModelService } from './model.service';

/** Terminus indicator: up only when the model is loaded, verified and warmed up. */
@Injectable()
export class ModelHealthIndicator {
  constructor(
    private readonly models: ModelService,
    private readonly health: HealthIndicatorService,
  ) {}

  isReady(key = 'model'): HealthIndicatorResult {
    const indicator = this.health.check(key);
    const { name, version, state, reason, since } = this.models.status;
    const details = { name, version: version ?? null, state, since };
    return state === 'ready'
      ? indicator.up(details)
      : indicator.down({ ...details, reason: reason ?? 'unknown' });
  }
}
