import { HttpStatus, Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { ApiError, modelNotFound, modelNotReady } from '../common/api-errors';
import { redactInternals } from '../common/security/redact-internals';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ModelLabels, ServiceMetrics } from '../metrics/service-metrics';
import { SHUTDOWN_RELEASE_TIMEOUT_MS } from '../shutdown/shutdown-budget';
import { MODEL_REPOSITORY, ModelRepository } from './model-repository.port';
import { MODEL_RUNTIME, ModelRuntime } from './model-runtime.port';
import {
  loadModelVersion,
  LoadedModel,
  ModelLease,
  ModelVersionHandle,
  VERSION_STATES,
  VersionLoadError,
  VersionState,
} from './model-version-handle';
import {
  byVersion,
  CanarySplit,
  describePolicy,
  isCanaryTurn,
  parsePolicySpec,
  parsePolicyText,
  selectVersions,
  VersionPolicy,
} from './version-policy';

export type { LoadedModel, ModelLease } from './model-version-handle';

export type ModelState = 'loading' | 'ready' | 'failed' | 'unloaded';

/** One version as shown in model details and health. */
export interface VersionStatus {
  version: string;
  state: VersionState;
  reason?: string;
  since: string;
  /** requests running on this version now */
  in_flight: number;
  /** requests without a version get this one (or the canary, by weight) */
  default: boolean;
  /** percent of default traffic this version gets as the canary */
  canary_weight?: number;
  /** the last failed load of this version (it may still serve an older load of it) */
  last_failure?: { reason: string; message: string; at: string };
}

export interface ModelStatus {
  name: string;
  /** the default version; undefined until one is known */
  version?: string;
  state: ModelState;
  /** why the model is not ready */
  reason?: string;
  since: string;
  /** every version the registry holds, ascending */
  versions?: VersionStatus[];
}

/** A model of the repository: its loaded versions and how they were chosen. */
interface ModelEntry {
  name: string;
  versions: Map<string, ModelVersionHandle>;
  onDisk: string[];
  policy: VersionPolicy;
  policySource: 'MODEL_VERSION' | 'MODEL_VERSION_POLICY' | 'version_policy.json';
  policyError?: string;
  canary?: CanarySplit;
  /** why no version can be loaded at all (no folders, pinned version missing) */
  failure?: { reason: string; since: string };
  /** set by the admin API: loaded beyond the policy / kept out despite it / whole model off */
  adminLoaded: Set<string>;
  adminUnloaded: Set<string>;
  disabled: boolean;
  /** when a version or the whole model was last unloaded (the unloaded state's `since`) */
  unloadedAt?: string;
  /** the policy and folders last found to select no version, so that is logged once */
  emptySelection?: string;
  /**
   * Handles being unloaded (not replaced by a reload of their version), oldest first: shown
   * (state `unloading`, requests still running) until released. A version unloaded, loaded and
   * unloaded again may have two; the last one is shown.
   */
  retiring: Set<ModelVersionHandle>;
  /** requests split so far, for the deterministic canary interleaving */
  splitCounter: number;
  /** whether a scan of it has finished (before that it counts as loading) */
  scanned: boolean;
}

/** What a model looks like to the controllers. */
export interface ModelView {
  status: ModelStatus;
  defaultModel?: LoadedModel;
  onDisk: string[];
  policy: string;
  policySource: ModelEntry['policySource'];
  policyError?: string;
  canary?: CanarySplit;
}

/**
 * The model repository: every model folder under MODEL_DIR with its integer version folders.
 * A version policy per model decides which versions are loaded; each is verified, loaded and
 * warmed up before it takes traffic, and a version that fails never replaces a working one.
 * Rescans (polling, the admin API) pick up new, changed and removed folders; versions leaving
 * service finish their running requests before their sessions are released.
 */
