import { Global, MiddlewareConsumer, Module, NestModule } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import { ROUTES } from '../app.routes';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { METRIC, MODEL_LABELS } from './metric-names';
import { MetricsSummaryController, PrometheusMetricsController } from './metrics.controller';
import { ServiceMetrics } from './service-metrics';

const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const TOKEN_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/** Prometheus registry (with default Node metrics), the service's own series, and /metrics/summary. */
@Global()
@Module({
  imports: [
    PrometheusModule.register({
      path: `/${ROUTES.metrics}`,
      controller: PrometheusMetricsController,
      defaultMetrics: { enabled: true },
    }),
  ],
  controllers: [MetricsSummaryController],
  providers: [
    makeHistogramProvider({
      name: METRIC.httpRequestDuration,
      help: 'HTTP request duration by route and status code',
      labelNames: [...MODEL_LABELS, 'method', 'route', 'status_code'],
      buckets: SECONDS_BUCKETS,
    }),
    makeGaugeProvider({
      name: METRIC.httpRequestsInFlight,
      help: 'HTTP requests being served',
      labelNames: [...MODEL_LABELS],
    }),
    makeHistogramProvider({
      name: METRIC.stageDuration,
      help: 'Time spent per inference stage (tokenize, encode, decode, detokenize) per request',
      labelNames: [...MODEL_LABELS, 'stage'],
      buckets: SECONDS_BUCKETS,
    }),
    makeHistogramProvider({
      name: METRIC.inputTokens,
      help: 'Source tokens per translated text',
      labelNames: [...MODEL_LABELS],
      buckets: TOKEN_BUCKETS,
    }),
    makeHistogramProvider({
      name: METRIC.generatedTokens,
      help: 'Generated tokens per translated text',
      labelNames: [...MODEL_LABELS],
      buckets: TOKEN_BUCKETS,
    }),
    makeCounterProvider({
      name: METRIC.translations,
      help: 'Texts translated',
      labelNames: [...MODEL_LABELS],
    }),
    makeCounterProvider({
      name: METRIC.errors,
      help: 'Error responses by reason',
      labelNames: [...MODEL_LABELS, 'reason'],
    }),
    makeGaugeProvider({
      name: METRIC.modelReady,
      help: '1 when the model is loaded, verified and warmed up, else 0',
      labelNames: [...MODEL_LABELS],
    }),
    makeGaugeProvider({
      name: METRIC.driftScore,
      help: 'Input drift score (max PSI over signals) of the live window against the training profile',
      labelNames: [...MODEL_LABELS],
    }),
    makeGaugeProvider({
      name: METRIC.driftSignal,
      help: 'Per-signal PSI of the live input window against the training profile',
      labelNames: [...MODEL_LABELS, 'signal'],
    }),
    ServiceMetrics,
    HttpMetricsMiddleware,
  ],
  exports: [ServiceMetrics],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('*');
  }
}
