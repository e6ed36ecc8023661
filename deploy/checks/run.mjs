// Entry point of the deploy checks (called by run.sh after it installed the tools).
// Static checks first; then the built service is started from the Dockerfile's CMD on the tiny
// model, on a free 127.0.0.1 port, for the checks that need a live service; it is always stopped.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as docker from './lib/docker-checks.mjs';
import { tryTranslate, hasDevanagari } from './lib/docs-ui.mjs';
import { assert, Harness, Problems } from './lib/harness.mjs';
import * as k8s from './lib/k8s-checks.mjs';
import * as prom from './lib/prom-checks.mjs';
import { exposedNames } from './lib/promql.mjs';
import { dist, readText, rel, ROOT, serviceEnv } from './lib/repo.mjs';
import { get, sleep, startService, stop } from './lib/service.mjs';
import * as wf from './lib/workflow-checks.mjs';

const h = new Harness();
// A hard ceiling for the whole run, so CI never hangs on a stuck browser or server.
setTimeout(() => {
  console.log('FAIL deploy checks: over the 5-minute ceiling, stopped');
  h.failed++;
  process.exitCode = h.summary();
  process.exit();
}, 300000).unref();

// ---- static: files only -------------------------------------------------------------------
await h.check('dockerfile lint (dockerfile-utils)', docker.lint);
await h.check('.dockerignore keeps what COPY needs and drops the rest', docker.dockerignoreCheck);
await h.check('workflows valid against the GitHub Actions schema (action-validator)', wf.schema);
await h.check('workflows pass actionlint (expressions, contexts, needs)', wf.actionlint);
await h.check(
  'ci.yml: push/PR, Node 20/22/24, lint, type-check, tests with coverage, GHCR push on main',
  wf.ci,
);
await h.check(
  'model-validation.yml: daily + dispatch, checksums, dev evaluation, chrF gate',
  wf.modelValidation,
);
await h.check(
  '.github/scripts/verify-model-checksums.sh passes intact and fails tampered packages',
  wf.checksumScript,
);
await h.check('.github/scripts/chrf-gate.mjs fails a drop of more than 1 chrF point', wf.chrfGate);
await h.check('each committed model version scores no lower dev chrF than the one before it', wf.newestModelNoWorse);
await h.check('promtool check rules', prom.checkRules);
await h.check('promtool test rules (every alert fires in a case)', prom.testRules);
await h.check('kubernetes manifests valid (kubernetes-models schemas)', k8s.schema);
await h.check('kubernetes selectors, ports, HPA, PDB, ServiceMonitor and image wiring', k8s.wiring);
await h.check('kubernetes /metrics token: Deployment and ServiceMonitor use one Secret key', k8s.metricsAuth);
await h.check('grafana dashboard structure and required panels', prom.dashboardStructure);
await h.check('deploy/README.md commands exist and run', readmeCommands);

// ---- the built service's own code (dist/) ----------------------------------------------------
await h.check('Dockerfile runtime ENV accepted by the service config', docker.runtimeEnv);
await h.check(
  'kubernetes container env accepted by the service config; resources and security',
  k8s.config,
);
await h.check("drift alert threshold equals the Deployment's DRIFT_THRESHOLD", () =>
  prom.driftThresholdMatches(k8s.parts().env, serviceEnv().defaults),
);
let drain = null;
await h.check(
  'kubernetes drain budget (preStop + shutdown grace + request timeout <= terminationGracePeriodSeconds)',
  () => {
    drain = k8s.drainBudget();
    return drain.note;
  },
);

// ---- live service ----------------------------------------------------------------------------
let runtime, cmd, routes, deploymentEnv, setupError;
try {
  ({ runtime, cmd } = docker.loadDockerfile());
  routes = dist('app.routes').ROUTES;
  // The live service runs with the image's ENV and the Deployment's env, as in the cluster;
  // startService then overrides host, port, model and threads for this machine.
  deploymentEnv = k8s.parts().env;
} catch (e) {
  setupError = e;
}
let service = null;
await h.check(
  'service starts from the Dockerfile CMD with the tiny model on 127.0.0.1',
  async () => {
    if (setupError) throw setupError;
    assert(cmd?.json, 'Dockerfile CMD is not exec form');
    service = await startService({
      argv: cmd.json,
      env: {
        ...runtime.env,
        ...deploymentEnv,
        LOG_DIR: mkdtempSync(path.join(os.tmpdir(), 'anuvaad-logs-')),
      },
      modelDir: 'test/fixtures/models',
      modelName: 'tiny',
    });
    return `${cmd.json.join(' ')} on port ${service.port}`;
  },
);

