import type { OpenAPIObject } from '@nestjs/swagger';
import type {
  OperationObject,
  ResponseObject,
} from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { isOpenInferencePath, PREDICTION_ROUTES } from '../app.routes';
import { SECURITY_SCHEMES } from './decorators/access.decorator';
import { ERROR_RESPONSES } from './error-examples';

type Documented = (typeof ERROR_RESPONSES)[keyof typeof ERROR_RESPONSES];

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head'] as const;

/** Prediction routes as OpenAPI paths (`{name}` for `:name`). */
const PREDICTION_PATHS = new Set(PREDICTION_ROUTES.map((r) => r.replace(/:(\w+)/g, '{$1}')));

/** A documented error as a response object: the service's error body, or V2's `{"error"}`. */
function response(documented: Documented, v2: boolean): ResponseObject {
  const examples = Object.fromEntries(
    Object.entries(documented.examples).map(([name, example]) => [
      name,
      v2 ? { ...example, value: { error: example.value.message } } : example,
    ]),
  );
  return {
    description: documented.description,
    ...('headers' in documented ? { headers: documented.headers } : {}),
    content: {
      'application/json': {
        schema: { $ref: `#/components/schemas/${v2 ? 'V2ErrorDto' : 'ErrorResponseDto'}` },
        examples,
      },
    },
  };
}

/** Which token an operation takes, from the security its Access decorator documented. */
function accessOf(op: OperationObject): 'api' | 'probe' | 'token' {
  if (op.security === undefined) return 'api';
  return op.security.every((requirement) => Object.keys(requirement).length === 0)
    ? 'probe'
    : 'token';
}

/**
 * Adds the errors that come from the layers around the controllers to every operation they can
 * happen on, where the controller did not document them itself: 400/413/415 from the JSON body
 * parser on POSTs, 401 from the token guards, 429 from the rate limits (API routes), 503 from the
 * drain (not on probes), 503/504 on predictions, and 500 anywhere. What the HTTP server answers
 * before any route (408, 414, 431) is in the README's error table, not on each route.
 */
export function withCommonErrors(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    const v2 = isOpenInferencePath(path);
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const add = (status: string, documented: Documented) => {
        op.responses[status] ??= response(documented, v2);
      };
      const access = accessOf(op);
      if (method === 'post') {
        add('400', ERROR_RESPONSES.badRequest);
        add('413', ERROR_RESPONSES.payloadTooLarge);
        add('415', ERROR_RESPONSES.unsupportedMediaType);
      }
      if (access !== 'probe') add('401', ERROR_RESPONSES.unauthorized);
      if (access === 'api') add('429', ERROR_RESPONSES.rateLimited);
      const prediction = method === 'post' && PREDICTION_PATHS.has(path);
      if (prediction) {
        add('503', ERROR_RESPONSES.notReady);
        add('504', ERROR_RESPONSES.deadline);
      }
      // the drain answers every route but the probes (their 503 is terminus's report)
      if (access !== 'probe') add('503', ERROR_RESPONSES.shuttingDown);
      add('500', prediction ? ERROR_RESPONSES.predictionInternal : ERROR_RESPONSES.internal);
    }
  }
  return document;
}

/** The bearer schemes the document declares, named as the Access decorator refers to them. */
export const BEARER_SCHEMES = [
  { name: SECURITY_SCHEMES.api, description: 'One of API_KEYS (API routes, when API_KEYS is set)' },
  { name: SECURITY_SCHEMES.metrics, description: 'METRICS_TOKEN (metrics routes, when it is set)' },
  { name: SECURITY_SCHEMES.admin, description: 'ADMIN_TOKEN (the admin API)' },
] as const;
