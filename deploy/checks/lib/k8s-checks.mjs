// deploy/kubernetes: schema validation (kubernetes-models, generated from the Kubernetes OpenAPI and
// the Prometheus Operator CRDs), kustomize wiring, and consistency with the service and the image.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Service } from 'kubernetes-models/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { loadDockerfile, runtimeWorkdir } from './docker-checks.mjs';
import { assert, Problems } from './harness.mjs';
import { dist, readYaml, readYamlDocs, rel, serviceEnv } from './repo.mjs';

const DIR = 'deploy/kubernetes';
const MODELS = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

function hasKubectl() {
  const found = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
  // CI's deploy-checks job installs kubectl: there the fallback renderer would hide a broken patch
  if (!found && process.env.GITHUB_ACTIONS === 'true') {
    throw new Error('kubectl is not installed (the deploy-checks job sets it up with azure/setup-kubectl)');
  }
  return found;
}

/**
 * The manifests as `kubectl apply -k` would send them: rendered by kubectl's built-in kustomize
 * when kubectl is installed, else by applying this kustomization's two features (resources,
 * images) here. The rendering path is reported in the check line.
 */
export function render() {
  const k = readYaml(`${DIR}/kustomization.yaml`);
  const allowed = new Set(['apiVersion', 'kind', 'resources', 'images']);
  const extra = Object.keys(k).filter((key) => !allowed.has(key));
  if (hasKubectl()) {
    const r = spawnSync('kubectl', ['kustomize', rel(DIR)], { encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) throw new Error(`kubectl kustomize ${DIR}: ${r.stderr.trim()}`);
    const docs = YAML.parseAllDocuments(r.stdout)
      .map((d) => d.toJS())
      .filter(Boolean);
    return { docs, kustomization: k, via: 'kubectl kustomize' };
  }
  assert(
    extra.length === 0,
    `kustomization uses ${extra.join(', ')}, which the fallback renderer does not implement (install kubectl)`,
  );
  const docs = k.resources.flatMap((r) => readYamlDocs(`${DIR}/${r}`));
  for (const d of docs) {
    for (const c of [
      ...(d.spec?.template?.spec?.containers ?? []),
      ...(d.spec?.template?.spec?.initContainers ?? []),
    ]) {
      const img = (k.images ?? []).find((i) => i.name === c.image);
      if (img) c.image = `${img.newName ?? img.name}${img.newTag ? `:${img.newTag}` : ''}`;
    }
  }
  return { docs, kustomization: k, via: 'own renderer (kubectl not installed)' };
}

const key = (d) => `${d.apiVersion}/${d.kind}`;
const byKind = (docs, kind) => docs.filter((d) => d.kind === kind);

export function schema() {
  const { docs, kustomization, via } = render();
  const p = new Problems();
  // Every manifest in the folder is part of the kustomization (no forgotten file).
  const files = readdirSync(rel(DIR)).filter(
    (f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml',
  );
  for (const f of files)
    p.expect(
      kustomization.resources.includes(f),
      `${f} is not listed in kustomization.yaml resources`,
    );
  for (const d of docs) {
    const Model = MODELS[key(d)];
    if (!Model) {
      p.add(`no schema for ${key(d)}`);
      continue;
    }
    try {
      new Model(d).validate();
    } catch (e) {
      p.add(`${d.kind}/${d.metadata?.name}: ${e.message}`);
    }
  }
  for (const kind of [
    'Deployment',
    'Service',
    'HorizontalPodAutoscaler',
    'PodDisruptionBudget',
    'ServiceMonitor',
  ]) {
    p.expect(
      byKind(docs, kind).length === 1,
      `expected one ${kind}, found ${byKind(docs, kind).length}`,
    );
  }
  const hpa = byKind(docs, 'HorizontalPodAutoscaler')[0];
  p.expect(hpa?.apiVersion === 'autoscaling/v2', `HPA apiVersion ${hpa?.apiVersion}`);
  // A negative control: the same validator must reject a broken Deployment.
  try {
    new Deployment({
      metadata: { name: 'x' },
      spec: {
        selector: {},
        template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 'http' }] }] } },
      },
    }).validate();
    p.add('kubernetes-models accepted a Deployment with a string containerPort');
  } catch {
    /* expected */
  }
  p.throwIfAny();
  return `${docs.length} objects, ${via}`;
}

