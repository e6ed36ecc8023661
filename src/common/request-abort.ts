/**
 * One AbortController per HTTP request, created by the TimeoutInterceptor and aborted when the
 * deadline passes or the client goes away; handlers hand its signal down to the decoder loop.
 * A WeakMap keeps it off the Express request object's type and lets it die with the request.
 */
const controllers = new WeakMap<object, AbortController>();

export function requestAbortController(req: object): AbortController {
  let controller = controllers.get(req);
  if (!controller) {
    controller = new AbortController();
    controllers.set(req, controller);
  }
  return controller;
}
