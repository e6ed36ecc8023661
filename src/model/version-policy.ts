/**
 * Which version folders of a model are loaded, after Triton's version_policy:
 * the newest N, every one, or a fixed list.
 */
export type VersionPolicy =
  { kind: 'latest'; count: number } | { kind: 'all' } | { kind: 'specific'; versions: string[] };

/** A share of a model's default traffic (percent) sent to one version. */
export interface CanarySplit {
  version: string;
  weight: number;
}

/** Optional per-model settings file: `<MODEL_DIR>/<name>/version_policy.json`. */
export const POLICY_FILE = 'version_policy.json';

export class PolicyError extends Error {}

/**
 * The canonical spelling of an integer version ("02" and 2 are "2", as version folders are
 * compared as text), or undefined for anything that is not a non-negative integer.
 */
export function normalizeVersion(v: unknown): string | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? String(n) : undefined;
}

/** `latest:N`, `all` or `specific:1,3` (the MODEL_VERSION_POLICY syntax). */
export function parsePolicySpec(spec: string): VersionPolicy {
  if (spec === 'all') return { kind: 'all' };
  const latest = /^latest:(\d+)$/.exec(spec);
  if (latest && Number(latest[1]) >= 1) return { kind: 'latest', count: Number(latest[1]) };
  const specific = /^specific:([^,]+(?:,[^,]+)*)$/.exec(spec);
  if (specific) {
    const versions = specific[1].split(',').map((v) => {
      const version = normalizeVersion(v.trim());
      if (version === undefined) {
        throw new PolicyError(
          `version policy "${spec}": "${v}" is not an integer version (specific:V[,V...] lists version folder numbers)`,
        );
      }
      return version;
    });
    return { kind: 'specific', versions };
  }
  throw new PolicyError(`version policy "${spec}" is not latest:N, all or specific:V[,V...]`);
}

export function describePolicy(policy: VersionPolicy): string {
  switch (policy.kind) {
    case 'all':
      return 'all';
    case 'latest':
      return `latest:${policy.count}`;
    case 'specific':
      return `specific:${policy.versions.join(',')}`;
  }
}

/**
 * Parses version_policy.json, in Triton's JSON spelling:
 * `{"version_policy": {"latest": {"num_versions": 2}} | {"all": {}} | {"specific": {"versions": [1, 3]}},
 *   "canary": {"version": "2", "weight": 10}}` (both keys optional).
 */
export function parsePolicyFile(value: unknown): { policy?: VersionPolicy; canary?: CanarySplit } {
  if (!isObject(value)) throw new PolicyError(`${POLICY_FILE} must hold a JSON object`);
  const unknown = Object.keys(value).filter((k) => k !== 'version_policy' && k !== 'canary');
  if (unknown.length) throw new PolicyError(`${POLICY_FILE}: unknown key ${unknown.join(', ')}`);
  const result: { policy?: VersionPolicy; canary?: CanarySplit } = {};
  const policy = value.version_policy;
  if (policy !== undefined) {
    if (!isObject(policy) || Object.keys(policy).length !== 1) {
      throw new PolicyError(`${POLICY_FILE}: version_policy needs one of latest, all, specific`);
    }
    if (isObject(policy.latest)) {
      const n = policy.latest.num_versions;
      if (!Number.isInteger(n) || (n as number) < 1) {
        throw new PolicyError(`${POLICY_FILE}: latest.num_versions must be an integer >= 1`);
      }
      result.policy = { kind: 'latest', count: n as number };
    } else if (isObject(policy.all)) {
      result.policy = { kind: 'all' };
    } else if (isObject(policy.specific)) {
      const versions = policy.specific.versions;
      const normalized = Array.isArray(versions) ? versions.map(normalizeVersion) : [];
      if (normalized.length === 0 || normalized.some((v) => v === undefined)) {
        throw new PolicyError(
          `${POLICY_FILE}: specific.versions must list integer versions, e.g. [1, 3]; got ${JSON.stringify(versions)}`,
        );
      }
      result.policy = { kind: 'specific', versions: normalized as string[] };
    } else {
      throw new PolicyError(`${POLICY_FILE}: version_policy needs one of latest, all, specific`);
    }
  }
  if (value.canary !== undefined) {
    const canary = value.canary;
    const version = isObject(canary) ? normalizeVersion(canary.version) : undefined;
    if (
      !isObject(canary) ||
      version === undefined ||
      typeof canary.weight !== 'number' ||
      canary.weight < 0 ||
      canary.weight > 100
    ) {
      throw new PolicyError(
        `${POLICY_FILE}: canary must be {"version": "<integer>", "weight": <0-100 percent>}; got ${JSON.stringify(canary)}`,
      );
    }
    result.canary = { version, weight: canary.weight };
  }
  return result;
}

/** A model's version_policy.json (its text, or undefined when there is none), or {} without one. */
export function parsePolicyText(text: string | undefined): {
  policy?: VersionPolicy;
  canary?: CanarySplit;
} {
  if (text === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PolicyError(`${POLICY_FILE} is not valid JSON: ${(e as Error).message}`);
  }
  return parsePolicyFile(json);
}

/**
 * The versions (ascending) the policy keeps of those on disk. A canary version is kept in
 * addition and does not count towards `latest:N`, so "latest:1 plus canary 2" serves 1 and 2.
 */
export function selectVersions(
  onDisk: readonly string[],
  policy: VersionPolicy,
  canaryVersion?: string,
): string[] {
  const others = onDisk.filter((v) => v !== canaryVersion);
  let chosen: string[];
  switch (policy.kind) {
    case 'all':
      chosen = others;
      break;
    case 'latest':
      chosen = others.slice(-policy.count);
      break;
    case 'specific':
      // numerically, so a folder spelt "02" still matches (policies hold canonical spellings)
      chosen = others.filter((v) => policy.versions.some((p) => Number(p) === Number(v)));
      break;
  }
  if (canaryVersion !== undefined && onDisk.includes(canaryVersion)) chosen.push(canaryVersion);
  return chosen.sort(byVersion);
}

/**
 * Whether the n-th (0-based) request of a split goes to the canary: spreads exactly
 * `weight` percent of every 100 requests evenly, so the split holds for short runs too.
 */
export function isCanaryTurn(n: number, weight: number): boolean {
  return Math.floor(((n + 1) * weight) / 100) > Math.floor((n * weight) / 100);
}

export const byVersion = (a: string, b: string) => Number(a) - Number(b);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
