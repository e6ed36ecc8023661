import {
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { Observable, throwError, TimeoutError } from 'rxjs';
import { catchError, timeout } from 'rxjs/operators';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ApiError } from '../api-errors';

/**
 * Answers 503 (with Retry-After) when a handler runs longer than REQUEST_TIMEOUT_MS, so a
 * client behind an overloaded instance gets a clear, retryable error instead of hanging.
 */
@Injectable()
export class TimeoutInterceptor implements NestInterceptor {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ms = this.config.http.requestTimeoutMs;
    return next.handle().pipe(
      timeout(ms),
      catchError((err: unknown) =>
        throwError(() =>
          err instanceof TimeoutError
            ? new ApiError(
                HttpStatus.SERVICE_UNAVAILABLE,
                'request_timeout',
                `request took longer than ${ms} ms (REQUEST_TIMEOUT_MS)`,
                this.config.http.retryAfterSeconds,
              )
            : err,
        ),
      ),
    );
  }
}
