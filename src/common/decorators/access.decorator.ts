import { SetMetadata } from '@nestjs/common';

export const ACCESS_METADATA = 'anuvaad:access';

/**
 * Who may call a route. `api` (the default, no decorator) needs an API key when API_KEYS is set
 * and counts against the rate limits; `probe` (health) is always open and never throttled, so
 * probes keep working under load; `metrics` needs METRICS_TOKEN when that is set; `admin` is
 * guarded by ADMIN_TOKEN alone (it comes in the same Authorization header an API key would).
 */
export type RouteAccess = 'api' | 'probe' | 'metrics' | 'admin';

/** Marks a controller or handler as a health, metrics or admin route (see RouteAccess). */
export const Access = (access: Exclude<RouteAccess, 'api'>) => SetMetadata(ACCESS_METADATA, access);
