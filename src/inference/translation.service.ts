import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { ApiError, inputLimitExceeded, validationFailed } from '../common/api-errors';
import { hasUnpairedSurrogate } from '../common/well-formed-text';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { PredictionLogger } from '../logging/prediction-logger.service';
import { ServiceMetrics } from '../metrics/service-metrics';
import { ModelRuntimeHealth } from '../model/model-runtime-health';
import { LoadedModel, ModelService } from '../model/model.service';
import { DriftService } from '../monitoring/drift.service';
import { nonLatinShare } from '../monitoring/text-features';
import { BatchScheduler } from './batch-scheduler';
import { resolveGenerateOptions, servedDefaultMaxNewTokens } from './generation-settings';
import { SplitText, splitSentences } from './sentence-splitter';
import { TranslationCache } from './translation-cache';

export interface TranslationRequest {
  texts: string[];
  beamSize?: number;
  maxNewTokens?: number;
  model?: string;
  version?: string;
  /** how the client's request names its texts, for limit messages (default: a `text` list) */
  naming?: TextsNaming;
}

/** The words a limit message uses for the texts, in the shape the client sent them. */
export interface TextsNaming {
  /** all of them, e.g. `text` */
  all: string;
  /** what there are more of than allowed, e.g. `items` */
  unit: string;
  /** one of them, e.g. `text[2]` */
  one: (index: number) => string;
}

/** `"text": [...]` of /v1/translate. */
export const TEXT_LIST: TextsNaming = { all: 'text', unit: 'items', one: (i) => `text[${i}]` };
/** `"text": "..."` of /predict and of /v1/translate with one string. */
export const SINGLE_TEXT: TextsNaming = { all: 'text', unit: 'items', one: () => 'text' };

export interface TranslationOutcome {
  translations: string[];
  /** per text: the source was cut to the model's length, or the output to max_new_tokens */
  truncated: boolean[];
  model: { name: string; version: string };
  latencyMs: number;
}

