import type { NestApplicationOptions } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { Duplex } from 'node:stream';
import type { AppConfig } from '../config/app-config';
import { isPredictionRequest } from '../app.routes';
import type { ErrorReason } from './api-errors';
import { requestIdFor } from '../logging/request-id';

/** Errors Node's HTTP parser reports before a request exists, and the answer each gets. */
const CLIENT_ERRORS: Record<string, [number, ErrorReason, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'header_too_large', 'request headers exceed MAX_HEADER_BYTES'],
  ERR_HTTP_REQUEST_TIMEOUT: [
    408,
    'request_timeout',
    'the request was not received in time (HEADERS_TIMEOUT_MS / RECEIVE_TIMEOUT_MS)',
  ],
};
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers a request Node could not parse (oversized headers, a client too slow to send its
 * request, broken HTTP) in the service's JSON error shape, then closes the connection. Mostly
 * nothing of the app has run: there is no request object yet. A request whose body is still
 * arriving at RECEIVE_TIMEOUT_MS has one, though: its 408 goes out through its own response, so
 * it keeps its request id and is timed, counted and logged like any other answer.
 */
export function answerClientError(
  err: NodeJS.ErrnoException,
  socket: Duplex,
  onAnswered?: RawErrorListener,
): void {
  // Node's name for the response of the request being read on this socket
  const pending = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
  const [status, reason, message] = CLIENT_ERRORS[err.code ?? ''] ?? [
    400,
    'validation_failed',
    'malformed HTTP request',
  ];
  if (pending && !pending.headersSent && err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const requestId = String(pending.getHeader('x-request-id') ?? randomUUID());
    pending.statusCode = status;
    pending.setHeader('Content-Type', 'application/json; charset=utf-8');
    pending.setHeader('Connection', 'close');
    pending.end(errorBody(status, reason, message, requestId));
    onAnswered?.({
      status,
      reason,
      message,
      requestId,
      prediction: isPredictionRequest(pending.req),
      request: pending.req,
    });
    return;
  }
  const writable =
    socket.writable && (socket as Duplex & { bytesWritten?: number }).bytesWritten === 0;
  // The client hung up halfway through a body the app is reading: no malformed request, and
  // the app's HTTP metrics count it (client_closed) when its response closes.
  const leftMidBody = pending !== undefined && err.code === 'HPE_INVALID_EOF_STATE';
  if (!writable || err.code === 'ECONNRESET' || leftMidBody) {
    socket.destroy();
    return;
  }
  const requestId = randomUUID();
  const body = errorBody(status, reason, message, requestId);
  onAnswered?.({ status, reason, message, requestId, prediction: false });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${requestId}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

function errorBody(
  status: number,
  reason: ErrorReason,
  message: string,
  requestId: string,
  problem = { field: 'request', rule: 'badRequest' },
) {
  return JSON.stringify({
    statusCode: status,
    error: STATUS_TEXT[status],
    reason,
    message,
    // as every validation_failed: what is wrong, by part of the request
    ...(reason === 'validation_failed' ? { details: [{ ...problem, message }] } : {}),
    request_id: requestId,
  });
}

/**
 * RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host. Node's own check answers with an
 * empty body and no request id (so the server turns it off); this one, mounted first with
 * app.use so that no route (the docs included) serves such a request, answers in the error shape
 * and tells `onAnswered`, as for the other errors the server answers itself.
 */
export function requireHost(onAnswered: RawErrorListener) {
  return (req: http.IncomingMessage, res: http.ServerResponse, next: () => void): void => {
    if (req.httpVersion !== '1.1' || req.headers.host !== undefined) return next();
    const requestId = requestIdFor(req, res);
    const message = 'an HTTP/1.1 request needs a Host header';
    res.statusCode = 400;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(
      errorBody(400, 'validation_failed', message, requestId, { field: 'host', rule: 'required' }),
    );
    onAnswered({
      status: 400,
      reason: 'validation_failed',
      message,
      requestId,
      prediction: isPredictionRequest(req),
      request: req,
    });
  };
}

/** Per connection, the responses of its requests that have not closed yet. */
const openResponses = new WeakMap<Duplex, Set<http.ServerResponse>>();

/**
 * Node emits 'close' on a response when its connection closes, except on a response queued behind
 * an earlier pipelined request of that connection: it never hears of it, so all that ends a request
 * on 'close' (its timing and client_closed count, the drain's in-flight set, cancellation of its
 * work, the request log) would wait forever. This passes the connection's close on to it. One
 * listener per connection, however many requests a client pipelines on it.
 */
export function relayConnectionClose(req: http.IncomingMessage, res: http.ServerResponse): void {
  const open = openResponses.get(req.socket) ?? watchConnection(req.socket);
  open.add(res);
  res.once('close', () => open.delete(res));
}

function watchConnection(socket: Duplex): Set<http.ServerResponse> {
  const open = new Set<http.ServerResponse>();
  openResponses.set(socket, open);
  socket.once('close', () => {
    // the response holding the socket hears of it from Node; the queued ones hold none
    for (const queued of [...open]) if (!queued.socket) queued.emit('close');
  });
  return open;
}

/** Told of each error the HTTP server answers itself (the app's filters never see these), to count and log it. */
export type RawErrorListener = (answer: {
  status: number;
  reason: ErrorReason;
  message: string;
  requestId: string;
  /** the request was a prediction (its 408 counts as a failed prediction) */
  prediction: boolean;
  /** the request, when the app has one (so that it is counted once) */
  request?: object;
}) => void;

/**
 * Express adapter whose Node server enforces the connection-level limits: header size
 * (MAX_HEADER_BYTES → 431), the time a client may take to send its headers (HEADERS_TIMEOUT_MS)
 * and its whole request (RECEIVE_TIMEOUT_MS) → 408, the idle keep-alive time, and the number of
 * open connections (MAX_CONNECTIONS). Slow clients holding sockets open are cut off on these
 * deadlines, checked every second or faster.
 */
export class HardenedExpressAdapter extends ExpressAdapter {
  /** set once the app's metrics and logger exist (app setup) */
  onRawError?: RawErrorListener;
  /** told of each connection closed unanswered because MAX_CONNECTIONS were open */
  onConnectionDropped?: () => void;

  constructor(private readonly limits: AppConfig['http']) {
    super();
  }

  override initHttpServer(options: NestApplicationOptions): void {
    if (options.httpsOptions) {
      super.initHttpServer(options);
      return;
    }
    const { maxHeaderBytes, headersTimeoutMs, receiveTimeoutMs, keepAliveTimeoutMs } = this.limits;
    const server = http.createServer(
      {
        maxHeaderSize: maxHeaderBytes,
        headersTimeout: headersTimeoutMs,
        requestTimeout: receiveTimeoutMs,
        connectionsCheckingInterval: Math.min(1000, Math.max(100, headersTimeoutMs / 4)),
        // Node's own answer to an HTTP/1.1 request without Host is a bare 400: requireHost
        // answers it instead, in the error shape
        requireHostHeader: false,
      },
      this.getInstance<http.RequestListener>(),
    );
    server.keepAliveTimeout = keepAliveTimeoutMs;
    server.maxConnections = this.limits.maxConnections;
    server.on('drop', () => this.onConnectionDropped?.());
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) =>
      answerClientError(err, socket, this.onRawError),
    );
    server.on('request', relayConnectionClose);
    this.setHttpServer(server);
  }
}
