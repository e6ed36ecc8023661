import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiError } from '../common/api-errors';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/**
 * Constant-time token comparison: both sides are hashed first, so neither the content nor the
 * length of the expected token leaks through timing.
 */
export function tokensMatch(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The admin API is off (403 admin_disabled) unless ADMIN_TOKEN is set; then every call needs
 * `Authorization: Bearer <ADMIN_TOKEN>` (401 unauthorized otherwise).
 */
@Injectable()
export class AdminTokenGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const expected = this.config.admin.token;
    if (!expected) {
      throw new ApiError(
        HttpStatus.FORBIDDEN,
        'admin_disabled',
        'the admin API is off: set ADMIN_TOKEN to enable it',
      );
    }
    const http = context.switchToHttp();
    const header = http.getRequest<Request>().headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match || !tokensMatch(match[1], expected)) {
      http.getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="anuvaad-admin"');
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'unauthorized',
        match
          ? 'the bearer token is not the admin token'
          : 'the admin API needs "Authorization: Bearer <ADMIN_TOKEN>"',
      );
    }
    return true;
  }
}
