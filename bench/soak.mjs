#!/usr/bin/env node
// Soak test: node bench/soak.mjs [--duration=600] [--warmup=60] [--concurrency=16]
//   [--model-dir=models --model-name=en-hi] [--rss-tolerance=0.10] [--rss-window=60] [--write]
// Starts the built service (dist/main.js) on a free loopback port, drives it with a closed-loop
// keep-alive client for --duration seconds (1–3 sentences per request from bench/sentences.txt,
// greedy with every 8th request beam 4, plus every 20th request a bad one that must get 400),
// samples the server's RSS every 5 s and checks:
//   - zero errors: every good request 200 with one translation per text, every bad one 400;
//   - flat memory: the median RSS of the last --rss-window seconds within --rss-tolerance of the
//     median of the first --rss-window seconds after the warm-up (the first --warmup seconds, which
//     are driven like the rest but not judged). Medians, because single samples of a busy server's
//     RSS swing by 10-15 % as the allocator takes and returns memory; a leak moves the median.
// Prints a JSON report on stdout; --write also puts it into the "Soak" section of BENCHMARKS.md.
// Exit code 0 when both checks pass. Needs `npm run build` first.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, ROOT, SENTENCES, sleep } from './lib.mjs';

const arg = (name, fallback) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
};
const DURATION_S = Number(arg('duration', 600));
const WARMUP_S = Number(arg('warmup', Math.min(60, DURATION_S / 5)));
const CONCURRENCY = Number(arg('concurrency', 16));
const MODEL_DIR = path.resolve(ROOT, arg('model-dir', 'models'));
const MODEL_NAME = arg('model-name', 'en-hi');
const RSS_TOLERANCE = Number(arg('rss-tolerance', 0.1));
const RSS_WINDOW_S = Number(arg('rss-window', Math.min(60, (DURATION_S - WARMUP_S) / 4)));
if (!(RSS_WINDOW_S > 0 && 2 * RSS_WINDOW_S <= DURATION_S - WARMUP_S)) {
  // overlapping windows would compare the same samples and always pass
  console.error(
    `--rss-window=${RSS_WINDOW_S}: two windows must fit in the ${DURATION_S - WARMUP_S} s after the warm-up`,
  );
  process.exit(2);
}
const SAMPLE_MS = Number(arg('sample-ms', 5000));
const WRITE = process.argv.includes('--write');
/** what else ran on the machine meanwhile, for the report (e.g. --note="a training job shared the cores") */
const NOTE = arg('note', '');
const log = (...a) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...a);

function request(agent, port, method, urlPath, body) {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: urlPath,
        agent,
        headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {},
        timeout: 60000,
      },
      (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (buf += c));
        res.on('end', () => resolve({ status: res.statusCode, body: buf }));
        res.on('error', (e) => resolve({ status: 0, body: String(e) }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('client timeout (60 s)')));
    req.on('error', (e) => resolve({ status: 0, body: `${e.code ?? ''} ${e.message}` }));
    req.end(data);
  });
}

/** Resident set size of a process in MiB, from /proc (Linux). */
function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return kb / 1024;
}

const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;

