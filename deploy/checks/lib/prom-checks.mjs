// deploy/prometheus: promtool, metric names against the live service, and a real Prometheus that
// scrapes the service (loopback only) and evaluates the rules and the dashboard's queries.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { analyse, exposedNames, fromGrafana, labelValues } from './promql.mjs';
import { assert, Problems } from './harness.mjs';
import { readJson, readYaml, rel, ROOT } from './repo.mjs';
import { freePort, get, spawnLogged, stop, waitFor } from './service.mjs';

export const RULES = 'deploy/prometheus/alerts.yml';
export const RULE_TESTS = 'deploy/prometheus/alerts.test.yml';
export const DASHBOARD = 'deploy/grafana/anuvaad-dashboard.json';
// Series Prometheus itself adds to every scrape target.
const SCRAPE_SERIES = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
]);

function promtool(args) {
  const r = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
  if (r.error) throw new Error(`promtool: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

export function checkRules() {
  const r = promtool(['check', 'rules', RULES]);
  assert(r.status === 0, r.out);
  return r.out
    .split('\n')
    .find((l) => /SUCCESS/.test(l))
    ?.trim();
}

export function testRules() {
  const r = promtool(['test', 'rules', RULE_TESTS]);
  assert(r.status === 0, r.out.slice(0, 1500));
  const tests = readYaml(RULE_TESTS).tests;
  const alerts = readYaml(RULES)
    .groups.flatMap((g) => g.rules)
    .filter((x) => x.alert)
    .map((x) => x.alert);
  const tested = new Set(tests.flatMap((t) => (t.alert_rule_test ?? []).map((a) => a.alertname)));
  const firing = new Set(
    tests.flatMap((t) =>
      (t.alert_rule_test ?? []).filter((a) => a.exp_alerts?.length).map((a) => a.alertname),
    ),
  );
  const untested = alerts.filter((a) => !tested.has(a) || !firing.has(a));
  assert(untested.length === 0, `alerts without a firing test case: ${untested.join(', ')}`);
  return `${tests.length} test groups, all ${alerts.length} alerts fire in a case`;
}

export function ruleExprs() {
  const rules = readYaml(RULES).groups.flatMap((g) => g.rules);
  const recorded = new Set(rules.filter((r) => r.record).map((r) => r.record));
  return { rules, recorded };
}

/** Every metric in every rule is exported by the running service (or recorded by the rules). */
export function rulesUseExportedMetrics(scrape) {
  const names = exposedNames(scrape);
  const { rules, recorded } = ruleExprs();
  const p = new Problems();
  const used = new Set();
  for (const r of rules) {
    for (const m of analyse(r.expr).metrics) {
      used.add(m);
      p.expect(
        names.has(m) || recorded.has(m) || SCRAPE_SERIES.has(m),
        `${r.alert ?? r.record}: ${m} is not exported by the service`,
      );
    }
  }
  p.throwIfAny();
  return `${[...used].filter((m) => names.has(m)).length} exported + ${[...used].filter((m) => recorded.has(m)).length} recorded names`;
}

/** The route values the rules and dashboard match on are the service's real route labels. */
export function routeMatchersMatch(scrape, exprs) {
  const routes = labelValues(scrape, 'anuvaad_http_request_duration_seconds_count', 'route');
  assert(
    routes.size > 0,
    'no route labels on anuvaad_http_request_duration_seconds_count (no traffic yet?)',
  );
  const p = new Problems();
  for (const expr of exprs) {
    for (const m of analyse(expr).matchers.filter((x) => x.label === 'route' && x.op === '=~')) {
      for (const alt of m.value.split('|'))
        p.expect(
          routes.has(alt),
          `route "${alt}" in ${expr.slice(0, 60)}... is not a route label the service emits (${[...routes].join(', ')})`,
        );
    }
  }
  p.throwIfAny();
  return [...routes].join(' ');
}

export function dashboardExprs() {
  const d = readJson(DASHBOARD);
  const panels = d.panels.flatMap((p) => (p.type === 'row' ? (p.panels ?? []) : [p]));
  return {
    d,
    panels,
    exprs: panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr, promql: fromGrafana(t.expr) })),
    ),
  };
}

export function dashboardStructure() {
  const { d, panels, exprs } = dashboardExprs();
  const p = new Problems();
  p.expect(d.uid && d.title && d.schemaVersion >= 36, 'dashboard lacks uid/title/schemaVersion');
  const ids = panels.map((x) => x.id);
  p.expect(new Set(ids).size === ids.length, 'duplicate panel ids');
  const dsVar = d.templating?.list?.find(
    (v) => v.type === 'datasource' && v.query === 'prometheus',
  );
  p.expect(
    dsVar,
    'no Prometheus datasource variable (the dashboard would be bound to one Grafana instance)',
  );
  for (const panel of panels) {
    p.expect(panel.targets?.length, `panel "${panel.title}" has no queries`);
    for (const t of panel.targets ?? []) {
      p.expect(
        t.datasource?.uid === `\${${dsVar?.name}}`,
        `panel "${panel.title}" ${t.refId} does not use the datasource variable`,
      );
      p.expect(
        typeof t.expr === 'string' && t.expr.trim(),
        `panel "${panel.title}" ${t.refId} has no expr`,
      );
    }
    const g = panel.gridPos;
    p.expect(g && g.x + g.w <= 24, `panel "${panel.title}" is outside the 24-column grid`);
  }
  for (const { panel, promql } of exprs) {
    try {
      analyse(promql);
    } catch (e) {
      p.add(`${panel}: ${e.message}`);
    }
  }
  // What the issue asks the dashboard to show, found by the queries themselves.
  const has = (re) => exprs.some((e) => re.test(e.expr));
  const wants = {
    'request rate': /rate\(anuvaad_http_request_duration_seconds_count/,
    'error rate': /status_code=~"5\.\."[\s\S]*\/[\s\S]*anuvaad_http_request_duration_seconds_count/,
    'latency p50': /histogram_quantile\(0\.5,[\s\S]*anuvaad_http_request_duration_seconds_bucket/,
    'latency p95': /histogram_quantile\(0\.95,[\s\S]*anuvaad_http_request_duration_seconds_bucket/,
    'latency p99': /histogram_quantile\(0\.99,[\s\S]*anuvaad_http_request_duration_seconds_bucket/,
    'tokens/s': /rate\(anuvaad_generated_tokens_per_text_sum/,
    'batch size': /anuvaad_batch_size_(bucket|sum)/,
    'queue': /anuvaad_batch_queue_length/,
    'in flight': /anuvaad_http_requests_in_flight/,
    'generated tokens/s': /rate\(anuvaad_generated_tokens_total/,
    'cache hits': /anuvaad_translation_cache_hits_total/,
    'model version': /by \(model_name, model_version\) \(anuvaad_model_ready\)/,
    'drift score': /anuvaad_drift_score/,
  };
  for (const [what, re] of Object.entries(wants)) p.expect(has(re), `no query for ${what}`);
  p.throwIfAny();
  return `${panels.length} panels, ${exprs.length} queries`;
}

/**
 * Every dashboard query uses exported names, and every metric family the service declares
 * (src/metrics/metric-names.ts) has a panel: a new series (say a batch queue) fails here until
 * the dashboard shows it.
 */
export function dashboardUsesExportedMetrics(scrape, serviceFamilies) {
  const names = exposedNames(scrape);
  const { exprs } = dashboardExprs();
  const p = new Problems();
  const used = new Set();
  for (const { panel, promql } of exprs) {
    for (const m of analyse(promql).metrics) {
      used.add(m);
      p.expect(names.has(m), `"${panel}": ${m} is not on the service's /metrics`);
    }
  }
  const family = (m) => m.replace(/_(bucket|sum|count)$/, '');
  const shown = new Set([...used].map(family));
  const missing = serviceFamilies.filter((f) => !shown.has(f) && !used.has(f));
  p.expect(missing.length === 0, `service metrics without a panel: ${missing.join(', ')}`);
  p.throwIfAny();
  return `${used.size} metric names, all exported; all ${serviceFamilies.length} service families shown`;
}

