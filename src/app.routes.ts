/**
 * Every route path in one place. Versioned API routes live under `v1/`; operational
 * routes (health, metrics, docs) and the seed-compatible /predict stay unversioned; the Open
 * Inference Protocol (KServe V2) routes live under `v2/`.
 */
export const API_VERSION = 'v1';

/** The V2 routes, relative to `v2/` (the V2 controller's prefix). */
export const V2_ROUTES = {
  health: 'health',
  model: 'models/:name',
  version: 'models/:name/versions/:version',
  modelInfer: 'models/:name/infer',
  versionInfer: 'models/:name/versions/:version/infer',
} as const;

export const ROUTES = {
  translate: `${API_VERSION}/translate`,
  models: `${API_VERSION}/models`,
  versionTranslate: `${API_VERSION}/models/:name/versions/:version/translate`,
  adminModels: `${API_VERSION}/admin/models`,
  /** Open Inference Protocol (KServe V2) REST routes: V2_ROUTES below this */
  v2: 'v2',
  drift: `${API_VERSION}/monitoring/drift`,
  predict: 'predict',
  health: 'health',
  metrics: 'metrics',
  docs: 'docs',
} as const;

/**
 * The routes whose requests are predictions, as `route` labels: the controller pattern with a
 * leading slash, as the HTTP metrics, the prediction log's `endpoint`, the alert rules and the
 * dashboard name them.
 */
export const PREDICTION_ROUTES: readonly string[] = [
  ROUTES.translate,
  ROUTES.predict,
  ROUTES.versionTranslate,
  `${ROUTES.v2}/${V2_ROUTES.modelInfer}`,
  `${ROUTES.v2}/${V2_ROUTES.versionInfer}`,
].map((route) => `/${route}`);

/**
 * A route pattern as a matcher of request paths, as Express routes them: each `:param` is one
 * path segment, letter case is ignored and a trailing slash is allowed.
 */
const PREDICTION_MATCHERS = PREDICTION_ROUTES.map((route) => ({
  route,
  pattern: new RegExp(`^${route.replace(/:[^/]+/g, '[^/]+')}/?$`, 'i'),
}));

/** The prediction route a request path belongs to, e.g. /v2/models/:name/infer; else undefined. */
export function predictionRouteOf(path: string): string | undefined {
  return PREDICTION_MATCHERS.find((m) => m.pattern.test(path))?.route;
}

/** A request's path as the client sent it (a mounted middleware sees a shortened req.path). */
export function requestPath(req: { originalUrl?: string; url?: string }): string {
  return (req.originalUrl ?? req.url ?? '').split('?')[0];
}

/** Whether a request is a prediction (its failures count as failed predictions): a POST to one. */
export function isPredictionRequest(req: {
  method?: string;
  originalUrl?: string;
  url?: string;
}): boolean {
  return req.method === 'POST' && predictionRouteOf(requestPath(req)) !== undefined;
}

/** The prediction routes as one Prometheus label regex (app.routes.spec.ts holds deploy/ to it). */
export const PREDICTION_ROUTE_LABEL_REGEX = PREDICTION_ROUTES.join('|');

/** Whether a request path is under the Open Inference Protocol routes (whose errors are `{"error"}`). */
export function isOpenInferencePath(path: string): boolean {
  return path === `/${ROUTES.v2}` || path.startsWith(`/${ROUTES.v2}/`);
}
