import { realpath } from 'node:fs/promises';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Translator } from '../inference/translator';
import type { DriftProfile } from '../monitoring/drift-profile';
import { ChecksumError, ChecksumReport, verifyChecksums } from './checksums';
import { ModelPackageError, PACKAGE_FILES, readOptionalJson } from './model-package';
import { ModelRuntime } from './model-runtime.port';

/** One model version, loaded, verified and warmed up. */
export interface LoadedModel {
  name: string;
  version: string;
  dir: string;
  /** differs between two loads of the same version folder (a changed package): cache keys use it */
  revision: number;
  translator: Translator;
  checksums?: ChecksumReport;
  metrics?: Record<string, unknown>;
  driftProfile?: DriftProfile;
  loadMs: number;
  warmupMs: number;
}

export type VersionState = 'loading' | 'ready' | 'failed' | 'unloading';
export const VERSION_STATES: readonly VersionState[] = ['loading', 'ready', 'failed', 'unloading'];

/** Why a load failed, as a bounded metric label (the message carries the details). */
export type LoadFailureReason = 'checksum' | 'invalid_package' | 'session' | 'warmup';

export class VersionLoadError extends Error {
  constructor(
    readonly reason: LoadFailureReason,
    message: string,
  ) {
    super(message);
  }
}

export interface LoadFailure {
  reason: LoadFailureReason;
  message: string;
  at: string;
}

/** A request's claim on a version: the session stays alive until every lease is released. */
export interface ModelLease {
  model: LoadedModel;
  release(): void;
}

export interface LoadOptions {
  intraOpThreads: number;
  requireChecksums: boolean;
  warmupText: string;
  /** called as loading moves on, for the status shown while it runs */
  onStage?: (stage: string) => void;
}

let revisions = 0;

/**
 * Verifies checksums, creates the sessions and runs one warm-up translation; only a version
 * that passed all three is returned. Failures come as VersionLoadError with their stage.
 */
export async function loadModelVersion(
  runtime: ModelRuntime,
  name: string,
  version: string,
  dir: string,
  options: LoadOptions,
): Promise<LoadedModel & { unlisted: string[] }> {
  const stage = options.onStage ?? (() => undefined);
  const started = performance.now();
  stage('verifying checksums');
  // Verified and loaded from where the folder points now: a symlink re-pointed meanwhile (the
  // usual release swap) cannot slip unverified files into this load.
  const source = await realpath(dir).catch(() => dir);
  let checksums: ChecksumReport | undefined;
  try {
    checksums = await verifyChecksums(
      source,
      options.requireChecksums,
      Object.values(PACKAGE_FILES),
    );
  } catch (e) {
    throw new VersionLoadError(e instanceof ChecksumError ? 'checksum' : 'invalid_package', msg(e));
  }
  stage('creating inference sessions');
  let translator: Translator;
  try {
    translator = await Translator.load(source, runtime, {
      intraOpThreads: options.intraOpThreads,
    });
  } catch (e) {
    throw new VersionLoadError(
      e instanceof ModelPackageError ? 'invalid_package' : 'session',
      msg(e),
    );
  }
  const loadMs = performance.now() - started;
  try {
    stage('warming up');
    const warmStart = performance.now();
    const warm = await translator.translateTexts([options.warmupText], {
      split: true,
      batchSize: 1,
      maxNewTokens: Math.min(16, translator.settings.maxNewTokensLimit),
    });
    if (warm.results.length !== 1) throw new Error('warm-up translation returned no result');
    const warmupMs = performance.now() - warmStart;
    return {
      name,
      version,
      dir,
      revision: ++revisions,
      translator,
      checksums,
      unlisted: checksums?.unlisted ?? [],
      metrics: await readOptionalJson(path.join(source, PACKAGE_FILES.metrics)),
      driftProfile: await readOptionalJson<DriftProfile>(
        path.join(source, PACKAGE_FILES.driftProfile),
      ),
      loadMs,
      warmupMs,
    };
  } catch (e) {
    await translator.dispose().catch(() => undefined);
    throw e instanceof VersionLoadError
      ? e
      : new VersionLoadError(
          e instanceof ModelPackageError ? 'invalid_package' : 'warmup',
          `warm-up failed: ${msg(e)}`,
        );
  }
}

/**
 * One version of one model in the registry: its state, the loaded translator, and how many
 * requests use it right now. Retiring a version stops new leases at once but releases the
 * sessions only when the last running request has released its lease.
 */
export class ModelVersionHandle {
  private currentState: VersionState = 'loading';
  /** why the version is not ready (its loading stage, or the failure) */
  reason?: string = 'queued for loading';
  since = new Date().toISOString();
  model?: LoadedModel;
  /** the last failed load of this version, kept even when an older load of it still serves */
  lastFailure?: LoadFailure;
  /** a package fingerprint whose load failed while this handle kept serving: not retried */
  rejectedFingerprint?: string;
  private inFlight = 0;
  private drained?: () => void;
  private retiring?: Promise<void>;

  constructor(
    readonly name: string,
    readonly version: string,
    readonly dir: string,
    readonly fingerprint: string,
    private readonly onStateChange: (handle: ModelVersionHandle) => void = () => undefined,
  ) {}

  get state(): VersionState {
    return this.currentState;
  }

  get activeRequests(): number {
    return this.inFlight;
  }

  setState(state: VersionState, reason?: string): void {
    const changed = state !== this.currentState;
    this.currentState = state;
    this.reason = reason;
    this.since = new Date().toISOString();
    if (changed) this.onStateChange(this);
  }

  ready(model: LoadedModel): void {
    this.model = model;
    this.setState('ready');
  }

  fail(failure: LoadFailure): void {
    this.lastFailure = failure;
    this.setState('failed', failure.message);
  }

  /** A lease on the ready version; release it exactly once when the request is done. */
  acquire(): ModelLease {
    if (this.currentState !== 'ready' || !this.model) {
      throw new Error(`version ${this.version} of ${this.name} is ${this.currentState}`);
    }
    this.inFlight++;
    let released = false;
    return {
      model: this.model,
      release: () => {
        if (released) return;
        released = true;
        if (--this.inFlight === 0) this.drained?.();
      },
    };
  }

  /** Takes the version out of service; resolves once its sessions are released. Idempotent. */
  retire(): Promise<void> {
    this.retiring ??= (async () => {
      this.setState('unloading', 'waiting for running requests to finish');
      if (this.inFlight > 0) await new Promise<void>((resolve) => (this.drained = resolve));
      const model = this.model;
      this.model = undefined;
      await model?.translator.dispose();
    })();
    return this.retiring;
  }
}

const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));
