// Dockerfile and .dockerignore. Docker itself cannot run here (no engine), so the image is checked
// by a linter, by structure, and by running its CMD and HEALTHCHECK commands against the built tree.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import dockerignore from '@balena/dockerignore';
import { validate } from 'dockerfile-utils';
import { parseDockerfile } from './dockerfile.mjs';
import { assert, Problems } from './harness.mjs';
import { readText, rel, ROOT, serviceEnv } from './repo.mjs';

export function loadDockerfile() {
  const text = readText('Dockerfile');
  const parsed = parseDockerfile(text);
  const runtime = parsed.stages.at(-1);
  assert(runtime, 'Dockerfile has no FROM');
  const cmd = runtime.instructions.filter((i) => i.instr === 'CMD').at(-1);
  const health = runtime.instructions.filter((i) => i.instr === 'HEALTHCHECK').at(-1)?.healthcheck;
  return { text, ...parsed, runtime, cmd, health };
}

/** Same folder layout as the container: WORKDIR-relative paths map to the repo root. */
export function runtimeWorkdir(stage) {
  return stage.instructions.filter((i) => i.instr === 'WORKDIR').at(-1)?.args ?? '/';
}

export function lint() {
  const { text } = loadDockerfile();
  const diagnostics = validate(text);
  if (diagnostics.length) {
    throw new Error(
      diagnostics.map((d) => `line ${d.range.start.line + 1}: ${d.message}`).join('; '),
    );
  }
  // Negative control: the linter must see problems in a known-bad file, or a pass means nothing.
  const bad = validate(
    'FROM node:20 AS a\nFROM node:20 AS a\nEXPOSE 80000\nHEALTHCHECK --interval=1s\nCMD node a.js\nCMD node b.js\n',
  );
  assert(
    bad.length >= 3,
    `dockerfile-utils found only ${bad.length} problems in a known-bad Dockerfile`,
  );
  return `0 diagnostics; control file: ${bad.length}`;
}

export function structure({ openapiPaths, routes }) {
  const df = loadDockerfile();
  const p = new Problems();
  const { stages, runtime, cmd, health } = df;
  p.expect(stages.length >= 2, `single-stage build (${stages.length} FROM)`);

  // Production dependencies only: node_modules must come from a stage that ran `npm ci --omit=dev`.
  const nm = runtime.instructions.find(
    (i) => i.instr === 'COPY' && i.from && i.dest.replace(/\/$/, '').endsWith('node_modules'),
  );
  const nmStage = nm && stages.find((s) => s.name === nm.from);
  p.expect(nmStage, 'runtime stage does not COPY node_modules --from another stage');
  if (nmStage) {
    const runs = nmStage.instructions.filter((i) => i.instr === 'RUN').map((i) => i.args);
    p.expect(
      runs.some((r) => /\bnpm ci\b[^&;]*--omit=dev/.test(r)),
      `stage ${nmStage.name} does not run "npm ci --omit=dev"`,
    );
    p.expect(
      !runs.some((r) => /\bnpm (ci|install)\b(?![^&;]*--omit=dev)/.test(r)),
      `stage ${nmStage.name} also installs dev dependencies`,
    );
  }
  for (const s of stages) {
    const installs = s.instructions.some(
      (i) => i.instr === 'RUN' && /\bnpm (ci|install)\b/.test(i.args),
    );
    if (installs)
      p.expect(
        s.env.ONNXRUNTIME_NODE_INSTALL === 'skip',
        `stage ${s.name} runs npm without ONNXRUNTIME_NODE_INSTALL=skip (the CUDA download fails)`,
      );
  }
  p.expect(
    !runtime.instructions.some((i) => i.instr === 'RUN' && /\bnpm (ci|install)\b/.test(i.args)),
    'runtime stage runs npm install itself',
  );
  const distCopy = runtime.instructions.find(
    (i) => i.instr === 'COPY' && i.from && /dist\/?$/.test(i.dest),
  );
  const distStage = distCopy && stages.find((s) => s.name === distCopy.from);
  p.expect(
    distStage?.instructions.some((i) => i.instr === 'RUN' && /npm run build/.test(i.args)),
    'dist/ does not come from a stage that runs "npm run build"',
  );

  // Non-root, numerically (Kubernetes' runAsNonRoot can only verify a numeric USER).
  const user = runtime.user ?? '';
  const uid = user.split(':')[0];
  p.expect(
    /^\d+$/.test(uid) && uid !== '0',
    `runtime USER "${user}" is not a numeric non-root uid`,
  );

  // The model baked in, where MODEL_DIR points.
  const workdir = runtimeWorkdir(runtime);
  const modelCopy = runtime.instructions.find(
    (i) => i.instr === 'COPY' && !i.from && i.sources.includes('models'),
  );
  p.expect(modelCopy, 'runtime stage does not COPY models');
  if (modelCopy) {
    const dest = path.posix.resolve(workdir, modelCopy.dest);
    p.expect(
      path.posix.resolve(workdir, runtime.env.MODEL_DIR ?? 'models') === dest,
      `MODEL_DIR=${runtime.env.MODEL_DIR} is not the copied model folder ${dest}`,
    );
  }
  // Writable LOG_DIR for the non-root user.
  const logDir = runtime.env.LOG_DIR;
  p.expect(
    logDir &&
      runtime.instructions.some(
        (i) =>
          i.instr === 'RUN' &&
          i.args.includes(logDir) &&
          /chown\s+\S*\b/.test(i.args) &&
          i.args.includes(uid),
      ),
    `LOG_DIR (${logDir}) is not created and chowned to uid ${uid}`,
  );
  const expose = runtime.instructions.find((i) => i.instr === 'EXPOSE')?.args;
  p.expect(
    expose === runtime.env.PORT,
    `EXPOSE ${expose} differs from ENV PORT=${runtime.env.PORT}`,
  );

  // SIGTERM reaches node: exec-form CMD whose program is node, no shell or npm, no shell ENTRYPOINT.
  p.expect(cmd?.json && Array.isArray(cmd.json), `CMD is not exec (JSON) form: ${cmd?.args}`);
  p.expect(
    cmd?.json?.[0] === 'node',
    `CMD runs ${cmd?.json?.[0]}, not node (npm and sh do not forward SIGTERM)`,
  );
  const entry = runtime.instructions.find((i) => i.instr === 'ENTRYPOINT');
  p.expect(
    !entry ||
      (entry.json &&
        ['tini', '/usr/bin/tini', '/sbin/tini', 'dumb-init', '/usr/bin/dumb-init'].includes(
          entry.json[0],
        )),
    `ENTRYPOINT ${entry?.args} would sit between PID 1 and node`,
  );
  if (cmd?.json) {
    const script = cmd.json.find((a, i) => i > 0 && !a.startsWith('-'));
    p.expect(
      script && existsSync(rel(script)),
      `CMD script ${script} is not in the built tree (dist/)`,
    );
  }

  // HEALTHCHECK on the liveness route, exec form.
  const livePath = `/${routes.health}/live`;
  p.expect(health, 'no HEALTHCHECK in the runtime stage');
  if (health) {
    p.expect(Array.isArray(health.json), 'HEALTHCHECK CMD is not exec form');
    p.expect(health.cmd.includes(livePath), `HEALTHCHECK does not request ${livePath}`);
    p.expect(
      openapiPaths.has(livePath),
      `${livePath} is not a route in the service's OpenAPI document`,
    );
  }
  p.throwIfAny();
  return `${stages.length} stages, USER ${user}, CMD ${JSON.stringify(cmd.json)}`;
}