/** HTTP-facing translation: limits, model lookup, the translator, then metrics, drift and logs. */
@Injectable()
export class TranslationService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly models: ModelService,
    private readonly metrics: ServiceMetrics,
    private readonly drift: DriftService,
    private readonly predictions: PredictionLogger,
    private readonly scheduler: BatchScheduler,
    private readonly cache: TranslationCache,
    private readonly runtimeHealth: ModelRuntimeHealth,
  ) {}

  async translate(
    request: TranslationRequest,
    context: { requestId: string; endpoint: string; signal?: AbortSignal },
  ): Promise<TranslationOutcome> {
    const started = performance.now();
    const sentences = this.checkLimits(request);
    // The lease keeps this version's sessions alive until the request is done, even if the
    // version is unloaded or replaced meanwhile.
    const lease = this.models.acquire(request.model, request.version);
    try {
      return await this.translateOn(lease.model, request, sentences, context, started);
    } finally {
      lease.release();
    }
  }

  private async translateOn(
    model: LoadedModel,
    request: TranslationRequest,
    sentences: SplitText[],
    context: { requestId: string; endpoint: string; signal?: AbortSignal },
    started: number,
  ): Promise<TranslationOutcome> {
    const { translator } = model;
    const labels = { model_name: model.name, model_version: model.version };
    const { maxNewTokensLimit } = translator.settings;
    if (request.maxNewTokens !== undefined && request.maxNewTokens > maxNewTokensLimit) {
      throw inputLimitExceeded(
        `max_new_tokens is ${request.maxNewTokens}; model ${model.name} version ${model.version} generates at most ${maxNewTokensLimit} tokens (its position table)`,
      );
    }
    const requested = {
      beamSize: request.beamSize,
      maxNewTokens:
        request.maxNewTokens ??
        servedDefaultMaxNewTokens(translator.settings, this.config.limits.maxNewTokens),
    };
    const generate = resolveGenerateOptions(translator.settings, requested);
    const options = {
      ...requested,
      // All sentences go to the scheduler at once; it forms batches of MAX_BATCH_SIZE, mixing
      // in other requests' sentences.
      batchSize: Number.MAX_SAFE_INTEGER,
      decode: (batch: number[][], resolved: typeof generate) =>
        this.scheduler.submit(translator.generator, batch, resolved, context.signal, labels),
      cache: this.cache.scope(model, generate),
    };
    let outcome;
    try {
      outcome = await translator.translateSplitTexts(sentences, options);
    } catch (e) {
      // queue_full, deadline_exceeded and client_closed come as ApiErrors (the abort reasons).
      if (e instanceof ApiError) throw e;
      if (context.signal?.aborted) throw context.signal.reason;
      this.runtimeHealth.recordFailure(model, e);
      // The runtime's message stays in the log (with the request id): it can quote internals.
      throw new ApiError(
        HttpStatus.INTERNAL_SERVER_ERROR,
        'inference_failed',
        `inference failed for this request (request id ${context.requestId}); the error is logged`,
        undefined,
        undefined,
        e,
      );
    }
    // a request answered from the cache alone says nothing about the runtime
    if (outcome.decoded > 0) this.runtimeHealth.recordSuccess(model);
    const latencyMs = round(performance.now() - started);
    const { results, timings } = outcome;
    const translations = results.map((r) => r.text);
    const truncated = results.map((r) => r.truncated || r.outputCut);

    // One sample per sentence, as the model reads them (and as the profile's training lines
    // mostly are): a client sending paragraphs is not drift. From the translator's own
    // tokenization: the texts are not tokenized a second time.
    this.drift.observe(
      model,
      results.flatMap((r, i) =>
        r.sentenceTokens
          .map((t, j) => ({
            tokenLength: t.sourceTokens,
            unknownTokens: t.unknownTokens,
            nonLatinShare: nonLatinShare(sentences[i].sentences[j]),
          }))
          .filter((f) => f.tokenLength > 0),
      ),
    );
    this.metrics.recordTranslation({
      latencyMs,
      timings,
      inputTokens: results.map((r) => r.inputTokens),
      generatedTokens: results.map((r) => r.ids.length),
      labels,
    });
    this.predictions.log({
      request_id: context.requestId,
      endpoint: context.endpoint,
      model_name: model.name,
      model_version: model.version,
      texts: request.texts.length,
      input_tokens: results.reduce((n, r) => n + r.inputTokens, 0),
      output_tokens: results.reduce((n, r) => n + r.ids.length, 0),
      beam_size: generate.beamSize,
      latency_ms: latencyMs,
      truncated_texts: truncated.filter(Boolean).length,
      source: request.texts,
      translation: translations,
    });
    return {
      translations,
      truncated,
      model: { name: model.name, version: model.version },
      latencyMs,
    };
  }

  /**
   * Request-size limits from the environment; the message names the limit and its variable.
   * Returns each text's sentences (split once, for the count and for the translator).
   */
  private checkLimits({
    texts,
    maxNewTokens,
    naming = TEXT_LIST,
  }: TranslationRequest): SplitText[] {
    const { maxTextsPerRequest, maxCharsPerText, maxSentencesPerRequest } = this.config.limits;
    const maxNewTokensLimit = this.config.limits.maxNewTokens;
    if (maxNewTokens !== undefined && maxNewTokens > maxNewTokensLimit) {
      throw inputLimitExceeded(
        `max_new_tokens is ${maxNewTokens}; at most ${maxNewTokensLimit} (MAX_NEW_TOKENS)`,
      );
    }
    if (texts.length > maxTextsPerRequest) {
      throw inputLimitExceeded(
        `${naming.all} has ${texts.length} ${naming.unit}; at most ${maxTextsPerRequest} texts per request (MAX_TEXTS_PER_REQUEST)`,
      );
    }
    const broken = texts.findIndex(hasUnpairedSurrogate);
    if (broken !== -1) {
      const message = `${naming.one(broken)} holds an unpaired UTF-16 surrogate (half of a character)`;
      throw validationFailed([{ field: naming.one(broken), rule: 'wellFormed', message }]);
    }
    // characters are code points: an emoji is one, not its two UTF-16 units (cheap test first)
    const tooLong = texts.findIndex(
      (t) => t.length > maxCharsPerText && [...t].length > maxCharsPerText,
    );
    if (tooLong !== -1) {
      throw inputLimitExceeded(
        `${naming.one(tooLong)} has ${[...texts[tooLong]].length} characters; at most ${maxCharsPerText} per text (MAX_CHARS_PER_TEXT)`,
      );
    }
    const sentencesPerText = texts.map((t) => splitSentences(t));
    const sentences = sentencesPerText.reduce((n, s) => n + s.sentences.length, 0);
    if (sentences > maxSentencesPerRequest) {
      throw inputLimitExceeded(
        `${texts.length === 1 ? naming.one(0) : `the texts of ${naming.all}`} ${texts.length === 1 ? 'holds' : 'hold'} ${sentences} sentences; at most ${maxSentencesPerRequest} per request (MAX_SENTENCES_PER_REQUEST)`,
      );
    }
    return sentencesPerText;
  }
}

const round = (v: number) => Math.round(v * 10) / 10;
