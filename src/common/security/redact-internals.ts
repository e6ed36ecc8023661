import { readdirSync } from 'node:fs';
import * as path from 'node:path';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Absolute paths under a top-level folder of this machine's file system (/app, /tmp, /home…),
 * found once at start-up: that catches model folders, the install directory and temp files,
 * while route paths such as /v1/translate (no /v1 folder at the root) stay as they are.
 */
function absolutePathPattern(): RegExp {
  let roots: string[] = [];
  try {
    roots = readdirSync('/').filter((name) => /^[\w.@+-]+$/.test(name));
  } catch {
    // no readable root (unusual sandbox): only Windows-style paths are redacted
  }
  const posix = roots.length
    ? `\\/(?:${roots.map(escape).join('|')})(?![\\w.@+-])(?:\\/[\\w.@+-]*)*`
    : '';
  const windows = '[A-Za-z]:\\\\(?:[\\w.@+-]+\\\\?)*';
  return new RegExp([posix, windows].filter(Boolean).join('|'), 'g');
}

const ABSOLUTE_PATH = absolutePathPattern();

/**
 * Error text for clients without the server's file layout: absolute paths are cut to their last
 * segment. The full text stays in the logs.
 */
export function redactInternals(text: string): string {
  return text.replace(ABSOLUTE_PATH, (p) => `…/${path.basename(p.replace(/\\/g, '/'))}`);
}
