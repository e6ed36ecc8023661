import { Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { predictionRouteOf, requestPath } from '../app.routes';
import { CLIENT_CLOSED_STATUS } from '../common/interceptors/timeout.interceptor';
import { ServiceMetrics } from './service-metrics';

const unmatched = new WeakSet<Request>();

/** For a catch-all handler (`@All('/')`): its request counts as unmatched, not as its pattern. */
export function markRouteUnmatched(req: Request): void {
  unmatched.add(req);
}

/**
 * The route label: the matched controller pattern, else the prediction route a POST belongs to
 * (a body refused before routing), else "unmatched" (also another method on a prediction path,
 * which no route serves).
 */
export function routeLabel(req: Request): string {
  if (unmatched.has(req)) return 'unmatched';
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  // Middleware-only matches carry a wildcard pattern: no controller route was reached.
  if (typeof pattern === 'string' && !pattern.includes('*')) return `${req.baseUrl}${pattern}`;
  return (req.method === 'POST' && predictionRouteOf(requestPath(req))) || 'unmatched';
}

/**
 * Times every HTTP request, including ones rejected before a controller runs
 * (malformed JSON, oversized bodies), labelled by the matched route pattern.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: ServiceMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const end = this.metrics.startHttpRequest(req.method);
    // Route patterns keep label cardinality bounded; unknown paths share one label. A response
    // closed before it finished went to a client that had left: 499, not Express's default 200,
    // and a client_closed error whether or not its work was cancelled in time (unless an error
    // answer was counted for the request already).
    res.once('close', () => {
      if (res.writableFinished) return end(routeLabel(req), res.statusCode);
      end(routeLabel(req), CLIENT_CLOSED_STATUS);
      this.metrics.recordClientGone(req);
    });
    next();
  }
}
