import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';

export const ACCESS_METADATA = 'anuvaad:access';

/**
 * Who may call a route. `api` (the default, no decorator) needs an API key when API_KEYS is set
 * and counts against the rate limits; `probe` (health) is always open and never throttled, so
 * probes keep working under load; `metrics` needs METRICS_TOKEN when that is set; `admin` is
 * guarded by ADMIN_TOKEN alone (it comes in the same Authorization header an API key would).
 */
export type RouteAccess = 'api' | 'probe' | 'metrics' | 'admin';

/** The OpenAPI security scheme (a bearer token) of each access class that takes one. */
export const SECURITY_SCHEMES = {
  api: 'api-key',
  metrics: 'metrics-token',
  admin: 'admin-token',
} as const satisfies Partial<Record<RouteAccess, string>>;

/**
 * Marks a controller or handler as a health, metrics or admin route (see RouteAccess), and
 * documents which token it takes (the document's default is the API key; `{}` is "none").
 */
export const Access = (access: Exclude<RouteAccess, 'api'>) =>
  applyDecorators(
    SetMetadata(ACCESS_METADATA, access),
    access === 'probe' ? ApiSecurity({}) : ApiSecurity(SECURITY_SCHEMES[access]),
  );
