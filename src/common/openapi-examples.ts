import type { OpenAPIObject } from '@nestjs/swagger';

/** The model the DTOs and route decorators use in their examples. */
export const EXAMPLE_MODEL = { name: 'en-hi', version: '1' } as const;

/** Which keys hold a model name or version, in parameters, schema properties and payloads. */
const FIELDS = [
  { keys: new Set(['name', 'model', 'model_name']), placeholder: EXAMPLE_MODEL.name, of: 'name' },
  {
    keys: new Set(['version', 'model_version']),
    placeholder: EXAMPLE_MODEL.version,
    of: 'version',
  },
] as const;

/**
 * The OpenAPI document with the served model's name and default version in the examples (path
 * parameters, schema properties, example payloads) in place of EXAMPLE_MODEL, so that "Try it
 * out" reaches a loaded model and version rather than a 404, whatever MODEL_NAME is and
 * whichever version is the default now. `info.version` is the API's own version: left alone.
 */
export function withServedModel(
  document: OpenAPIObject,
  served: { name: string; version?: string },
): OpenAPIObject {
  const actual = (key: string | undefined, value: unknown): unknown => {
    if (key === undefined || typeof value !== 'string') return value;
    const field = FIELDS.find((f) => f.keys.has(key) && f.placeholder === value);
    return field ? (served[field.of] ?? value) : value;
  };
  const patch = (node: unknown, key?: string): unknown => {
    if (Array.isArray(node)) {
      // versions: ["1"] lists
      return node.map((v) => (key === 'versions' ? actual('version', v) : patch(v)));
    }
    if (node === null || typeof node !== 'object') return actual(key, node);
    const object = node as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(object)) out[k] = patch(v, k);
    // a schema property's example is named by its key, a path parameter's by the parameter
    const withExample = (target: Record<string, unknown>, named: string | undefined) => {
      if (!('example' in target)) return target;
      const example =
        named === 'versions' && Array.isArray(target.example)
          ? target.example.map((v: unknown) => actual('version', v))
          : actual(named, target.example);
      return { ...target, example };
    };
    if (typeof object.in === 'string' && typeof object.name === 'string') {
      const parameter = withExample(out, object.name);
      const schema = parameter.schema;
      return schema !== null && typeof schema === 'object'
        ? { ...parameter, schema: withExample(schema as Record<string, unknown>, object.name) }
        : parameter;
    }
    return withExample(out, key);
  };
  return {
    ...document,
    paths: patch(document.paths) as OpenAPIObject['paths'],
    ...(document.components
      ? { components: patch(document.components) as OpenAPIObject['components'] }
      : {}),
  };
}
