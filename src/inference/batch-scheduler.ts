import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { ApiError } from '../common/api-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ModelLabels, ServiceMetrics } from '../metrics/service-metrics';
import { cacheBytesPerPosition, GenerateOptions } from './generation-settings';
import { emptyGeneration, GenerationOutput, TextGenerator } from './seq2seq-generator';

/** One sentence waiting for (or in) a decoder batch, and the caller waiting for it. */
interface Item {
  generator: TextGenerator;
  options: GenerateOptions;
  /** the model version's metric labels (batches never mix versions: one generator each) */
  labels?: ModelLabels;
  ids: number[];
  enqueuedAt: number;
  /** the caller's request; shared by all items of one submit */
  request: PendingRequest;
  index: number;
  /** set while the item runs in a batch */
  batch?: RunningBatch;
  settled: boolean;
  /** set after a batch holding it failed: it is batched only with its own request's sentences */
  isolated?: boolean;
}

interface PendingRequest {
  sequences: number[][];
  remaining: number;
  /** per batch the request took part in: its encode time and the longest decode time seen */
  batchTimings: Map<RunningBatch, { encodeMs: number; decodeMs: number; steps: number }>;
  resolve: (out: GenerationOutput) => void;
  reject: (e: unknown) => void;
  done: boolean;
  /**
   * Its place in the turn-taking: the number of the last batch that took sentences of it, or,
   * before its first, the batches started when it arrived less a half (so it goes before a
   * request whose turn came while it waited, and after every one that waited longer)
   */
  lastBatch: number;
}

interface RunningBatch {
  items: Item[];
  abort: AbortController;
  encodeMs: number;
  decodeStart: number;
}

/**
 * Decoder cache a batch of compatible items (length-sorted) can reach: every row (sentence ×
 * beam) caches the padded source and, at worst, max_new_tokens generated positions.
 */
function batchCacheBytes(items: Item[]): number {
  const { generator, options } = items[0];
  const longest = items[items.length - 1].ids.length;
  const rows = items.length * options.beamSize;
  return rows * (longest + options.maxNewTokens) * cacheBytesPerPosition(generator.settings);
}

/**
 * Dynamic batching across requests. Sentences of concurrent requests that arrive while the
 * model is busy, or within MAX_BATCH_DELAY_MS of an idle model, are decoded together (up to
 * MAX_BATCH_SIZE, same model and generation options, similar source lengths), because a
 * forward pass over 16 rows costs little more than over one. The generator decodes each row
 * independently, so a sentence's output does not depend on its batch mates.
 *
 * One batch runs at a time: onnxruntime already spreads one run over all intra-op threads, and
 * a second concurrent batch would only make both slower. The queue is bounded (MAX_QUEUE
 * sentences); a request that does not fit is refused with 503 `queue_full` at once, so an
 * overloaded instance sheds load instead of growing its memory and latency without bound.
 */
