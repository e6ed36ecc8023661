import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';

export const CHECKSUMS_FILE = 'checksums.sha256';

export interface ChecksumReport {
  /** relative path → expected sha256 hex, as listed in checksums.sha256 */
  files: Record<string, string>;
  /** files in the package that checksums.sha256 does not list (reported; fatal for files the service reads) */
  unlisted: string[];
}

export class ChecksumError extends Error {}

/** Parses `sha256sum` output: `<64 hex>  <relative path>` (binary mode `*path` accepted). */
export function parseChecksums(text: string): Record<string, string> {
  const files: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!match)
      throw new ChecksumError(`${CHECKSUMS_FILE} line ${index + 1} is not "<sha256>  <path>"`);
    const rel = path.posix.normalize(match[2].replace(/^\.\//, ''));
    // A checksum list must not be able to point outside the package.
    if (path.posix.isAbsolute(rel) || rel.startsWith('..')) {
      throw new ChecksumError(
        `${CHECKSUMS_FILE} line ${index + 1} points outside the package: ${match[2]}`,
      );
    }
    files[rel] = match[1].toLowerCase();
  });
  return files;
}

export async function sha256File(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(root: string, dir = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e) => {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) return listFiles(root, rel);
      return e.isFile() ? [rel] : [];
    }),
  );
  return nested.flat();
}

/**
 * Verifies every file listed in checksums.sha256 against its sha256, and that the list covers
 * each of `read` (the files the service loads) that the package holds: a list that leaves out
 * the graphs would otherwise let unchecked bytes serve. Throws a ChecksumError naming the first
 * bad file; a missing list throws unless not required.
 */
export async function verifyChecksums(
  versionDir: string,
  required: boolean,
  read: readonly string[] = [],
): Promise<ChecksumReport | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(versionDir, CHECKSUMS_FILE), 'utf8');
  } catch {
    if (required) throw new ChecksumError(`${CHECKSUMS_FILE} is missing in ${versionDir}`);
    return undefined;
  }
  const files = parseChecksums(text);
  if (Object.keys(files).length === 0) throw new ChecksumError(`${CHECKSUMS_FILE} lists no files`);
  for (const [rel, expected] of Object.entries(files)) {
    let actual: string;
    try {
      actual = await sha256File(path.join(versionDir, rel));
    } catch {
      throw new ChecksumError(`checksum failed: ${rel} is listed in ${CHECKSUMS_FILE} but missing`);
    }
    if (actual !== expected) {
      throw new ChecksumError(`checksum mismatch for ${rel}: expected ${expected}, got ${actual}`);
    }
  }
  const unlisted = (await listFiles(versionDir)).filter(
    (rel) => rel !== CHECKSUMS_FILE && !(rel in files),
  );
  // stat follows symlinks: a linked graph must be listed like a copied one
  const present = await Promise.all(
    read.map((rel) =>
      stat(path.join(versionDir, rel)).then(
        (s) => s.isFile(),
        () => false,
      ),
    ),
  );
  const unchecked = read.filter((rel, i) => present[i] && !(rel in files));
  if (unchecked.length > 0) {
    throw new ChecksumError(
      `checksum failed: ${unchecked.join(', ')} ${unchecked.length > 1 ? 'are' : 'is'} loaded by the service but not listed in ${CHECKSUMS_FILE}`,
    );
  }
  return { files, unlisted };
}
