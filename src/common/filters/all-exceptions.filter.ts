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
import { isOpenInferencePath, isPredictionRequest, requestPath } from '../../app.routes';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { requestIdFor } from '../../logging/request-id';
import { ServiceMetrics } from '../../metrics/service-metrics';
import { ApiError, ErrorReason, FieldProblem } from '../api-errors';
import { redactInternals } from '../security/redact-internals';

export interface MappedException {
  status: number;
  reason: ErrorReason;
  message: string;
  details?: FieldProblem[];
  /** a body to send as is (terminus health reports) */
  body?: object;
}

/**
 * Turns every failure into one JSON shape with the request id, a stable `reason`, the right
 * status (400/404/413/503…), Retry-After on 503, and a count in the errors metric.
 * Unexpected errors become a 500 without internals in the body, and are logged with stack.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ExceptionFilter');

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: ServiceMetrics,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const mapped = mapException(exception);
    // Routing can fail (a URL that does not decode) before the request-id middleware ran.
    const requestId = String(
      req.id ?? res.getHeader('x-request-id') ?? (res.headersSent ? '' : requestIdFor(req, res)),
    );

    logServerFault(this.logger, req, exception, mapped.status, requestId);
    this.metrics.recordError(mapped.reason, isPredictionRequest(req), req);
    if (res.headersSent) return;
    setErrorHeaders(res, exception, mapped.status, this.config);
    // Messages may quote file system errors: the client never sees this server's paths.
    if (isOpenInferencePath(requestPath(req)) && !mapped.body) {
      // refused before the V2 controller's own filter could answer (a URL that does not decode)
      res.status(mapped.status).json({ error: redactInternals(mapped.message) });
      return;
    }
    res.status(mapped.status).json(
      mapped.body
        ? (JSON.parse(redactInternals(JSON.stringify(mapped.body))) as object)
        : {
            statusCode: mapped.status,
            error: statusText(mapped.status),
            reason: mapped.reason,
            message: redactInternals(mapped.message),
            ...(mapped.details ? { details: mapped.details } : {}),
            request_id: requestId,
          },
    );
  }
}

/**
 * Status, stable reason and message of any exception: ApiErrors as they are, Nest HTTP
 * exceptions and Express's own http-errors by status, anything else a 500 without internals.
 */
export function mapException(exception: unknown): MappedException {
  if (exception instanceof ApiError) {
    return {
      status: exception.getStatus(),
      reason: exception.reason,
      message: exception.message,
      details: exception.details,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    // Terminus reports (status/info/error/details) are the documented health body: keep them.
    if (
      typeof response === 'object' &&
      response !== null &&
      'status' in response &&
      'details' in response
    ) {
      return { status, reason: healthReason(response), message: exception.message, body: response };
    }
    return withDetails({ status, reason: reasonForStatus(status), message: exception.message });
  }
  // http-errors thrown by Express itself (a request URL that does not decode): client errors.
  const status = (exception as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return withDetails({
      status,
      reason: reasonForStatus(status),
      message: `malformed request: ${(exception as Error).message}`,
    });
  }
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    reason: 'internal',
    message: 'internal server error',
  };
}

/**
 * validation_failed always lists what is wrong in `details`: for a 400 from outside the
 * validation pipe (Express's own), the request as a whole.
 */
function withDetails(mapped: MappedException): MappedException {
  if (mapped.reason !== 'validation_failed' || mapped.details) return mapped;
  return {
    ...mapped,
    details: [{ field: 'request', rule: 'badRequest', message: mapped.message }],
  };
}

/**
 * Logs server faults with their stack; 503s are expected states (loading, full queue,
 * shutdown), not faults worth one. For an inference failure the runtime's error is logged.
 */
export function logServerFault(
  logger: Logger,
  req: Request,
  exception: unknown,
  status: number,
  requestId: string,
): void {
  if (status < 500 || status === Number(HttpStatus.SERVICE_UNAVAILABLE)) return;
  const logged = (exception instanceof ApiError && exception.cause) || exception;
  logger.error(
    `${req.method} ${req.originalUrl} failed (request id ${requestId}): ${(logged as Error)?.message}`,
    (logged as Error)?.stack,
  );
}

/** Retry-After on 503 (or when the error names a wait), WWW-Authenticate on 401. */
export function setErrorHeaders(
  res: Response,
  exception: unknown,
  status: number,
  config: AppConfig,
): void {
  const hint = exception instanceof ApiError ? exception.retryAfterSeconds : undefined;
  if (hint !== undefined || status === Number(HttpStatus.SERVICE_UNAVAILABLE)) {
    res.setHeader('Retry-After', String(hint ?? config.http.retryAfterSeconds));
  }
  // a guard may have named its realm already
  if (status === Number(HttpStatus.UNAUTHORIZED) && !res.hasHeader('WWW-Authenticate')) {
    res.setHeader('WWW-Authenticate', 'Bearer');
  }
}

/**
 * Why a terminus report failed: draining, the model's indicator, or another check (the heap,
 * the inference worker), so "Errors by reason" does not blame the model for those.
 */
function healthReason(report: { status: unknown; error?: unknown }): ErrorReason {
  if (report.status === 'shutting_down') return 'shutting_down';
  const failed = typeof report.error === 'object' && report.error !== null ? report.error : {};
  return Object.keys(failed).length === 0 || 'model' in failed
    ? 'model_not_ready'
    : 'health_check_failed';
}

function reasonForStatus(status: number): ErrorReason {
  switch (status as HttpStatus) {
    case HttpStatus.NOT_FOUND:
      return 'route_not_found';
    case HttpStatus.PAYLOAD_TOO_LARGE:
      return 'payload_too_large';
    case HttpStatus.UNSUPPORTED_MEDIA_TYPE:
      return 'unsupported_media_type';
    case HttpStatus.URI_TOO_LONG:
      return 'uri_too_long';
    case HttpStatus.UNAUTHORIZED:
      return 'unauthorized';
    case HttpStatus.TOO_MANY_REQUESTS:
      return 'rate_limited';
    case HttpStatus.SERVICE_UNAVAILABLE:
      return 'model_not_ready';
    case HttpStatus.GATEWAY_TIMEOUT:
      return 'deadline_exceeded';
    case HttpStatus.REQUEST_TIMEOUT:
      return 'request_timeout';
    default:
      return status < 500 ? 'validation_failed' : 'internal';
  }
}

/** "Bad Request", "Not Found", … from the HttpStatus enum name. */
function statusText(status: number): string {
  const name = HttpStatus[status] as string | undefined;
  if (!name) return 'Error';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}
