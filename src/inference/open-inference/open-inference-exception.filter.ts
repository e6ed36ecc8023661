import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Inject,
  Logger,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { ApiError, ErrorReason } from '../../common/api-errors';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ServiceMetrics } from '../../metrics/service-metrics';
import { InferenceRequestError } from './inference-protocol';

/**
 * Errors of the Open Inference Protocol routes in the protocol's shape, `{"error": "<message>"}`,
 * with the same status codes, Retry-After and error metric as the rest of the service.
 */
@Catch()
export class OpenInferenceExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('OpenInference');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: ServiceMetrics,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request>();
    const res = ctx.getResponse<Response>();
    let status: number = HttpStatus.INTERNAL_SERVER_ERROR;
    let reason: ErrorReason = 'internal';
    let message = 'internal server error';
    if (exception instanceof InferenceRequestError) {
      status = HttpStatus.BAD_REQUEST;
      reason = 'validation_failed';
      message = exception.message;
    } else if (exception instanceof ApiError) {
      status = exception.getStatus();
      reason = exception.reason;
      message = exception.message;
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      reason = status === 404 ? 'route_not_found' : status < 500 ? 'validation_failed' : 'internal';
      message = exception.message;
    } else {
      this.logger.error(
        `${req.method} ${req.originalUrl} failed: ${(exception as Error)?.message}`,
        (exception as Error)?.stack,
      );
    }
    this.metrics.recordError(reason, req.path.endsWith('/infer'));
    if (res.headersSent) return;
    if (status === Number(HttpStatus.SERVICE_UNAVAILABLE)) {
      const retryAfter =
        exception instanceof ApiError && exception.retryAfterSeconds !== undefined
          ? exception.retryAfterSeconds
          : this.config.http.retryAfterSeconds;
      res.setHeader('Retry-After', String(retryAfter));
    }
    res.status(status).json({ error: message });
  }
}