@Injectable()
export class ModelService implements OnApplicationShutdown {
  private readonly logger = new Logger(ModelService.name);
  private readonly entries = new Map<string, ModelEntry>();
  private readonly createdAt = new Date().toISOString();
  private readonly defaultPolicy: VersionPolicy;
  private loading?: Promise<void>;
  /** rescans and admin operations run one at a time */
  private queue: Promise<unknown> = Promise.resolve();
  private pollTimer?: NodeJS.Timeout;
  private polling = false;
  private closed = false;
  private readonly retiring = new Set<Promise<void>>();
  private labelledVersion?: string;
  /**
   * The default model's model_ready, kept at 0 while none of its versions is loaded: a version's
   * series goes with it, and an alert on model_ready == 0 must still see the model.
   */
  private notReadyPlaceholder?: ModelLabels;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MODEL_REPOSITORY) private readonly repository: ModelRepository,
    @Inject(MODEL_RUNTIME) private readonly runtime: ModelRuntime,
    private readonly metrics: ServiceMetrics,
  ) {
    this.defaultPolicy = parsePolicySpec(config.model.versionPolicy);
  }

  /** The default model (MODEL_NAME). */
  get modelName(): string {
    return this.config.model.name;
  }

  /** The default model's status. */
  get status(): ModelStatus {
    return this.statusOf(this.modelName);
  }

  /** The default model's default version, when one is ready. */
  get current(): LoadedModel | undefined {
    const entry = this.entries.get(this.modelName);
    return entry ? this.defaultHandle(entry)?.model : undefined;
  }

  /** Models of the repository (the default one first). */
  get modelNames(): string[] {
    const others = [...this.entries.keys()].filter((n) => n !== this.modelName).sort();
    return [this.modelName, ...others];
  }

  /** Scans the repository and loads what the policies ask for, once; starts polling. Never rejects. */
  load(): Promise<void> {
    this.loading ??= this.serialized(() => this.reconcileAll()).then(() => this.startPolling());
    return this.loading;
  }

  /** Rescans the whole repository now (what each poll does). */
  refresh(): Promise<void> {
    return this.serialized(() => this.reconcileAll());
  }

  /**
   * A lease on a ready version: the named one, else the default (or the canary, by weight).
   * Unknown name or version, or a version that failed to load → 404; one still loading → 503
   * with Retry-After.
   * Release the lease when the request is done: an unloaded version waits for it.
   */
  acquire(name?: string, version?: string): ModelLease {
    const entry = this.entryOrThrow(name ?? this.modelName);
    if (version !== undefined) {
      const handle = entry.versions.get(version);
      if (!handle || handle.state === 'unloading') {
        const ready = this.readyVersions(entry);
        const loaded = ready.length === 1 ? 'loaded version' : 'loaded versions';
        throw modelNotFound(
          `version "${version}" of model "${entry.name}" is not loaded; ${loaded}: ${quoteList(ready)}`,
        );
      }
      if (handle.state === 'failed') {
        // not retried until its files change or an admin load: waiting would not help
        const ready = this.readyVersions(entry);
        throw modelNotFound(
          `version "${version}" of model "${entry.name}" failed to load and is not served (${handle.reason ?? 'unknown reason'}); ${ready.length === 1 ? 'loaded version' : 'loaded versions'}: ${quoteList(ready)}`,
        );
      }
      if (handle.state !== 'ready') {
        throw modelNotReady(
          `version "${version}" of model "${entry.name}" is not ready (${handle.state}): ${handle.reason ?? 'unknown reason'}`,
          this.config.http.retryAfterSeconds,
        );
      }
      return handle.acquire();
    }
    const handle = this.route(entry);
    if (!handle) {
      const { state, reason } = this.statusOf(entry.name);
      throw modelNotReady(
        `model "${entry.name}" is not ready (${state}): ${reason ?? 'unknown reason'}`,
        this.config.http.retryAfterSeconds,
      );
    }
    return handle.acquire();
  }

  /** Version folders on disk for a model (the default one unless named). */
  availableVersions(name = this.modelName): Promise<string[]> {
    return this.repository.listVersions(name);
  }

  /**
   * What the model endpoints, the health checks and the errors show: reasons quote files by
   * their last segment (the log keeps the server's paths).
   */
  statusOf(name: string): ModelStatus {
    const status = this.describeStatus(name);
    return status.reason === undefined
      ? status
      : { ...status, reason: redactInternals(status.reason) };
  }

  private describeStatus(name: string): ModelStatus {
    const entry = this.entries.get(name);
    if (!entry) {
      return {
        name,
        version: name === this.modelName ? this.config.model.version : undefined,
        state: 'loading',
        reason: 'model loading has not finished',
        since: this.createdAt,
      };
    }
    const versions = this.versionStatuses(entry);
    const serving = this.defaultHandle(entry);
    if (serving) {
      return { name, version: serving.version, state: 'ready', since: serving.since, versions };
    }
    if (entry.failure) {
      const version = name === this.modelName ? this.config.model.version : undefined;
      return { name, version, state: 'failed', ...entry.failure, versions };
    }
    const handles = [...entry.versions.values()].sort((a, b) => byVersion(b.version, a.version));
    const failed = handles.find((h) => h.state === 'failed');
    // what an operator did (an admin unload) explains the state better than a failure beside it
    const relevant =
      handles.find((h) => h.state === 'loading') ??
      (entry.adminUnloaded.size > 0 ? undefined : (failed ?? handles[0]));
    if (!relevant && !entry.scanned) {
      return {
        name,
        version: name === this.modelName ? this.config.model.version : undefined,
        state: 'loading',
        reason: 'scanning the model repository',
        since: this.createdAt,
        versions,
      };
    }
    if (!relevant) {
      return {
        name,
        state: 'unloaded',
        reason: entry.disabled
          ? 'unloaded through the admin API'
          : entry.adminUnloaded.size > 0
            ? `unloaded through the admin API (${quoteList([...entry.adminUnloaded].sort(byVersion))}); ${
                failed
                  ? `version "${failed.version}" failed to load (${failed.reason ?? 'unknown reason'})`
                  : 'no other version is selected by the version policy'
              }`
            : 'no version folder is selected by the version policy',
        since: entry.unloadedAt ?? this.createdAt,
        versions,
      };
    }
    const state = relevant.state === 'unloading' ? 'unloaded' : relevant.state;
    return {
      name,
      version: relevant.version,
      state,
      reason: relevant.reason,
      since: relevant.since,
      versions,
    };
  }

  /** Everything the model endpoints show; 404 for a model the repository does not hold. */
  view(name: string): ModelView {
    const entry = this.entryOrThrow(name);
    return {
      status: this.statusOf(name),
      defaultModel: this.defaultHandle(entry)?.model,
      onDisk: entry.onDisk,
      policy: describePolicy(entry.policy),
      policySource: entry.policySource,
      policyError: entry.policyError,
      canary: entry.canary,
    };
  }

  /**
   * Admin: loads one version (kept loaded whatever the policy says) and answers once it is
   * ready, or rescans the model when no version is given. A failed load answers 422 and
   * changes nothing that serves.
   */
  loadModel(name: string, version?: string): Promise<ModelStatus> {
    return this.serialized(async () => {
      // a name is one folder of the repository, never a path out of it
      const onDisk = isModelName(name) ? await this.repository.listVersions(name) : [];
      if (onDisk.length === 0 && !this.entries.has(name)) {
        throw modelNotFound(`no model "${name}" in the repository (${this.repository.location()})`);
      }
      if (version !== undefined && !onDisk.includes(version)) {
        throw modelNotFound(
          `version "${version}" of model "${name}" is not on disk (found: ${quoteList(onDisk)})`,
        );
      }
      const entry = this.entryFor(name);
      entry.disabled = false;
      const started = Date.now();
      const retry = (v: string) => {
        const handle = entry.versions.get(v);
        if (handle?.state === 'failed') entry.versions.delete(v);
        if (handle) handle.rejectedFingerprint = undefined;
      };
      if (version === undefined) {
        entry.adminUnloaded.clear();
        [...entry.versions.keys()].forEach(retry);
      } else {
        entry.adminUnloaded.delete(version);
        entry.adminLoaded.add(version);
        retry(version);
      }
      await this.reconcile(name);
      if (version !== undefined) {
        const handle = entry.versions.get(version);
        const failure = handle?.lastFailure;
        if (handle?.state === 'failed' || (failure && Date.parse(failure.at) >= started)) {
          throw new ApiError(
            HttpStatus.UNPROCESSABLE_ENTITY,
            'model_load_failed',
            handle?.state === 'ready'
              ? `version "${version}" of model "${name}" was not replaced (${failure!.reason}): ${failure!.message}; the loaded one keeps serving`
              : `version "${version}" of model "${name}" failed to load (${failure?.reason ?? 'unknown'}): ${handle?.reason ?? 'unknown reason'}`,
          );
        }
      }
      return this.statusOf(name);
    });
  }

  /**
   * Admin: takes one version (or the whole model) out of service until loaded again, and
   * answers once its sessions are released, after the requests running on it finished.
   */
  async unloadModel(name: string, version?: string): Promise<ModelStatus> {
    const retired = await this.serialized(async () => {
      const entry = this.entryOrThrow(name);
      const targets =
        version === undefined
          ? [...entry.versions.values()]
          : [entry.versions.get(version)].filter((h) => h !== undefined);
      if (version !== undefined && targets.length === 0) {
        throw modelNotFound(
          `version "${version}" of model "${name}" is not loaded; loaded versions: ${quoteList(this.readyVersions(entry))}`,
        );
      }
      if (version === undefined) {
        entry.disabled = true;
        entry.adminLoaded.clear();
      } else {
        entry.adminLoaded.delete(version);
        entry.adminUnloaded.add(version);
      }
      // out of service at once, not after the policy's fallback has loaded
      targets.forEach((handle) => this.unload(entry, handle));
      await this.reconcile(name);
      return targets.map((h) => h.retire());
    });
    await Promise.all(retired);
    return this.statusOf(name);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.pollTimer);
    const released = (async () => {
      await this.loading;
      await this.queue.catch(() => undefined);
      for (const entry of this.entries.values()) {
        for (const handle of entry.versions.values()) this.retire(entry, handle);
      }
      await Promise.all(this.retiring);
      return 'released' as const;
    })();
    // The drain has already waited for requests; a load still running (or a lease that never
    // ends) must not keep the process from exiting.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), SHUTDOWN_RELEASE_TIMEOUT_MS).unref();
    });
    const outcome = await Promise.race([released, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(
        `model sessions not released within ${SHUTDOWN_RELEASE_TIMEOUT_MS} ms of shutdown; exiting anyway`,
      );
    }
  }

  // ---- registry internals ----

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private startPolling(): void {
    const seconds = this.config.model.pollSeconds;
    if (seconds <= 0 || this.closed || this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      // a slow load must not queue up scans behind it
      if (this.polling) return;
      this.polling = true;
      void this.refresh().finally(() => (this.polling = false));
    }, seconds * 1000);
    this.pollTimer.unref();
  }

  private async reconcileAll(): Promise<void> {
    const names = new Set([this.modelName, ...(await this.repository.listModels())]);
    for (const name of this.entries.keys()) names.add(name);
    for (const name of names) {
      try {
        await this.reconcile(name);
        const entry = this.entries.get(name)!;
        // a model folder that is gone (and drained) leaves the repository, unless it is MODEL_NAME
        if (name !== this.modelName && entry.onDisk.length === 0 && entry.versions.size === 0) {
          this.entries.delete(name);
        }
      } catch (e) {
        // one model's trouble must not stop the others from loading
        this.logger.error(`model ${name}: repository scan failed: ${(e as Error).message}`);
      }
    }
  }

  private entryFor(name: string): ModelEntry {
    let entry = this.entries.get(name);
    if (!entry) {
      entry = {
        name,
        versions: new Map(),
        onDisk: [],
        policy: this.defaultPolicy,
        policySource: 'MODEL_VERSION_POLICY',
        adminLoaded: new Set(),
        adminUnloaded: new Set(),
        disabled: false,
        retiring: new Set(),
        splitCounter: 0,
        scanned: false,
      };
      this.entries.set(name, entry);
    }
    return entry;
  }

  private entryOrThrow(name: string): ModelEntry {
    const entry = this.entries.get(name);
    if (entry) return entry;
    if (name === this.modelName) {
      // before the first scan the default model exists, but is still loading
      const { state, reason } = this.statusOf(name);
      throw modelNotReady(
        `model "${name}" is not ready (${state}): ${reason}`,
        this.config.http.retryAfterSeconds,
      );
    }
    throw modelNotFound(
      `model "${name}" is not served here; available: ${quoteList(this.modelNames)}`,
    );
  }

  /** Brings one model's loaded versions in line with its folders, policy and admin choices. */
  private async reconcile(name: string): Promise<void> {
    const entry = this.entryFor(name);
    const onDisk = await this.repository.listVersions(name);
    entry.onDisk = onDisk;
    this.applyPolicy(entry, await this.readPolicy(entry));
    const pinned = name === this.modelName ? this.config.model.version : undefined;

    if (onDisk.length === 0) {
      this.setModelFailure(
        entry,
        `no integer version folder under ${this.repository.location(name)}`,
      );
    } else if (pinned !== undefined && !onDisk.includes(pinned)) {
      this.setModelFailure(
        entry,
        `MODEL_VERSION=${pinned} not found under ${this.repository.location(name)} (found: ${onDisk.join(', ')})`,
      );
    } else {
      entry.failure = undefined;
    }

    // Load first, retire afterwards: the versions being replaced serve until then. A version
    // that fails does not count towards the policy, so `latest:1` falls back to the newest
    // version that works; failed ones stay listed (with their reason) while on disk.
    const failed = new Set<string>();
    let wanted: string[] = [];
    for (;;) {
      wanted = entry.disabled
        ? []
        : this.wantedVersions(
            entry,
            onDisk.filter((v) => !failed.has(v)),
          );
      // newest first: a new version takes over the default traffic as early as possible; the
      // canary last, so that it is not the only ready version while the others load
      const canary = entry.canary?.version;
      const order = [...wanted]
        .reverse()
        .sort((a, b) => Number(a === canary) - Number(b === canary));
      for (const version of order) {
        if (this.closed) return;
        await this.ensureLoaded(entry, version);
      }
      const newlyFailed = wanted.filter((v) => entry.versions.get(v)?.state === 'failed');
      if (newlyFailed.length === 0) break;
      newlyFailed.forEach((v) => failed.add(v));
    }
    this.warnIfPolicySelectsNothing(entry, wanted, failed);
    const keep = new Set([...wanted, ...failed]);
    for (const [version, handle] of entry.versions) {
      if (!keep.has(version)) this.unload(entry, handle);
    }
    entry.scanned = true;
    this.syncDefaultLabels();
  }

  /**
   * A version policy that selects none of the folders on disk (e.g. `specific` naming a version
   * that is not there) takes the model out of service: said once per change, as an error, as a
   * missing MODEL_VERSION pin is.
   */
  private warnIfPolicySelectsNothing(entry: ModelEntry, wanted: string[], failed: Set<string>) {
    const selectsNothing =
      wanted.length === 0 &&
      failed.size === 0 &&
      entry.onDisk.length > 0 &&
      !entry.disabled &&
      entry.adminUnloaded.size === 0;
    const key = selectsNothing ? JSON.stringify([entry.policy, entry.onDisk]) : undefined;
    if (key !== undefined && key !== entry.emptySelection) {
      this.logger.error(
        `model ${entry.name}: its version policy ${JSON.stringify(entry.policy)} (${entry.policySource}) selects none of the versions on disk (${entry.onDisk.join(', ')}): nothing is served`,
      );
    }
    entry.emptySelection = key;
  }

  /**
   * The policy's choice (plus the canary and admin loads) among the versions that may serve: an
   * admin-unloaded version is out of the running like a failed one, so `latest:1` falls back to
   * the next newest rather than to none.
   */
  private wantedVersions(entry: ModelEntry, candidates: string[]): string[] {
    const eligible = candidates.filter((v) => !entry.adminUnloaded.has(v));
    const chosen = new Set([
      ...selectVersions(eligible, entry.policy, entry.canary?.version),
      ...[...entry.adminLoaded].filter((v) => eligible.includes(v)),
    ]);
    return [...chosen].sort(byVersion);
  }

  private async readPolicy(
    entry: ModelEntry,
  ): Promise<{ policy?: VersionPolicy; canary?: CanarySplit }> {
    try {
      const file = parsePolicyText(await this.repository.readPolicy(entry.name));
      entry.policyError = undefined;
      return file;
    } catch (e) {
      const reason = (e as Error).message;
      if (entry.policyError !== reason) {
        this.logger.error(`model ${entry.name}: ${reason}; using MODEL_VERSION_POLICY instead`);
      }
      entry.policyError = reason;
      return {};
    }
  }

  private applyPolicy(
    entry: ModelEntry,
    file: { policy?: VersionPolicy; canary?: CanarySplit },
  ): void {
    const pinned = entry.name === this.modelName ? this.config.model.version : undefined;
    if (pinned !== undefined) {
      entry.policy = { kind: 'specific', versions: [pinned] };
      entry.policySource = 'MODEL_VERSION';
    } else if (file.policy) {
      entry.policy = file.policy;
      entry.policySource = 'version_policy.json';
    } else {
      entry.policy = this.defaultPolicy;
      entry.policySource = 'MODEL_VERSION_POLICY';
    }
    // a pin takes all default traffic: a canary in the policy file is not loaded nor split to
    // (one in MODEL_CANARY is refused at start-up)
    entry.canary =
      pinned !== undefined ? undefined : (this.config.model.canary[entry.name] ?? file.canary);
  }

  private setModelFailure(entry: ModelEntry, reason: string): void {
    if (entry.failure?.reason !== reason) {
      this.logger.error(`model ${entry.name} cannot be served: ${reason}`);
      entry.failure = { reason, since: new Date().toISOString() };
    }
  }

  /** Loads a version that is new, changed on disk, or not loaded; leaves others alone. */
  private async ensureLoaded(entry: ModelEntry, version: string): Promise<void> {
    const dir = this.repository.versionDir(entry.name, version);
    const fingerprint = await this.repository.fingerprint(entry.name, version);
    const existing = entry.versions.get(version);
    if (existing && existing.state !== 'unloading') {
      if (existing.fingerprint === fingerprint || existing.rejectedFingerprint === fingerprint) {
        return;
      }
      if (existing.state === 'ready') {
        // The package changed in place: load it beside the serving one, swap only on success.
        this.logger.log(`model ${entry.name} version ${version}: package changed, reloading`);
        const candidate = this.newHandle(entry, version, dir, fingerprint);
        if (await this.loadInto(candidate)) {
          entry.versions.set(version, candidate);
          this.publishState(candidate);
          this.retire(entry, existing, false);
        } else {
          existing.lastFailure = candidate.lastFailure;
          existing.rejectedFingerprint = fingerprint;
          this.logger.warn(
            `model ${entry.name} version ${version}: the changed package was rejected; the loaded one keeps serving`,
          );
        }
        return;
      }
    }
    const handle = this.newHandle(entry, version, dir, fingerprint);
    entry.versions.set(version, handle);
    handle.setState('loading', 'queued for loading');
    this.publishState(handle);
    await this.loadInto(handle);
  }

  private newHandle(
    entry: ModelEntry,
    version: string,
    dir: string,
    fingerprint: string,
  ): ModelVersionHandle {
    return new ModelVersionHandle(entry.name, version, dir, fingerprint, (h) => {
      // a candidate that is not (yet) in the registry has no series of its own, nor has a
      // retiring load whose version was loaded anew
      const shown = entry.versions.get(h.version) ?? unloadingByVersion(entry).get(h.version);
      if (shown === h) this.publishState(h);
    });
  }

  /** Loads into `handle`; true when it is ready. A failure is logged, counted and kept. */
  private async loadInto(handle: ModelVersionHandle): Promise<boolean> {
    const { name, version, dir } = handle;
    const { intraOpThreads, requireChecksums, warmupText } = this.config.model;
    this.logger.log(`loading model ${name} version ${version} from ${dir}`);
    try {
      const loaded = await loadModelVersion(this.runtime, name, version, dir, {
        intraOpThreads,
        requireChecksums,
        warmupText,
        onStage: (stage) => handle.setState('loading', stage),
      });
      const { unlisted, ...model } = loaded;
      if (unlisted.length) {
        this.logger.warn(`files not covered by checksums.sha256: ${unlisted.join(', ')}`);
      }
      const ignored = model.translator.settings.ignored;
      if (ignored.length) {
        this.logger.warn(
          `model ${name} version ${version}: generation_config.json settings not applied here (outputs can differ from transformers): ${ignored.join(', ')}`,
        );
      }
      handle.ready(model);
      this.logger.log(
        `model ${name} version ${version} ready (load ${model.loadMs.toFixed(0)} ms, warm-up ${model.warmupMs.toFixed(0)} ms)`,
      );
      this.syncDefaultLabels();
      return true;
    } catch (e) {
      const failure = {
        reason: e instanceof VersionLoadError ? e.reason : ('session' as const),
        message: e instanceof Error ? e.message : String(e),
        at: new Date().toISOString(),
      };
      handle.fail(failure);
      this.metrics.recordLoadFailure({ model_name: name, model_version: version }, failure.reason);
      this.logger.error(
        `model ${name} version ${version} failed to load (${failure.reason}): ${failure.message}`,
      );
      return false;
    }
  }

  /** retire, saying why the version goes */
  private unload(entry: ModelEntry, handle: ModelVersionHandle): void {
    this.logger.log(
      `model ${entry.name} version ${handle.version}: unloading (${removalReason(entry, handle.version)})`,
    );
    this.retire(entry, handle);
  }

  /** Out of the registry at once; sessions released once running requests finish. */
  private retire(entry: ModelEntry, handle: ModelVersionHandle, dropSeries = true): void {
    if (entry.versions.get(handle.version) === handle) {
      entry.versions.delete(handle.version);
      // shown as unloading, with its running requests, until its sessions are released
      if (dropSeries) entry.retiring.add(handle);
      if (entry.versions.size === 0) entry.unloadedAt = new Date().toISOString();
    }
    const labels = { model_name: handle.name, model_version: handle.version };
    const done = handle
      .retire()
      .catch((e: unknown) =>
        this.logger.error(
          `model ${handle.name} version ${handle.version}: releasing sessions failed: ${(e as Error).message}`,
        ),
      )
      .then(() => {
        this.retiring.delete(done);
        entry.retiring.delete(handle);
        // a reloaded version keeps its series: the new load of it now owns them; so does an
        // earlier unload of it that is still waiting for its requests
        const stillShown =
          entry.versions.has(handle.version) || unloadingByVersion(entry).has(handle.version);
        if (dropSeries && !stillShown) {
          this.metrics.setVersionState(labels, undefined, VERSION_STATES);
        }
        this.syncDefaultLabels(); // the model's last version gone: its not-ready placeholder
        this.logger.log(`model ${handle.name} version ${handle.version}: sessions released`);
      });
    this.retiring.add(done);
    this.syncDefaultLabels();
  }

  private publishState(handle: ModelVersionHandle): void {
    this.metrics.setVersionState(
      { model_name: handle.name, model_version: handle.version },
      handle.state,
      VERSION_STATES,
    );
    this.syncDefaultLabels();
  }

  /** Keeps the service-wide metric labels on the default model's default version. */
  private syncDefaultLabels(): void {
    const version = this.statusOf(this.modelName).version;
    if (version !== undefined && version !== this.labelledVersion) {
      this.dropNotReadyPlaceholder();
      this.labelledVersion = version;
      this.metrics.setModel(this.modelName, version);
    }
    const entry = this.entries.get(this.modelName);
    const loaded = entry !== undefined && (entry.versions.size > 0 || entry.retiring.size > 0);
    if (loaded) {
      this.dropNotReadyPlaceholder();
    } else if (this.labelledVersion !== undefined && !this.notReadyPlaceholder) {
      this.notReadyPlaceholder = {
        model_name: this.modelName,
        model_version: this.labelledVersion,
      };
      this.metrics.setModelReady(false, this.notReadyPlaceholder);
    }
  }

  private dropNotReadyPlaceholder(): void {
    const labels = this.notReadyPlaceholder;
    if (!labels) return;
    this.notReadyPlaceholder = undefined;
    // a version loaded under these labels since owns the series
    if (!this.entries.get(this.modelName)?.versions.has(labels.model_version)) {
      this.metrics.removeModelReady(labels);
    }
  }

  private readyVersions(entry: ModelEntry): string[] {
    return [...entry.versions.values()]
      .filter((h) => h.state === 'ready')
      .map((h) => h.version)
      .sort(byVersion);
  }

  /**
   * The version requests without one get: MODEL_VERSION when pinned, else the newest ready
   * version other than the canary. The canary itself only when nothing else is ready, and not
   * while the first scan still loads another version: at start-up it must not take all traffic.
   */
  private defaultHandle(entry: ModelEntry): ModelVersionHandle | undefined {
    const pinned = entry.name === this.modelName ? this.config.model.version : undefined;
    if (pinned !== undefined) {
      const handle = entry.versions.get(pinned);
      return handle?.state === 'ready' ? handle : undefined;
    }
    const ready = [...entry.versions.values()]
      .filter((h) => h.state === 'ready')
      .sort((a, b) => byVersion(b.version, a.version));
    const stable = ready.find((h) => h.version !== entry.canary?.version);
    if (stable) return stable;
    // during the first scan only: later, a canary already serving alone keeps serving while
    // another version loads
    const stableLoading = [...entry.versions.values()].some(
      (h) => h.state === 'loading' && h.version !== entry.canary?.version,
    );
    return !entry.scanned && stableLoading ? undefined : ready[0];
  }

  /** The default version, or the canary for its share of requests when both are ready. */
  private route(entry: ModelEntry): ModelVersionHandle | undefined {
    const stable = this.defaultHandle(entry);
    const canary = entry.canary && entry.versions.get(entry.canary.version);
    if (!stable || !canary || canary === stable || canary.state !== 'ready') return stable;
    return isCanaryTurn(entry.splitCounter++, entry.canary!.weight) ? canary : stable;
  }

  private versionStatuses(entry: ModelEntry): VersionStatus[] {
    const def = this.defaultHandle(entry);
    const unloading = [...unloadingByVersion(entry).values()].filter(
      (h) => !entry.versions.has(h.version),
    );
    return [...entry.versions.values(), ...unloading]
      .sort((a, b) => byVersion(a.version, b.version))
      .map((h) => ({
        version: h.version,
        state: h.state,
        ...(h.reason ? { reason: redactInternals(h.reason) } : {}),
        since: h.since,
        in_flight: h.activeRequests,
        default: h === def,
        ...(entry.canary?.version === h.version && h !== def
          ? { canary_weight: entry.canary.weight }
          : {}),
        ...(h.lastFailure
          ? { last_failure: { ...h.lastFailure, message: redactInternals(h.lastFailure.message) } }
          : {}),
      }));
  }
}

/** Each version being unloaded, by its last unload still waiting for its requests. */
const unloadingByVersion = (entry: ModelEntry) =>
  new Map([...entry.retiring].map((h) => [h.version, h]));

function removalReason(entry: ModelEntry, version: string): string {
  if (entry.disabled) return 'model unloaded through the admin API';
  if (entry.adminUnloaded.has(version)) return 'unloaded through the admin API';
  if (!entry.onDisk.includes(version)) return 'folder removed';
  return `not selected by version policy ${describePolicy(entry.policy)}`;
}

const isModelName = (name: string) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name);

const quoteList = (items: readonly string[]) =>
  items.length ? items.map((i) => `"${i}"`).join(', ') : 'none';