/** Median RSS of the samples taken from `fromS` to `toS` seconds (NaN when none was). */
function medianRss(samples, fromS, toS) {
  const v = samples
    .filter((s) => s.t >= fromS && s.t <= toS && Number.isFinite(s.rssMiB))
    .map((s) => s.rssMiB)
    .sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

async function main() {
  const port = await freePort();
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'anuvaad-soak-'));
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      MODEL_DIR,
      MODEL_NAME,
      LOG_DIR: logDir,
      LOG_STDOUT: 'false',
      // every request reaches the model: the cache would answer the 24 sentences from memory
      TRANSLATION_CACHE_SIZE: '0',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited: ${stderr}`);
    if (performance.now() - started > 180000) throw new Error(`service not ready: ${stderr}`);
    const r = await request(agent, port, 'GET', '/health/ready');
    if (r.status === 200) break;
    await sleep(300);
  }
  log(`service ready on ${port} (${MODEL_NAME}); ${DURATION_S} s at concurrency ${CONCURRENCY}, warm-up ${WARMUP_S} s`);

  const stats = { good: 0, bad: 0, errors: 0, errorSamples: [], latencies: [], sentences: 0 };
  const samples = [];
  const t0 = performance.now();
  const elapsedS = () => (performance.now() - t0) / 1000;
  let n = 0;
  const sampler = setInterval(() => {
    try {
      samples.push({ t: Math.round(elapsedS()), rssMiB: Math.round(rssMiB(child.pid) * 10) / 10 });
    } catch {
      // process gone: the loop notices
    }
  }, SAMPLE_MS);
  samples.push({ t: 0, rssMiB: Math.round(rssMiB(child.pid) * 10) / 10 });

  const fail = (what) => {
    stats.errors++;
    if (stats.errorSamples.length < 10) stats.errorSamples.push(what);
  };
  async function worker(w) {
    while (elapsedS() < DURATION_S && child.exitCode === null) {
      const i = n++;
      if (i % 20 === 19) {
        // bad input: wrong type; must be a 400, never a 5xx
        const r = await request(agent, port, 'POST', '/v1/translate', { text: 42 });
        if (r.status === 400) stats.bad++;
        else fail(`bad request got ${r.status}: ${r.body.slice(0, 160)}`);
        continue;
      }
      const count = 1 + ((i + w) % 3);
      const text = Array.from({ length: count }, (_, k) => SENTENCES[(i * 7 + k * 5 + w) % SENTENCES.length]);
      const body = { text, beam_size: i % 8 === 7 ? 4 : 1 };
      const t = performance.now();
      const r = await request(agent, port, 'POST', '/v1/translate', body);
      const ms = performance.now() - t;
      let ok = r.status === 200;
      if (ok) {
        try {
          ok = JSON.parse(r.body).translations.length === count;
        } catch {
          ok = false;
        }
      }
      if (!ok) {
        fail(`HTTP ${r.status}: ${r.body.slice(0, 160)}`);
        continue;
      }
      stats.good++;
      stats.sentences += count;
      if (elapsedS() >= WARMUP_S) stats.latencies.push(ms);
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  const wallS = elapsedS();
  clearInterval(sampler);
  const exitedEarly = child.exitCode !== null;
  // a server that died has no RSS left to read: the report still says what happened
  const endRss = exitedEarly ? NaN : rssMiB(child.pid);
  samples.push({ t: Math.round(wallS), rssMiB: Math.round(endRss * 10) / 10 });
  const metrics = (await request(agent, port, 'GET', '/metrics/summary')).body;
  // the version the service resolved (the newest folder unless pinned), so the report names what it measured
  const served = (await request(agent, port, 'GET', `/v1/models/${MODEL_NAME}`)).body;
  const version = (() => {
    try {
      return JSON.parse(served).version;
    } catch {
      return undefined;
    }
  })();
  agent.destroy();
  child.kill('SIGTERM');
  const exit = await new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  const afterWarmup = medianRss(samples, WARMUP_S, WARMUP_S + RSS_WINDOW_S);
  const atEnd = medianRss(samples, wallS - RSS_WINDOW_S, Infinity);
  const growth = atEnd / afterWarmup - 1;
  const round1 = (x) => Math.round(x * 10) / 10;
  const lat = stats.latencies.sort((a, b) => a - b);
  const report = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} x${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`,
    model: `${path.relative(ROOT, path.join(MODEL_DIR, MODEL_NAME, version ?? '?'))}`,
    durationS: Math.round(wallS),
    warmupS: WARMUP_S,
    concurrency: CONCURRENCY,
    requests: stats.good + stats.bad + stats.errors,
    goodRequests: stats.good,
    badRequestsAnswered400: stats.bad,
    errors: stats.errors,
    errorSamples: stats.errorSamples,
    sentencesPerS: Math.round((stats.sentences / wallS) * 10) / 10,
    latencyMs: {
      p50: Math.round(percentile(lat, 50)),
      p95: Math.round(percentile(lat, 95)),
      p99: Math.round(percentile(lat, 99)),
      max: Math.round(lat.at(-1) ?? NaN),
    },
    rssMiB: {
      start: samples[0].rssMiB,
      // medians over the first and the last RSS_WINDOW_S seconds judged
      windowS: RSS_WINDOW_S,
      afterWarmup: round1(afterWarmup),
      end: round1(atEnd),
      lastSample: round1(endRss),
      max: Math.max(...samples.map((s) => s.rssMiB)),
      growthAfterWarmupPct: round1(growth * 100),
    },
    rssSamples: samples,
    serverExit: exit,
    exitedEarly,
    summary: (() => {
      try {
        return JSON.parse(metrics);
      } catch {
        return undefined;
      }
    })(),
  };
  report.pass = report.errors === 0 && !exitedEarly && growth <= RSS_TOLERANCE;
  console.log(JSON.stringify(report, null, 2));
  if (WRITE) writeSection(report);
  log(
    `${report.requests} requests, ${report.errors} errors, RSS ${report.rssMiB.afterWarmup} → ${report.rssMiB.end} MiB (${report.rssMiB.growthAfterWarmupPct} %): ${report.pass ? 'PASS' : 'FAIL'}`,
  );
  process.exit(report.pass ? 0 : 1);
}

