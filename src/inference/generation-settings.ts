import { GenerationConfigFile, MarianConfig, ModelPackageError } from '../model/model-package';

/** The public API caps; the model's own limits may lower them further. */
export const MAX_BEAM_SIZE = 8;
export const MAX_NEW_TOKENS_CAP = 512;
const FALLBACK_MAX_NEW_TOKENS = 256;

/** Ids and defaults the decoder loop needs, merged from config.json and generation_config.json. */
export interface GenerationSettings {
  decoderStartTokenId: number;
  eosTokenIds: number[];
  padTokenId: number;
  badWordsIds: number[][];
  defaultBeamSize: number;
  defaultMaxNewTokens: number;
  lengthPenalty: number;
  /** Source length the encoder accepts (position table size), including `</s>`. */
  maxSourceTokens: number;
  /** Decoder positions available for generated tokens. */
  maxNewTokensLimit: number;
  numHeads: number;
  headDim: number;
  decoderLayers: number;
  /** generation_config.json settings that change decoding but are not applied here, as key=value */
  ignored: string[];
}

export interface GenerateOptions {
  beamSize: number;
  maxNewTokens: number;
  lengthPenalty: number;
}

/**
 * Hugging Face generation settings this decoder does not apply, with the value that leaves
 * decoding unchanged (a package that sets another value decodes differently here than in
 * transformers, which the model details and the load log say).
 */
const NOT_APPLIED: Record<string, unknown> = {
  forced_eos_token_id: null,
  forced_bos_token_id: null,
  no_repeat_ngram_size: 0,
  repetition_penalty: 1,
  min_length: 0,
  min_new_tokens: null,
  do_sample: false,
  num_beam_groups: 1,
  diversity_penalty: 0,
  num_return_sequences: 1,
};

/** The settings of `generation` that NOT_APPLIED lists with another value than its neutral one. */
export function ignoredGenerationSettings(generation: Record<string, unknown>): string[] {
  return Object.entries(NOT_APPLIED)
    .filter(([key, neutral]) => generation[key] !== undefined && generation[key] !== neutral)
    .map(([key]) => `${key}=${JSON.stringify(generation[key])}`);
}

const asList = (v: number | number[] | undefined): number[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

export function resolveGenerationSettings(
  config: MarianConfig,
  generation: GenerationConfigFile | undefined,
  tokenizerMaxLength?: number,
): GenerationSettings {
  const gen = generation ?? {};
  const positions = config.max_position_embeddings ?? Number.MAX_SAFE_INTEGER;
  // Tokenizers often carry a huge sentinel (1e30) for "no limit": only trust sane values.
  const tokenizerLimit =
    tokenizerMaxLength !== undefined && tokenizerMaxLength < 1e9 ? tokenizerMaxLength : Infinity;
  const maxNewTokensLimit = Math.min(MAX_NEW_TOKENS_CAP, positions);
  const configuredMaxNew =
    gen.max_new_tokens ?? (gen.max_length ?? config.max_length ?? FALLBACK_MAX_NEW_TOKENS + 1) - 1;
  const beams = gen.num_beams ?? config.num_beams ?? 1;
  const settings: GenerationSettings = {
    decoderStartTokenId:
      gen.decoder_start_token_id ?? config.decoder_start_token_id ?? config.pad_token_id,
    eosTokenIds: asList(gen.eos_token_id) ?? [config.eos_token_id],
    padTokenId: gen.pad_token_id ?? config.pad_token_id,
    badWordsIds: gen.bad_words_ids ?? config.bad_words_ids ?? [],
    defaultBeamSize: Math.min(Math.max(1, beams), MAX_BEAM_SIZE),
    defaultMaxNewTokens: Math.min(Math.max(1, configuredMaxNew), maxNewTokensLimit),
    lengthPenalty: gen.length_penalty ?? config.length_penalty ?? 1.0,
    maxSourceTokens: Math.min(positions, tokenizerLimit),
    maxNewTokensLimit,
    numHeads: config.decoder_attention_heads,
    headDim: config.d_model / config.decoder_attention_heads,
    decoderLayers: config.decoder_layers,
    // generation_config.json overrides config.json, where older exports keep these settings
    ignored: ignoredGenerationSettings({ ...(config as Record<string, unknown>), ...gen }),
  };
  if (settings.maxSourceTokens < 2) {
    throw new ModelPackageError('max_position_embeddings is too small to encode any text');
  }
  return settings;
}

/**
 * Decoder cache bytes per row and position: keys and values (float32) of every decoder layer.
 * A row caches one position per source token (cross-attention) and per generated token.
 */
export function cacheBytesPerPosition(settings: GenerationSettings): number {
  return (
    settings.decoderLayers *
    2 *
    settings.numHeads *
    settings.headDim *
    Float32Array.BYTES_PER_ELEMENT
  );
}

/** The model's default max_new_tokens as served: MAX_NEW_TOKENS caps it too. */
export function servedDefaultMaxNewTokens(
  settings: GenerationSettings,
  serviceLimit: number,
): number {
  return Math.min(settings.defaultMaxNewTokens, serviceLimit);
}

/** Request options over model defaults, clamped to what the model can represent. */
export function resolveGenerateOptions(
  settings: GenerationSettings,
  requested: { beamSize?: number; maxNewTokens?: number },
): GenerateOptions {
  return {
    beamSize: Math.min(Math.max(1, requested.beamSize ?? settings.defaultBeamSize), MAX_BEAM_SIZE),
    maxNewTokens: Math.min(
      Math.max(1, requested.maxNewTokens ?? settings.defaultMaxNewTokens),
      settings.maxNewTokensLimit,
    ),
    lengthPenalty: settings.lengthPenalty,
  };
}
