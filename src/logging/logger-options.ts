import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { Params } from 'nestjs-pino';
import pino from 'pino';
import type { AppConfig } from '../config/app-config';
import { requestIdFor } from './request-id';
import { servedModelLogProps } from './served-model';

/** Probe and scrape traffic is frequent and uninteresting in logs. */
const QUIET_PATHS = /^\/(health|metrics)(\/|$|\?)/;

/**
 * nestjs-pino options: JSON lines to stdout and/or LOG_DIR/app.log; every line written while
 * serving a request carries its `request_id`.
 */
export function loggerOptions(config: AppConfig): Params {
  const { dir, level, stdout, files } = config.logging;
  const streams: pino.StreamEntry[] = [];
  if (files) {
    const file = pino.destination({ dest: path.join(dir, 'app.log'), mkdir: true, sync: false });
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
