import { performance } from 'node:perf_hooks';

/**
 * One AbortController per HTTP request, created by the TimeoutInterceptor and aborted when the
 * deadline passes or the client goes away; handlers hand its signal down to the decoder loop.
 * A WeakMap keeps it off the Express request object's type and lets it die with the request.
 */
const controllers = new WeakMap<object, AbortController>();
/** performance.now() when each request's headers were read */
const arrivals = new WeakMap<object, number>();

/** Notes when a request arrived, once: its deadline counts from then, body upload included. */
export function markArrival(req: object): void {
  if (!arrivals.has(req)) arrivals.set(req, performance.now());
}

/** Milliseconds since the request arrived (0 when its arrival was not noted). */
export function msSinceArrival(req: object): number {
  const at = arrivals.get(req);
  return at === undefined ? 0 : performance.now() - at;
}

export function requestAbortController(req: object): AbortController {
  let controller = controllers.get(req);
  if (!controller) {
    controller = new AbortController();
    controllers.set(req, controller);
  }
  return controller;
}
