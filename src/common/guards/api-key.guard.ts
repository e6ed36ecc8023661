import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ApiError } from '../api-errors';
import { routeAccess } from './route-access';

/** What the guard leaves on the request for the rate limiter and the logs. */
export interface AuthenticatedRequest extends Request {
  /** short, non-reversible id of the API key the request used (never the key) */
  apiKeyId?: string;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** The token of an `Authorization: Bearer <token>` header, if there is one. */
export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * Compares a presented secret against each allowed one in constant time: both sides are
 * hashed first so lengths match, and every allowed secret is compared (no early exit that
 * would tell which prefix or which key was close).
 */
export function matchSecret(presented: string, allowed: readonly Buffer[]): number {
  const digest = sha256(presented);
  let found = -1;
  allowed.forEach((candidate, index) => {
    if (timingSafeEqual(digest, candidate) && found === -1) found = index;
  });
  return found;
}

/**
 * API keys (API_KEYS) on API routes and a separate token (METRICS_TOKEN) on metrics routes,
 * both as `Authorization: Bearer …`. Each is off while its variable is unset. Health routes
 * are always open: probes carry no credentials.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly apiKeys: Buffer[];
  private readonly apiKeyIds: string[];
  private readonly metricsToken?: Buffer;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reflector: Reflector,
  ) {
    this.apiKeys = config.access.apiKeys.map(sha256);
    this.apiKeyIds = this.apiKeys.map((digest) => digest.toString('hex').slice(0, 12));
    this.metricsToken =
      config.access.metricsToken === undefined ? undefined : sha256(config.access.metricsToken);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    switch (routeAccess(this.reflector, context)) {
      case 'probe':
      case 'admin': // AdminTokenGuard checks ADMIN_TOKEN
        return true;
      case 'metrics':
        if (this.metricsToken) this.check(req, [this.metricsToken], 'METRICS_TOKEN');
        return true;
      case 'api':
        if (this.apiKeys.length > 0) {
          req.apiKeyId = this.apiKeyIds[this.check(req, this.apiKeys, 'API_KEYS')];
        }
        return true;
    }
  }

  private check(req: Request, allowed: Buffer[], variable: string): number {
    const token = bearerToken(req);
    if (token === undefined) {
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'unauthorized',
        `this route needs a key: send "Authorization: Bearer <key>" (${variable})`,
      );
    }
    const index = matchSecret(token, allowed);
    if (index === -1) {
      // which secret the route takes (never which ones exist or how close the guess was)
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'unauthorized',
        `the bearer key is not valid for this route, which takes ${variable === 'API_KEYS' ? 'one of API_KEYS' : variable}`,
      );
    }
    return index;
  }
}
