import {
  appendFileSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeChecksums, writeFakePackage } from '../../test/support/fake-package';
import { ChecksumError, parseChecksums, sha256File, verifyChecksums } from './checksums';
import { PACKAGE_FILES } from './model-package';

describe('checksums', () => {
  it('parses sha256sum output, text and binary mode', () => {
    const a = 'a'.repeat(64);
    const b = 'B'.repeat(64);
    expect(parseChecksums(`${a}  onnx/x.onnx\n${b} *./config.json\n\n`)).toEqual({
      'onnx/x.onnx': a,
      'config.json': 'b'.repeat(64),
    });
  });

  it('rejects malformed lines and paths leaving the package', () => {
    expect(() => parseChecksums('abc  file')).toThrow(/line 1/);
    expect(() => parseChecksums(`${'a'.repeat(64)}  ../etc/passwd`)).toThrow(/outside/);
    expect(() => parseChecksums(`${'a'.repeat(64)}  /etc/passwd`)).toThrow(/outside/);
  });

  it('hashes files like sha256sum', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sha-'));
    writeFileSync(path.join(dir, 'f'), 'abc');
    expect(await sha256File(path.join(dir, 'f'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('verifies an intact package and reports unlisted files', async () => {
    const dir = writeFakePackage();
    writeFileSync(path.join(dir, 'extra.txt'), 'not listed');
    const report = await verifyChecksums(dir, true);
    expect(Object.keys(report!.files)).toContain('onnx/encoder_model.onnx');
    expect(report!.unlisted).toEqual(['extra.txt']);
  });

  it('fails when the list leaves out a file the service loads', async () => {
    const dir = writeFakePackage();
    const list = path.join(dir, 'checksums.sha256');
    const kept = readFileSync(list, 'utf8')
      .split('\n')
      .filter((line) => !line.includes('onnx/'))
      .join('\n');
    writeFileSync(list, kept);
    const read = Object.values(PACKAGE_FILES);
    await expect(verifyChecksums(dir, true, read)).rejects.toThrow(
      /onnx\/encoder_model\.onnx, onnx\/decoder_model_merged\.onnx are loaded by the service but not listed/,
    );
    // other unlisted files are only reported
    await expect(verifyChecksums(dir, true)).resolves.toMatchObject({
      unlisted: ['onnx/decoder_model_merged.onnx', 'onnx/encoder_model.onnx'],
    });
  });

  it('fails when a file the service loads is a symlink the list leaves out', async () => {
    const dir = writeFakePackage();
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'linked-'));
    renameSync(path.join(dir, 'tokenizer.json'), path.join(elsewhere, 'tokenizer.json'));
    symlinkSync(path.join(elsewhere, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    const list = path.join(dir, 'checksums.sha256');
    writeFileSync(
      list,
      readFileSync(list, 'utf8')
        .split('\n')
        .filter((line) => !line.endsWith(' tokenizer.json'))
        .join('\n'),
    );
    await expect(verifyChecksums(dir, true, Object.values(PACKAGE_FILES))).rejects.toThrow(
      /tokenizer\.json is loaded by the service but not listed/,
    );
  });

  it('names the file whose content changed', async () => {
    const dir = writeFakePackage();
    appendFileSync(path.join(dir, 'onnx/decoder_model_merged.onnx'), 'tampered');
    await expect(verifyChecksums(dir, true)).rejects.toThrow(
      /checksum mismatch for onnx\/decoder_model_merged\.onnx/,
    );
  });

  it('fails on a listed file that is missing', async () => {
    const dir = writeFakePackage();
    unlinkSync(path.join(dir, 'metrics.json'));
    await expect(verifyChecksums(dir, true)).rejects.toThrow(
      /metrics\.json is listed .* but missing/,
    );
  });

  it('requires the list unless told otherwise', async () => {
    const dir = writeFakePackage({ withChecksums: false });
    await expect(verifyChecksums(dir, true)).rejects.toBeInstanceOf(ChecksumError);
    await expect(verifyChecksums(dir, false)).resolves.toBeUndefined();
    writeFileSync(path.join(dir, 'checksums.sha256'), '\n');
    await expect(verifyChecksums(dir, false)).rejects.toThrow(/lists no files/);
    writeChecksums(dir);
    await expect(verifyChecksums(dir, true)).resolves.toBeDefined();
  });
});
