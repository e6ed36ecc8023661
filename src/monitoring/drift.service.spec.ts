import { Logger } from '@nestjs/common';
import { FAKE_DRIFT_PROFILE } from '../../test/support/fake-package';
import { loadAppConfig } from '../config/app-config';
import type { ServiceMetrics } from '../metrics/service-metrics';
import type { LoadedModel, ModelService } from '../model/model.service';
import { DriftProfile } from './drift-profile';
import { DriftService } from './drift.service';
import { TextFeatures } from './text-features';

function makeService(profile: DriftProfile | undefined, threshold = 0.2) {
  const config = loadAppConfig({
    DRIFT_WINDOW_SIZE: '100',
    DRIFT_MIN_SAMPLES: '20',
    DRIFT_THRESHOLD: String(threshold),
  });
  const models = {
    modelName: 'fake',
    status: { version: '1' },
    current: { driftProfile: profile },
  } as unknown as ModelService;
  const metrics = { setDrift: jest.fn() } as unknown as ServiceMetrics & { setDrift: jest.Mock };
  const service = new DriftService(config, models, metrics);
  /** what the default version served */
  const observe = (features: TextFeatures[]) => service.observe(models.current!, features);
  return { service, models, metrics, observe };
}

/** Texts shaped like FAKE_DRIFT_PROFILE: its length bins, Latin script, about 1% unknowns. */
const LENGTHS = [2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 25, 30, 40, 50];
const inDistribution = (i: number): TextFeatures => ({
  tokenLength: LENGTHS[i % LENGTHS.length],
  unknownTokens: i % 10 === 0 ? 1 : 0,
  nonLatinShare: i % 50 === 0 ? 0.15 : 0,
});

describe('DriftService', () => {
  it('reports insufficient data until DRIFT_MIN_SAMPLES texts were seen', () => {
    const { service, observe } = makeService(FAKE_DRIFT_PROFILE);
    expect(service.report()).toMatchObject({ status: 'insufficient_data', score: null });
    observe(Array.from({ length: 19 }, (_, i) => inDistribution(i)));
    expect(service.report()).toMatchObject({ status: 'insufficient_data', score: null });
    expect(service.report().signals).not.toBeNull();
  });

  it("exports the signals only with a score: a small window's are noise", () => {
    const { metrics, observe } = makeService(FAKE_DRIFT_PROFILE);
    observe(Array.from({ length: 19 }, (_, i) => inDistribution(i)));
    expect(metrics.setDrift).toHaveBeenLastCalledWith(null, {});
    observe([inDistribution(19)]);
    const [score, signals] = metrics.setDrift.mock.lastCall as [number, Record<string, number>];
    expect(score).not.toBeNull();
    expect(Object.keys(signals).sort()).toEqual([
      'non_latin_share_psi',
      'token_length_psi',
      'unknown_token_rate_psi',
    ]);
  });

  it('does not read bins a small window left empty by chance as drift (smoothed shares)', () => {
    const { service, observe } = makeService(FAKE_DRIFT_PROFILE);
    // 20 in-distribution sentences, all short: several length bins stay empty
    observe(
      Array.from({ length: 20 }, () => ({ tokenLength: 5, unknownTokens: 0, nonLatinShare: 0 })),
    );
    const { live } = service.report();
    expect(Math.min(...live!.token_length)).toBeGreaterThan(0);
    expect(live!.token_length.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
  });

  it('scores in-distribution traffic low and shifted traffic high', () => {
    const normal = makeService(FAKE_DRIFT_PROFILE);
    normal.observe(Array.from({ length: 100 }, (_, i) => inDistribution(i)));
    const ok = normal.service.report();
    expect(ok.status).toBe('ok');
    expect(ok.score).toBeLessThan(0.2);
    expect(normal.metrics.setDrift).toHaveBeenLastCalledWith(ok.score, ok.signals);

    const shifted = makeService(FAKE_DRIFT_PROFILE);
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    shifted.observe(
      Array.from({ length: 100 }, () => ({
        tokenLength: 150,
        unknownTokens: 60,
        nonLatinShare: 1,
      })),
    );
    const drift = shifted.service.report();
    expect(drift.status).toBe('drift');
    expect(drift.score).toBeGreaterThan(1);
    expect(drift.signals!.token_length_psi).toBeGreaterThan(1);
    expect(drift.signals!.non_latin_share_psi).toBeGreaterThan(1);
    expect(drift.signals!.unknown_token_rate_psi).toBeGreaterThan(0.2);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/input drift detected/);
    warn.mockRestore();
  });

  afterEach(() => jest.restoreAllMocks());

  it('reports drift exactly when the score (the largest signal) passes DRIFT_THRESHOLD', () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    // a mild shift: two texts in ten are long
    const window = Array.from({ length: 100 }, (_, i) =>
      i % 10 < 2 ? { tokenLength: 45, unknownTokens: 0, nonLatinShare: 0 } : inDistribution(i),
    );
    const report = (threshold: number) => {
      const { service, observe } = makeService(FAKE_DRIFT_PROFILE, threshold);
      observe(window);
      return service.report();
    };
    const { score, signals, status } = report(0.2);
    expect(score).toBeGreaterThan(0.2);
    expect(score).toBeLessThan(0.7); // near the threshold, not a gross shift
    expect(status).toBe('drift');
    expect(score).toBe(Math.max(...Object.values(signals!)));
    expect(report(score! - 0.001).status).toBe('drift');
    expect(report(score! + 0.001).status).toBe('ok');
  });

  it('forgets old traffic once the window has turned over', () => {
    const { service, observe } = makeService(FAKE_DRIFT_PROFILE);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    observe(
      Array.from({ length: 100 }, () => ({ tokenLength: 150, unknownTokens: 0, nonLatinShare: 1 })),
    );
    expect(service.report().status).toBe('drift');
    observe(Array.from({ length: 100 }, (_, i) => inDistribution(i)));
    expect(service.report().status).toBe('ok');
    expect(service.report().window.samples).toBe(100);
  });

  it('reports no_profile when the model ships none', () => {
    const { service, observe } = makeService(undefined);
    observe([inDistribution(1)]);
    expect(service.report()).toMatchObject({ status: 'no_profile', score: null, reference: null });
  });

  it('counts only traffic the default version served, and starts over when it changes', () => {
    const { service, models, observe } = makeService(FAKE_DRIFT_PROFILE);
    const shifted = Array.from({ length: 100 }, () => ({
      tokenLength: 150,
      unknownTokens: 60,
      nonLatinShare: 1,
    }));
    // a pinned or canary version, or another model of the repository
    const other = { driftProfile: FAKE_DRIFT_PROFILE } as unknown as LoadedModel;
    service.observe(other, shifted);
    expect(service.report().window.samples).toBe(0);

    observe(Array.from({ length: 30 }, (_, i) => inDistribution(i)));
    expect(service.report().window.samples).toBe(30);
    // a new default version is loaded: the window restarts, before it has served anything too
    (models as { current: unknown }).current = { driftProfile: FAKE_DRIFT_PROFILE };
    expect(service.report().window.samples).toBe(0);
    observe(Array.from({ length: 5 }, (_, i) => inDistribution(i)));
    expect(service.report()).toMatchObject({ status: 'insufficient_data', window: { samples: 5 } });
  });
});
