import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fingerprintDir, FileModelRepository } from './file-model-repository';

describe('FileModelRepository', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'versions-'));
  for (const v of ['1', '2', '10', 'latest', '3.1', '02'])
    mkdirSync(path.join(root, 'm', v), { recursive: true });
  writeFileSync(path.join(root, 'm', '7'), 'a file, not a folder');
  mkdirSync(path.join(root, '.staging', '1'), { recursive: true });
  mkdirSync(path.join(root, 'empty'));
  const repository = new FileModelRepository(root);

  it('lists integer version folders in numeric order (not "02", which would be version 2 again)', async () => {
    expect(await repository.listVersions('m')).toEqual(['1', '2', '10']);
    expect(await repository.listVersions('missing')).toEqual([]);
  });

  it('lists models with at least one version, not hidden folders', async () => {
    expect(await repository.listModels()).toEqual(['m']);
  });

  it("reads a model's version_policy.json, undefined without one", async () => {
    expect(await repository.readPolicy('m')).toBeUndefined();
    writeFileSync(path.join(root, 'm', 'version_policy.json'), '{"version_policy":{"all":{}}}');
    expect(await repository.readPolicy('m')).toBe('{"version_policy":{"all":{}}}');
  });

  it('locates versions under its root', () => {
    expect(repository.versionDir('m', '2')).toBe(path.join(root, 'm', '2'));
    expect(repository.location('m')).toBe(path.join(root, 'm'));
    expect(repository.location()).toBe(root);
  });

  it('fingerprints a version by name; an unreadable one says so', async () => {
    expect(await repository.fingerprint('m', '2')).toBe(
      await fingerprintDir(path.join(root, 'm', '2')),
    );
    expect(await repository.fingerprint('m', '99')).toBe('unreadable');
  });

  describe('symlinked versions and the change fingerprint', () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'symlinked-'));
    const releases = mkdtempSync(path.join(tmpdir(), 'releases-'));
    const release = (name: string, checksums: string) => {
      const dir = path.join(releases, name);
      mkdirSync(path.join(dir, 'onnx'), { recursive: true });
      writeFileSync(path.join(dir, 'config.json'), '{}');
      writeFileSync(path.join(dir, 'onnx', 'encoder_model.onnx'), 'weights');
      writeFileSync(path.join(dir, 'checksums.sha256'), checksums);
      return dir;
    };
    const rel2 = release('rel-2', 'a'.repeat(64) + '  config.json\n');
    mkdirSync(path.join(repo, 'en-hi', '1'), { recursive: true });
    // en-hi/2 -> <releases>/rel-2, the usual atomic swap of a version folder
    symlinkSync(rel2, path.join(repo, 'en-hi', '2'), 'dir');
    symlinkSync(path.join(releases, 'gone'), path.join(repo, 'en-hi', '3'), 'dir');
    // a whole model folder linked in
    mkdirSync(path.join(releases, 'en-fr', '5'), { recursive: true });
    symlinkSync(path.join(releases, 'en-fr'), path.join(repo, 'en-fr'), 'dir');

    it('lists symlinked version and model folders, not dangling links', async () => {
      expect(await new FileModelRepository(repo).listVersions('en-hi')).toEqual(['1', '2']);
      expect(await new FileModelRepository(repo).listModels()).toEqual(['en-fr', 'en-hi']);
    });

    it('fingerprints symlinked files and folders', async () => {
      const dir = path.join(repo, 'en-hi', '2');
      const before = await fingerprintDir(dir);
      expect(before).not.toBe('unreadable');
      expect(await fingerprintDir(dir)).toBe(before);
      // a symlinked file inside the package is part of the fingerprint
      const extra = path.join(releases, 'tokenizer.json');
      writeFileSync(extra, '{"v":1}');
      symlinkSync(extra, path.join(rel2, 'tokenizer.json'));
      const withLink = await fingerprintDir(dir);
      expect(withLink).not.toBe(before);
      writeFileSync(extra, '{"v":22}');
      expect(await fingerprintDir(dir)).not.toBe(withLink);
    });

    it('changes when checksums.sha256 changes with the same size and mtime', async () => {
      const dir = path.join(repo, 'en-hi', '2');
      const file = path.join(rel2, 'checksums.sha256');
      const when = new Date('2026-01-01T00:00:00Z');
      utimesSync(file, when, when);
      const before = await fingerprintDir(dir);
      writeFileSync(file, 'b'.repeat(64) + '  config.json\n');
      utimesSync(file, when, when);
      expect(await fingerprintDir(dir)).not.toBe(before);
    });

    it('changes when the version symlink is re-pointed', async () => {
      // outside the repository the other tests list
      const link = path.join(releases, 'version-4');
      symlinkSync(release('rel-4a', 'x'), link, 'dir');
      const before = await fingerprintDir(link);
      rmSync(link);
      symlinkSync(release('rel-4b', 'x'), link, 'dir');
      expect(await fingerprintDir(link)).not.toBe(before);
    });
  });
});
