import { HttpStatus, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ApiError } from '../api-errors';

/** The http-errors object body-parser passes to `next` (`type` says what went wrong). */
interface BodyParserError {
  type?: string;
  status?: number;
  message: string;
}

/**
 * JSON body parsing as module middleware (Nest's built-in parser is disabled in app setup) so
 * it runs after request-id/logging/metrics middleware: a malformed or oversized body is then
 * still logged, timed and answered with the request id. Parser failures become ApiErrors here,
 * while their `type` is still known.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  private readonly parse: RequestHandler;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.parse = express.json({ limit: config.http.maxBodyBytes });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    void this.parse(req, res, (err?: unknown) => next(err ? this.toApiError(err) : undefined));
  }

  toApiError(err: unknown): unknown {
    const e = err as BodyParserError;
    switch (e.type) {
      case 'entity.too.large':
        return new ApiError(
          HttpStatus.PAYLOAD_TOO_LARGE,
          'payload_too_large',
          `request body exceeds ${this.config.http.maxBodyBytes} bytes (MAX_BODY_BYTES)`,
        );
      case 'entity.parse.failed':
        return new ApiError(
          HttpStatus.BAD_REQUEST,
          'malformed_json',
          `malformed JSON in request body: ${e.message}`,
        );
      default:
        // other client-side body problems (bad charset, aborted upload) keep their 4xx status
        return typeof e.status === 'number' && e.status >= 400 && e.status < 500
          ? new ApiError(e.status, 'validation_failed', e.message)
          : err;
    }
  }
}