@Injectable()
export class BatchScheduler {
  private readonly queue: Item[] = [];
  private running = false;
  private timer?: NodeJS.Timeout | NodeJS.Immediate;
  /** requests in the last batch started: tells whether requests currently arrive together */
  private lastBatchRequests = 0;
  /** batches started so far */
  private batches = 0;
  private readonly maxBatchSize: number;
  private readonly maxBatchDelayMs: number;
  private readonly maxQueue: number;
  private readonly maxCacheBytes: number;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: ServiceMetrics,
  ) {
    ({
      maxBatchSize: this.maxBatchSize,
      maxBatchDelayMs: this.maxBatchDelayMs,
      maxQueue: this.maxQueue,
      maxCacheBytes: this.maxCacheBytes,
    } = config.batching);
  }

  /** Sentences waiting for a batch (not counting the batch being decoded). */
  get queueLength(): number {
    return this.queue.length;
  }

  /**
   * Decodes `batch` (source ids per sentence) and resolves with its sequences in input order,
   * once every one of them is final. Rejects with the signal's reason when `signal` aborts:
   * queued sentences leave the queue at once, running ones leave their batch at the next
   * decoder step, and a batch none of whose sentences is still wanted stops there.
   */
  submit(
    generator: TextGenerator,
    batch: number[][],
    options: GenerateOptions,
    signal?: AbortSignal,
    labels?: ModelLabels,
  ): Promise<GenerationOutput> {
    if (batch.length === 0) {
      return Promise.resolve(emptyGeneration());
    }
    signal?.throwIfAborted();
    if (this.queue.length + batch.length > this.maxQueue) {
      throw new ApiError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'queue_full',
        `the inference queue is full: ${this.queue.length} sentences wait, this request adds ${batch.length}, at most ${this.maxQueue} may wait (MAX_QUEUE); retry later`,
        this.config.http.retryAfterSeconds,
      );
    }
    return new Promise<GenerationOutput>((resolve, reject) => {
      const request: PendingRequest = {
        sequences: new Array<number[]>(batch.length),
        remaining: batch.length,
        batchTimings: new Map(),
        resolve,
        reject,
        done: false,
        lastBatch: this.batches - 0.5,
      };
      const now = performance.now();
      const items = batch.map<Item>((ids, index) => ({
        generator,
        options,
        labels,
        ids,
        enqueuedAt: now,
        request,
        index,
        settled: false,
      }));
      if (signal) {
        const onAbort = () => this.cancel(items, signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        // Drop the listener once the request is over, so long-lived signals do not pile up.
        const finish = () => signal.removeEventListener('abort', onAbort);
        request.resolve = (out) => {
          finish();
          resolve(out);
        };
        request.reject = (e) => {
          finish();
          // Passed on as given: the abort reason (an ApiError) or the generator's own error.
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
          reject(e);
        };
      }
      this.queue.push(...items);
      this.metrics.setQueueLength(this.queue.length);
      this.schedule();
    });
  }

  /** Removes a request's queued sentences and stops its running batch if nobody else needs it. */
  private cancel(items: Item[], reason: unknown): void {
    const request = items[0].request;
    if (request.done) return;
    request.done = true;
    const cancelled = new Set(items);
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (cancelled.has(this.queue[i])) this.queue.splice(i, 1);
    }
    this.metrics.setQueueLength(this.queue.length);
    for (const item of items) item.settled = true;
    const batches = new Set(items.map((i) => i.batch).filter((b) => b !== undefined));
    for (const batch of batches) {
      if (batch.items.every((i) => i.settled)) batch.abort.abort(reason);
    }
    request.reject(reason);
  }

  /**
   * Starts a batch on an idle model. Waiting MAX_BATCH_DELAY_MS lets requests that arrive
   * together share a batch, but a lone client would only pay the delay: the model waits only
   * while traffic is concurrent, i.e. when the last batch held sentences of several requests.
   */
  private schedule(): void {
    if (this.running || this.timer !== undefined || this.queue.length === 0) return;
    const start = () => {
      this.timer = undefined;
      void this.runNext();
    };
    this.timer =
      this.lastBatchRequests > 1 && this.maxBatchDelayMs > 0
        ? setTimeout(start, this.maxBatchDelayMs)
        : setImmediate(start); // still collects requests parsed in the same event-loop turn
  }

  private async runNext(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const items = this.takeBatch();
    const requests = new Set(items.map((i) => i.request));
    this.lastBatchRequests = requests.size;
    this.batches++;
    for (const request of requests) request.lastBatch = this.batches;
    const batch: RunningBatch = {
      items,
      abort: new AbortController(),
      encodeMs: 0,
      decodeStart: 0,
    };
    const started = performance.now();
    const { generator, options, labels } = items[0];
    for (const item of items) {
      item.batch = batch;
      this.metrics.observeQueueWait((started - item.enqueuedAt) / 1000, labels);
    }
    this.metrics.setQueueLength(this.queue.length);
    this.metrics.observeBatchSize(items.length, labels);
    try {
      const out = await generator.generate(
        items.map((i) => i.ids),
        options,
        {
          signal: batch.abort.signal,
          onEncoded: (ms) => {
            batch.encodeMs = ms;
            batch.decodeStart = performance.now();
          },
          onSequence: (row, ids) => this.deliver(items[row], ids),
          // a cancelled request's rows leave the batch at the next step
          isWanted: (row) => !items[row].settled,
        },
      );
      this.metrics.recordDecoding(
        out.timings.steps,
        out.sequences.reduce((n, s) => n + s.length, 0),
        labels,
      );
    } catch (e) {
      if (!batch.abort.signal.aborted) this.recover(items, e);
    } finally {
      this.running = false;
      // Sentences that queued while this batch ran have waited long enough: no extra delay.
      if (this.queue.length > 0) setImmediate(() => void this.runNext());
    }
  }

  /**
   * The next turn's sentence (see nextHead) and up to MAX_BATCH_SIZE - 1 compatible ones (same
   * generator and options) closest to it in length, so padding stays small and nobody starves;
   * then the longest are left for later batches while the decoder cache the batch can reach
   * exceeds MAX_BATCH_CACHE_MB (a sentence over it on its own still runs, alone).
   */
  private takeBatch(): Item[] {
    const head = this.nextHead();
    const compatible = this.queue
      .filter(
        (i) =>
          (head.isolated || i.isolated ? i.request === head.request : true) &&
          i.generator === head.generator &&
          i.options.beamSize === head.options.beamSize &&
          i.options.maxNewTokens === head.options.maxNewTokens &&
          i.options.lengthPenalty === head.options.lengthPenalty,
      )
      .sort((a, b) => a.ids.length - b.ids.length);
    let chosen = compatible;
    if (compatible.length > this.maxBatchSize) {
      // The window of MAX_BATCH_SIZE length-sorted sentences holding the head with the least
      // spread of lengths.
      const at = compatible.indexOf(head);
      const size = this.maxBatchSize;
      let best = Math.max(0, at - size + 1);
      const last = Math.min(at, compatible.length - size);
      for (let start = best; start <= last; start++) {
        const spread = compatible[start + size - 1].ids.length - compatible[start].ids.length;
        const bestSpread = compatible[best + size - 1].ids.length - compatible[best].ids.length;
        if (spread < bestSpread) best = start;
      }
      chosen = compatible.slice(best, best + size);
    }
    while (chosen.length > 1 && batchCacheBytes(chosen) > this.maxCacheBytes) {
      chosen = chosen[chosen.length - 1] === head ? chosen.slice(1) : chosen.slice(0, -1);
    }
    const taken = new Set(chosen);
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (taken.has(this.queue[i])) this.queue.splice(i, 1);
    }
    return chosen;
  }

  /**
   * Requests take turns: the oldest waiting sentence of the request whose last turn (or, before
   * its first, its arrival) is the earliest. Requests that fit in one batch are served in arrival
   * order as before, but one large slow request (256 sentences at beam 8 and 512 new tokens
   * hold the model for minutes) no longer makes everyone behind it wait for all of it: a request
   * that arrives meanwhile gets the model after the batch that is running. Nobody starves: a
   * waiting request's place is fixed, and every later arrival or turn queues behind it.
   */
  private nextHead(): Item {
    let head = this.queue[0];
    for (const item of this.queue) {
      if (item.request.lastBatch < head.request.lastBatch) head = item;
    }
    return head;
  }

  private deliver(item: Item, ids: number[]): void {
    if (item.settled) return;
    item.settled = true;
    const { request } = item;
    const batch = item.batch!;
    request.sequences[item.index] = ids;
    const decodeMs = performance.now() - batch.decodeStart;
    const seen = request.batchTimings.get(batch);
    request.batchTimings.set(batch, {
      encodeMs: batch.encodeMs,
      decodeMs: Math.max(decodeMs, seen?.decodeMs ?? 0),
      steps: ids.length + 1,
    });
    if (--request.remaining > 0 || request.done) return;
    request.done = true;
    const timings = { encodeMs: 0, decodeMs: 0, steps: 0 };
    for (const t of request.batchTimings.values()) {
      timings.encodeMs += t.encodeMs;
      timings.decodeMs += t.decodeMs;
      timings.steps += t.steps;
    }
    request.resolve({ sequences: request.sequences, timings });
  }

  /**
   * A failed batch fails no request that merely shared it: when it held sentences of several
   * requests, their unfinished sentences go back to the front of the queue, isolated, so each
   * request is re-run on its own and only the one whose input breaks the model fails.
   */
  private recover(items: Item[], error: unknown): void {
    const pending = items.filter((i) => !i.settled);
    const requests = new Set(pending.map((i) => i.request));
    if (requests.size <= 1) {
      for (const item of pending) this.fail(item, error);
      return;
    }
    for (const item of pending) {
      item.batch = undefined;
      item.isolated = true;
    }
    this.queue.unshift(...pending);
    this.metrics.setQueueLength(this.queue.length);
  }

  private fail(item: Item, error: unknown): void {
    if (item.settled) return;
    item.settled = true;
    const { request } = item;
    if (request.done) return;
    request.done = true;
    // The request's other sentences are not needed any more: drop those still queued.
    for (let i = this.queue.length - 1; i >= 0; i--) {
      if (this.queue[i].request === request) {
        this.queue[i].settled = true;
        this.queue.splice(i, 1);
      }
    }
    this.metrics.setQueueLength(this.queue.length);
    request.reject(error);
  }
}
