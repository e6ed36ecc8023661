import { performance } from 'node:perf_hooks';
import { ModelPackageError } from '../model/model-package';
import { RuntimeSession, RuntimeTensor, tensor, TensorMap } from '../model/model-runtime.port';
import { BeamHypotheses, topCandidates } from './beam-search';
import { GenerateOptions, GenerationSettings } from './generation-settings';
import { argmax, gatherRows, lastPositionLogits, logSoftmax } from './tensor-ops';

export interface GenerationTimings {
  encodeMs: number;
  decodeMs: number;
  /** decoder runs */
  steps: number;
}

export interface GenerationOutput {
  /** per input row: generated ids without the decoder start token, cut before `</s>` */
  sequences: number[][];
  timings: GenerationTimings;
}

/**
 * Hooks into one `generate` call. The scheduler uses them to stop work nobody waits for and to
 * hand each caller its sentence the moment it is final, not when the whole batch is.
 */
export interface GenerateControl {
  /** checked before every encoder/decoder run; when aborted, `generate` rejects with its reason */
  signal?: AbortSignal;
  /**
   * Polled where `signal` is checked, for cancellation that cannot arrive as an event while the
   * loop runs (another thread's shared flags); when true, `generate` rejects with
   * GenerationCancelledError.
   */
  isCancelled?: () => boolean;
  /** called once per input row, as soon as its ids are final (same ids as `sequences[row]`) */
  onSequence?: (row: number, ids: number[]) => void;
  /** called once the encoder ran, before the first decoder step */
  onEncoded?: (encodeMs: number) => void;
  /**
   * Asked for every running row (greedy) or sentence (beam) after each step; one nobody wants
   * any more (its request was cancelled) leaves the batch like a finished one, so the other
   * rows decode on without its work. Its `sequences` entry is then partial and `onSequence`
   * is not called for it.
   */
  isWanted?: (row: number) => boolean;
}

/** The output for an empty batch: nothing decoded, no time spent. */
export function emptyGeneration(): GenerationOutput {
  return { sequences: [], timings: { encodeMs: 0, decodeMs: 0, steps: 0 } };
}

export class GenerationCancelledError extends Error {
  constructor() {
    super('generation cancelled');
    this.name = 'GenerationCancelledError';
  }
}

/**
 * Turns batches of source ids into target ids. Implemented by the decode loop below, and by
 * runtimes that run that loop on another thread (OnnxWorkerRuntime).
 */
export interface TextGenerator {
  readonly settings: GenerationSettings;
  generate(
    batch: number[][],
    options: GenerateOptions,
    control?: GenerateControl,
  ): Promise<GenerationOutput>;
}

/** What the decoder loop carries between steps. */
interface DecoderState {
  encoderHidden: RuntimeTensor<'float32'>;
  encoderMask: RuntimeTensor<'int64'>;
  /** past_key_values.* by input name; undefined before the first step */
  cache?: TensorMap;
}

const PAST_PREFIX = 'past_key_values.';

/** A kept beam: the row it extends, the token it appends, its cumulative log-probability. */
interface BeamChoice {
  row: number;
  token: number;
  score: number;
}

/**
 * Greedy and beam-search decoding over an Optimum-layout encoder + merged KV-cache decoder.
 * Each row is decoded independently of the others in its batch (right padding + masks,
 * per-row logits processing), so a sentence yields the same ids alone or batched.
 */
export class Seq2SeqGenerator implements TextGenerator {
  private readonly pastNames: string[];
  /**
   * What a cached step needs back: the logits and the grown self-attention cache. The
   * cross-attention K/V it would also return are the first step's, kept already; not fetching
   * them saves their copy on every step (about a fifth of a step's time on version 7).
   */
  private readonly cachedStepFetches: string[];
  private readonly singleBanned: Set<number>;
  private readonly sequenceBans: number[][];
  private readonly eos: Set<number>;

