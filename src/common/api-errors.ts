import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * Why a request failed, as counted in the errors metric and shown to clients.
 * Stable strings: dashboards and alerts key on them (and the OpenAPI document lists them all).
 */
export const ERROR_REASONS = [
  'validation_failed',
  'malformed_json',
  'payload_too_large',
  'unsupported_media_type',
  'uri_too_long',
  'header_too_large',
  'unauthorized',
  'rate_limited',
  'shutting_down',
  'input_limit_exceeded',
  'model_not_found',
  'model_not_ready',
  'health_check_failed',
  'route_not_found',
  'inference_failed',
  'request_timeout',
  'deadline_exceeded',
  'queue_full',
  'client_closed',
  'model_load_failed',
  'admin_disabled',
  'internal',
] as const;

export type ErrorReason = (typeof ERROR_REASONS)[number];

export interface FieldProblem {
  field: string;
  rule: string;
  message: string;
}

/** An HTTP error that carries its reason and, for 429s and 503s, a Retry-After hint. */
export class ApiError extends HttpException {
  constructor(
    status: HttpStatus,
    readonly reason: ErrorReason,
    message: string,
    readonly retryAfterSeconds?: number,
    /** per-field problems, for validation errors */
    readonly details?: FieldProblem[],
    /** the underlying error, logged with its stack but never sent to the client */
    cause?: unknown,
  ) {
    super(message, status, cause === undefined ? undefined : { cause });
  }
}

export const modelNotFound = (message: string) =>
  new ApiError(HttpStatus.NOT_FOUND, 'model_not_found', message);

export const modelNotReady = (message: string, retryAfterSeconds: number) =>
  new ApiError(HttpStatus.SERVICE_UNAVAILABLE, 'model_not_ready', message, retryAfterSeconds);

export const inputLimitExceeded = (message: string) =>
  new ApiError(HttpStatus.BAD_REQUEST, 'input_limit_exceeded', message);

export const validationFailed = (details: FieldProblem[]) =>
  new ApiError(
    HttpStatus.BAD_REQUEST,
    'validation_failed',
    details.map((d) => d.message).join('; '),
    undefined,
    details,
  );
