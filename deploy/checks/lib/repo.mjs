// Paths and facts read from the service itself (compiled dist/ and src/), never copied here.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const CHECKS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(CHECKS_DIR, '..', '..');
export const rel = (...parts) => path.join(ROOT, ...parts);

const requireFromRoot = createRequire(rel('package.json'));

/** A module of the built service (dist/), e.g. dist('app.routes').ROUTES. */
export function dist(modulePath) {
  const file = rel('dist', `${modulePath}.js`);
  if (!existsSync(file))
    throw new Error(
      `${path.relative(ROOT, file)} missing: run "npm ci && npm run build" at the repo root first`,
    );
  return requireFromRoot(file);
}

export const readText = (p) => readFileSync(rel(p), 'utf8');
export const readJson = (p) => JSON.parse(readText(p));

/** All YAML documents of a file, failing on any parse error or warning. */
export function readYamlDocs(p) {
  const docs = YAML.parseAllDocuments(readText(p), { prettyErrors: true });
  for (const d of docs) {
    if (d.errors.length) throw new Error(`${p}: ${d.errors.map((e) => e.message).join('; ')}`);
    if (d.warnings.length) throw new Error(`${p}: ${d.warnings.map((e) => e.message).join('; ')}`);
  }
  return docs.map((d) => d.toJS()).filter((d) => d != null);
}

export function readYaml(p) {
  const docs = readYamlDocs(p);
  if (docs.length !== 1) throw new Error(`${p}: expected one YAML document, found ${docs.length}`);
  return docs[0];
}

/**
 * The service's environment settings: names with their defaults, from the compiled EnvDto
 * (plus MODEL_VERSION, which has no default), and its validator loadAppConfig.
 */
export function serviceEnv() {
  const { EnvDto } = dist('config/env.dto');
  const { loadAppConfig } = dist('config/app-config');
  const defaults = { ...new EnvDto() };
  const names = new Set([...Object.keys(defaults), 'MODEL_VERSION']);
  return { defaults, names, loadAppConfig };
}
