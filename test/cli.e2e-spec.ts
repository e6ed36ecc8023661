import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { MarianTokenizer } from '../src/inference/marian-tokenizer';
import { startApp, TINY_DIR } from './support/e2e-app';

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../dist/cli/translate-file.js');

const LINES = ['Hello.', '', 'Good night. How are you?', 'The cat sat on the mat.', 'Water.'];

interface OutputLine {
  translation: string;
  ids: number[];
}

async function translateFile(args: string[], lines = LINES): Promise<OutputLine[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  const input = path.join(dir, 'in.txt');
  const output = path.join(dir, 'out.jsonl');
  writeFileSync(input, lines.join('\n') + '\n');
  await run('node', [CLI, '--model-dir', TINY_DIR, '--input', input, '--output', output, ...args]);
  return readFileSync(output, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as OutputLine);
}

describe('translate-file CLI (built dist/cli/translate-file.js)', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  });

  it('writes one {translation, ids} line per input line, in order', async () => {
    const out = await translateFile([]);
    expect(out).toHaveLength(LINES.length);
    const tokenizer = await MarianTokenizer.fromDir(TINY_DIR);
    out.forEach((line) => {
      expect(Object.keys(line).sort()).toEqual(['ids', 'translation']);
      expect(line.ids.every((id) => Number.isInteger(id) && id !== 0 && id !== 999)).toBe(true);
    });
    expect(out[1]).toEqual({ translation: '', ids: [] });
    expect(out[0].translation).toBe(tokenizer.decode(out[0].ids));
  });

  it('matches the HTTP service output and does not depend on batch size', async () => {
    const out = await translateFile(['--batch-size', '32']);
    const one = await translateFile(['--batch-size', '1']);
    expect(one).toEqual(out);
    const t = await startApp();
    try {
      const texts = LINES.filter((l) => l !== '');
      const res = await request(t.http).post('/v1/translate').send({ text: texts }).expect(200);
      expect(res.body.translations).toEqual(
        out.filter((_, i) => LINES[i] !== '').map((l) => l.translation),
      );
    } finally {
      await t.app.close();
    }
  });

  it('--no-split decodes each line as one segment', async () => {
    const split = await translateFile([]);
    const whole = await translateFile(['--no-split']);
    const tokenizer = await MarianTokenizer.fromDir(TINY_DIR);
    expect(whole[2].translation).toBe(tokenizer.decode(whole[2].ids));
    // by default the two sentences of line 2 are decoded one by one and joined; not with the flag
    const [night, how] = await translateFile([], ['Good night.', 'How are you?']);
    expect(split[2].ids).toEqual([...night.ids, ...how.ids]);
    expect(whole[2].ids).not.toEqual(split[2].ids);
    // single-sentence lines are unaffected
    expect(whole[0]).toEqual(split[0]);
    expect(whole[3]).toEqual(split[3]);
  });

  it('honours --beam-size and --max-new-tokens', async () => {
    const capped = await translateFile(['--max-new-tokens', '2', '--no-split']);
    capped.forEach((l) => expect(l.ids.length).toBeLessThanOrEqual(2));
    const beam = await translateFile(['--beam-size', '4']);
    expect(beam).toHaveLength(LINES.length);
    expect(await translateFile(['--beam-size', '4', '--batch-size', '1'])).toEqual(beam);
    // beam search finds other translations than greedy decoding for some of these lines
    const greedy = await translateFile(['--beam-size', '1']);
    expect(beam.map((l) => l.ids)).not.toEqual(greedy.map((l) => l.ids));
  });

  /** Runs the CLI on the tiny model with the given input/output and extra flags. */
  const runCli = (input: string, output: string, ...extra: string[]) =>
    run('node', [CLI, '--model-dir', TINY_DIR, '--input', input, '--output', output, ...extra]);

  it('exits 2 with usage on bad arguments', async () => {
    await expect(run('node', [CLI, '--input', 'x'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--model-dir is required'),
    });
    await expect(runCli('x', 'y', '--beam-size', '0')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--beam-size must be an integer'),
    });
  });

  it('exits 1 when the input cannot be read', async () => {
    await expect(runCli('/nonexistent/in.txt', '/tmp/x.jsonl')).rejects.toMatchObject({ code: 1 });
  });
});
