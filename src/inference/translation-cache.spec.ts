import { loadAppConfig } from '../config/app-config';
import { ServiceMetrics } from '../metrics/service-metrics';
import { GenerateOptions } from './generation-settings';
import { TranslationCache } from './translation-cache';
import type { SegmentTranslation } from './translator';

const model = { name: 'en-hi', version: '1' };
const greedy: GenerateOptions = { beamSize: 1, maxNewTokens: 64, lengthPenalty: 1 };
const result = (text: string): SegmentTranslation => ({
  text,
  ids: [1, 2],
  inputTokens: 3,
  unknownTokens: 0,
  truncated: false,
  outputCut: false,
});

function make(size: string) {
  const lookups = { hits: 0, misses: 0 };
  const metrics = {
    recordCacheLookups: (hits: number, misses: number) => {
      lookups.hits += hits;
      lookups.misses += misses;
    },
  } as unknown as ServiceMetrics;
  return {
    cache: new TranslationCache(loadAppConfig({ TRANSLATION_CACHE_SIZE: size }), metrics),
    lookups,
  };
}

describe('TranslationCache', () => {
  it('answers a sentence seen before and counts hits and misses (blank ones not at all)', () => {
    const { cache, lookups } = make('10');
    const scope = cache.scope(model, greedy);
    expect(scope.lookup(['Hello.', ' '])).toEqual([undefined, undefined]);
    scope.store('Hello.', result('नमस्ते।'));
    expect(scope.lookup(['Hello.', 'Bye.'])).toEqual([result('नमस्ते।'), undefined]);
    expect(lookups).toEqual({ hits: 1, misses: 2 });
  });

  it('keys on model version, its revision and generation options', () => {
    const { cache } = make('10');
    cache.scope(model, greedy).store('Hello.', result('a'));
    expect(cache.scope(model, greedy).lookup(['Hello.'])).toEqual([result('a')]);
    expect(cache.scope({ ...model, version: '2' }, greedy).lookup(['Hello.'])).toEqual([undefined]);
    // the version folder replaced in place: a new load, whose answers may differ
    expect(cache.scope({ ...model, revision: 2 }, greedy).lookup(['Hello.'])).toEqual([undefined]);
    expect(cache.scope(model, { ...greedy, lengthPenalty: 0.6 }).lookup(['Hello.'])).toEqual([
      undefined,
    ]);
    expect(cache.scope(model, { ...greedy, beamSize: 4 }).lookup(['Hello.'])).toEqual([undefined]);
    expect(cache.scope(model, { ...greedy, maxNewTokens: 8 }).lookup(['Hello.'])).toEqual([
      undefined,
    ]);
  });

  it('is bounded by TRANSLATION_CACHE_SIZE and off at 0', () => {
    const { cache } = make('2');
    const scope = cache.scope(model, greedy);
    ['a', 'b', 'c'].forEach((s) => scope.store(s, result(s)));
    expect(cache.size).toBe(2);
    const off = make('0');
    const offScope = off.cache.scope(model, greedy);
    offScope.store('a', result('a'));
    expect(offScope.lookup(['a'])).toEqual([undefined]);
    expect(off.cache.enabled).toBe(false);
  });
});
