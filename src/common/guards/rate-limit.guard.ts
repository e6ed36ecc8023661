import { ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerModuleOptions } from '@nestjs/throttler';
import type { ThrottlerLimitDetail, ThrottlerRequest } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { ApiError } from '../api-errors';
import type { AuthenticatedRequest } from './api-key.guard';
import { routeAccess } from './route-access';

/** Throttler names; each counts requests per tracker over RATE_LIMIT_WINDOW_MS. */
export const RATE_LIMITS = {
  key: { variable: 'RATE_LIMIT_PER_KEY', per: 'API key' },
  address: { variable: 'RATE_LIMIT_PER_ADDRESS', per: 'client address' },
} as const;

const clientAddress = (req: AuthenticatedRequest) => req.ip ?? req.socket.remoteAddress;

const apiKeyId = (context: ExecutionContext) =>
  context.switchToHttp().getRequest<AuthenticatedRequest>().apiKeyId;

/** The headers @nestjs/throttler sets, one set per throttler (RATE_LIMITS). */
export const RATE_LIMIT_HEADERS = Object.keys(RATE_LIMITS).flatMap((throttler) =>
  ['Limit', 'Remaining', 'Reset'].map((field) => `X-RateLimit-${field}-${throttler}`),
);

/**
 * Two fixed-window limits: per API key (the guard before this one verified the key) and per
 * client address (Express's req.ip: the socket's peer, as no proxy is trusted). A limit of 0
 * turns that limit off; both are off by default.
 */
export function rateLimitOptions(config: AppConfig): ThrottlerModuleOptions {
  const { rateLimitPerKey, rateLimitPerAddress, rateLimitWindowMs } = config.access;
  // One count per key or address over all API routes (the library's default is per route).
  return {
    throttlers: [
      {
        name: 'key',
        ttl: rateLimitWindowMs,
        limit: Math.max(1, rateLimitPerKey),
        skipIf: (context) => rateLimitPerKey === 0 || apiKeyId(context) === undefined,
        getTracker: (req) => `key:${(req as AuthenticatedRequest).apiKeyId}`,
        generateKey: (_context, tracker) => tracker,
      },
      {
        name: 'address',
        ttl: rateLimitWindowMs,
        limit: Math.max(1, rateLimitPerAddress),
        skipIf: () => rateLimitPerAddress === 0,
        getTracker: (req) => `address:${clientAddress(req as AuthenticatedRequest)}`,
        generateKey: (_context, tracker) => tracker,
      },
    ],
  };
}

/**
 * @nestjs/throttler's guard on API routes only (probes and scrapes are never throttled),
 * answering 429 `rate_limited` in the service's error shape with Retry-After. Each subclass
 * applies one of the two limits, so that the address limit can run before the API key check
 * (failed key guesses count too) and the key limit after it (only verified keys are counted).
 */
abstract class RateLimitGuard extends ThrottlerGuard {
  protected abstract readonly limit: keyof typeof RATE_LIMITS;

  protected override shouldSkip(context: ExecutionContext): Promise<boolean> {
    return Promise.resolve(
      context.getType() !== 'http' || routeAccess(this.reflector, context) !== 'api',
    );
  }

  protected override handleRequest(request: ThrottlerRequest): Promise<boolean> {
    return request.throttler.name === this.limit
      ? super.handleRequest(request)
      : Promise.resolve(true);
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const { variable, per } = RATE_LIMITS[this.limit];
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    throw new ApiError(
      HttpStatus.TOO_MANY_REQUESTS,
      'rate_limited',
      `rate limit exceeded: at most ${detail.limit} requests per ${detail.ttl / 1000} s per ${per} (${variable}); retry in ${retryAfter} s`,
      retryAfter,
    );
  }
}

/** RATE_LIMIT_PER_ADDRESS, before the API key is checked: wrong keys are limited like any request. */
@Injectable()
export class AddressRateLimitGuard extends RateLimitGuard {
  protected readonly limit = 'address';
}

/** RATE_LIMIT_PER_KEY, after the API key guard verified the key it counts. */
@Injectable()
export class KeyRateLimitGuard extends RateLimitGuard {
  protected readonly limit = 'key';
}
