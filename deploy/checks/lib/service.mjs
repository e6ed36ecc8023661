// Starts the built service (node dist/main.js) on a free loopback port and always stops it.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './repo.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** fetch with a deadline, so no check can hang the run. */
export async function get(url, { timeoutMs = 5000, ...init } = {}) {
  return fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
}

const running = new Set();
function killAll() {
  for (const child of running) child.kill('SIGKILL');
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Spawns a long-running process whose output goes to a log file (never to our stdout, whose last
 * line must stay the summary). It is killed when this process exits, whatever the reason.
 */
export function spawnLogged(argv, { env = {}, cwd = ROOT, name }) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `anuvaad-${name}-`));
  const logFile = path.join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(argv[0], argv.slice(1), {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
  running.add(child);
  const exited = new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const tail = (n = 15) => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-n).join('\n');
    } catch {
      return '';
    }
  };
  return { child, exited, dir, logFile, tail };
}

export async function waitFor(what, fn, { timeoutMs, intervalMs = 250, proc }) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (proc && proc.child.exitCode !== null) {
      throw new Error(
        `${what}: process exited with ${proc.child.exitCode}; log tail: ${proc.tail(8)}`,
      );
    }
    try {
      const value = await fn();
      if (value) return value;
    } catch (e) {
      last = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `${what}: not within ${timeoutMs / 1000}s${last ? ` (${last.message})` : ''}${proc ? `; log tail: ${proc.tail(8)}` : ''}`,
  );
}

/**
 * The service as the container runs it: `argv` is the Dockerfile's CMD, env its runtime ENV,
 * overridden with a loopback host, a free port and the given model.
 */
export async function startService({
  argv,
  env = {},
  modelDir,
  modelName,
  readyTimeoutMs = 90000,
}) {
  const port = await freePort();
  const proc = spawnLogged(argv, {
    name: 'service',
    env: {
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
      MODEL_DIR: modelDir,
      MODEL_NAME: modelName,
      LOG_STDOUT: 'true',
      ORT_INTRA_OP_THREADS: '1',
    },
  });
  const base = `http://127.0.0.1:${port}`;
  proc.port = port;
  proc.base = base;
  await waitFor(
    `${base}/health/ready answering 200 (model ${modelName})`,
    async () => (await get(`${base}/health/ready`)).status === 200,
    {
      timeoutMs: readyTimeoutMs,
      intervalMs: 300,
      proc,
    },
  );
  return proc;
}

/** SIGTERM, then SIGKILL after `graceMs`; returns how the process ended and how long it took. */
export async function stop(proc, graceMs = 10000) {
  if (proc.child.exitCode !== null || proc.child.signalCode !== null)
    return { ...(await proc.exited), ms: 0 };
  const started = Date.now();
  proc.child.kill('SIGTERM');
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
  const result = await proc.exited;
  clearTimeout(timer);
  return { ...result, ms: Date.now() - started };
}
