import { ModelPackageError } from '../model/model-package';

export interface BinnedDistribution {
  /** bin i covers [edges[i], edges[i+1]); the last bin is [last edge, ∞) */
  bin_edges: number[];
  proportions: number[];
}

/** drift_profile.json, written by the training pipeline from the training sources. */
export interface DriftProfile {
  n_texts: number;
  token_length: BinnedDistribution;
  unknown_token_rate: number;
  non_latin_share: BinnedDistribution & { mean: number };
  top_tokens?: { id: number; token: string; share: number }[];
}

function checkDistribution(name: string, d: BinnedDistribution | undefined): void {
  if (!d || !Array.isArray(d.bin_edges) || !Array.isArray(d.proportions)) {
    throw new ModelPackageError(`drift_profile.json: ${name} needs bin_edges and proportions`);
  }
  if (d.bin_edges.length !== d.proportions.length || d.bin_edges.length === 0) {
    throw new ModelPackageError(
      `drift_profile.json: ${name} must have as many proportions as bin_edges`,
    );
  }
  if (d.bin_edges.some((e, i) => i > 0 && e <= d.bin_edges[i - 1])) {
    throw new ModelPackageError(`drift_profile.json: ${name}.bin_edges must increase`);
  }
}

export function validateDriftProfile(profile: DriftProfile): DriftProfile {
  checkDistribution('token_length', profile.token_length);
  checkDistribution('non_latin_share', profile.non_latin_share);
  if (typeof profile.unknown_token_rate !== 'number') {
    throw new ModelPackageError('drift_profile.json: unknown_token_rate must be a number');
  }
  return profile;
}

/** Index of the bin holding `value`; values below the first edge go to bin 0. */
export function binIndex(edges: readonly number[], value: number): number {
  let index = 0;
  for (let i = 0; i < edges.length; i++) if (value >= edges[i]) index = i;
  return index;
}

const PSI_EPSILON = 1e-4;

/**
 * Population stability index Σ (a − e)·ln(a / e), with empty bins floored at 1e-4.
 * Rule of thumb: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 large shift.
 */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  let total = 0;
  expected.forEach((e, i) => {
    const p = Math.max(e, PSI_EPSILON);
    const q = Math.max(actual[i] ?? 0, PSI_EPSILON);
    total += (q - p) * Math.log(q / p);
  });
  return total;
}