  constructor(
    private readonly encoder: RuntimeSession,
    private readonly decoder: RuntimeSession,
    readonly settings: GenerationSettings,
  ) {
    for (const name of ['input_ids', 'encoder_hidden_states', 'encoder_attention_mask']) {
      if (!decoder.inputNames.includes(name)) {
        throw new ModelPackageError(`decoder_model_merged.onnx has no input named ${name}`);
      }
    }
    if (!encoder.inputNames.includes('input_ids')) {
      throw new ModelPackageError('encoder_model.onnx has no input named input_ids');
    }
    this.pastNames = decoder.inputNames.filter((n) => n.startsWith(PAST_PREFIX));
    if (this.pastNames.length === 0) {
      throw new ModelPackageError('decoder_model_merged.onnx declares no past_key_values inputs');
    }
    this.cachedStepFetches = decoder.outputNames.filter((n) => !n.includes('.encoder.'));
    this.singleBanned = new Set(
      settings.badWordsIds.filter((w) => w.length === 1).map((w) => w[0]),
    );
    this.sequenceBans = settings.badWordsIds.filter((w) => w.length > 1);
    this.eos = new Set(settings.eosTokenIds);
  }

  async generate(
    batch: number[][],
    options: GenerateOptions,
    control: GenerateControl = {},
  ): Promise<GenerationOutput> {
    if (batch.length === 0) return emptyGeneration();
    throwIfStopped(control);
    const encodeStart = performance.now();
    const state = await this.encode(batch);
    const decodeStart = performance.now();
    control.onEncoded?.(decodeStart - encodeStart);
    const { sequences, steps } =
      options.beamSize > 1
        ? await this.beamSearch(state, batch.length, options, control)
        : await this.greedy(state, batch.length, options.maxNewTokens, control);
    return {
      sequences,
      timings: {
        encodeMs: decodeStart - encodeStart,
        decodeMs: performance.now() - decodeStart,
        steps,
      },
    };
  }

  private async encode(batch: number[][]): Promise<DecoderState> {
    const rows = batch.length;
    const length = Math.max(...batch.map((ids) => ids.length));
    const ids = new BigInt64Array(rows * length).fill(BigInt(this.settings.padTokenId));
    const mask = new BigInt64Array(rows * length);
    batch.forEach((row, r) =>
      row.forEach((id, t) => {
        ids[r * length + t] = BigInt(id);
        mask[r * length + t] = 1n;
      }),
    );
    const encoderMask = tensor('int64', mask, [rows, length]);
    const feeds: TensorMap = { input_ids: tensor('int64', ids, [rows, length]) };
    if (this.encoder.inputNames.includes('attention_mask')) feeds.attention_mask = encoderMask;
    const out = await this.encoder.run(feeds);
    const hidden = out.last_hidden_state ?? out[this.encoder.outputNames[0]];
    if (hidden?.type !== 'float32')
      throw new Error('encoder returned no float32 last_hidden_state');
    return { encoderHidden: hidden as RuntimeTensor<'float32'>, encoderMask };
  }

