import {
  CallHandler,
  ExecutionContext,
  HttpStatus,
  Inject,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { Observable, throwError, TimeoutError } from 'rxjs';
import { catchError, timeout } from 'rxjs/operators';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ApiError } from '../api-errors';
import { routeAccess } from '../guards/route-access';
import { msSinceArrival, requestAbortController } from '../request-abort';

/** nginx's "client closed request": only logs and metrics see it, the client is gone. */
export const CLIENT_CLOSED_STATUS = 499 as HttpStatus;

/**
 * Gives every request a deadline (REQUEST_TIMEOUT_MS from its arrival, so time spent uploading
 * the body counts: no request outlives it, which the shutdown drain relies on) and a
 * cancellation signal. Past the
 * deadline the client gets 504 `deadline_exceeded` and the signal aborts, so the request's
 * queued sentences leave the queue and its decoding stops at the next decoder step instead of
 * running on for nobody. A client that disconnects before its answer aborts the signal too.
 */
@Injectable()
export class TimeoutInterceptor implements NestInterceptor {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const ms = this.config.http.requestTimeoutMs;
    const controller = this.attach(context);
    const elapsed =
      context.getType() === 'http'
        ? msSinceArrival(context.switchToHttp().getRequest<Request>())
        : 0;
    return next.handle().pipe(
      timeout(Math.max(1, ms - elapsed)),
      catchError((err: unknown) => {
        if (!(err instanceof TimeoutError)) return throwError(() => err);
        // an admin load or unload is the registry's work, not the request's: it is not cancelled
        const outcome =
          routeAccess(this.reflector, context) === 'admin'
            ? 'the load or unload it asked for goes on: GET /v1/models/{name} shows the outcome'
            : 'its work was cancelled';
        const error = new ApiError(
          HttpStatus.GATEWAY_TIMEOUT,
          'deadline_exceeded',
          `request took longer than ${ms} ms (REQUEST_TIMEOUT_MS); ${outcome}`,
        );
        controller?.abort(error);
        return throwError(() => error);
      }),
    );
  }

  private attach(context: ExecutionContext): AbortController | undefined {
    if (context.getType() !== 'http') return undefined;
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const controller = requestAbortController(req);
    // 'close' on the response before it finished means the connection went away: cancel.
    // (req 'close' is no use here: Node emits it as soon as the body has been read.)
    const cancelIfGone = () => {
      if (!res.writableFinished && !controller.signal.aborted) {
        controller.abort(
          new ApiError(
            CLIENT_CLOSED_STATUS,
            'client_closed',
            'the client closed the connection before the answer was ready',
          ),
        );
      }
    };
    // A client can leave between the request's arrival and this point; 'close' has then been
    // emitted already and would never reach a listener added now.
    if (res.closed || req.socket?.destroyed) cancelIfGone();
    else res.once('close', cancelIfGone);
    return controller;
  }
}
