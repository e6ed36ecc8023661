// Pieces the benchmark scripts share: a keep-alive JSON client, /metrics sums, percentiles and the
// onnxruntime session options every system under test gets (so baselines differ from the service
// in design, not in runtime flags).
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SENTENCES = readFileSync(path.join(ROOT, 'bench/sentences.txt'), 'utf8').split('\n').filter((l) => l.trim());

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);
export const freePort = () => new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });

/** The service's defaults (ORT_INTRA_OP_THREADS=0, ORT_ALLOW_SPINNING=false) unless the environment overrides them. */
export const ORT_THREADS = Number(process.env.ORT_INTRA_OP_THREADS ?? 0);
export const ORT_SPINNING = ['true', '1', 'yes', 'on'].includes(String(process.env.ORT_ALLOW_SPINNING ?? 'false').trim().toLowerCase());
export const ortSessionOptions = () => ({
  ...(ORT_THREADS > 0 ? { intraOpNumThreads: ORT_THREADS } : {}),
  extra: { session: { intra_op: { allow_spinning: ORT_SPINNING ? '1' : '0' } } },
});

export function postJson(agent, port, urlPath, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (buf += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(buf)) : reject(new Error(`HTTP ${res.statusCode}: ${buf.slice(0, 200)}`))));
    });
    req.on('error', reject);
    req.end(data);
  });
}

export function getText(port, urlPath) {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: urlPath }, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(b)); }).on('error', reject);
  });
}

/** Each named series from the service's /metrics, summed over its label sets. */
export async function metricSums(port, names) {
  const sums = Object.fromEntries(names.map((n) => [n, 0]));
  for (const line of (await getText(port, '/metrics')).split('\n')) {
    const m = line.match(/^([a-z_]+)(?:\{[^}]*\})? (\S+)$/);
    if (m && m[1] in sums) sums[m[1]] += Number(m[2]);
  }
  return sums;
}

/** Batching statistics between two metricSums snapshots. */
export const BATCH_METRICS = ['anuvaad_batch_size_sum', 'anuvaad_batch_size_count', 'anuvaad_batch_queue_wait_seconds_sum',
  'anuvaad_batch_queue_wait_seconds_count', 'anuvaad_decoder_steps_total', 'anuvaad_generated_tokens_total'];
export function batchStats(before, after) {
  const d = (k) => after[k] - before[k];
  return {
    meanBatchSize: d('anuvaad_batch_size_sum') / d('anuvaad_batch_size_count'),
    batches: d('anuvaad_batch_size_count'),
    meanQueueWaitMs: (1000 * d('anuvaad_batch_queue_wait_seconds_sum')) / d('anuvaad_batch_queue_wait_seconds_count'),
    decoderSteps: d('anuvaad_decoder_steps_total'),
    generatedTokens: d('anuvaad_generated_tokens_total'),
  };
}
