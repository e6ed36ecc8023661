import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
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

/** Integer-named sub-folders of `<modelDir>/<name>`, ascending. */
export async function listVersions(modelDir: string, name: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(path.join(modelDir, name), { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isDirectory() && /^\d+$/.test(e.name))
    .map((e) => e.name)
    .sort((a, b) => Number(a) - Number(b));
}

/** Newest integer version unless `pinned` names one; throws if none exists. */
export async function resolveVersion(
  modelDir: string,
  name: string,
  pinned?: string,
): Promise<string> {
  const versions = await listVersions(modelDir, name);
  if (pinned !== undefined) {
    if (!versions.includes(pinned)) {
      throw new ModelPackageError(
        `MODEL_VERSION=${pinned} not found under ${path.join(modelDir, name)} (found: ${versions.join(', ') || 'none'})`,
      );
    }
    return pinned;
  }
  const newest = versions.at(-1);
  if (newest === undefined) {
    throw new ModelPackageError(`no integer version folder under ${path.join(modelDir, name)}`);
  }
  return newest;
}

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

/**
 * A cheap fingerprint of a version folder (relative path, size and mtime of every file): it
 * changes when a package is replaced in place, so polling reloads the version.
 */
export async function fingerprintDir(dir: string): Promise<string> {
  const parts: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(child);
      else if (e.isFile()) {
        const s = await stat(path.join(dir, child));
        parts.push(`${child}:${s.size}:${s.mtimeMs}`);
      }
    }
  };
  try {
    await walk('');
  } catch {
    return 'unreadable';
  }
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/** Sub-folders of the repository that hold at least one integer version folder. */
export async function listModels(modelDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(modelDir, { withFileTypes: true });
  } catch {
    return [];
  }
  // hidden folders (.git, staging copies) are not models
  const names = entries.filter(
    (e) => e.isDirectory() && /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(e.name),
  );
  const withVersions = await Promise.all(
    names.map(async (e) => ((await listVersions(modelDir, e.name)).length > 0 ? e.name : null)),
  );
  return withVersions.filter((n): n is string => n !== null).sort();
}
