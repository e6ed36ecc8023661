import { HttpStatus, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isPredictionRequest } from '../../app.routes';
import { ApiError } from '../../common/api-errors';
import { JsonBodyMiddleware } from '../../common/middleware/json-body.middleware';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ServiceMetrics } from '../../metrics/service-metrics';
import { BINARY_DATA_UNSUPPORTED } from './inference-protocol';

/** The header of the binary tensor data extension: the JSON part's length, binary data after it. */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

/** A request that carries body bytes (as JsonBodyMiddleware counts them). */
const hasBody = (req: Request): boolean =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

/**
 * Parses JSON bodies of the Open Inference Protocol routes instead of the app-wide parser, so
 * a malformed or oversized body is answered in the protocol's `{"error": "…"}` shape too (body
 * parsing runs in middleware, where the V2 controller's exception filter cannot reach). Applied
 * by AppModule after the URL limit and the drain, so an upload in progress counts as in flight.
 *
 * Standard V2 clients (Triton's) may send no Content-Type: such a body is taken as JSON. A
 * request of the binary tensor data extension (Inference-Header-Content-Length) gets a 400 that
 * says so rather than a JSON parse error.
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
    if (req.headers[INFERENCE_HEADER_CONTENT_LENGTH] !== undefined) {
      // unread body bytes are discarded by Node once the answer is sent (keep-alive holds)
      this.answer(
        req,
        res,
        new ApiError(HttpStatus.BAD_REQUEST, 'validation_failed', BINARY_DATA_UNSUPPORTED),
      );
      return;
    }
    if (req.headers['content-type'] === undefined && hasBody(req)) {
      req.headers['content-type'] = 'application/json';
    }
    this.json.use(req, res, (err?: unknown) => {
      if (err === undefined) return next();
      if (!(err instanceof ApiError)) return next(err);
      this.answer(req, res, err);
    });
  }

  private answer(req: Request, res: Response, err: ApiError): void {
    this.metrics.recordError(err.reason, isPredictionRequest(req), req);
    res.status(err.getStatus()).json({ error: err.message });
  }
}