/** Replaces (or appends) the soak section of BENCHMARKS.md, between its markers. */
function writeSection(r) {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const start = '<!-- soak:start -->';
  const end = '<!-- soak:end -->';
  const every = Math.max(1, Math.ceil(r.rssSamples.length / 12));
  const curve = r.rssSamples
    .filter((_, i) => i % every === 0 || i === r.rssSamples.length - 1)
    .map((s) => `${s.t} s: ${s.rssMiB}`)
    .join(' · ');
  const section = `${start}
## Soak

Generated by \`node bench/soak.mjs --write\` on ${r.date}: ${r.durationS} s at concurrency ${r.concurrency} against \`${r.model}\`
(the first ${r.warmupS} s are warm-up), \`TRANSLATION_CACHE_SIZE=0\` so every request reaches the model. Requests carry 1–3
sentences from \`bench/sentences.txt\`, greedy with every 8th beam 4; every 20th request is a wrong-type body that must get 400.

- Machine: ${r.machine}, ${os.cpus().length} cores${NOTE ? `. ${NOTE}` : ''}. The load client runs on the same machine.
  This is not a benchmark (see the tables above for that): the error count and the memory curve are the point.

| requests | errors | bad requests → 400 | sentences/s | p50 ms | p95 ms | p99 ms | max ms | RSS after warm-up MiB | RSS at end MiB | growth | max RSS MiB | verdict |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
| ${r.requests} | ${r.errors} | ${r.badRequestsAnswered400} | ${r.sentencesPerS} | ${r.latencyMs.p50} | ${r.latencyMs.p95} | ${r.latencyMs.p99} | ${r.latencyMs.max} | ${r.rssMiB.afterWarmup} | ${r.rssMiB.end} | ${r.rssMiB.growthAfterWarmupPct} % | ${r.rssMiB.max} | ${r.pass ? `**pass** (0 errors, end RSS within ${Math.round(RSS_TOLERANCE * 100)} % of after warm-up)` : '**fail**'} |

RSS after warm-up and at end are the medians of the samples (every ${SAMPLE_MS / 1000} s) in the first ${r.rssMiB.windowS} s after the warm-up
and in the last ${r.rssMiB.windowS} s; single samples swing by 10–15 % as the allocator takes and returns memory, a leak moves the median.

RSS over time (MiB): ${curve}

The server was stopped with SIGTERM afterwards and exited with ${r.serverExit.code ?? r.serverExit.signal}.
A 10-second variant against the tiny fixture model runs in \`npm test\` (test/soak-smoke.e2e-spec.ts) and checks zero errors only.
${end}
`;
  let md = readFileSync(file, 'utf8');
  const a = md.indexOf(start);
  const b = md.indexOf(end);
  if (a !== -1 && b !== -1) md = md.slice(0, a) + section.trimEnd() + md.slice(b + end.length);
  else md = `${md.trimEnd()}\n\n${section}`;
  writeFileSync(file, md.endsWith('\n') ? md : `${md}\n`);
  log('wrote the Soak section of BENCHMARKS.md');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