  /** One decoder run; updates the cache and returns logits [rows, 1, vocab]. */
  private async step(
    state: DecoderState,
    tokens: number[],
    control: GenerateControl,
  ): Promise<RuntimeTensor<'float32'>> {
    // Checked before every run: a cancelled batch stops within one decoder step.
    throwIfStopped(control);
    const rows = tokens.length;
    const feeds: TensorMap = {
      input_ids: tensor(
        'int64',
        BigInt64Array.from(tokens, (t) => BigInt(t)),
        [rows, 1],
      ),
      encoder_attention_mask: state.encoderMask,
      // still a required input of the merged graph, even though the cache branch ignores it
      encoder_hidden_states: state.encoderHidden,
    };
    const { numHeads, headDim } = this.settings;
    for (const name of this.pastNames) {
      feeds[name] =
        state.cache?.[name] ?? tensor('float32', new Float32Array(0), [rows, numHeads, 0, headDim]);
    }
    if (this.decoder.inputNames.includes('use_cache_branch')) {
      feeds.use_cache_branch = tensor('bool', Uint8Array.of(state.cache ? 1 : 0), [1]);
    }
    const out = await this.decoder.run(feeds, state.cache ? this.cachedStepFetches : undefined);
    const cache: TensorMap = {};
    for (const name of this.pastNames) {
      // Cross-attention K/V are computed once on the first step; later "present" values for
      // them may be dummies, so the first ones are kept.
      const keep = state.cache !== undefined && name.includes('.encoder.');
      const present = out[`present.${name.slice(PAST_PREFIX.length)}`];
      if (!keep && present === undefined)
        throw new Error(`decoder returned no present for ${name}`);
      cache[name] = keep ? state.cache![name] : present;
    }
    state.cache = cache;
    const logits = out.logits;
    if (logits?.type !== 'float32') throw new Error('decoder returned no float32 logits');
    return logits as RuntimeTensor<'float32'>;
  }

  /** Token ids the bad_words_ids rule forbids after `generated` (the ids after the decoder start token). */
  private banned(generated: readonly number[]): Set<number> {
    if (this.sequenceBans.length === 0) return this.singleBanned;
    const prefix = [this.settings.decoderStartTokenId, ...generated];
    const banned = new Set(this.singleBanned);
    for (const words of this.sequenceBans) {
      const head = words.slice(0, -1);
      const tail = prefix.slice(prefix.length - head.length);
      if (tail.length === head.length && tail.every((t, i) => t === head[i]))
        banned.add(words.at(-1)!);
    }
    return banned;
  }

  /**
   * Greedy: argmax with bad words masked. A row that produced `</s>` leaves the batch (its cache
   * rows are dropped), which gives the same ids as feeding it pad to the end, without the work.
   */
  private async greedy(
    state: DecoderState,
    rows: number,
    maxNewTokens: number,
    control: GenerateControl,
  ): Promise<{ sequences: number[][]; steps: number }> {
    const { onSequence, isWanted } = control;
    const start = this.settings.decoderStartTokenId;
    const sequences: number[][] = Array.from({ length: rows }, () => []);
    // input row of each batch position still decoding
    let active = Array.from({ length: rows }, (_, r) => r);
    let next = new Array<number>(rows).fill(start);
    let steps = 0;
    while (steps < maxNewTokens && active.length > 0) {
      const logits = await this.step(state, next, control);
      steps++;
      const keep: number[] = [];
      next = [];
      active.forEach((r, position) => {
        if (isWanted && !isWanted(r)) return;
        const token = argmax(lastPositionLogits(logits, position), this.banned(sequences[r]));
        if (this.eos.has(token)) {
          onSequence?.(r, sequences[r]);
          return;
        }
        sequences[r].push(token);
        keep.push(position);
        next.push(token);
      });
      if (keep.length < active.length) this.reorderCache(state, keep, true);
      active = keep.map((position) => active[position]);
    }
    active.forEach((r) => onSequence?.(r, sequences[r]));
    return { sequences, steps };
  }

