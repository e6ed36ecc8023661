import {
  FAKE_EOS,
  FAKE_PAD,
  FAKE_VOCAB,
  FakeSeq2SeqRuntime,
  fakeGenerationSettings,
  fakeSpec,
  hashedLogits,
} from '../../test/support/fake-seq2seq-runtime';
import { ApiError } from '../common/api-errors';
import { loadAppConfig } from '../config/app-config';
import { ServiceMetrics } from '../metrics/service-metrics';
import { BatchScheduler } from './batch-scheduler';
import { cacheBytesPerPosition, GenerateOptions } from './generation-settings';
import { GenerationOutput, Seq2SeqGenerator } from './seq2seq-generator';

const V = FAKE_VOCAB;
const EOS = FAKE_EOS;
const PAD = FAKE_PAD;
const settings = fakeGenerationSettings;
const greedy: GenerateOptions = { beamSize: 1, maxNewTokens: 12, lengthPenalty: 1 };
const beam: GenerateOptions = { beamSize: 3, maxNewTokens: 12, lengthPenalty: 1 };

/** Records what the scheduler reports, instead of a Prometheus registry. */
class MetricsSpy {
  queueLengths: number[] = [];
  batchSizes: number[] = [];
  waits: number[] = [];
  steps = 0;
  tokens = 0;
  setQueueLength(n: number) {
    this.queueLengths.push(n);
  }
  observeBatchSize(n: number) {
    this.batchSizes.push(n);
  }
  observeQueueWait(s: number) {
    this.waits.push(s);
  }
  recordDecoding(steps: number, tokens: number) {
    this.steps += steps;
    this.tokens += tokens;
  }
}

async function setup(env: Record<string, string> = {}, cacheBytes?: number) {
  const runtime = new FakeSeq2SeqRuntime(
    fakeSpec({ vocabSize: V, nextLogits: hashedLogits(V, EOS, PAD) }),
  );
  const encoder = await runtime.createSession('/m/onnx/encoder_model.onnx');
  const decoder = await runtime.createSession('/m/onnx/decoder_model_merged.onnx');
  const generator = new Seq2SeqGenerator(encoder, decoder, settings);
  let decoderRuns = 0;
  const hooks: { onRun?: (runs: number) => void } = {};
  const rowsPerRun: number[] = [];
  const run = decoder.run.bind(decoder);
  decoder.run = (feeds, fetches) => {
    decoderRuns++;
    rowsPerRun.push(feeds.input_ids.dims[0]);
    hooks.onRun?.(decoderRuns);
    return run(feeds, fetches);
  };
  const metrics = new MetricsSpy();
  const loaded = loadAppConfig({ MAX_BATCH_DELAY_MS: '5', ...env });
  // MAX_BATCH_CACHE_MB counts megabytes; the fake model's cache is a few bytes per position
  const config =
    cacheBytes === undefined
      ? loaded
      : { ...loaded, batching: { ...loaded.batching, maxCacheBytes: cacheBytes } };
  const scheduler = new BatchScheduler(config, metrics as unknown as ServiceMetrics);
  return { generator, scheduler, metrics, hooks, rowsPerRun, runs: () => decoderRuns };
}

/** Source ids of varied lengths (1..9 content tokens, then eos). */
const sources = (n: number, salt = 0) =>
  Array.from({ length: n }, (_, i) => [
    ...Array.from({ length: 1 + ((i * 7 + salt) % 9) }, (_, t) => 1 + ((i + t + salt) % (V - 3))),
    EOS,
  ]);

