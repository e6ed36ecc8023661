import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Source files of the service (specs excluded). */
function sources(dir = __dirname): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.spec.ts') ? [full] : [];
  });
}

const importsOf = (file: string) =>
  Array.from(readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g), (m) => m[1]);

describe('architecture', () => {
  const files = sources();

  it('keeps onnxruntime-node behind the runtime adapter', () => {
    const importers = files.filter((f) => importsOf(f).includes('onnxruntime-node'));
    expect(importers.map((f) => path.relative(__dirname, f))).toEqual([
      path.join('model', 'onnx-runtime.adapter.ts'),
    ]);
  });

  it('keeps controllers away from the runtime adapter', () => {
    const controllers = files.filter((f) => f.endsWith('.controller.ts'));
    expect(controllers.length).toBeGreaterThanOrEqual(5);
    for (const file of controllers) {
      expect(importsOf(file).filter((i) => i.includes('onnx'))).toEqual([]);
    }
  });

  it('keeps the model service off the file system: the repository port reads it', () => {
    const file = files.find((f) => f.endsWith(path.join('model', 'model.service.ts')))!;
    expect(importsOf(file).filter((i) => /^(node:)?fs(\/|$)/.test(i))).toEqual([]);
    expect(importsOf(file)).toContain('./model-repository.port');
  });

  it('keeps the decoding code free of NestJS so the CLI can use it without the server', () => {
    for (const name of ['translator.ts', 'seq2seq-generator.ts', 'marian-tokenizer.ts']) {
      const file = files.find((f) => f.endsWith(path.join('inference', name)))!;
      expect(importsOf(file).filter((i) => i.startsWith('@nestjs'))).toEqual([]);
    }
  });
});
