import { closeSync, mkdirSync, openSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { Params } from 'nestjs-pino';
import pino from 'pino';
import { AppConfig, InvalidConfigError } from '../config/app-config';
import { requestIdFor } from './request-id';
import { servedModelLogProps } from './served-model';

/** What LOG_DIR holds: the app log and the prediction log (PredictionLogger). */
export const APP_LOG_FILE = 'app.log';
export const PREDICTIONS_LOG_FILE = 'predictions.log';
const LOG_FILES = [APP_LOG_FILE, PREDICTIONS_LOG_FILE];

/** Probe and scrape traffic is frequent and uninteresting in logs. */
const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/**
 * Creates LOG_DIR when log files are on and checks it can be written, before any logger opens a
 * file there: a read-only root filesystem or a foreign uid then gets one line naming LOG_DIR, not
 * a stack trace from inside the logger.
 */
export function prepareLogDir(config: AppConfig): void {
  const { dir, files } = config.logging;
  if (!files) return;
  try {
    mkdirSync(dir, { recursive: true });
    // the files themselves too: on a reused volume one may belong to another uid, or be a folder
    for (const file of LOG_FILES) closeSync(openSync(path.join(dir, file), 'a'));
  } catch (e) {
    throw new InvalidConfigError(
      `LOG_DIR=${JSON.stringify(dir)}: log files cannot be written there (${(e as Error).message}); make it writable, or set LOG_FILES=false to log to stdout only`,
    );
  }
}

/**
 * nestjs-pino options: JSON lines to stdout and/or LOG_DIR/app.log; every line written while
 * serving a request carries its `request_id`.
 */
export function loggerOptions(config: AppConfig): Params {
  const { dir, level, stdout, files } = config.logging;
  const streams: pino.StreamEntry[] = [];
  if (files) {
    const file = pino.destination({ dest: path.join(dir, APP_LOG_FILE), mkdir: true, sync: false });
    streams.push({ level: 'trace', stream: file });
  }
  if (stdout) streams.push({ level: 'trace', stream: process.stdout });
  return {
    pinoHttp: [
      {
        level,
        genReqId: requestIdFor,
        quietReqLogger: true,
        customAttributeKeys: { reqId: 'request_id' },
        // the model version that served the request, on its "request completed" line
        customProps: (_req: IncomingMessage, res: ServerResponse) => servedModelLogProps(res),
        autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(req.url ?? '') },
        // credentials a client or proxy may send, in whatever header: never in a log line
        redact: [
          'req.headers.authorization',
          'req.headers["proxy-authorization"]',
          'req.headers["x-api-key"]',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
        ],
        timestamp: pino.stdTimeFunctions.isoTime,
      },
      pino.multistream(streams),
    ],
  };
}
