#!/usr/bin/env node
// Where does the service's time go under load? node bench/profile.mjs [--conc=32] [--seconds=8]
//
// Runs the real app in this process (dist/, bundled model, translation cache off) with V8's CPU
// profiler on the main thread, drives it from a separate client process (closed loop, one sentence
// per request, keep-alive), and attributes main-thread time to components by the script each sampled
// function lives in. By default the decode loop runs on a worker thread, so this is what the HTTP
// thread does beside it; with ORT_WORKER_THREAD=false onnxruntime runs its sessions synchronously on
// the main thread and shows up here too, as the self time of its binding. Writes bench/profile.json
// and prints a table; BENCHMARKS.md quotes it.
import http from 'node:http';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BATCH_METRICS, batchStats, metricSums, postJson, ROOT, SENTENCES } from './lib.mjs';

const require = createRequire(import.meta.url);
const arg = (name, fallback) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : fallback;
};
const CONC = Number(arg('conc', '32'));
const SECONDS = Number(arg('seconds', '8'));


/** The load generator, in its own process so its CPU time stays out of the server's profile. */
async function runClient(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONC });
  const post = (text) => postJson(agent, port, '/v1/translate', { text, beam_size: 1 });
  let issued = 0, done = 0, errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONC }, async () => {
      while (performance.now() - t0 < SECONDS * 1000) {
        try { await post(SENTENCES[issued++ % SENTENCES.length]); done++; } catch { errors++; }
      }
    }),
  );
  process.stdout.write(JSON.stringify({ done, errors, seconds: (performance.now() - t0) / 1000 }));
  agent.destroy();
}

async function main() {
  Object.assign(process.env, {
    MODEL_DIR: process.env.MODEL_DIR ?? path.join(ROOT, 'models'),
    TRANSLATION_CACHE_SIZE: '0',
    LOG_DIR: mkdtempSync(path.join(os.tmpdir(), 'anuvaad-profile-')),
    LOG_STDOUT: 'false',
    PORT: '0',
    HOST: '127.0.0.1',
  });
  const { createApp } = require(path.join(ROOT, 'dist/app.setup.js'));
  const { ModelService } = require(path.join(ROOT, 'dist/model/model.service.js'));
  const app = await createApp();
  await app.listen(0, '127.0.0.1');
  await app.get(ModelService).load();
  const port = app.getHttpServer().address().port;

  const client = (seconds) =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--client', `--port=${port}`, `--conc=${CONC}`, `--seconds=${seconds}`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`))));
    });
  await client(2); // warm-up: JIT, arenas, first batches

  const session = new inspector.Session();
  session.connect();
  const send = (method, params) => new Promise((res, rej) => session.post(method, params, (e, r) => (e ? rej(e) : res(r))));
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  const metrics0 = await metricSums(port, BATCH_METRICS);
  const cpu0 = process.cpuUsage();
  await send('Profiler.start');
  const load = await client(SECONDS);
  const { profile } = await send('Profiler.stop');
  const cpu = process.cpuUsage(cpu0);
  const metrics1 = await metricSums(port, BATCH_METRICS);
  session.disconnect();
  await app.close();

  const report = summarize(profile, load, cpu);
  Object.assign(report, batchStats(metrics0, metrics1));
  report.decoderStepsPerSentence = report.decoderSteps / load.done;
  writeFileSync(path.join(ROOT, 'bench/profile.json'), JSON.stringify(report, null, 2));
  console.log(`c=${CONC}, ${load.done} requests in ${load.seconds.toFixed(1)} s (${(load.done / load.seconds).toFixed(1)} sentences/s, ${load.errors} errors)`);
  console.log(`mean batch size ${report.meanBatchSize.toFixed(1)}, mean queue wait ${report.meanQueueWaitMs.toFixed(1)} ms, decoder steps per sentence ${report.decoderStepsPerSentence.toFixed(2)}`);
  console.log(`server process CPU: ${report.serverCpuCores.toFixed(2)} cores (user+system over wall time; includes onnxruntime's pool threads)`);
  console.log('\nmain-thread wall time by component:');
  for (const row of report.components) console.log(`${row.share.toFixed(1).padStart(6)} %  ${row.component}`);
  console.log('\ntop functions (self time):');
  for (const f of report.topFunctions.slice(0, 15)) console.log(`${f.share.toFixed(1).padStart(6)} %  ${f.name}  ${f.where}`);
}

