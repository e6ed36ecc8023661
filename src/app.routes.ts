/**
 * Every route path in one place. Versioned API routes live under `v1/`; operational
 * routes (health, metrics, docs) and the seed-compatible /predict stay unversioned.
 */
export const API_VERSION = 'v1';

export const ROUTES = {
  translate: `${API_VERSION}/translate`,
  models: `${API_VERSION}/models`,
  versionTranslate: `${API_VERSION}/models/:name/versions/:version/translate`,
  adminModels: `${API_VERSION}/admin/models`,
  /** Open Inference Protocol (KServe V2) REST routes */
  v2: 'v2',
  drift: `${API_VERSION}/monitoring/drift`,
  predict: 'predict',
  health: 'health',
  metrics: 'metrics',
  docs: 'docs',
} as const;

/** Request paths whose failures count as failed predictions in /metrics/summary. */
export const PREDICTION_PATHS: ReadonlySet<string> = new Set([
  `/${ROUTES.translate}`,
  `/${ROUTES.predict}`,
]);
