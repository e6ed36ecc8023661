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

/** The fixed prediction paths (the parameterised ones are matched by isPredictionPath). */
export const PREDICTION_PATHS: ReadonlySet<string> = new Set([
  `/${ROUTES.translate}`,
  `/${ROUTES.predict}`,
]);

/** Versioned translate and V2 infer paths: /v1/models/{name}/versions/{v}/translate, /v2/models/{name}[/versions/{v}]/infer */
const PARAMETERISED_PREDICTION_PATH =
  /^\/(?:v1\/models\/[^/]+\/versions\/[^/]+\/translate|v2\/models\/[^/]+(?:\/versions\/[^/]+)?\/infer)$/;

/** Whether a request path is a prediction (its failures count as failed predictions). */
export function isPredictionPath(path: string): boolean {
  return PREDICTION_PATHS.has(path) || PARAMETERISED_PREDICTION_PATH.test(path);
}

/**
 * The same routes as Prometheus `route` labels (controller patterns), as the alert rules and the
 * dashboard select them (app.routes.spec.ts holds those files to it).
 */
export const PREDICTION_ROUTE_LABEL_REGEX =
  '/v1/translate|/predict|/v1/models/:name/versions/:version/translate|/v2/models/:name/infer|/v2/models/:name/versions/:version/infer';
