import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ServiceMetrics } from '../metrics/service-metrics';
import { GenerateOptions } from './generation-settings';
import { LruCache } from './lru-cache';
import type { SegmentCache, SegmentTranslation } from './translator';

/**
 * Recent sentence translations (TRANSLATION_CACHE_SIZE entries, LRU; 0 disables it).
 *
 * Keyed per sentence rather than per text: the sentence is the unit the decoder translates,
 * so a cached sentence is exactly what decoding would give, and a repeated sentence (greetings,
 * boilerplate, UI strings) hits even inside a text that differs elsewhere. The key also holds
 * the model name and version and every option that changes the output (beam size, max new
 * tokens, length penalty), so a new model version or other options never get stale answers.
 */
@Injectable()
export class TranslationCache {
  private readonly lru: LruCache<string, SegmentTranslation>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: ServiceMetrics,
  ) {
    this.lru = new LruCache(config.cache.size);
  }

  get enabled(): boolean {
    return this.lru.maxEntries > 0;
  }

  get size(): number {
    return this.lru.size;
  }

  /** The cache as seen by one request: its model and options are part of every key. */
  scope(
    model: { name: string; version: string; revision?: number },
    options: GenerateOptions,
  ): SegmentCache {
    const labels = { model_name: model.name, model_version: model.version };
    if (!this.enabled)
      return { lookup: (segments) => segments.map(() => undefined), store: () => {} };
    // JSON keeps the parts apart whatever characters the sentence holds.
    const prefix = JSON.stringify([
      model.name,
      model.version,
      // a version folder replaced in place is a new revision: its old answers must not be served
      model.revision ?? 0,
      options.beamSize,
      options.maxNewTokens,
      options.lengthPenalty,
    ]);
    return {
      lookup: (segments) => {
        // Blank segments are never decoded, so they are not looked up (nor counted).
        const found = segments.map((s) =>
          s.trim() === '' ? undefined : this.lru.get(`${prefix}${JSON.stringify(s)}`),
        );
        const hits = found.filter((f) => f !== undefined).length;
        const looked = segments.filter((s) => s.trim() !== '').length;
        this.metrics.recordCacheLookups(hits, looked - hits, labels);
        return found;
      },
      store: (segment, result) => this.lru.set(`${prefix}${JSON.stringify(segment)}`, result),
    };
  }
}
