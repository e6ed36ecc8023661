import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Test } from '@nestjs/testing';
import { register } from 'prom-client';
import { loadAppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { METRIC } from './metric-names';
import { MetricsModule } from './metrics.module';
import { ServiceMetrics } from './service-metrics';

describe('ServiceMetrics', () => {
  let metrics: ServiceMetrics;

  // a fresh registry and module per test: no test reads another's counters or default version
  beforeEach(async () => {
    register.clear();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot(loadAppConfig({ MODEL_NAME: 'm', METRICS_WINDOW_SIZE: '10' })),
        MetricsModule,
      ],
    }).compile();
    metrics = moduleRef.get(ServiceMetrics);
  });
  /** the model's version known, as after a load */
  const loaded = () => metrics.setModel('m', '3');

  const series = (name: string) => register.getSingleMetricAsString(name);

  it('labels series with the model, moving to the version once it is known', async () => {
    expect(await series(METRIC.modelReady)).toContain(
      'anuvaad_model_ready{model_name="m",model_version="unresolved"} 0',
    );
    metrics.setModel('m', '3');
    metrics.setModelReady(true);
    const ready = await series(METRIC.modelReady);
    expect(ready).toContain('anuvaad_model_ready{model_name="m",model_version="3"} 1');
    expect(ready).not.toContain('unresolved');
  });

  it('records a translation in every per-request series and the summary window', async () => {
    loaded();
    metrics.recordTranslation({
      latencyMs: 12,
      timings: { tokenizeMs: 1, encodeMs: 2, decodeMs: 8, detokenizeMs: 1 },
      inputTokens: [5, 7],
      generatedTokens: [4, 6],
    });
    expect(await series(METRIC.translations)).toContain(
      'anuvaad_translations_total{model_name="m",model_version="3"} 2',
    );
    expect(await series(METRIC.stageDuration)).toContain(
      'anuvaad_inference_stage_duration_seconds_sum{model_name="m",model_version="3",stage="decode"} 0.008',
    );
    expect(await series(METRIC.inputTokens)).toContain(
      'anuvaad_input_tokens_per_text_sum{model_name="m",model_version="3"} 12',
    );
    expect(metrics.summary()).toMatchObject({ predictions: 1, errors: 0, error_rate: 0 });
  });

  it('counts errors by reason; only prediction errors enter the summary', async () => {
    loaded();
    metrics.recordTranslation({
      latencyMs: 12,
      timings: { tokenizeMs: 1, encodeMs: 2, decodeMs: 8, detokenizeMs: 1 },
      inputTokens: [5],
      generatedTokens: [4],
    });
    metrics.recordError('validation_failed', true);
    metrics.recordError('route_not_found', false);
    const errors = await series(METRIC.errors);
    expect(errors).toContain('reason="validation_failed"} 1');
    expect(errors).toContain('reason="route_not_found"} 1');
    expect(metrics.summary()).toMatchObject({ predictions: 1, errors: 1, error_rate: 0.5 });
    // a client's bad request is an error, not a server error: those are the 5xx reasons
    expect(metrics.summary()).toMatchObject({ server_errors: 0, server_error_rate: 0 });
    metrics.recordError('inference_failed', true);
    metrics.recordError('deadline_exceeded', true);
    metrics.recordError('internal', false); // not a prediction route
    expect(metrics.summary()).toMatchObject({
      errors: 3,
      server_errors: 2,
      server_error_rate: 0.5,
    });
  });

  it('drops the drift signals with the score when the window is too small to score', async () => {
    metrics.setDrift(0.05, { token_length_psi: 0.05, non_latin_share_psi: 0.01 });
    expect(await series(METRIC.driftSignal)).toContain('signal="token_length_psi"} 0.05');
    metrics.setDrift(null, {});
    expect(await series(METRIC.driftSignal)).not.toContain('signal=');
    expect(await series(METRIC.driftScore)).not.toMatch(/anuvaad_drift_score\{/);
  });

  it('counts each request once, under the first reason seen', async () => {
    const count = async (reason: string) =>
      Number(new RegExp(`reason="${reason}"} (\\d+)`).exec(await series(METRIC.errors))?.[1] ?? 0);
    const before = { ...metrics.summary(), closed: await count('client_closed') };
    const cancelled = {}; // the client left: its close comes before the cancellation error
    metrics.recordClientGone(cancelled);
    metrics.recordError('client_closed', true, cancelled);
    const refused = {}; // a 400 the client left during
    metrics.recordError('validation_failed', true, refused);
    metrics.recordClientGone(refused);
    expect(await count('client_closed')).toBe(before.closed + 1);
    // the client ended the first one: not a failed prediction in the summary; the 400 is one
    expect(metrics.summary()).toMatchObject({
      predictions: before.predictions,
      errors: before.errors + 1,
    });
  });

  it('tracks in-flight requests and their duration by route and status', async () => {
    loaded();
    const end = metrics.startHttpRequest('POST');
    expect(await series(METRIC.httpRequestsInFlight)).toContain('} 1');
    end('/v1/translate', 200);
    expect(await series(METRIC.httpRequestsInFlight)).toContain('} 0');
    expect(await series(METRIC.httpRequestDuration)).toContain(
      'anuvaad_http_request_duration_seconds_count{model_name="m",model_version="3",method="POST",route="/v1/translate",status_code="200"} 1',
    );
  });

  it('sets and clears the drift score', async () => {
    loaded();
    metrics.setDrift(0.4, { token_length_psi: 0.4 });
    expect(await series(METRIC.driftScore)).toContain(
      'anuvaad_drift_score{model_name="m",model_version="3"} 0.4',
    );
    expect(await series(METRIC.driftSignal)).toContain('signal="token_length_psi"} 0.4');
    metrics.setDrift(null, {});
    expect(await series(METRIC.driftScore)).not.toContain('model_version="3"}');
  });

  it("drops the previous default version's drift series when the default version changes", async () => {
    metrics.setModel('m', '3');
    metrics.setDrift(5.7, { token_length_psi: 5.7 });
    expect(await series(METRIC.driftScore)).toContain('model_version="3"} 5.7');
    metrics.setModel('m', '4');
    expect(await series(METRIC.driftScore)).not.toContain('model_version="3"');
    expect(await series(METRIC.driftSignal)).not.toContain('model_version="3"');
  });

  it('has a latency bucket edge at each latency alert threshold (no interpolation across it)', async () => {
    const rules = readFileSync(path.join(__dirname, '../../deploy/prometheus/alerts.yml'), 'utf8');
    const thresholds = Array.from(
      rules.matchAll(/latency_seconds:p\d+_5m > ([\d.]+)/g),
      (m) => m[1],
    );
    expect(thresholds.length).toBeGreaterThanOrEqual(2);
    metrics.startHttpRequest('POST')('/v1/translate', 200);
    const text = await series(METRIC.httpRequestDuration);
    for (const threshold of thresholds) expect(text).toContain(`le="${threshold}"`);
  });
});
