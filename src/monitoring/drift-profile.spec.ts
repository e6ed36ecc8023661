import { FAKE_DRIFT_PROFILE } from '../../test/support/fake-package';
import { binIndex, DriftProfile, psi, validateDriftProfile } from './drift-profile';

describe('drift profile maths', () => {
  const edges = [0, 4, 8, 12];

  it('bins values with [edge, next edge) and an open last bin', () => {
    expect(binIndex(edges, 0)).toBe(0);
    expect(binIndex(edges, 3.99)).toBe(0);
    expect(binIndex(edges, 4)).toBe(1);
    expect(binIndex(edges, 11)).toBe(2);
    expect(binIndex(edges, 12)).toBe(3);
    expect(binIndex(edges, 1000)).toBe(3);
    expect(binIndex([0, 0.1, 0.2], 0.15)).toBe(1);
  });

  it('PSI is 0 for identical distributions and grows with the shift', () => {
    const p = [0.25, 0.25, 0.25, 0.25];
    expect(psi(p, p)).toBe(0);
    const small = psi(p, [0.3, 0.2, 0.25, 0.25]);
    const large = psi(p, [0.0, 0.0, 0.0, 1.0]);
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(0.1);
    expect(large).toBeGreaterThan(1);
  });

  it('accepts the documented profile and rejects inconsistent ones', () => {
    expect(validateDriftProfile(FAKE_DRIFT_PROFILE as DriftProfile)).toBe(FAKE_DRIFT_PROFILE);
    const broken = {
      ...FAKE_DRIFT_PROFILE,
      token_length: { bin_edges: [0, 4], proportions: [1] },
    } as DriftProfile;
    expect(() => validateDriftProfile(broken)).toThrow(/as many proportions as bin_edges/);
    const unordered = {
      ...FAKE_DRIFT_PROFILE,
      non_latin_share: { mean: 0, bin_edges: [0, 0.5, 0.2], proportions: [1, 0, 0] },
    } as DriftProfile;
    expect(() => validateDriftProfile(unordered)).toThrow(/must increase/);
  });
});
