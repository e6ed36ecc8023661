import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter, Gauge, Histogram } from 'prom-client';
import { ErrorReason } from '../common/api-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { StageTimings } from '../inference/translator';
import { METRIC } from './metric-names';
import { LatencySummary, SlidingWindow, summarize } from './sliding-window';

const UNRESOLVED = 'unresolved';

export type ModelLabels = Record<'model_name' | 'model_version', string>;

/** Reasons answered with a 5xx: the service's fault or its capacity, not the client's request. */
const SERVER_ERROR_REASONS: ReadonlySet<ErrorReason> = new Set<ErrorReason>([
  'inference_failed',
  'internal',
  'deadline_exceeded',
  'queue_full',
  'model_not_ready',
  'shutting_down',
  'health_check_failed',
]);

export interface MetricsSummary {
  predictions: number;
  errors: number;
  error_rate: number;
  server_errors: number;
  server_error_rate: number;
  uptime_seconds: number;
  latency_ms: LatencySummary;
}

/**
 * One place that records everything: Prometheus series for scraping, plus the in-process
 * counters and latency window behind /metrics/summary.
 */
@Injectable()
export class ServiceMetrics {
  private labels: ModelLabels;
  private readonly startedAt = Date.now();
  private readonly latencies: SlidingWindow;
  private predictions = 0;
  private predictionErrors = 0;
  private predictionServerErrors = 0;
  /** drift signals exported so far, to remove when the window is too small to score */
  private readonly driftSignals = new Set<string>();
  /** Requests whose error is counted already (see recordError). */
  private readonly countedRequests = new WeakSet<object>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @InjectMetric(METRIC.httpRequestDuration) private readonly httpDuration: Histogram<string>,
    @InjectMetric(METRIC.httpRequestsInFlight) private readonly inFlight: Gauge<string>,
    @InjectMetric(METRIC.stageDuration) private readonly stageDuration: Histogram<string>,
    @InjectMetric(METRIC.inputTokens) private readonly inputTokens: Histogram<string>,
    @InjectMetric(METRIC.generatedTokens) private readonly generatedTokens: Histogram<string>,
    @InjectMetric(METRIC.translations) private readonly translations: Counter<string>,
    @InjectMetric(METRIC.errors) private readonly errors: Counter<string>,
    @InjectMetric(METRIC.modelReady) private readonly modelReady: Gauge<string>,
    @InjectMetric(METRIC.driftScore) private readonly driftScore: Gauge<string>,
    @InjectMetric(METRIC.driftSignal) private readonly driftSignal: Gauge<string>,
    @InjectMetric(METRIC.batchQueueLength) private readonly queueLength: Gauge<string>,
    @InjectMetric(METRIC.batchQueueWait) private readonly queueWait: Histogram<string>,
    @InjectMetric(METRIC.batchSize) private readonly batchSize: Histogram<string>,
    @InjectMetric(METRIC.decoderSteps) private readonly decoderSteps: Counter<string>,
    @InjectMetric(METRIC.generatedTokensTotal) private readonly tokensTotal: Counter<string>,
    @InjectMetric(METRIC.cacheHits) private readonly cacheHits: Counter<string>,
    @InjectMetric(METRIC.cacheMisses) private readonly cacheMisses: Counter<string>,
    @InjectMetric(METRIC.modelVersionState) private readonly versionState: Gauge<string>,
    @InjectMetric(METRIC.modelLoadFailures) private readonly loadFailures: Counter<string>,
  ) {
    this.labels = { model_name: config.model.name, model_version: UNRESOLVED };
    this.latencies = new SlidingWindow(config.metrics.windowSize);
    this.modelReady.set(this.labels, 0);
  }

  /**
   * Moves the service-wide labels (HTTP, errors, queue) to the default model's default
   * version once it is known; per-request series carry the version that served them.
   */
  setModel(name: string, version: string): void {
    if (this.labels.model_version === UNRESOLVED) this.modelReady.remove(this.labels);
    this.queueLength.remove(this.labels);
    // The drift window starts over with the new version: the old score must not keep alerting.
    // Drift is only ever exported under the current labels, so dropping every series is exact.
    this.driftScore.reset();
    this.driftSignal.reset();
    this.labels = { model_name: name, model_version: version };
    this.queueLength.set(this.labels, 0);
  }

  setModelReady(ready: boolean, labels: ModelLabels = this.labels): void {
    this.modelReady.set(labels, ready ? 1 : 0);
  }

  removeModelReady(labels: ModelLabels): void {
    this.modelReady.remove(labels);
  }

  /** A loaded version's state (model_ready and the per-state gauge); undefined removes it. */
  setVersionState(labels: ModelLabels, state: string | undefined, states: readonly string[]): void {
    for (const s of states) {
      if (state === undefined) this.versionState.remove({ ...labels, state: s });
      else this.versionState.set({ ...labels, state: s }, s === state ? 1 : 0);
    }
    if (state === undefined) this.modelReady.remove(labels);
    else this.setModelReady(state === 'ready', labels);
  }

  recordLoadFailure(labels: ModelLabels, reason: string): void {
    this.loadFailures.inc({ ...labels, reason });
  }

  /** Returns a function that ends the request's in-flight span and observes its duration. */
  startHttpRequest(method: string): (route: string, statusCode: number) => void {
    const labels = this.labels;
    this.inFlight.inc(labels);
    const end = this.httpDuration.startTimer({ ...labels, method });
    return (route, statusCode) => {
      this.inFlight.dec(labels);
      end({ route, status_code: String(statusCode) });
    };
  }

  recordTranslation(args: {
    latencyMs: number;
    timings: StageTimings;
    inputTokens: number[];
    generatedTokens: number[];
    /** the version that served the request; the default labels otherwise */
    labels?: ModelLabels;
  }): void {
    const { timings } = args;
    const labels = args.labels ?? this.labels;
    const stages: [string, number][] = [
      ['tokenize', timings.tokenizeMs],
      ['encode', timings.encodeMs],
      ['decode', timings.decodeMs],
      ['detokenize', timings.detokenizeMs],
    ];
    for (const [stage, ms] of stages) this.stageDuration.observe({ ...labels, stage }, ms / 1000);
    args.inputTokens.forEach((n) => this.inputTokens.observe(labels, n));
    args.generatedTokens.forEach((n) => this.generatedTokens.observe(labels, n));
    this.translations.inc(labels, args.inputTokens.length);
    this.predictions++;
    this.latencies.push(args.latencyMs);
  }

  setQueueLength(sentences: number): void {
    this.queueLength.set(this.labels, sentences);
  }

  observeQueueWait(seconds: number, labels: ModelLabels = this.labels): void {
    this.queueWait.observe(labels, seconds);
  }

  observeBatchSize(sentences: number, labels: ModelLabels = this.labels): void {
    this.batchSize.observe(labels, sentences);
  }

  /** One finished decoder batch: forward passes run and tokens generated. */
  recordDecoding(steps: number, generatedTokens: number, labels: ModelLabels = this.labels): void {
    this.decoderSteps.inc(labels, steps);
    this.tokensTotal.inc(labels, generatedTokens);
  }

  recordCacheLookups(hits: number, misses: number, labels: ModelLabels = this.labels): void {
    if (hits > 0) this.cacheHits.inc(labels, hits);
    if (misses > 0) this.cacheMisses.inc(labels, misses);
  }

  /**
   * Counts an error response; `prediction` marks failures of the translate endpoints. With the
   * `request`, each request counts once, under the first reason seen: a client that left is seen
   * on its connection's close (`recordClientGone`), before the cancellation error reaches a
   * filter, while an error answer the client then leaves during was counted when it was sent.
   */
  recordError(reason: ErrorReason, prediction: boolean, request?: object): void {
    if (request) {
      if (this.countedRequests.has(request)) return;
      this.countedRequests.add(request);
    }
    this.errors.inc({ ...this.labels, reason });
    // a client that left ended the request itself: not a failed prediction in the summary
    // (one whose work finished counts there as a prediction)
    if (prediction && reason !== 'client_closed') {
      this.predictionErrors++;
      if (SERVER_ERROR_REASONS.has(reason)) this.predictionServerErrors++;
    }
  }

  /** A connection that closed before the request's answer went out (timed as a 499). */
  recordClientGone(request: object): void {
    this.recordError('client_closed', false, request);
  }

  setDrift(score: number | null, signals: Record<string, number>): void {
    if (score === null) {
      this.driftScore.remove(this.labels);
      // a window too small to score: its signals go too, not last window's values
      for (const signal of this.driftSignals) this.driftSignal.remove({ ...this.labels, signal });
    } else {
      this.driftScore.set(this.labels, score);
    }
    for (const [signal, value] of Object.entries(signals)) {
      this.driftSignals.add(signal);
      this.driftSignal.set({ ...this.labels, signal }, value);
    }
  }

  summary(): MetricsSummary {
    const total = this.predictions + this.predictionErrors;
    const rate = (n: number) => (total === 0 ? 0 : Math.round((n / total) * 1e6) / 1e6);
    return {
      predictions: this.predictions,
      errors: this.predictionErrors,
      error_rate: rate(this.predictionErrors),
      server_errors: this.predictionServerErrors,
      server_error_rate: rate(this.predictionServerErrors),
      uptime_seconds: Math.round((Date.now() - this.startedAt) / 10) / 100,
      latency_ms: summarize(this.latencies),
    };
  }
}
