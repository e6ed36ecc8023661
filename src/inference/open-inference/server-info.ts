import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Injection token for what the V2 server metadata route says about this server. */
export const SERVER_INFO = Symbol('SERVER_INFO');

export interface ServerInfo {
  name: string;
  version: string;
}

/** Name and version from package.json, three folders above this file in src/ and dist/ alike. */
export function readServerInfo(): ServerInfo {
  try {
    const pkg = JSON.parse(
      readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
    ) as { name?: string; version?: string };
    return { name: pkg.name ?? 'anuvaad', version: pkg.version ?? 'unknown' };
  } catch {
    return { name: 'anuvaad', version: 'unknown' };
  }
}
