import { LATIN_LETTER } from '../common/latin-script';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  GenerationConfigFile,
  MarianConfig,
  PACKAGE_FILES,
  readJson,
  readOptionalJson,
  validateMarianConfig,
} from '../model/model-package';
import { ModelRuntime, RuntimeSession, SessionOptions } from '../model/model-runtime.port';
import {
  GenerationSettings,
  resolveGenerateOptions,
  resolveGenerationSettings,
} from './generation-settings';
import { MarianTokenizer } from './marian-tokenizer';
import { joinSentences, SplitText, splitSentences } from './sentence-splitter';
import { GenerationOutput, Seq2SeqGenerator, TextGenerator } from './seq2seq-generator';
import type { GenerateOptions } from './generation-settings';

/** Runs the generator on a group of sentences; the service routes this through its batcher. */
export type DecodeFn = (batch: number[][], options: GenerateOptions) => Promise<GenerationOutput>;

/** Finished sentence translations for one model and option set (see TranslationCache). */
export interface SegmentCache {
  lookup(segments: string[]): (SegmentTranslation | undefined)[];
  store(segment: string, result: SegmentTranslation): void;
}

export interface TranslateOptions {
  beamSize?: number;
  maxNewTokens?: number;
  /** sentences per forward pass (per call of `decode`) */
  batchSize: number;
  /** defaults to running the generator directly */
  decode?: DecodeFn;
  /** answers for sentences translated before; misses are stored after decoding */
  cache?: SegmentCache;
}

export interface SegmentTranslation {
  text: string;
  /** generated ids without decoder start and `</s>` */
  ids: number[];
  /** source tokens fed to the encoder, `</s>` included */
  inputTokens: number;
  /** how many of them are the unknown token (the drift detector's unknown-token rate) */
  unknownTokens: number;
  /** true when the source was cut to the model's maximum length */
  truncated: boolean;
  /** true when the output stopped at max_new_tokens before the model ended the sentence */
  outputCut: boolean;
}

export interface TextTranslation extends SegmentTranslation {
  segments: number;
  /** per sentence, in order: source tokens without `</s>` and how many are unknown (drift) */
  sentenceTokens: { sourceTokens: number; unknownTokens: number }[];
  /** source tokens without the `</s>` of each sentence (what the drift detector measures) */
  sourceTokens: number;
}

export interface StageTimings {
  tokenizeMs: number;
  encodeMs: number;
  decodeMs: number;
  detokenizeMs: number;
}

export interface TranslationBatchResult<T> {
  results: T[];
  timings: StageTimings;
  /** segments the model decoded (the others were blank or came from the cache) */
  decoded: number;
}

/**
 * Everything between text and text for one model version: tokenizer, sentence splitting,
 * length-sorted batching and the generator. Used by the HTTP service and the eval CLI alike.
 */
export class Translator {
  private constructor(
    readonly tokenizer: MarianTokenizer,
    readonly generator: TextGenerator,
    readonly config: MarianConfig,
    readonly generationConfig: GenerationConfigFile | undefined,
    private readonly sessions: RuntimeSession[],
  ) {}

  get settings(): GenerationSettings {
    return this.generator.settings;
  }

  static async load(
    versionDir: string,
    runtime: ModelRuntime,
    options: SessionOptions,
  ): Promise<Translator> {
    const config = await readJson<MarianConfig>(path.join(versionDir, PACKAGE_FILES.config));
    validateMarianConfig(config);
    const generationConfig = await readOptionalJson<GenerationConfigFile>(
      path.join(versionDir, PACKAGE_FILES.generationConfig),
    );
    const tokenizer = await MarianTokenizer.fromDir(versionDir);
    const settings = resolveGenerationSettings(
      config,
      generationConfig,
      tokenizer.config.model_max_length,
    );
    const encoder = await runtime.createSession(
      path.join(versionDir, PACKAGE_FILES.encoder),
      options,
    );
    const sessions = [encoder];
    try {
      const decoder = await runtime.createSession(
        path.join(versionDir, PACKAGE_FILES.decoder),
        options,
      );
      sessions.push(decoder);
      const generator = runtime.createGenerator
        ? await runtime.createGenerator(encoder, decoder, settings)
        : new Seq2SeqGenerator(encoder, decoder, settings);
      return new Translator(tokenizer, generator, config, generationConfig, sessions);
    } catch (e) {
      await Promise.all(sessions.map((s) => s.release()));
      throw e;
    }
  }

