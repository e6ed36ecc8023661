import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

/**
 * The shipped package is a standard Optimum Marian export: transformers.js (the peer a Node user would
 * reach for) loads it from local files and produces exactly the greedy output of our own ONNX decoder.
 */
const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
// the version `npm start` serves: the highest integer version folder
const VERSION = readdirSync(path.join(ROOT, 'models/en-hi'))
  .filter((d) => /^\d+$/.test(d))
  .sort((a, b) => Number(b) - Number(a))[0];
const MODEL_DIR = path.join(ROOT, 'models/en-hi', VERSION);
const DEV_EN = path.resolve(
  process.env.DATA_DIR ?? path.join(ROOT, '../shared/data/en-hi'),
  'dev.en',
);
const CLI = path.join(ROOT, 'dist/cli/translate-file.js');
const LINES = 50;
const MAX_NEW_TOKENS = '128';

describe(`transformers.js loads models/en-hi/${VERSION}`, () => {
  it(`gives the same greedy translations as the service decoder on ${LINES} dev lines`, async () => {
    for (const file of [MODEL_DIR, DEV_EN, CLI]) expect(existsSync(file)).toBe(true);
    // Every 26th dev line, so all sources of the stratified dev split are represented.
    const all = readFileSync(DEV_EN, 'utf8').trimEnd().split('\n');
    const lines = Array.from(
      { length: LINES },
      (_, i) => all[Math.floor((i * all.length) / LINES)],
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'tjs-'));
    const input = path.join(dir, 'dev50.en');
    const output = path.join(dir, 'ours.jsonl');
    writeFileSync(input, lines.join('\n') + '\n');

    const opts = { cwd: ROOT, maxBuffer: 1 << 24 };
    await run(
      'node',
      [
        CLI,
        '--model-dir',
        MODEL_DIR,
        '--input',
        input,
        '--output',
        output,
        '--beam-size',
        '1',
        '--max-new-tokens',
        MAX_NEW_TOKENS,
        '--no-split',
      ],
      opts,
    );
    const ours = readFileSync(output, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { translation: string }).translation);
    const { stdout } = await run(
      'node',
      [
        path.join(__dirname, 'support/transformers-js-translate.mjs'),
        MODEL_DIR,
        input,
        MAX_NEW_TOKENS,
      ],
      opts,
    );
    // transformers.js keeps the spaces around a skipped <unk> ("a  b", "b. "); the service drops them
    const theirs = (JSON.parse(stdout) as string[]).map((t) => t.replace(/ {2,}/g, ' ').trim());

    expect(theirs).toHaveLength(LINES);
    expect(ours.filter((t) => /[\u0900-\u097F]/.test(t)).length).toBeGreaterThan(LINES * 0.9);
    expect(theirs).toEqual(ours);
  }, 300_000);
});
