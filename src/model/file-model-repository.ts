import { createHash } from 'node:crypto';
import type { Dirent, Stats } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { CHECKSUMS_FILE } from './checksums';
import { ModelRepository } from './model-repository.port';
import { POLICY_FILE } from './version-policy';

/**
 * The model repository as a folder tree, Triton style: `<root>/<model>/<version>/` with integer
 * version folders (no leading zeros). Symlinked model and version folders count (the usual atomic swap of a
 * release); hidden folders and dangling links do not.
 */
export class FileModelRepository implements ModelRepository {
  constructor(private readonly root: string) {}

  location(name?: string): string {
    return name === undefined ? this.root : path.join(this.root, name);
  }

  versionDir(name: string, version: string): string {
    return path.join(this.root, name, version);
  }

  async listModels(): Promise<string[]> {
    // hidden folders (.git, staging copies) are not models
    const names = await listSubfolders(this.root, (n) => /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(n));
    const withVersions = await Promise.all(
      names.map(async (n) => ((await this.listVersions(n)).length > 0 ? n : null)),
    );
    return withVersions.filter((n): n is string => n !== null).sort();
  }

  async listVersions(name: string): Promise<string[]> {
    // integers as written: "02" would name the same version as "2"
    const versions = await listSubfolders(path.join(this.root, name), (n) =>
      /^(0|[1-9]\d*)$/.test(n),
    );
    return versions.sort((a, b) => Number(a) - Number(b));
  }

  fingerprint(name: string, version: string): Promise<string> {
    return fingerprintDir(this.versionDir(name, version));
  }

  async readPolicy(name: string): Promise<string | undefined> {
    try {
      return await readFile(path.join(this.root, name, POLICY_FILE), 'utf8');
    } catch {
      return undefined;
    }
  }
}

/**
 * What a directory entry is, following a symbolic link (`en-hi/2 -> /data/rel-2`, the usual
 * atomic swap, or a symlinked file): `'dir'`, `'file'`, or `undefined` for anything else and for
 * a dangling link.
 */
async function entryKind(parent: string, e: Dirent): Promise<'dir' | 'file' | undefined> {
  let s: Dirent | Stats = e;
  if (e.isSymbolicLink()) {
    try {
      s = await stat(path.join(parent, e.name));
    } catch {
      return undefined;
    }
  }
  return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : undefined;
}

/** Sub-folders of `dir` (symlinked ones included) whose names pass `accept`. */
async function listSubfolders(dir: string, accept: (name: string) => boolean): Promise<string[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const kinds = await Promise.all(
    entries.map(async (e) => (accept(e.name) ? await entryKind(dir, e) : undefined)),
  );
  return entries.filter((_, i) => kinds[i] === 'dir').map((e) => e.name);
}

/**
 * A cheap fingerprint of a version folder: where it resolves to (a re-pointed symlink counts as
 * a change), the relative path, size and mtime of every file (symlinks followed), and the
 * content of checksums.sha256, so a package replaced with the same sizes and mtimes but other
 * checksums still changes it. Polling reloads a version whose fingerprint changed.
 */
export async function fingerprintDir(dir: string): Promise<string> {
  const parts: string[] = [];
  // (device, inode) of the folders on the current path, so a symlink loop ends the walk
  const ancestors = new Set<string>();
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(dir, rel);
    const self = await stat(abs);
    const id = `${self.dev}:${self.ino}`;
    if (ancestors.has(id)) {
      parts.push(`${rel}:loop`);
      return;
    }
    ancestors.add(id);
    const entries = await readdir(abs, { withFileTypes: true });
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const child = rel ? `${rel}/${e.name}` : e.name;
      const kind = await entryKind(abs, e);
      if (kind === 'dir') await walk(child);
      else if (kind === 'file') {
        const s = await stat(path.join(dir, child));
        parts.push(`${child}:${s.size}:${s.mtimeMs}`);
      } else if (e.isSymbolicLink()) parts.push(`${child}:dangling`);
    }
    ancestors.delete(id);
  };
  try {
    parts.push(`@${await realpath(dir)}`);
    await walk('');
  } catch {
    return 'unreadable';
  }
  const hash = createHash('sha256').update(parts.join('\n'));
  try {
    hash.update('\nchecksums:').update(await readFile(path.join(dir, CHECKSUMS_FILE)));
  } catch {
    // no checksum list: the file listing alone
  }
  return hash.digest('hex');
}
