import { HttpStatus, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ApiError, validationFailed } from '../api-errors';

/** Requests whose path does not percent-decode, with the path as the client sent it. */
const undecodablePaths = new WeakMap<Request, string>();

/**
 * Express decodes path parameters while matching a pattern, and on a path such as /v1/models/%ZZ
 * it skips every middleware mounted on one (logging, metrics, the drain) and fails. Mounted with
 * app.use (no pattern) ahead of them all, this escapes each '%' of such a path so that it routes,
 * and RequestLimitsMiddleware answers it with 400 once it is logged and timed.
 */
export function escapeUndecodablePath(req: Request, _res: Response, next: NextFunction): void {
  const queryAt = req.url.indexOf('?');
  const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
  try {
    decodeURIComponent(path);
  } catch {
    undecodablePaths.set(req, path);
    req.url = path.replaceAll('%', '%25') + (queryAt === -1 ? '' : req.url.slice(queryAt));
  }
  next();
}

/**
 * 414 for a request target (path plus query) over MAX_URL_BYTES, and 400 for a path that does not
 * percent-decode, before any routing or parsing works on it. Header size is bounded earlier, by Node's parser (MAX_HEADER_BYTES, 431).
 */
@Injectable()
export class RequestLimitsMiddleware implements NestMiddleware {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    const undecodable = undecodablePaths.get(req);
    if (undecodable !== undefined) {
      const message = `the request path ${JSON.stringify(undecodable.slice(0, 200))} does not percent-decode (a "%" must start a valid UTF-8 escape such as %20)`;
      next(validationFailed([{ field: 'path', rule: 'uriEncoding', message }]));
      return;
    }
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
