import { HttpStatus, Inject, Injectable, NestMiddleware } from '@nestjs/common';
import express, { NextFunction, Request, RequestHandler, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ApiError, validationFailed } from '../api-errors';
import { jsonKind } from '../json-kind';

/** Deepest nesting of arrays and objects a body may have; no request of the API needs more than 3. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether JSON text nests arrays/objects deeper than `max`, found by scanning the bytes (so
 * a hostile body never reaches a recursive parser or validator). Brackets inside strings do not
 * count.
 */
export function jsonDepthExceeds(buf: Buffer, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** A request that carries body bytes (an empty Content-Length: 0 body does not count). */
const hasBody = (req: Request): boolean =>
  req.headers['transfer-encoding'] !== undefined ||
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');

class TooDeepError extends Error {
  readonly type = 'entity.too.deep';
  readonly status = 400;
}

/**
 * Every POST route takes a JSON object: valid JSON of another kind is a 400 that says so.
 */
function notAnObject(req: Request): ApiError | undefined {
  const body: unknown = req.body;
  // undefined: no body, or not one this parser reads
  if (body === undefined || jsonKind(body) === 'an object') {
    return undefined;
  }
  const message = `the request body must be a JSON object, not ${jsonKind(body)}`;
  return validationFailed([{ field: 'body', rule: 'isObject', message }]);
}

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
    this.parse = express.json({
      limit: config.http.maxBodyBytes,
      // any JSON value parses, so that valid JSON of the wrong kind ("Hello", 42, null, [...]) is
      // told apart from broken JSON below
      strict: false,
      // also the JSON-flavoured types (application/merge-patch+json…), nothing else
      type: ['application/json', 'application/*+json'],
      verify: (_req, _res, buf) => {
        if (jsonDepthExceeds(buf, MAX_JSON_DEPTH)) {
          throw new TooDeepError(`JSON body nests deeper than ${MAX_JSON_DEPTH} levels`);
        }
      },
    });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    // Only POST routes take a body; a probe's or a scraper's GET is answered whatever it sends
    // (Node discards the unread bytes).
    if (req.method !== 'POST') return next();
    // A body of another type would otherwise be ignored and fail validation with a confusing
    // "text must be…" message: name the real problem.
    if (hasBody(req) && !req.is(['application/json', 'application/*+json'])) {
      const type = req.headers['content-type'];
      next(
        new ApiError(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          'unsupported_media_type',
          `request body must be JSON (Content-Type: application/json), not ${type ? JSON.stringify(type.slice(0, 100)) : 'untyped'}`,
        ),
      );
      return;
    }
    void this.parse(req, res, (err?: unknown) => {
      // A body cut off at RECEIVE_TIMEOUT_MS was answered (408), counted and logged by the
      // HTTP server already: its abort is not a second error. An upload the client abandoned
      // has nobody to answer; the HTTP metrics count it as client_closed when the connection closes.
      if (err && (res.headersSent || (err as BodyParserError).type === 'request.aborted')) return;
      next(err ? this.toApiError(err, req.headers['content-encoding']) : notAnObject(req));
    });
  }

  toApiError(err: unknown, contentEncoding?: string): unknown {
    const e = err as BodyParserError;
    switch (e.type) {
      case 'entity.too.large':
        return new ApiError(
          HttpStatus.PAYLOAD_TOO_LARGE,
          'payload_too_large',
          `request body exceeds ${this.config.http.maxBodyBytes} bytes (MAX_BODY_BYTES)`,
        );
      case 'entity.too.deep':
        return new ApiError(HttpStatus.BAD_REQUEST, 'malformed_json', e.message);
      case 'entity.parse.failed':
        return new ApiError(
          HttpStatus.BAD_REQUEST,
          'malformed_json',
          `malformed JSON in request body: ${e.message}`,
        );
      default:
        // other client-side body problems (bad charset or content encoding, aborted upload)
        // keep their 4xx status
        if (typeof e.status !== 'number' || e.status < 400 || e.status >= 500) return err;
        if (e.status === Number(HttpStatus.UNSUPPORTED_MEDIA_TYPE)) {
          return new ApiError(e.status, 'unsupported_media_type', e.message);
        }
        // zlib's own words ("incorrect header check") say nothing of where the problem is
        return validationFailed([
          {
            field: 'body',
            rule: e.type ?? 'contentEncoding',
            message:
              e.type === undefined && contentEncoding
                ? `request body could not be decompressed (Content-Encoding: ${contentEncoding}): ${e.message}`
                : e.message,
          },
        ]);
    }
  }
}