async function query(base, q) {
  const res = await get(`${base}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = await res.json();
  if (body.status !== 'success') throw new Error(`${q}: ${body.error ?? res.status}`);
  return body.data.result;
}

/**
 * Starts Prometheus on 127.0.0.1 scraping the service every second with alerts.yml loaded, sends
 * translation traffic, and returns the values the checks assert on. Always stops Prometheus.
 */
export async function withPrometheus(service, traffic, fn) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'anuvaad-prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${rel(RULES)}`,
      'scrape_configs:',
      '  - job_name: anuvaad',
      `    metrics_path: /metrics`,
      '    static_configs:',
      `      - targets: ['127.0.0.1:${service.port}']`,
      '',
    ].join('\n'),
  );
  const prom = spawnLogged(
    [
      'prometheus',
      `--config.file=${config}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { name: 'prometheus' },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor('Prometheus ready', async () => (await get(`${base}/-/ready`)).ok, {
      timeoutMs: 30000,
      proc: prom,
    });
    await waitFor(
      'target anuvaad up',
      async () => (await query(base, 'up{job="anuvaad"} == 1')).length === 1,
      { timeoutMs: 20000, proc: prom },
    );
    // Traffic after the first scrape, so rate() sees increases between two samples.
    await traffic();
    return await fn({ base, query: (q) => query(base, q) });
  } finally {
    await stop(prom, 5000);
  }
}

/** The drift alert fires at the same score as the service's own DRIFT_THRESHOLD in the Deployment. */
export function driftThresholdMatches(deploymentEnv, defaults) {
  const rule = ruleExprs().rules.find((r) => r.alert === 'AnuvaadInputDrift');
  assert(rule, 'no AnuvaadInputDrift alert');
  const m = /anuvaad_drift_score\s*>\s*([\d.]+)/.exec(rule.expr);
  assert(m, `cannot read the threshold of: ${rule.expr}`);
  const service = Number(deploymentEnv.DRIFT_THRESHOLD ?? defaults.DRIFT_THRESHOLD);
  assert(
    Number(m[1]) === service,
    `alert threshold ${m[1]} differs from DRIFT_THRESHOLD=${service}`,
  );
  return `${service}`;
}
