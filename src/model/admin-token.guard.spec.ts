import { ExecutionContext } from '@nestjs/common';
import { ApiError } from '../common/api-errors';
import { loadAppConfig } from '../config/app-config';
import { AdminTokenGuard, tokensMatch } from './admin-token.guard';

const TOKEN = 'test-admin-token-0123456789';

function context(authorization?: string) {
  const headers: Record<string, string> = {};
  const ctx = {
    switchToHttp: () => ({
      getRequest: () => ({ headers: authorization === undefined ? {} : { authorization } }),
      getResponse: () => ({ setHeader: (k: string, v: string) => (headers[k] = v) }),
    }),
  } as unknown as ExecutionContext;
  return { ctx, headers };
}

function rejection(guard: AdminTokenGuard, authorization?: string): ApiError {
  try {
    guard.canActivate(context(authorization).ctx);
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected a rejection');
}

describe('AdminTokenGuard', () => {
  it('keeps the admin API off (403) without ADMIN_TOKEN', () => {
    const guard = new AdminTokenGuard(loadAppConfig({}));
    const e = rejection(guard, `Bearer ${TOKEN}`);
    expect(e.getStatus()).toBe(403);
    expect(e.reason).toBe('admin_disabled');
    expect(e.message).toMatch(/set ADMIN_TOKEN/);
  });

  it('requires the bearer token when ADMIN_TOKEN is set', () => {
    const guard = new AdminTokenGuard(loadAppConfig({ ADMIN_TOKEN: TOKEN }));
    expect(guard.canActivate(context(`Bearer ${TOKEN}`).ctx)).toBe(true);
    expect(guard.canActivate(context(`bearer ${TOKEN}`).ctx)).toBe(true);
    for (const header of [undefined, '', TOKEN, `Basic ${TOKEN}`, `Bearer ${TOKEN}x`, 'Bearer x']) {
      const e = rejection(guard, header);
      expect({ header, status: e.getStatus(), reason: e.reason }).toEqual({
        header,
        status: 401,
        reason: 'unauthorized',
      });
    }
    const { ctx, headers } = context('Bearer wrong');
    expect(() => guard.canActivate(ctx)).toThrow(ApiError);
    expect(headers['WWW-Authenticate']).toMatch(/^Bearer/);
  });

  it('compares tokens of any length without throwing', () => {
    expect(tokensMatch(TOKEN, TOKEN)).toBe(true);
    expect(tokensMatch('', TOKEN)).toBe(false);
    expect(tokensMatch(TOKEN + TOKEN, TOKEN)).toBe(false);
  });
});
