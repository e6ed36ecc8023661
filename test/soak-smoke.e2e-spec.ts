import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');

/**
 * A 10-second run of bench/soak.mjs against the tiny fixture model: the soak harness itself
 * works and a short mixed load (with bad requests) gets no error. Memory flatness needs the
 * full 10-minute run on the real model (see BENCHMARKS.md, "Soak").
 */
describe('soak (smoke)', () => {
  it('serves a mixed load for 10 s with zero errors and shuts down cleanly', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        'bench/soak.mjs',
        '--duration=10',
        '--warmup=2',
        '--concurrency=8',
        '--sample-ms=1000',
        '--model-dir=test/fixtures/models',
        '--model-name=tiny',
        // a 10-second run says nothing about memory growth: only errors are judged here
        '--rss-tolerance=10',
      ],
      { cwd: ROOT, timeout: 60000 },
    );
    const report = JSON.parse(stdout) as {
      model: string;
      errors: number;
      errorSamples: string[];
      goodRequests: number;
      badRequestsAnswered400: number;
      serverExit: { code: number | null };
      pass: boolean;
    };
    expect(report.errorSamples).toEqual([]);
    expect(report.errors).toBe(0);
    // names the version it measured, not only the folder
    expect(report.model).toBe('test/fixtures/models/tiny/1');
    expect(report.goodRequests).toBeGreaterThan(20);
    expect(report.badRequestsAnswered400).toBeGreaterThan(0);
    expect(report.serverExit.code).toBe(0);
    expect(report.pass).toBe(true);
  }, 90000);
});
