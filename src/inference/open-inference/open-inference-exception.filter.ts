import { ArgumentsHost, Catch, ExceptionFilter, HttpStatus, Inject, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { isPredictionRequest } from '../../app.routes';
import {
  logServerFault,
  mapException,
  setErrorHeaders,
} from '../../common/filters/all-exceptions.filter';
import { redactInternals } from '../../common/security/redact-internals';
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
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const { status, reason, message } =
      exception instanceof InferenceRequestError
        ? {
            status: HttpStatus.BAD_REQUEST,
            reason: 'validation_failed' as const,
            message: exception.message,
          }
        : mapException(exception);
    logServerFault(this.logger, req, exception, status, String(req.id ?? ''));
    this.metrics.recordError(reason, isPredictionRequest(req), req);
    if (res.headersSent) return;
    setErrorHeaders(res, exception, status, this.config);
    // Messages may quote file system errors: the client never sees this server's paths.
    res.status(status).json({ error: redactInternals(message) });
  }
}