const LIVE = [
  'dockerfile structure: multi-stage, prod deps, non-root, model baked in, exec CMD, HEALTHCHECK on liveness',
  'HEALTHCHECK command exits 0 on the live service and non-zero on a closed port',
  'kubernetes probes use the service routes and answer 200 when ready',
  'every metric in src/metrics/metric-names.ts is on /metrics',
  'alert rules use only metrics the service exports',
  'grafana dashboard uses only exported metrics and shows every service metric',
  'prometheus (127.0.0.1) scrapes the service: p95 query, rules and dashboard queries evaluate',
  'swagger UI in chromium: Try it out on POST /v1/translate returns a translation',
  'SIGTERM: readiness drops, the in-flight request completes, node exits within the drain budget',
];
if (!service) {
  for (const name of LIVE)
    await h.check(name, () => assert(false, 'service did not start (see above)'));
} else {
  try {
    await runLive();
  } catch (e) {
    // Only an unexpected error between checks lands here (each check catches its own).
    await h.check('live checks', () => {
      throw e;
    });
  } finally {
    await stop(service);
  }
}
process.exitCode = h.summary();
process.exit();

async function runLive() {
  const base = service.base;
  const openapi = await (await get(`${base}/${routes.docs}-json`)).json();
  const openapiPaths = new Set(Object.keys(openapi.paths));

  await h.check(LIVE[0], () => docker.structure({ openapiPaths, routes }));
  await h.check(LIVE[1], async () => {
    const ok = docker.runHealthcheck(service.port);
    assert(ok === 0, `exit ${ok} against the running service`);
    const closed = docker.runHealthcheck(1);
    assert(closed !== 0, 'exit 0 against a closed port: the healthcheck cannot fail');
    return `0 / ${closed}`;
  });
  await h.check(LIVE[2], () => k8s.probes({ openapiPaths, routes, base }));

  const scrape = async () => (await get(`${base}/${routes.metrics}`)).text();
  const first = await scrape();
  await h.check(LIVE[3], () => {
    const names = exposedNames(first);
    const { METRIC } = dist('metrics/metric-names');
    const missing = Object.values(METRIC).filter(
      (m) => ![m, `${m}_bucket`].some((n) => names.has(n)),
    );
    assert(missing.length === 0, `not exported: ${missing.join(', ')}`);
    return `${Object.keys(METRIC).length} names`;
  });
  await h.check(LIVE[4], () => prom.rulesUseExportedMetrics(first));
  await h.check(LIVE[5], () =>
    prom.dashboardUsesExportedMetrics(first, Object.values(dist('metrics/metric-names').METRIC)),
  );

  await h.check(LIVE[6], () =>
    prom.withPrometheus(
      service,
      () => traffic(base),
      async ({ query, base: promBase }) => {
        const p = new Problems();
        const p95 =
          'histogram_quantile(0.95, sum by (le) (rate(anuvaad_http_request_duration_seconds_bucket{route=~"/v1/translate|/predict|/v1/models/:name/versions/:version/translate|/v2/models/:name/infer|/v2/models/:name/versions/:version/infer"}[5m])))';
        const value = await waitForValue(query, p95);
        p.expect(
          value !== null && Number.isFinite(value) && value > 0,
          `p95 query returned ${value}`,
        );
        // The recording rules (so the alerts) see the same data.
        const rec = await waitForValue(query, 'anuvaad:prediction_latency_seconds:p95_5m');
        p.expect(
          rec !== null && Number.isFinite(rec),
          `recording rule anuvaad:prediction_latency_seconds:p95_5m is ${rec}`,
        );
        // The first evaluation may predate the first scrape (0 from `or vector(0)`): wait for 1.
        const avail = await waitForValue(query, 'anuvaad:model_available', (v) => v === 1);
        p.expect(avail === 1, `anuvaad:model_available is ${avail} with a ready service`);
        const groups = (await (await get(`${promBase}/api/v1/rules`)).json()).data.groups;
        const rules = groups.flatMap((g) => g.rules);
        p.expect(
          rules.length === prom.ruleExprs().rules.length,
          `Prometheus loaded ${rules.length} rules`,
        );
        for (const r of rules)
          p.expect(
            r.health === 'ok' || r.health === 'unknown',
            `rule ${r.name}: ${r.health} ${r.lastError ?? ''}`,
          );
        const firing = rules
          .filter((r) => r.type === 'alerting' && r.state !== 'inactive')
          .map((r) => r.name);
        p.expect(
          !firing.includes('AnuvaadModelNotReady') && !firing.includes('AnuvaadTargetDown'),
          `alerts pending/firing on a healthy service: ${firing}`,
        );
        // Every dashboard query evaluates; the traffic panels return data.
        let withData = 0;
        const { exprs } = prom.dashboardExprs();
        for (const { panel, promql } of exprs) {
          try {
            const result = await query(promql);
            if (result.length) withData++;
            else if (
              /Request rate|Latency|Tokens|Texts per request|Model version|Ready replicas/.test(
                panel,
              )
            )
              p.add(`"${panel}" returned no data after traffic: ${promql}`);
          } catch (e) {
            p.add(`"${panel}": ${e.message}`);
          }
        }
        // Route matchers in the rules and dashboard name routes the service really labels.
        try {
          prom.routeMatchersMatch(await scrape(), [
            ...prom.ruleExprs().rules.map((r) => r.expr),
            ...exprs.map((e) => e.promql),
          ]);
        } catch (e) {
          p.add(e.message);
        }
        p.throwIfAny();
        return `p95 = ${(value * 1000).toFixed(1)} ms, ${rules.length} rules ok, ${withData}/${exprs.length} dashboard queries with data`;
      },
    ),
  );

  await h.check(LIVE[7], async () => {
    const translatePath = `/${routes.translate}`;
    let r = await tryTranslate(base, translatePath);
    assert(r.status === 200, `HTTP ${r.status}: ${r.body.slice(0, 200)}`);
    assert(Array.isArray(r.json?.translations), `no translations array: ${r.body.slice(0, 200)}`);
    if (hasDevanagari(JSON.stringify(r.json.translations)))
      return `tiny model: ${JSON.stringify(r.json.translations)}`;
    // The tiny model's output is not always Devanagari: use the real model when it is committed.
    // the bundled model: any committed version folder of models/en-hi
    const bundled = existsSync(rel('models/en-hi'))
      ? readdirSync(rel('models/en-hi')).filter((d) => /^\d+$/.test(d))
      : [];
    if (bundled.length === 0) {
      return `tiny model answered ${JSON.stringify(r.json.translations)} (no Devanagari; no bundled model under models/en-hi, 200 + translations array asserted)`;
    }
    const real = await startService({
      argv: cmd.json,
      env: { ...runtime.env, LOG_DIR: mkdtempSync(path.join(os.tmpdir(), 'anuvaad-logs-')) },
      modelDir: 'models',
      modelName: 'en-hi',
      readyTimeoutMs: 120000,
    });
    try {
      r = await tryTranslate(real.base, translatePath);
    } finally {
      await stop(real);
    }
    assert(
      r.status === 200 && hasDevanagari(JSON.stringify(r.json?.translations ?? '')),
      `en-hi model: HTTP ${r.status} ${r.body.slice(0, 200)}`,
    );
    return `en-hi model: ${JSON.stringify(r.json.translations)}`;
  });

  await h.check(LIVE[8], async () => {
    const budgetMs = (drain?.drainS ?? 30) * 1000;
    // A request that takes seconds (32 texts of 2 sentences, beam 4), in flight when SIGTERM
    // arrives 300 ms after it was sent: it must still get its 200.
    const text = Array.from(
      { length: 32 },
      (_, i) =>
        `Sentence ${i} is about the weather and the people who walk in the park every morning. They come back at ${i + 7} o'clock.`,
    );
    const inflight = get(`${base}/${routes.translate}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text, beam_size: 4, max_new_tokens: 256 }),
      timeoutMs: budgetMs,
    }).then(
      async (res) => ({ status: res.status, at: Date.now(), body: await res.text() }),
      (e) => ({ status: `error (${e.cause?.code ?? e.message})`, at: Date.now() }),
    );
    await sleep(300);
    const sigtermAt = Date.now();
    const ended = stop(service, budgetMs); // sends SIGTERM synchronously
    const probe = (async () => {
      // Poll readiness for ~2 s while the process shuts down: [ms after SIGTERM, status].
      const seen = [];
      while (
        Date.now() - sigtermAt < 2000 &&
        service.child.exitCode === null &&
        service.child.signalCode === null
      ) {
        let status;
        try {
          status = (await get(`${base}/health/ready`, { timeoutMs: 1000 })).status;
        } catch {
          status = 'refused';
        }
        seen.push([Date.now() - sigtermAt, status]);
        await sleep(25);
      }
      return seen;
    })();
    const [seen, result, req] = await Promise.all([probe, ended, inflight]);
    // "Fails fast": no 200 from 500 ms after SIGTERM on (Nest's destroy hooks run first).
    const late200 = seen.find(([t, status]) => t > 500 && status === 200);
    assert(!late200, `readiness still 200 ${late200?.[0]} ms after SIGTERM`);
    // With a shutdown grace the server keeps serving and says 503, rather than just vanishing.
    const first503 = seen.find(([, status]) => status === 503);
    if (drain?.graceS > 0) {
      assert(
        first503,
        `no 503 from readiness during the ${drain.graceS}s shutdown grace: ${seen.map((x) => x[1]).join(',')}`,
      );
    }
    assert(result.signal !== 'SIGKILL', `not exited within ${budgetMs / 1000}s; killed`);
    // exit 0: the service's own SIGTERM handler drained and exited (the default action would kill it)
    assert(result.code === 0, `exit code ${result.code} signal ${result.signal}`);
    assert(req.status === 200, `the request in flight at SIGTERM got ${req.status}`);
    assert(
      req.at > sigtermAt,
      `the request finished ${sigtermAt - req.at} ms before SIGTERM: the drain was not exercised`,
    );
    return `exited (${result.code}) ${result.ms} ms after SIGTERM; in-flight request answered 200 ${req.at - sigtermAt} ms after SIGTERM; readiness ${first503 ? `503 from ${first503[0]} ms` : [...new Set(seen.map((x) => x[1]))].join('/') || 'not polled (process gone)'} after SIGTERM`;
  });
}

/** Translation traffic for the scrape: successes on every prediction route and a few 400s, over ~2 s. */
async function traffic(base) {
  const post = (p, body) =>
    get(`${base}${p}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: 20000,
    });
  // the served model and version, for the versioned and Open Inference Protocol routes
  const { models } = await (await get(`${base}/${routes.models}`)).json();
  const { name, version } = models[0];
  const versioned = routes.versionTranslate.replace(':name', name).replace(':version', version);
  const infer = { inputs: [{ name: 'text', datatype: 'BYTES', shape: [1], data: ['Thank you.'] }] };
  for (let round = 0; round < 8; round++) {
    const rs = await Promise.all([
      post(`/${routes.translate}`, { text: ['Hello world.', 'Good night.'] }),
      post(`/${routes.predict}`, { text: 'How are you?' }),
      post(`/${versioned}`, { text: 'Good morning.' }),
      post(`/${routes.v2}/models/${name}/infer`, infer),
      post(`/${routes.v2}/models/${name}/versions/${version}/infer`, infer),
      post(`/${routes.translate}`, { text: '' }),
    ]);
    const failed = rs.slice(0, 5).findIndex((r) => r.status !== 200);
    if (failed !== -1) throw new Error(`traffic: prediction route ${failed} answered ${rs[failed].status}`);
    await sleep(250);
  }
}

/** The first sample value of an instant query once it is a number (and passes `ok`), else the last seen or null. */
async function waitForValue(query, q, ok = () => true, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    const r = await query(q);
    if (r.length && r[0].value && r[0].value[1] !== 'NaN') {
      last = Number(r[0].value[1]);
      if (ok(last)) return last;
    }
    await sleep(500);
  }
  return last;
}