  /**
   * Beam search with Hugging Face semantics. A sentence whose hypotheses are final leaves the
   * batch with its beams, which gives the same result as running its beams on pad tokens.
   */
  private async beamSearch(
    state: DecoderState,
    sentences: number,
    { beamSize: K, maxNewTokens, lengthPenalty }: GenerateOptions,
    control: GenerateControl,
  ): Promise<{ sequences: number[][]; steps: number }> {
    const { onSequence, isWanted } = control;
    const { decoderStartTokenId: start, padTokenId: pad } = this.settings;
    const hypotheses = Array.from(
      { length: sentences },
      () => new BeamHypotheses(K, lengthPenalty),
    );
    // sentence of each batch position still searching; the first step runs one row per
    // sentence, later steps K rows (its beams) per sentence
    let active = Array.from({ length: sentences }, (_, s) => s);
    let beamsPerSentence = 1;
    let beamTokens: number[][] = active.map(() => []);
    let beamScores: number[] = active.map(() => 0);
    let next = active.map(() => start);
    let steps = 0;

    while (steps < maxNewTokens && active.length > 0) {
      const logits = await this.step(state, next, control);
      steps++;
      const selected: BeamChoice[] = [];
      const stillActive: number[] = [];
      active.forEach((s, position) => {
        if (isWanted && !isWanted(s)) return;
        const rows = Array.from(
          { length: beamsPerSentence },
          (_, k) => position * beamsPerSentence + k,
        );
        const logProbs = rows.map((r) =>
          logSoftmax(lastPositionLogits(logits, r), this.banned(beamTokens[r])),
        );
        const candidates = topCandidates(
          logProbs,
          rows.map((r) => beamScores[r]),
          2 * K,
        );
        const chosen: BeamChoice[] = [];
        for (const [rank, c] of candidates.entries()) {
          const row = rows[c.beam];
          if (this.eos.has(c.token)) {
            // HF: an eos among the top K ends a hypothesis; lower-ranked ones are ignored
            if (rank < K) hypotheses[s].add(beamTokens[row], c.score, steps);
          } else {
            chosen.push({ row, token: c.token, score: c.score });
          }
          if (chosen.length === K) break;
        }
        // Only a degenerate vocabulary leaves fewer than K live continuations: park the rest.
        while (chosen.length < K) chosen.push({ row: rows[0], token: pad, score: -Infinity });
        // HF judges "done" by the best of all 2K candidates, an eos one included
        if (hypotheses[s].isDone(candidates[0]?.score ?? -Infinity, steps)) {
          onSequence?.(s, hypotheses[s].best()?.tokens ?? []);
          return;
        }
        stillActive.push(s);
        selected.push(...chosen);
      });
      if (stillActive.length === 0) {
        active = [];
        break;
      }
      const parents = selected.map((c) => c.row);
      // Cross-attention rows only change when the set of sentences (or the beam count) does.
      this.reorderCache(
        state,
        parents,
        beamsPerSentence === 1 || stillActive.length < active.length,
      );
      beamTokens = selected.map((c) => [...beamTokens[c.row], c.token]);
      beamScores = selected.map((c) => c.score);
      next = selected.map((c) => c.token);
      active = stillActive;
      beamsPerSentence = K;
    }

    // max_new_tokens reached: the running beams compete with the finished hypotheses
    active.forEach((s, position) => {
      for (let k = 0; k < beamsPerSentence; k++) {
        const row = position * beamsPerSentence + k;
        if (beamScores[row] > -Infinity) {
          hypotheses[s].add(beamTokens[row], beamScores[row], beamTokens[row].length);
        }
      }
      onSequence?.(s, hypotheses[s].best()?.tokens ?? []);
    });
    return { steps, sequences: hypotheses.map((h) => h.best()?.tokens ?? []) };
  }

  /**
   * Row i of the next step continues batch row parents[i]. The self-attention cache always
   * follows; the cross-attention cache, encoder states and mask are per sentence, so they are
   * only gathered when rows were added (beams expanded) or removed (finished rows left).
   */
  private reorderCache(state: DecoderState, parents: number[], crossChanged: boolean): void {
    const cache = state.cache!;
    for (const name of this.pastNames) {
      if (!name.includes('.encoder.') || crossChanged)
        cache[name] = gatherRows(cache[name], parents);
    }
    if (crossChanged) {
      state.encoderHidden = gatherRows(state.encoderHidden, parents);
      state.encoderMask = gatherRows(state.encoderMask, parents);
    }
  }
}

function throwIfStopped({ signal, isCancelled }: GenerateControl): void {
  signal?.throwIfAborted();
  if (isCancelled?.()) throw new GenerationCancelledError();
}