/** The runtime ENV must be settings the service knows, with values its own validation accepts. */
export function runtimeEnv() {
  const { runtime } = loadDockerfile();
  const { names, loadAppConfig } = serviceEnv();
  const env = { ...runtime.env };
  delete env.NODE_ENV;
  const unknown = Object.keys(env).filter((k) => !names.has(k));
  assert(unknown.length === 0, `ENV names the service does not read: ${unknown.join(', ')}`);
  loadAppConfig(env);
  return Object.keys(env).join(' ');
}

/** Runs the HEALTHCHECK command as Docker would (inside the runtime ENV) against a port. */
export function runHealthcheck(port) {
  const { health, runtime } = loadDockerfile();
  const [cmd, ...args] = health.json;
  const r = spawnSync(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...runtime.env, PORT: String(port) },
    timeout: 10000,
    encoding: 'utf8',
  });
  return r.status;
}

function* walk(dir) {
  for (const entry of readdirSync(rel(dir))) {
    const p = path.posix.join(dir, entry);
    if (statSync(rel(p)).isDirectory()) yield* walk(p);
    else yield p;
  }
}

export function dockerignoreCheck() {
  const { stages } = loadDockerfile();
  const ig = dockerignore({ ignorecase: false }).add(readText('.dockerignore'));
  const p = new Problems();
  let included = 0;
  // Every file a COPY takes from the context must survive .dockerignore.
  for (const s of stages) {
    for (const ins of s.instructions.filter(
      (i) => (i.instr === 'COPY' || i.instr === 'ADD') && !i.from,
    )) {
      for (const src of ins.sources) {
        const p0 = src.replace(/^\.\//, '').replace(/\/$/, '');
        if (!existsSync(rel(p0))) {
          // models/ is the lead's and may not be committed yet: check the pattern, not the files.
          p.expect(
            !ig.ignores(`${p0}/name/1/model.onnx`) && !ig.ignores(p0),
            `${p0} (missing here) would be excluded by .dockerignore`,
          );
          continue;
        }
        const files = statSync(rel(p0)).isDirectory() ? [...walk(p0)] : [p0];
        const kept = files.filter((f) => !ig.ignores(f) && !/\.spec\.ts$/.test(f));
        const dropped = files.filter((f) => ig.ignores(f) && !/\.spec\.ts$/.test(f));
        p.expect(
          dropped.length === 0,
          `.dockerignore drops ${dropped.slice(0, 3).join(', ')} that COPY ${src} needs`,
        );
        included += kept.length;
      }
    }
  }
  // Nothing that must stay out of an image gets in.
  for (const f of [
    'node_modules/express/package.json',
    '.git/config',
    '.env',
    'dist/main.js',
    'training/work/best.pt',
    'test/fixtures/models/tiny/1/config.json',
    'logs/app.log',
    'coverage/lcov.info',
    'deploy/checks/node_modules/yaml/package.json',
    'src/app.module.spec.ts',
    '.github/workflows/ci.yml',
  ]) {
    p.expect(ig.ignores(f), `${f} is not excluded from the build context`);
  }
  p.throwIfAny();
  return `${included} context files kept for COPY`;
}

