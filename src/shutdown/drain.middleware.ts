import { HttpStatus, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ROUTES, V2_ROUTES } from '../app.routes';
import { ApiError } from '../common/api-errors';
import { markArrival } from '../common/request-abort';
import { GracefulShutdown } from './graceful-shutdown.service';

/** Health routes keep answering while draining (with their not-ready report). */
const HEALTH_PREFIXES = [`/${ROUTES.health}`, `/${ROUTES.v2}/${V2_ROUTES.health}`];

/**
 * Counts requests in flight for the drain and, once draining, refuses new ones with 503
 * `shutting_down` and `Connection: close` (health routes still answer, with their 503 report).
 */
@Injectable()
export class DrainMiddleware implements NestMiddleware {
  constructor(private readonly shutdown: GracefulShutdown) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const isHealth = HEALTH_PREFIXES.some(
      (prefix) => req.path === prefix || req.path.startsWith(`${prefix}/`),
    );
    // Refused requests count as in flight too, so the drain does not close their connection
    // before their 503 is written. The request's deadline starts now, as its tracking does.
    this.shutdown.track(req, res);
    markArrival(req);
    if (this.shutdown.phase !== 'serving' && this.shutdown.phase !== 'grace' && !isHealth) {
      res.setHeader('Connection', 'close');
      const refuse = () =>
        next(
          new ApiError(
            HttpStatus.SERVICE_UNAVAILABLE,
            'shutting_down',
            'this instance is shutting down and takes no new requests; retry on another',
            1,
          ),
        );
      // Read the body away first: closing a socket with unread bytes sends a TCP reset, which
      // can destroy the 503 before the client reads it.
      if (req.complete) refuse();
      else {
        req.once('end', refuse);
        req.resume();
      }
      return;
    }
    next();
  }
}