  /** Translates each segment as given (no sentence splitting), in input order. */
  async translateSegments(
    segments: string[],
    options: TranslateOptions,
  ): Promise<TranslationBatchResult<SegmentTranslation>> {
    const generate = resolveGenerateOptions(this.settings, options);
    const timings: StageTimings = { tokenizeMs: 0, encodeMs: 0, decodeMs: 0, detokenizeMs: 0 };
    const results: SegmentTranslation[] = segments.map(() => ({
      text: '',
      ids: [],
      inputTokens: 0,
      unknownTokens: 0,
      truncated: false,
      outputCut: false,
    }));

    const cached = options.cache?.lookup(segments) ?? [];
    cached.forEach((hit, index) => {
      if (hit) results[index] = hit;
    });
    let t0 = performance.now();
    const encoded = segments.map((s, index) =>
      s.trim() === '' || cached[index] ? { ids: [], truncated: false } : this.encodeSource(s),
    );
    timings.tokenizeMs += performance.now() - t0;
    // No Latin letter, no English to translate (numbers, emoji, Hindi or another script): the
    // model would garble or drop it ("12345" -> "1234", an emoji -> ""), so it is kept as it is.
    encoded.forEach(({ ids }, index) => {
      if (ids.length === 0 || LATIN_LETTER.test(segments[index])) return;
      results[index] = {
        text: segments[index].trim(),
        ids: [],
        inputTokens: ids.length,
        unknownTokens: this.unknownTokens(ids),
        // returned whole, however long: nothing of it was cut
        truncated: false,
        outputCut: false,
      };
      encoded[index] = { ids: [], truncated: false };
      options.cache?.store(segments[index], results[index]);
    });
    const decode: DecodeFn =
      options.decode ??
      ((batch, generateOptions) => this.generator.generate(batch, generateOptions));

    // Sorting by length keeps padding small; each group is one forward pass.
    const order = encoded
      .map((e, index) => ({ index, length: e.ids.length }))
      .filter((e) => e.length > 0)
      .sort((a, b) => a.length - b.length || a.index - b.index)
      .map((e) => e.index);
    for (let i = 0; i < order.length; i += options.batchSize) {
      const group = order.slice(i, i + options.batchSize);
      const { sequences, timings: g } = await decode(
        group.map((index) => encoded[index].ids),
        generate,
      );
      timings.encodeMs += g.encodeMs;
      timings.decodeMs += g.decodeMs;
      t0 = performance.now();
      group.forEach((index, j) => {
        results[index] = {
          text: this.tokenizer.decode(sequences[j]),
          ids: sequences[j],
          inputTokens: encoded[index].ids.length,
          unknownTokens: this.unknownTokens(encoded[index].ids),
          truncated: encoded[index].truncated,
          // sequences hold no </s>: one as long as the budget never reached it
          outputCut: sequences[j].length >= generate.maxNewTokens,
        };
        options.cache?.store(segments[index], results[index]);
      });
      timings.detokenizeMs += performance.now() - t0;
    }
    return { results, timings, decoded: order.length };
  }

  /**
   * Translates whole texts: each is split into sentences (unless `split` is false), all
   * sentences of all texts are decoded together, and each text's sentences are joined again.
   */
  translateTexts(
    texts: string[],
    options: TranslateOptions & { split: boolean },
  ): Promise<TranslationBatchResult<TextTranslation>> {
    return this.translateSplitTexts(
      texts.map((t) => (options.split ? splitSentences(t) : { sentences: [t], separators: [] })),
      options,
    );
  }

  /** translateTexts for texts already split into sentences. */
  async translateSplitTexts(
    texts: SplitText[],
    options: TranslateOptions,
  ): Promise<TranslationBatchResult<TextTranslation>> {
    const { results, timings, decoded } = await this.translateSegments(
      texts.flatMap((t) => t.sentences),
      options,
    );
    let next = 0;
    const translated = texts.map(({ sentences: segments, separators }) => {
      const parts = results.slice(next, (next += segments.length));
      return {
        text: joinSentences(
          parts.map((p) => p.text),
          separators,
        ),
        ids: parts.flatMap((p) => p.ids),
        inputTokens: parts.reduce((n, p) => n + p.inputTokens, 0),
        unknownTokens: parts.reduce((n, p) => n + p.unknownTokens, 0),
        sourceTokens: parts.reduce((n, p) => n + Math.max(0, p.inputTokens - 1), 0),
        truncated: parts.some((p) => p.truncated),
        outputCut: parts.some((p) => p.outputCut),
        segments: segments.length,
        sentenceTokens: parts.map((p) => ({
          sourceTokens: Math.max(0, p.inputTokens - 1),
          unknownTokens: p.unknownTokens,
        })),
      };
    });
    return { results: translated, timings, decoded };
  }

  async dispose(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.release()));
  }

  private unknownTokens(ids: number[]): number {
    return ids.filter((id) => id === this.tokenizer.unkTokenId).length;
  }

  /** Source ids, cut to the encoder's position limit with `</s>` kept last. */
  private encodeSource(text: string): { ids: number[]; truncated: boolean } {
    const ids = this.tokenizer.encode(text);
    const max = this.settings.maxSourceTokens;
    if (ids.length <= max) return { ids, truncated: false };
    return { ids: [...ids.slice(0, max - 1), ids[ids.length - 1]], truncated: true };
  }
}
