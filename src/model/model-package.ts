import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';

/** What the service needs from config.json (Marian layout, Hugging Face names). */
export interface MarianConfig {
  model_type?: string;
  d_model: number;
  decoder_layers: number;
  decoder_attention_heads: number;
  vocab_size: number;
  pad_token_id: number;
  eos_token_id: number;
  decoder_start_token_id?: number;
  bad_words_ids?: number[][];
  max_position_embeddings?: number;
  num_beams?: number;
  max_length?: number;
  length_penalty?: number;
  [key: string]: unknown;
}

export interface GenerationConfigFile {
  num_beams?: number;
  max_new_tokens?: number;
  max_length?: number;
  length_penalty?: number;
  eos_token_id?: number | number[];
  pad_token_id?: number;
  decoder_start_token_id?: number;
  bad_words_ids?: number[][];
  [key: string]: unknown;
}

export const PACKAGE_FILES = {
  encoder: 'onnx/encoder_model.onnx',
  decoder: 'onnx/decoder_model_merged.onnx',
  config: 'config.json',
  generationConfig: 'generation_config.json',
  tokenizer: 'tokenizer.json',
  tokenizerConfig: 'tokenizer_config.json',
  metrics: 'metrics.json',
  driftProfile: 'drift_profile.json',
} as const;

export class ModelPackageError extends Error {}

export async function readJson<T>(file: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ModelPackageError(`missing ${path.basename(file)} in ${path.dirname(file)}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ModelPackageError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}

export async function readOptionalJson<T>(file: string): Promise<T | undefined> {
  try {
    await stat(file);
  } catch {
    return undefined;
  }
  return readJson<T>(file);
}

/** Checks the fields the decoder loop relies on, so a bad package fails at load, not mid-request. */
export function validateMarianConfig(config: MarianConfig): void {
  const required = [
    'd_model',
    'decoder_layers',
    'decoder_attention_heads',
    'vocab_size',
    'pad_token_id',
    'eos_token_id',
  ] as const;
  for (const key of required) {
    if (!Number.isInteger(config[key]) || config[key] < 0) {
      throw new ModelPackageError(`config.json: ${key} must be a non-negative integer`);
    }
  }
  if (config.d_model % config.decoder_attention_heads !== 0) {
    throw new ModelPackageError(
      'config.json: d_model must be divisible by decoder_attention_heads',
    );
  }
}