const matches = (selector = {}, labels = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

export function parts() {
  const { docs, kustomization } = render();
  const dep = byKind(docs, 'Deployment')[0];
  const pod = dep.spec.template;
  const container = pod.spec.containers[0];
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
  return { docs, kustomization, dep, pod, container, env };
}

export function wiring() {
  const { docs, kustomization, dep, pod, container } = parts();
  const svc = byKind(docs, 'Service')[0];
  const hpa = byKind(docs, 'HorizontalPodAutoscaler')[0];
  const pdb = byKind(docs, 'PodDisruptionBudget')[0];
  const sm = byKind(docs, 'ServiceMonitor')[0];
  const p = new Problems();
  const podLabels = pod.metadata.labels;
  p.expect(
    matches(dep.spec.selector.matchLabels, podLabels),
    'Deployment selector does not match its pod labels',
  );
  p.expect(matches(svc.spec.selector, podLabels), 'Service selector does not match the pods');
  p.expect(
    matches(pdb.spec.selector.matchLabels, podLabels),
    'PDB selector does not match the pods',
  );
  p.expect(
    matches(sm.spec.selector.matchLabels, svc.metadata.labels),
    'ServiceMonitor selector does not match the Service',
  );
  const ports = container.ports ?? [];
  for (const sp of svc.spec.ports) {
    p.expect(
      ports.some((cp) => cp.name === sp.targetPort || cp.containerPort === sp.targetPort),
      `Service port ${sp.name} targets ${sp.targetPort}, no such container port`,
    );
  }
  for (const ep of sm.spec.endpoints) {
    p.expect(
      svc.spec.ports.some((sp) => sp.name === ep.port),
      `ServiceMonitor scrapes port ${ep.port}, not a named Service port`,
    );
  }
  p.expect(
    hpa.spec.scaleTargetRef.kind === 'Deployment' &&
      hpa.spec.scaleTargetRef.name === dep.metadata.name &&
      hpa.spec.scaleTargetRef.apiVersion === 'apps/v1',
    'HPA does not target the Deployment',
  );
  p.expect(
    dep.spec.replicas === undefined,
    'Deployment sets replicas, which every apply would reset under the HPA',
  );
  p.expect(hpa.spec.minReplicas >= 2, 'HPA minReplicas < 2: any disruption is an outage');
  const maxUnavailable = pdb.spec.maxUnavailable ?? hpa.spec.minReplicas - pdb.spec.minAvailable;
  p.expect(
    Number.isInteger(maxUnavailable) &&
      maxUnavailable >= 1 &&
      maxUnavailable < hpa.spec.minReplicas,
    `PDB allows ${maxUnavailable} of ${hpa.spec.minReplicas} pods down`,
  );
  p.expect(
    hpa.spec.metrics.some((m) => m.type === 'Resource' && m.resource.name === 'cpu'),
    'HPA does not scale on CPU',
  );
  // The image: the kustomization maps the Deployment's image name to the GHCR image CI pushes.
  const img = (kustomization.images ?? []).find((i) => container.image.startsWith(i.newName));
  p.expect(
    img && /^ghcr\.io\/[a-z0-9._/-]+$/.test(img.newName),
    `container image ${container.image} is not mapped to a ghcr.io image by kustomization.yaml`,
  );
  p.throwIfAny();
  return `Service ${svc.spec.ports.map((x) => `${x.port}->${x.targetPort}`).join(',')}, HPA ${hpa.spec.minReplicas}-${hpa.spec.maxReplicas}, PDB maxUnavailable ${maxUnavailable}`;
}

/**
 * /metrics protection: the Deployment passes METRICS_TOKEN from a Secret, and the metrics-auth
 * component makes the ServiceMonitor send that same Secret key as its bearer token (a token on
 * one side only would leave /metrics open, or get every scrape a 401). Rendered with the component
 * and schema-checked when kubectl is installed.
 */
export function metricsAuth() {
  const { container } = parts();
  const p = new Problems();
  const ref = (container.env ?? []).find((e) => e.name === 'METRICS_TOKEN')?.valueFrom
    ?.secretKeyRef;
  p.expect(ref?.name && ref?.key, 'the Deployment does not pass METRICS_TOKEN from a Secret');
  p.expect(
    ref?.optional === true,
    'METRICS_TOKEN is not optional: the pod would not start without the Secret',
  );
  const component = readYaml(`${DIR}/metrics-auth/kustomization.yaml`);
  p.expect(component.kind === 'Component', `metrics-auth is a ${component.kind}, not a Component`);
  const ops = (component.patches ?? [])
    .filter((x) => x.target?.kind === 'ServiceMonitor')
    .flatMap((x) => YAML.parse(x.patch));
  const auth = ops.find((o) => o.path === '/spec/endpoints/0/authorization')?.value;
  p.expect(
    auth?.type === 'Bearer' &&
      auth.credentials?.name === ref?.name &&
      auth.credentials?.key === ref?.key,
    `the ServiceMonitor's bearer credentials ${JSON.stringify(auth?.credentials)} are not the Secret key the service reads (${JSON.stringify(ref)})`,
  );
  p.throwIfAny();
  if (!hasKubectl())
    return `Secret ${ref.name}/${ref.key} on both sides (not rendered: kubectl not installed)`;
  const overlay = mkdtempSync(path.join(os.tmpdir(), 'anuvaad-kustomize-'));
  const up = (d) => path.relative(overlay, rel(d));
  writeFileSync(
    path.join(overlay, 'kustomization.yaml'),
    YAML.stringify({ resources: [up(DIR)], components: [up(`${DIR}/metrics-auth`)] }),
  );
  const r = spawnSync(
    'kubectl',
    ['kustomize', '--load-restrictor', 'LoadRestrictionsNone', overlay],
    {
      encoding: 'utf8',
      timeout: 60000,
    },
  );
  rmSync(overlay, { recursive: true, force: true });
  assert(r.status === 0, `kubectl kustomize with metrics-auth: ${r.stderr.trim()}`);
  const sm = YAML.parseAllDocuments(r.stdout)
    .map((d) => d.toJS())
    .find((d) => d?.kind === 'ServiceMonitor');
  new ServiceMonitor(sm).validate();
  assert(
    sm.spec.endpoints.every((ep) => ep.authorization?.credentials?.key === ref.key),
    'a rendered ServiceMonitor endpoint has no bearer credentials',
  );
  return `Secret ${ref.name}/${ref.key} on both sides; rendered with the component and valid`;
}

/** Probe paths are the service's real routes and answer as the probes expect on a running service. */
export async function probes({ openapiPaths, routes, base }) {
  const { container } = parts();
  const p = new Problems();
  const want = {
    livenessProbe: `/${routes.health}/live`,
    readinessProbe: `/${routes.health}/ready`,
    startupProbe: null,
  };
  const port = container.ports.find((x) => x.name === 'http');
  for (const [probe, expectedPath] of Object.entries(want)) {
    const pr = container[probe];
    p.expect(pr?.httpGet, `${probe} missing or not httpGet`);
    if (!pr?.httpGet) continue;
    const { path: probePath, port: probePort } = pr.httpGet;
    if (expectedPath)
      p.expect(probePath === expectedPath, `${probe} path ${probePath}, expected ${expectedPath}`);
    p.expect(
      openapiPaths.has(probePath),
      `${probe} path ${probePath} is not a route of the service`,
    );
    p.expect(
      probePort === port?.name || probePort === port?.containerPort,
      `${probe} port ${probePort} is not the container port`,
    );
    const status = (await fetch(`${base}${probePath}`, { signal: AbortSignal.timeout(5000) }))
      .status;
    p.expect(status === 200, `${probe} ${probePath} answers ${status} on a ready service`);
  }
  // The startup probe must cover a slow start before liveness may kill the pod.
  const s = container.startupProbe;
  if (s)
    p.expect(
      s.periodSeconds * s.failureThreshold >= 30,
      `startupProbe allows only ${s.periodSeconds * s.failureThreshold}s`,
    );
  p.throwIfAny();
  return `live ${want.livenessProbe}, ready ${want.readinessProbe}, startup ${container.startupProbe?.httpGet?.path}`;
}

const quantity = (q) => {
  const m = /^([\d.]+)(m|Ki|Mi|Gi)?$/.exec(String(q));
  if (!m) return NaN;
  const f = { m: 1e-3, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[m[2]] ?? 1;
  return Number(m[1]) * f;
};

/** The container environment is what the service reads and accepts, consistent with the image and limits. */
export function config() {
  const { container, env, pod } = parts();
  const { names, defaults, loadAppConfig } = serviceEnv();
  const { runtime } = loadDockerfile();
  const p = new Problems();
  const unknown = Object.keys(env).filter((k) => !names.has(k));
  p.expect(unknown.length === 0, `env names the service does not read: ${unknown.join(', ')}`);
  const merged = { ...runtime.env, ...env };
  delete merged.NODE_ENV;
  let appConfig;
  try {
    appConfig = loadAppConfig(merged);
  } catch (e) {
    p.add(e.message);
  }
  const port = Number(merged.PORT ?? defaults.PORT);
  p.expect(
    container.ports.some((x) => x.name === 'http' && x.containerPort === port),
    `containerPort is not PORT=${port}`,
  );
  const workdir = runtimeWorkdir(runtime);
  p.expect(
    path.posix.resolve(workdir, merged.MODEL_DIR) ===
      path.posix.resolve(workdir, runtime.env.MODEL_DIR),
    `MODEL_DIR ${merged.MODEL_DIR} is not the image's model folder ${runtime.env.MODEL_DIR}`,
  );
  // Resources: requests and limits for both; threads and heap inside the limits.
  const { requests = {}, limits = {} } = container.resources ?? {};
  for (const r of ['cpu', 'memory'])
    p.expect(requests[r] && limits[r], `no ${r} request and limit`);
  p.expect(
    quantity(requests.cpu) >= 1 && quantity(requests.cpu) <= 4,
    `cpu request ${requests.cpu} is not ~2 CPUs`,
  );
  p.expect(
    quantity(requests.memory) >= 512 * 1024 ** 2 && quantity(limits.memory) <= 4 * 1024 ** 3,
    `memory ${requests.memory}/${limits.memory} is not ~1 GiB`,
  );
  const threads = Number(merged.ORT_INTRA_OP_THREADS ?? defaults.ORT_INTRA_OP_THREADS);
  p.expect(
    threads >= 1 && threads <= quantity(limits.cpu),
    `ORT_INTRA_OP_THREADS=${threads}: 0 (one per node core) or more than the ${limits.cpu} CPU limit`,
  );
  const heapMb = Number(merged.HEALTH_MAX_HEAP_MB ?? defaults.HEALTH_MAX_HEAP_MB);
  p.expect(
    heapMb * 1024 ** 2 < quantity(limits.memory),
    `HEALTH_MAX_HEAP_MB=${heapMb} is above the memory limit ${limits.memory}`,
  );
  // Non-root, as the image: runAsUser equals the Dockerfile's numeric USER.
  const uid = Number(runtime.user.split(':')[0]);
  const sc = { ...pod.spec.securityContext, ...container.securityContext };
  p.expect(
    sc.runAsNonRoot === true && sc.runAsUser === uid,
    `runAsNonRoot/runAsUser (${sc.runAsUser}) do not match the image's USER ${uid}`,
  );
  p.expect(sc.allowPrivilegeEscalation === false, 'allowPrivilegeEscalation not false');
  // log files need a writable volume; LOG_FILES=false writes none
  if (sc.readOnlyRootFilesystem && appConfig?.logging.files) {
    const logDir = appConfig.logging.dir;
    p.expect(
      (container.volumeMounts ?? []).some(
        (m) => path.posix.resolve(workdir, logDir) === m.mountPath,
      ),
      `read-only root but LOG_DIR ${logDir} is not a mounted volume`,
    );
  }
  p.throwIfAny();
  return `${Object.keys(env).length} env vars accepted by loadAppConfig`;
}

/**
 * The drain budget: terminationGracePeriodSeconds must cover the preStop sleep, the service's
 * shutdown grace (readiness 503 while still serving; SHUTDOWN_GRACE_MS, when the service has such
 * a setting), the longest a request may then stay in flight (REQUEST_TIMEOUT_MS), the service's
 * own after-drain steps (src/shutdown/shutdown-budget.ts) and a second to flush logs and exit.
 */
export function drainBudget() {
  const { pod, container, env } = parts();
  const { defaults, names } = serviceEnv();
  const p = new Problems();
  const cmd = container.lifecycle?.preStop?.exec?.command ?? [];
  const sleep =
    container.lifecycle?.preStop?.sleep?.seconds ?? (cmd[0] === 'sleep' ? Number(cmd[1]) : NaN);
  p.expect(
    Number.isFinite(sleep) && sleep >= 3,
    `preStop is not a sleep of a few seconds: ${JSON.stringify(container.lifecycle)}`,
  );
  const seconds = (n) => Number(env[n] ?? defaults[n]) / (/_MS$/.test(n) ? 1000 : 1);
  const graceName = [...names].find((n) => /SHUTDOWN|DRAIN|GRACE/.test(n));
  const graceS = graceName ? seconds(graceName) : 0;
  const inflightS = seconds('REQUEST_TIMEOUT_MS');
  const { DRAIN_MARGIN_MS, SHUTDOWN_RELEASE_TIMEOUT_MS } = dist('shutdown/shutdown-budget');
  const afterDrainS = (DRAIN_MARGIN_MS + SHUTDOWN_RELEASE_TIMEOUT_MS) / 1000 + 1;
  const tgp = pod.spec.terminationGracePeriodSeconds;
  const needed = sleep + graceS + inflightS + afterDrainS;
  const breakdown = `preStop ${sleep} + ${graceName ?? 'no shutdown grace setting'} ${graceS} + REQUEST_TIMEOUT_MS ${inflightS} + drain margin, model release and exit ${afterDrainS}`;
  p.expect(
    Number.isFinite(needed) && tgp >= needed,
    `terminationGracePeriodSeconds ${tgp} < ${breakdown}`,
  );
  p.expect(
    tgp <= needed + 60,
    `terminationGracePeriodSeconds ${tgp} is far above what the drain needs (${needed})`,
  );
  p.throwIfAny();
  const serviceEnvForDrain = graceName
    ? { [graceName]: String(env[graceName] ?? defaults[graceName]) }
    : {};
  return { note: `${tgp}s >= ${breakdown}`, drainS: tgp - sleep, graceS, serviceEnvForDrain };
}
