#!/usr/bin/env node
/**
 * Offline evaluation CLI: translates a text file (one sentence per line) with exactly the
 * service's tokenizer and generator, without starting the HTTP server.
 *
 *   node dist/cli/translate-file.js --model-dir models/en-hi/7 --input dev.en --output dev.jsonl
 *     [--beam-size N] [--max-new-tokens M] [--no-split] [--batch-size 32] [--threads T]
 *
 * Writes one JSON line per input line, in input order:
 *   {"translation": "...", "ids": [generated ids, without decoder start, cut before </s>]}
 */
import { readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Translator } from '../inference/translator';
import { OnnxRuntimeAdapter } from '../model/onnx-runtime.adapter';

export const USAGE =
  'usage: translate-file --model-dir <version dir> --input <file> --output <jsonl> ' +
  '[--beam-size N] [--max-new-tokens M] [--no-split] [--batch-size 32] [--threads T]';

export interface CliOptions {
  modelDir: string;
  input: string;
  output: string;
  beamSize?: number;
  maxNewTokens?: number;
  split: boolean;
  batchSize: number;
  threads: number;
}

export class UsageError extends Error {}

function positiveInt(name: string, value: string | undefined, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new UsageError(`--${name} must be an integer from 1 to ${max}, got "${value}"`);
  }
  return n;
}

export function parseCliArgs(argv: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        'model-dir': { type: 'string' },
        input: { type: 'string' },
        output: { type: 'string' },
        'beam-size': { type: 'string' },
        'max-new-tokens': { type: 'string' },
        'no-split': { type: 'boolean', default: false },
        'batch-size': { type: 'string' },
        threads: { type: 'string' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const required = (name: 'model-dir' | 'input' | 'output'): string => {
    const v = values[name];
    if (!v) throw new UsageError(`--${name} is required`);
    return v;
  };
  return {
    modelDir: required('model-dir'),
    input: required('input'),
    output: required('output'),
    beamSize: positiveInt('beam-size', values['beam-size'], 8),
    maxNewTokens: positiveInt('max-new-tokens', values['max-new-tokens'], 512),
    split: !values['no-split'],
    batchSize: positiveInt('batch-size', values['batch-size'], 1024) ?? 32,
    threads: positiveInt('threads', values.threads, 256) ?? 0,
  };
}

/** Lines of a text file; a final newline does not add an empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export async function translateFile(options: CliOptions): Promise<{ lines: number; ms: number }> {
  const started = performance.now();
  const lines = splitLines(await readFile(options.input, 'utf8'));
  const translator = await Translator.load(options.modelDir, new OnnxRuntimeAdapter(), {
    intraOpThreads: options.threads,
  });
  try {
    const { results } = await translator.translateTexts(lines, {
      split: options.split,
      beamSize: options.beamSize,
      maxNewTokens: options.maxNewTokens,
      batchSize: options.batchSize,
    });
    const out = results.map((r) => JSON.stringify({ translation: r.text, ids: r.ids }) + '\n');
    await writeFile(options.output, out.join(''), 'utf8');
  } finally {
    await translator.dispose();
  }
  return { lines: lines.length, ms: performance.now() - started };
}

if (require.main === module) {
  void (async () => {
    try {
      const options = parseCliArgs(process.argv.slice(2));
      const { lines, ms } = await translateFile(options);
      process.stderr.write(
        `translated ${lines} lines in ${(ms / 1000).toFixed(1)} s → ${options.output}\n`,
      );
    } catch (e) {
      if (e instanceof UsageError) {
        process.stderr.write(`${e.message}\n${USAGE}\n`);
        process.exit(2);
      }
      process.stderr.write(`translate-file failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    }
  })();
}
