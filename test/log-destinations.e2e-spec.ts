import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { eventually, FIXTURE_MODELS, TINY } from './support/e2e-app';
import {
  call,
  freePort,
  MAIN,
  ServiceProcess,
  startService,
  stopService,
} from './support/service-process';

/** The JSON lines of the process' captured output (the first may be cut: skipped). */
function jsonLines(output: string): Record<string, unknown>[] {
  return output.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

describe('LOG_FILES=false: logs on stdout only (as in the Kubernetes manifest)', () => {
  let service: ServiceProcess | undefined;
  const logDir = mkdtempSync(path.join(tmpdir(), 'anuvaad-no-files-'));

  beforeAll(async () => {
    service = await startService({ LOG_FILES: 'false', LOG_STDOUT: 'true', LOG_DIR: logDir });
  });
  afterAll(() => stopService(service));

  it('writes the request line and the prediction line to stdout and nothing under LOG_DIR', async () => {
    const answer = await call(
      service!.port,
      'POST',
      '/v1/translate',
      { text: 'Hello.' },
      {
        headers: {
          'x-request-id': 'stdout-1',
          authorization: 'Bearer secret-one',
          'x-api-key': 'secret-two',
          'proxy-authorization': 'Basic secret-three',
        },
      },
    );
    expect(answer.status).toBe(200);
    const mine = (event: (l: Record<string, unknown>) => boolean) =>
      jsonLines(service!.output()).find((l) => l.request_id === 'stdout-1' && event(l));
    // the lines reach stdout asynchronously
    await eventually(
      () => !!(mine((l) => l.event === 'prediction') && mine((l) => 'res' in l)),
      3000,
    );
    expect(mine((l) => l.event === 'prediction')).toMatchObject({
      endpoint: '/v1/translate',
      model_name: 'tiny',
      texts: 1,
    });
    expect(mine((l) => 'res' in l)).toMatchObject({
      msg: 'request completed',
      res: { statusCode: 200 },
    });
    expect(readdirSync(logDir)).toEqual([]);
    // credentials stay out of the log, whichever header carried them
    expect(service!.output()).not.toMatch(/secret-(one|two|three)/);
    expect(mine((l) => 'res' in l)).toMatchObject({
      req: { headers: { authorization: '[Redacted]', 'x-api-key': '[Redacted]' } },
    });
  });
});

describe('a LOG_DIR that cannot be written', () => {
  /** LOG_DIR under a plain file; or a LOG_DIR whose app.log is a folder (a reused volume). */
  const setups: [string, () => string, RegExp][] = [
    [
      'a path under a file',
      () => {
        const file = path.join(mkdtempSync(path.join(tmpdir(), 'anuvaad-file-')), 'file');
        writeFileSync(file, '');
        return path.join(file, 'logs');
      },
      /ENOTDIR/,
    ],
    [
      'a folder whose app.log is a folder',
      () => {
        const dir = mkdtempSync(path.join(tmpdir(), 'anuvaad-logdir-'));
        mkdirSync(path.join(dir, 'app.log'));
        return dir;
      },
      /EISDIR/,
    ],
  ];

  it.each(setups)(
    '%s: exits 1 with one line naming LOG_DIR and the way out, not an abort and a stack',
    async (_what, logDir, cause) => {
      const dir = logDir();
      const child = spawn(process.execPath, [MAIN], {
        env: {
          ...process.env,
          PORT: String(await freePort()),
          MODEL_DIR: FIXTURE_MODELS,
          MODEL_NAME: TINY,
          LOG_DIR: dir,
          LOG_FILES: 'true',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      try {
        let stderr = '';
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
        expect({ code, signal }).toEqual({ code: 1, signal: null });
        const lines = stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(
          `LOG_DIR=${JSON.stringify(dir)}: log files cannot be written there (`,
        );
        expect(lines[0]).toMatch(cause);
        expect(lines[0]).toContain('set LOG_FILES=false to log to stdout only');
      } finally {
        child.kill('SIGKILL');
      }
    },
    20_000,
  );
});