describe('BatchScheduler', () => {
  it('batches concurrent requests and gives each caller exactly its own, unbatched results', async () => {
    const { generator, scheduler, metrics } = await setup({ MAX_BATCH_SIZE: '8' });
    const requests = Array.from({ length: 6 }, (_, r) => sources(1 + (r % 3), r));
    const options = requests.map((_, r) => (r % 2 === 0 ? greedy : beam));
    const alone: GenerationOutput[][] = [];
    for (const [r, batch] of requests.entries())
      alone.push(await Promise.all(batch.map((ids) => generator.generate([ids], options[r]))));
    const together = await Promise.all(
      requests.map((batch, r) => scheduler.submit(generator, batch, options[r])),
    );
    together.forEach((out, r) => {
      expect(out.sequences).toEqual(alone[r].map((a) => a.sequences[0]));
    });
    // callers are answered before the scheduler books the batch: let it finish
    await new Promise((r) => setImmediate(r));
    // 12 sentences over 6 requests in two option groups: far fewer batches than sentences
    expect(metrics.batchSizes.length).toBeLessThan(6);
    expect(Math.max(...metrics.batchSizes)).toBeGreaterThan(1);
    expect(Math.max(...metrics.batchSizes)).toBeLessThanOrEqual(8);
    expect(metrics.steps).toBeGreaterThan(0);
    expect(metrics.tokens).toBe(
      together.flatMap((o) => o.sequences).reduce((n, s) => n + s.length, 0),
    );
    expect(scheduler.queueLength).toBe(0);
    expect(metrics.queueLengths.at(-1)).toBe(0);
  });

  it('splits a large request into batches of at most MAX_BATCH_SIZE', async () => {
    const { generator, scheduler, metrics } = await setup({ MAX_BATCH_SIZE: '4' });
    const batch = sources(10);
    const out = await scheduler.submit(generator, batch, greedy);
    const direct = await generator.generate(batch, greedy);
    expect(out.sequences).toEqual(direct.sequences);
    expect(metrics.batchSizes).toEqual([4, 4, 2]);
  });

  it('lets a request that arrives during a large one go next, not after all of it', async () => {
    const { generator, scheduler, metrics, hooks } = await setup({ MAX_BATCH_SIZE: '2' });
    // a large slow request: 10 sentences at beam 3, two per batch, five batches in a row
    let small: Promise<GenerationOutput> | undefined;
    let batchesWhenSmallDone = -1;
    hooks.onRun = (runs) => {
      if (runs !== 1) return;
      // another client's one greedy sentence, while the large request's first batch decodes
      small = scheduler.submit(generator, sources(1, 5), greedy).then((out) => {
        batchesWhenSmallDone = metrics.batchSizes.length;
        return out;
      });
    };
    const large = await scheduler.submit(generator, sources(10), beam);
    await small;
    // its turn came right after the batch that was running: the second batch of all
    expect(batchesWhenSmallDone).toBe(2);
    expect(metrics.batchSizes).toEqual([2, 1, 2, 2, 2, 2]);
    // and the large request's results are what it gets alone
    expect(large.sequences).toEqual((await generator.generate(sources(10), beam)).sequences);
  });

  it('starves nobody: a waiting request goes before later arrivals of other options', async () => {
    const { generator, scheduler, metrics, hooks } = await setup({ MAX_BATCH_SIZE: '1' });
    const done: string[] = [];
    // a 3-sentence greedy request, and a new beam request arriving during each of 6 batches
    let seenBatches = 0;
    const others: Promise<unknown>[] = [];
    hooks.onRun = () => {
      if (metrics.batchSizes.length === seenBatches || others.length >= 6) return;
      seenBatches = metrics.batchSizes.length;
      const n = others.length;
      others.push(
        scheduler.submit(generator, sources(1, 20 + n), beam).then(() => done.push(`beam${n}`)),
      );
    };
    await scheduler.submit(generator, sources(3), greedy).then(() => done.push('greedy'));
    await Promise.all(others);
    // round robin by last turn or arrival: greedy, beam0, greedy, beam1, beam2, greedy. The
    // newcomers keep coming while it waits, yet it does not wait for all six of them
    expect(done.indexOf('greedy')).toBe(3);
    expect(done).toHaveLength(7);
  });

  it('serves requests that fit in one batch each in arrival order', async () => {
    const { generator, scheduler } = await setup({ MAX_BATCH_SIZE: '1' });
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map((r) =>
        scheduler.submit(generator, sources(1, r), greedy).then(() => order.push(r)),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3]);
  });

  describe('the batch that starts holds the oldest waiting sentence', () => {
    const long = [...Array.from({ length: 9 }, (_, t) => 1 + t), EOS];
    const shorts = [0, 1, 2].map((i) => [1 + i, EOS]);
    /** The rows of every batch the generator ran, with the first request's long sentence first in line. */
    async function firstBatch(cacheBytes?: number) {
      const { generator, scheduler } = await setup({ MAX_BATCH_SIZE: '2' }, cacheBytes);
      const batches: number[][][] = [];
      const generate = generator.generate.bind(generator);
      generator.generate = (rows, opts, control) => {
        batches.push(rows);
        return generate(rows, opts, control);
      };
      await Promise.all([
        scheduler.submit(generator, [long], greedy),
        ...shorts.map((ids) => scheduler.submit(generator, [ids], greedy)),
      ]);
      return batches[0];
    }

    it('even when shorter compatible sentences would pad less without it', async () => {
      const rows = await firstBatch();
      expect(rows).toContainEqual(long);
      expect(rows).toHaveLength(2);
    });

    it('even when the cache budget leaves room for one sentence only, and it is the longest', async () => {
      const perPosition = cacheBytesPerPosition(settings);
      // the long sentence alone fits; it and a short one do not
      const budget = (long.length + greedy.maxNewTokens) * perPosition;
      expect(await firstBatch(budget)).toEqual([long]);
    });
  });

  describe('with a decoder cache budget (MAX_BATCH_CACHE_MB)', () => {
    const perPosition = cacheBytesPerPosition(settings);
    /** What each batch the generator ran would cache at most, and the results. */
    async function runWithBudget(budget: number, batch: number[][], options: GenerateOptions) {
      const { generator, scheduler, metrics } = await setup({ MAX_BATCH_SIZE: '8' }, budget);
      const costs: number[] = [];
      const generate = generator.generate.bind(generator);
      generator.generate = (rows, opts, control) => {
        const longest = Math.max(...rows.map((r) => r.length));
        costs.push(rows.length * opts.beamSize * (longest + opts.maxNewTokens) * perPosition);
        return generate(rows, opts, control);
      };
      const out = await scheduler.submit(generator, batch, options);
      return { out, costs, sizes: metrics.batchSizes, direct: await generate(batch, options) };
    }

    it('splits batches so that none can cache more than the budget', async () => {
      const budget = 3 * beam.beamSize * (10 + beam.maxNewTokens) * perPosition;
      const { out, costs, sizes, direct } = await runWithBudget(budget, sources(10), beam);
      expect(out.sequences).toEqual(direct.sequences);
      expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
      expect(sizes.length).toBeGreaterThan(10 / 8); // more batches than MAX_BATCH_SIZE alone makes
      expect(Math.max(...sizes)).toBeGreaterThan(1);
      for (const cost of costs) expect(cost).toBeLessThanOrEqual(budget);
    });

    it('still decodes a sentence over the budget on its own', async () => {
      const { out, sizes, direct } = await runWithBudget(1, sources(3), beam);
      expect(out.sequences).toEqual(direct.sequences);
      expect(sizes).toEqual([1, 1, 1]);
    });

    it('leaves batches of short greedy sentences at MAX_BATCH_SIZE under the default budget', async () => {
      const { sizes } = await runWithBudget(128 * 1024 * 1024, sources(16), greedy);
      expect(sizes).toEqual([8, 8]);
    });
  });

  it('refuses a request that does not fit the queue with 503 queue_full', async () => {
    const { generator, scheduler } = await setup({
      MAX_QUEUE: '4',
      MAX_SENTENCES_PER_REQUEST: '4',
    });
    const first = scheduler.submit(generator, sources(3), greedy);
    let error: unknown;
    try {
      void scheduler.submit(generator, sources(2), greedy);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ reason: 'queue_full', retryAfterSeconds: 5 });
    expect((error as ApiError).getStatus()).toBe(503);
    expect((error as ApiError).message).toContain('MAX_QUEUE');
    expect(scheduler.queueLength).toBe(3);
    await first;
  });

  it('does not make a lone client wait for companions', async () => {
    const { generator, scheduler, metrics } = await setup({ MAX_BATCH_DELAY_MS: '1000' });
    const started = Date.now();
    // sequential requests, each decoded at once instead of after a 1 s batching delay, even
    // when one of them holds several sentences (still one client)
    for (let i = 0; i < 3; i++)
      await scheduler.submit(generator, sources(i === 0 ? 3 : 1, i), greedy);
    expect(Date.now() - started).toBeLessThan(900);
    expect(metrics.batchSizes).toEqual([3, 1, 1]);
  });

  it('holds an idle model for MAX_BATCH_DELAY_MS while requests arrive together', async () => {
    const { generator, scheduler, metrics } = await setup({ MAX_BATCH_DELAY_MS: '200' });
    // concurrent traffic: a batch holding two requests
    await Promise.all([
      scheduler.submit(generator, sources(1, 3), greedy),
      scheduler.submit(generator, sources(1, 4), greedy),
    ]);
    await new Promise((r) => setImmediate(r)); // the batch is over: the model is idle
    const first = scheduler.submit(generator, sources(1, 1), greedy);
    await new Promise((r) => setTimeout(r, 20));
    const second = scheduler.submit(generator, sources(1, 2), greedy);
    await Promise.all([first, second]);
    await new Promise((r) => setImmediate(r));
    // the request 20 ms later still joined the first one's batch
    expect(metrics.batchSizes).toEqual([2, 2]);
  });

  it('removes a cancelled request from the queue and rejects it with the abort reason', async () => {
    const { generator, scheduler, metrics, runs } = await setup({ MAX_BATCH_DELAY_MS: '50' });
    const controller = new AbortController();
    const pending = scheduler.submit(generator, sources(5), greedy, controller.signal);
    expect(scheduler.queueLength).toBe(5);
    const reason = new Error('gone');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(scheduler.queueLength).toBe(0);
    expect(metrics.queueLengths.at(-1)).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    expect(runs()).toBe(0);
  });

  it('stops a running batch at the next decoder step once nobody waits for it', async () => {
    const { generator, scheduler, hooks, runs } = await setup({ MAX_BATCH_DELAY_MS: '0' });
    const controller = new AbortController();
    const long: GenerateOptions = { beamSize: 1, maxNewTokens: 60, lengthPenalty: 1 };
    // abort during the second decoder step
    hooks.onRun = (n) => {
      if (n === 2) controller.abort(new Error('deadline'));
    };
    const pending = scheduler.submit(generator, sources(4), long, controller.signal);
    await expect(pending).rejects.toThrow('deadline');
    await new Promise((r) => setTimeout(r, 20));
    expect(runs()).toBe(2);
    hooks.onRun = undefined;
    // the scheduler is free again
    const out = await scheduler.submit(generator, sources(2), greedy);
    expect(out.sequences).toEqual((await generator.generate(sources(2), greedy)).sequences);
  });

  it.each([
    ['greedy', greedy],
    ['beam', beam],
  ])(
    'drops a cancelled request from a shared running batch, the others decode on (%s)',
    async (_name, options) => {
      const { generator, scheduler, hooks, rowsPerRun } = await setup({
        MAX_BATCH_DELAY_MS: '20',
      });
      const long: GenerateOptions = { ...options, maxNewTokens: 40 };
      const controller = new AbortController();
      // cancel during the first decoder step, once both requests share the batch
      hooks.onRun = (n) => {
        if (n === 1) controller.abort(new Error('gone'));
      };
      const cancelled = scheduler.submit(generator, sources(3, 1), long, controller.signal);
      const kept = scheduler.submit(generator, sources(3, 2), long);
      await expect(cancelled).rejects.toThrow('gone');
      const out = await kept;
      hooks.onRun = undefined;
      const rows = [...rowsPerRun];
      expect(out.sequences).toEqual((await generator.generate(sources(3, 2), long)).sequences);
      // first step: 6 sentences; from the second on, at most the kept request's rows
      expect(rows[0]).toBe(6);
      expect(rows[1]).toBeLessThanOrEqual(3 * long.beamSize);
    },
  );

  it('fails only the request whose input breaks decoding; its batch mates are re-run', async () => {
    const { generator, scheduler, metrics } = await setup({ MAX_BATCH_SIZE: '8' });
    const poison = [V - 1, V - 1, EOS];
    const generate = generator.generate.bind(generator);
    const spy = jest
      .spyOn(generator, 'generate')
      .mockImplementation((batch, options, control) =>
        batch.some((ids) => ids.join() === poison.join())
          ? Promise.reject(new Error('onnx broke on this input'))
          : generate(batch, options, control),
      );
    const good = [sources(2, 1), sources(3, 2)];
    const alone = await Promise.all(good.map((b) => generate(b, greedy)));
    const outcomes = await Promise.allSettled([
      scheduler.submit(generator, good[0], greedy),
      scheduler.submit(generator, [sources(1, 5)[0], poison], greedy),
      scheduler.submit(generator, good[1], greedy),
    ]);
    // all three shared the first batch, which failed
    expect(metrics.batchSizes[0]).toBe(7);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toEqual(
      new Error('onnx broke on this input'),
    );
    expect((outcomes[0] as PromiseFulfilledResult<GenerationOutput>).value.sequences).toEqual(
      alone[0].sequences,
    );
    expect((outcomes[2] as PromiseFulfilledResult<GenerationOutput>).value.sequences).toEqual(
      alone[1].sequences,
    );
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(4);
    expect(scheduler.queueLength).toBe(0);
  });

  it('rejects every caller when decoding fails for each of them alone', async () => {
    const { generator, scheduler } = await setup();
    jest.spyOn(generator, 'generate').mockRejectedValue(new Error('onnx broke'));
    const outcomes = await Promise.allSettled([
      scheduler.submit(generator, sources(2), greedy),
      scheduler.submit(generator, sources(2, 3), greedy),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(scheduler.queueLength).toBe(0);
  });
});

describe('Seq2SeqGenerator control hooks', () => {
  it('reports each row once, with its final ids, and stops on an aborted signal', async () => {
    const { generator } = await setup();
    for (const options of [greedy, beam]) {
      const seen = new Map<number, number[]>();
      const out = await generator.generate(sources(5), options, {
        onSequence: (row, ids) => {
          expect(seen.has(row)).toBe(false);
          seen.set(row, [...ids]);
        },
      });
      expect(out.sequences.map((_, r) => seen.get(r))).toEqual(out.sequences);
    }
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(
      generator.generate(sources(2), greedy, { signal: controller.signal }),
    ).rejects.toThrow('stop');
  });
});
