import { HttpStatus, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ApiError } from '../api-errors';

/**
 * 414 for a request target (path plus query) over MAX_URL_BYTES, before any routing or parsing
 * works on it. Header size is bounded earlier, by Node's parser (MAX_HEADER_BYTES, 431).
 */
@Injectable()
export class RequestLimitsMiddleware implements NestMiddleware {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    const bytes = Buffer.byteLength(req.originalUrl ?? req.url, 'utf8');
    const max = this.config.http.maxUrlBytes;
    if (bytes > max) {
      next(
        new ApiError(
          HttpStatus.URI_TOO_LONG,
          'uri_too_long',
          `the request URL has ${bytes} bytes; at most ${max} (MAX_URL_BYTES)`,
        ),
      );
      return;
    }
    next();
  }
}
