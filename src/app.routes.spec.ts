import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  isPredictionRequest,
  PREDICTION_ROUTE_LABEL_REGEX,
  PREDICTION_ROUTES,
  predictionRouteOf,
  ROUTES,
} from './app.routes';

const DEPLOY = path.resolve(__dirname, '../deploy');

describe('prediction routes', () => {
  it('are every translate path and V2 infer, and nothing else', () => {
    for (const p of [
      '/v1/translate',
      '/predict',
      '/v1/models/en-hi/versions/2/translate',
      '/v2/models/en-hi/infer',
      '/v2/models/en-hi/versions/2/infer',
    ]) {
      expect(isPredictionRequest({ method: 'POST', url: p })).toBe(true);
    }
    for (const p of [
      '/v1/models',
      '/v1/models/en-hi',
      '/v2/models/en-hi',
      '/health/ready',
      '/v2',
    ]) {
      expect(isPredictionRequest({ method: 'POST', url: p })).toBe(false);
    }
  });

  it('match prediction requests as Express routes them: POST only, any case, trailing slash', () => {
    expect(isPredictionRequest({ method: 'POST', url: '/V1/Translate' })).toBe(true);
    expect(isPredictionRequest({ method: 'POST', url: '/predict/?x=1' })).toBe(true);
    expect(isPredictionRequest({ method: 'POST', url: '/x', originalUrl: '/v1/translate' })).toBe(
      true,
    );
    expect(isPredictionRequest({ method: 'GET', url: '/v1/translate' })).toBe(false);
    expect(predictionRouteOf('/V2/models/en-hi/infer/')).toBe('/v2/models/:name/infer');
  });

  it('map a request path to its route pattern, the `route` label', () => {
    expect(predictionRouteOf('/v1/models/en-hi/versions/2/translate')).toBe(
      `/${ROUTES.versionTranslate}`,
    );
    expect(predictionRouteOf('/v2/models/en-hi/infer')).toBe('/v2/models/:name/infer');
    expect(predictionRouteOf('/v2/models/en-hi/versions/2/infer')).toBe(
      '/v2/models/:name/versions/:version/infer',
    );
    expect(predictionRouteOf('/v2/models/a/b/infer')).toBeUndefined();
  });

  it('are selected by the same route-label regex in the alert rules and the dashboard', () => {
    const labelRegex = new RegExp(`^(?:${PREDICTION_ROUTE_LABEL_REGEX})$`);
    for (const route of PREDICTION_ROUTES) expect(labelRegex.test(route)).toBe(true);
    expect(labelRegex.test('/v1/models/:name')).toBe(false);
    const alerts = readFileSync(path.join(DEPLOY, 'prometheus/alerts.yml'), 'utf8');
    const dashboard = readFileSync(path.join(DEPLOY, 'grafana/anuvaad-dashboard.json'), 'utf8');
    const selectors = [
      ...alerts.matchAll(/route=~"([^"]+)"/g),
      ...dashboard.matchAll(/route=~\\"([^\\]+)\\"/g),
    ].map((m) => m[1]);
    expect(selectors.length).toBeGreaterThanOrEqual(8);
    expect(new Set(selectors)).toEqual(new Set([PREDICTION_ROUTE_LABEL_REGEX]));
  });
});
