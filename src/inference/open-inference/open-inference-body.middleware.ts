import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../../common/api-errors';
import { JsonBodyMiddleware } from '../../common/middleware/json-body.middleware';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ServiceMetrics } from '../../metrics/service-metrics';

/**
 * Parses JSON bodies of the Open Inference Protocol routes before the app-wide parser does, so
 * a malformed or oversized body is answered in the protocol's `{"error": "…"}` shape too (body
 * parsing runs in middleware, where the V2 controller's exception filter cannot reach).
 */
@Injectable()
export class OpenInferenceBodyMiddleware implements NestMiddleware {
  private readonly json: JsonBodyMiddleware;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: ServiceMetrics,
  ) {
    this.json = new JsonBodyMiddleware(config);
  }

  use(req: Request, res: Response, next: NextFunction): void {
    this.json.use(req, res, (err?: unknown) => {
      if (err === undefined) return next();
      if (!(err instanceof ApiError)) return next(err);
      this.metrics.recordError(err.reason, true);
      res.status(err.getStatus()).json({ error: err.message });
    });
  }
}
