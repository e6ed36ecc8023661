import { HttpStatus, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ROUTES } from '../app.routes';
import { ApiError } from '../common/api-errors';
import { GracefulShutdown } from './graceful-shutdown.service';

const HEALTH_PREFIX = `/${ROUTES.health}`;

/**
 * Counts requests in flight for the drain and, once draining, refuses new ones with 503
 * `shutting_down` and `Connection: close` (health routes still answer, with their 503 report).
 */
@Injectable()
export class DrainMiddleware implements NestMiddleware {
  constructor(private readonly shutdown: GracefulShutdown) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const isHealth = req.path === HEALTH_PREFIX || req.path.startsWith(`${HEALTH_PREFIX}/`);
    if (this.shutdown.phase !== 'serving' && this.shutdown.phase !== 'grace' && !isHealth) {
      res.setHeader('Connection', 'close');
      next(
        new ApiError(
          HttpStatus.SERVICE_UNAVAILABLE,
          'shutting_down',
          'this instance is shutting down and takes no new requests; retry on another',
          1,
        ),
      );
      return;
    }
    this.shutdown.track(req, res);
    next();
  }
}