/**
 * deploy/README.md's commands are the checked ones: every command names existing files, the
 * promtool ones run verbatim here (`kubectl apply -k`'s rendering is checked by the kubernetes schema check).
 */
function readmeCommands() {
  const md = readText('deploy/README.md');
  const blocks = [...md.matchAll(/```(?:bash|sh)\n([\s\S]*?)```/g)].map((m) => m[1]);
  const lines = blocks
    .flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const p = new Problems();
  const required = [
    /^docker build .*-t \S+ \.$/,
    /^docker push \S+$/,
    /^kubectl apply -k deploy\/kubernetes$/,
    /^promtool check rules deploy\/prometheus\/alerts\.yml$/,
    /^promtool test rules deploy\/prometheus\/alerts\.test\.yml$/,
    /deploy\/grafana\/anuvaad-dashboard\.json/,
    /^bash deploy\/checks\/run\.sh$/,
  ];
  for (const re of required)
    p.expect(
      lines.some((l) => re.test(l)),
      `no command matching ${re}`,
    );
  for (const l of lines) {
    for (const m of l.matchAll(/\b((?:deploy|\.github|models|test)\/[\w./-]+)/g))
      p.expect(existsSync(rel(m[1])), `"${l}" names ${m[1]}, which does not exist`);
    if (/^promtool /.test(l)) {
      const r = spawnSync('bash', ['-c', l], { cwd: ROOT, encoding: 'utf8', timeout: 60000 });
      p.expect(r.status === 0, `"${l}" failed: ${(r.stdout + r.stderr).trim().slice(0, 300)}`);
    }
  }
  p.throwIfAny();
  return `${lines.length} commands`;
}
