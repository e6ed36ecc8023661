import { createHash } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CHECKSUMS_FILE } from './checksums';

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

/**
 * What a directory entry is, following a symbolic link (`en-hi/2 -> /data/rel-2`, the usual
 * atomic swap, or a symlinked file): `'dir'`, `'file'`, or `undefined` for anything else and for
 * a dangling link.
 */
async function entryKind(parent: string, e: Dirent): Promise<'dir' | 'file' | undefined> {
  let s: Dirent | Stats = e;
  if (e.isSymbolicLink()) {
    try {
      s = await stat(path.join(parent, e.name));
    } catch {
      return undefined;
    }
  }
  return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
}

/** Sub-folders of `dir` (symlinked ones included) whose names pass `accept`. */
async function listSubfolders(dir: string, accept: (name: string) => boolean): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const kinds = await Promise.all(
    entries.map(async (e) => (accept(e.name) ? await entryKind(dir, e) : undefined)),
  );
  return entries.filter((_, i) => kinds[i] === 'dir').map((e) => e.name);
}

/** Integer-named sub-folders of `<modelDir>/<name>` (symlinked ones too), ascending. */
export async function listVersions(modelDir: string, name: string): Promise<string[]> {
  const versions = await listSubfolders(path.join(modelDir, name), (n) => /^\d+$/.test(n));
  return versions.sort((a, b) => Number(a) - Number(b));
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
 * A cheap fingerprint of a version folder: where it resolves to (a re-pointed symlink counts as
 * a change), the relative path, size and mtime of every file (symlinks followed), and the
 * content of checksums.sha256, so a package replaced with the same sizes and mtimes but other
 * checksums still changes it. Polling reloads a version whose fingerprint changed.
 */
export async function fingerprintDir(dir: string): Promise<string> {
  const parts: string[] = [];
  // (device, inode) of the folders on the current path, so a symlink loop ends the walk
  const ancestors = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(dir, rel);
    const self = await stat(abs);
    const id = `${self.dev}:${self.ino}`;
    if (ancestors.has(id)) {
      parts.push(`${rel}:loop`);
      return;
    }
    ancestors.add(id);
    const entries = await readdir(abs, { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      const kind = await entryKind(abs, e);
      if (kind === 'dir') await walk(child);
      else if (kind === 'file') {
        const s = await stat(path.join(dir, child));
        parts.push(`${child}:${s.size}:${s.mtimeMs}`);
      } else if (e.isSymbolicLink()) parts.push(`${child}:dangling`);
    }
    ancestors.delete(id);
  };
  try {
    parts.push(`@${await realpath(dir)}`);
    await walk('');
  } catch {
    return 'unreadable';
  }
  const hash = createHash('sha256').update(parts.join('\n'));
  try {
    hash.update('\nchecksums:').update(await readFile(path.join(dir, CHECKSUMS_FILE)));
  } catch {
    // no checksum list: the file listing alone
  }
  return hash.digest('hex');
}

/** Sub-folders of the repository (symlinked ones too) that hold at least one integer version folder. */
export async function listModels(modelDir: string): Promise<string[]> {
  // hidden folders (.git, staging copies) are not models
  const names = await listSubfolders(modelDir, (n) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(n));
  const withVersions = await Promise.all(
    names.map(async (n) => ((await listVersions(modelDir, n)).length > 0 ? n : null)),
  );
  return withVersions.filter((n): n is string => n !== null).sort();
}