/** Self time per sampled function, grouped by the component its script belongs to. */
function summarize(profile, load, cpu) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  // Native functions (no script URL: the onnxruntime binding, socket writes) count towards the
  // component of the nearest JS caller.
  const scriptFrame = (id) => {
    let node = byId.get(id);
    while (!node.callFrame.url && parentOf.has(node.id) && !node.callFrame.functionName.startsWith('(')) node = byId.get(parentOf.get(node.id));
    return node.callFrame;
  };
  const self = new Map();
  const intervals = profile.timeDeltas;
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (intervals[i + 1] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const components = new Map();
  const functions = new Map();
  for (const [id, us] of self) {
    const { callFrame } = byId.get(id);
    const component = componentOf(scriptFrame(id));
    components.set(component, (components.get(component) ?? 0) + us);
    const where = callFrame.url ? `${shortUrl(callFrame.url)}:${callFrame.lineNumber + 1}` : '';
    const key = `${callFrame.functionName || '(anonymous)'}|${where}`;
    functions.set(key, (functions.get(key) ?? 0) + us);
  }
  const share = (us) => (100 * us) / total;
  const wallS = (profile.endTime - profile.startTime) / 1e6;
  return {
    concurrency: CONC,
    requests: load.done,
    errors: load.errors,
    sentencesPerS: load.done / load.seconds,
    profiledSeconds: wallS,
    serverCpuCores: (cpu.user + cpu.system) / 1e6 / wallS,
    components: [...components].map(([component, us]) => ({ component, share: share(us), ms: us / 1000 })).sort((a, b) => b.share - a.share),
    topFunctions: [...functions].map(([key, us]) => { const [name, where] = key.split('|'); return { name, where, share: share(us) }; }).sort((a, b) => b.share - a.share).slice(0, 40),
  };
}

const shortUrl = (url) => url.replace(/^file:\/\//, '').replace(`${ROOT}/`, '');

function componentOf({ url, functionName }) {
  if (functionName === '(idle)') return 'idle (waiting for requests or I/O)';
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8/native outside JS (program)';
  const u = shortUrl(url);
  const rules = [
    [/onnxruntime-(node|common)/, 'onnxruntime (session runs, blocking on the main thread)'],
    [/@huggingface\/tokenizers/, 'tokenizer (@huggingface/tokenizers)'],
    [/dist\/inference\/(seq2seq-generator|tensor-ops|beam-search)/, 'decode loop (our generator: feeds, argmax, cache bookkeeping)'],
    [/dist\/inference\/(batch-scheduler|translator|translation|sentence-splitter|lru-cache|marian-tokenizer)/, 'batching, splitting, tokenizer glue (our code)'],
    [/dist\/(monitoring|logging|metrics)|prom-client|pino|sonic-boom|thread-stream/, 'logs, metrics, drift (pino, prom-client, our monitoring)'],
    [/class-validator|class-transformer|dist\/common|dist\/inference\/dto/, 'validation, filters, interceptors'],
    [/@nestjs|rxjs|reflect-metadata/, 'NestJS core + rxjs'],
    [/node_modules\/(express|router|body-parser|raw-body|iconv-lite|finalhandler|send|on-finished|qs|statuses|content-type|type-is|mime|path-to-regexp)/, 'express'],
    [/^node:|^internal|^$/, 'Node core (http, net, streams, timers)'],
  ];
  for (const [re, name] of rules) if (re.test(u)) return name;
  return `other (${u.split('/').slice(0, 3).join('/')})`;
}

if (process.argv.includes('--client')) await runClient(Number(arg('port')));
else await main();
