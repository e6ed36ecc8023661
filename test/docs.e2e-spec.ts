import request from 'supertest';
import { ERROR_REASONS } from '../src/common/api-errors';
import { copyTinyPackage, startApp, TestApp } from './support/e2e-app';

interface Operation {
  summary?: string;
  parameters?: { name: string; in: string; schema?: { example?: unknown } }[];
  responses: Record<
    string,
    { content?: Record<string, { examples?: Record<string, { value: Record<string, unknown> }> }> }
  >;
  requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> };
  security?: Record<string, string[]>[];
}

describe('OpenAPI docs', () => {
  let t: TestApp;
  let spec: {
    paths: Record<string, Record<string, Operation>>;
    security?: Record<string, string[]>[];
    components: {
      schemas: Record<string, unknown>;
      securitySchemes?: Record<string, { type: string; scheme: string; bearerFormat?: string }>;
    };
  };

  beforeAll(async () => {
    // served as version 3: examples naming another version would not work when tried
    t = await startApp({ MODEL_DIR: copyTinyPackage('3').modelDir });
    spec = (await request(t.http).get('/docs-json').expect(200)).body;
  });
  afterAll(() => t.app.close());

  it('serves Swagger UI at /docs', async () => {
    const res = await request(t.http).get('/docs').redirects(1).expect(200);
    expect(res.text).toContain('swagger-ui');
  });

  it('documents every route with a summary', () => {
    const routes = Object.entries(spec.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${p}`),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /health',
        'GET /health/live',
        'GET /health/ready',
        'GET /metrics',
        'GET /metrics/summary',
        'GET /v1/models',
        'GET /v1/models/{name}',
        'GET /v1/monitoring/drift',
        'GET /v2',
        'GET /v2/health/live',
        'GET /v2/health/ready',
        'GET /v2/models/{name}',
        'GET /v2/models/{name}/ready',
        'GET /v2/models/{name}/versions/{version}',
        'GET /v2/models/{name}/versions/{version}/ready',
        'POST /predict',
        'POST /v1/admin/models/{name}/load',
        'POST /v1/admin/models/{name}/unload',
        'POST /v1/models/{name}/versions/{version}/translate',
        'POST /v1/translate',
        'POST /v2/models/{name}/infer',
        'POST /v2/models/{name}/versions/{version}/infer',
      ].sort(),
    );
    for (const ops of Object.values(spec.paths)) {
      for (const op of Object.values(ops)) expect(op.summary).toBeTruthy();
    }
  });

  it('documents the error responses of the translate endpoints', () => {
    expect(Object.keys(spec.paths['/v1/translate'].post.responses).sort()).toEqual(
      ['200', '400', '401', '404', '413', '415', '429', '500', '503', '504'].sort(),
    );
    expect(Object.keys(spec.paths['/predict'].post.responses)).toEqual(
      expect.arrayContaining(['200', '400', '413', '503', '504']),
    );
    expect(spec.components.schemas).toHaveProperty('ErrorResponseDto');
    expect(spec.components.schemas).toHaveProperty('TranslateRequestDto');
  });

  it('documents which bearer token each route takes', () => {
    const security = (route: string, method: string) => spec.paths[route][method].security;
    // API routes: the document's default, an API key
    expect(spec.security).toEqual([{ 'api-key': [] }]);
    expect(security('/v1/translate', 'post')).toBeUndefined();
    expect(security('/v2/models/{name}/infer', 'post')).toBeUndefined();
    // probes take none, metrics and admin routes their own token
    for (const route of ['/health', '/health/live', '/health/ready', '/v2/health/live']) {
      expect({ route, security: security(route, 'get') }).toEqual({ route, security: [{}] });
    }
    expect(security('/metrics', 'get')).toEqual([{ 'metrics-token': [] }]);
    expect(security('/v1/admin/models/{name}/load', 'post')).toEqual([{ 'admin-token': [] }]);
    const schemes = spec.components.securitySchemes!;
    expect(Object.keys(schemes).sort()).toEqual(['admin-token', 'api-key', 'metrics-token']);
    for (const scheme of Object.values(schemes)) {
      expect(scheme).toMatchObject({ type: 'http', scheme: 'bearer' });
      expect(scheme.bearerFormat).not.toBe('JWT');
    }
  });

  it('documents the errors of the layers around the controllers on every route they reach', () => {
    for (const [route, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const statuses = Object.keys(op.responses);
        const where = `${method.toUpperCase()} ${route}`;
        expect({ where, statuses }).toEqual({ where, statuses: expect.arrayContaining(['500']) });
        if (method === 'post') {
          expect({ where, statuses }).toEqual({
            where,
            statuses: expect.arrayContaining(['400', '413', '415']),
          });
        }
        const open = JSON.stringify(op.security) === '[{}]';
        expect({ where, has401: statuses.includes('401') }).toEqual({ where, has401: !open });
      }
    }
    // a 500 outside the prediction routes is `internal`; the drain's 503 is on all but the probes
    const examplesOf = (route: string, method: string, status: string) =>
      Object.values(
        spec.paths[route][method].responses[status].content!['application/json'].examples!,
      ).map(({ value }) => value.reason);
    expect(examplesOf('/v1/models', 'get', '500')).toEqual(['internal']);
    expect(examplesOf('/v1/translate', 'post', '500')).toEqual(['inference_failed', 'internal']);
    expect(examplesOf('/v1/models', 'get', '503')).toEqual(['shutting_down']);
    expect(examplesOf('/v1/translate', 'post', '503')).toContain('shutting_down');
    // the probes keep their own 503 (the health report, also when draining), with this service's
    // indicators in the examples, not terminus's placeholder database and redis
    for (const probe of ['/health', '/health/live', '/health/ready']) {
      const examples =
        spec.paths[probe].get.responses['503'].content!['application/json'].examples!;
      expect(Object.values(examples).map(({ value }) => value.status)).toEqual([
        'error',
        'shutting_down',
      ]);
      const documented = JSON.stringify(spec.paths[probe].get.responses);
      expect(documented).not.toMatch(/database|redis/);
      expect(documented).toMatch(/"(model|runtime)":\{/);
    }
    // the Open Inference routes' errors are {"error": "..."}
    const v2Deadline = spec.paths['/v2/models/{name}/infer'].post.responses['504'].content![
      'application/json'
    ] as { schema: { $ref: string }; examples: Record<string, { value: unknown }> };
    expect(v2Deadline.schema.$ref).toBe('#/components/schemas/V2ErrorDto');
    for (const { value } of Object.values(v2Deadline.examples)) {
      expect(Object.keys(value as object)).toEqual(['error']);
    }
  });

  it('lists every error reason the service sends', () => {
    const reasonSchema = (
      spec.components.schemas.ErrorResponseDto as { properties: { reason: { enum: string[] } } }
    ).properties.reason;
    expect([...reasonSchema.enum].sort()).toEqual([...ERROR_REASONS].sort());
    const used = new Set<string>();
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node !== null && typeof node === 'object') {
        const object = node as Record<string, unknown>;
        if (typeof object.reason === 'string' && typeof object.statusCode === 'number') {
          used.add(object.reason);
        }
        Object.values(object).forEach(collect);
      }
    };
    collect(spec.paths);
    for (const reason of used) expect(reasonSchema.enum).toContain(reason);
  });

  it('documents the V2 requested outputs as objects, as the server takes them', () => {
    const request = spec.components.schemas.V2InferenceRequestDto as {
      properties: { outputs: { type: string; items: { $ref: string } } };
    };
    expect(request.properties.outputs).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/V2RequestedOutputDto' },
    });
  });

  it('gives every documented error an example in the error body shape', async () => {
    const real = await request(t.http).post('/v1/translate').send({ text: 'Hi', beam_size: 9 });
    for (const route of ['/v1/translate', '/predict']) {
      for (const [status, response] of Object.entries(spec.paths[route].post.responses)) {
        if (status === '200') continue;
        const examples = Object.values(response.content!['application/json'].examples!);
        expect(examples.length).toBeGreaterThan(0);
        for (const { value } of examples) {
          expect(value.statusCode).toBe(Number(status));
          expect(Object.keys(value).filter((k) => k !== 'details')).toEqual(
            Object.keys(real.body).filter((k) => k !== 'details'),
          );
        }
      }
    }
    const validation =
      spec.paths['/v1/translate'].post.responses['400'].content!['application/json'].examples!
        .validation.value;
    expect({ ...validation, request_id: real.body.request_id }).toEqual(real.body);
  });

  it('has request examples that work when tried', async () => {
    for (const [route, ops] of Object.entries(spec.paths)) {
      for (const op of Object.values(ops)) {
        const examples = op.requestBody?.content['application/json']?.examples ?? {};
        for (const example of Object.values(examples)) {
          // path parameters as the document's examples fill them in
          const url = (op.parameters ?? [])
            .filter((p) => p.in === 'path')
            .reduce((u, p) => u.replace(`{${p.name}}`, String(p.schema?.example)), route);
          expect(url).not.toContain('{');
          const res = await request(t.http)
            .post(url)
            .send(example.value as object);
          expect({ route, example: example.value, status: res.status }).toMatchObject({
            status: 200,
          });
        }
      }
    }
    const tried = Object.values(
      spec.paths['/v1/translate'].post.requestBody!.content['application/json'].examples!,
    );
    expect(tried.length).toBeGreaterThanOrEqual(3);
    expect(
      Object.keys(
        spec.paths['/v2/models/{name}/infer'].post.requestBody!.content['application/json']
          .examples!,
      ).length,
    ).toBeGreaterThanOrEqual(2);
  });
});
