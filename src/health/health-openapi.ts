import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { EXAMPLE_MODEL } from '../common/openapi-examples';

/** terminus's report: one entry per indicator, each with at least its `status`. */
const indicators = (example: object): SchemaObject => ({
  type: 'object',
  example,
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'down'] } },
    additionalProperties: true,
  },
});

const report = (status: string, up: object, down: object): SchemaObject => ({
  type: 'object',
  required: ['status', 'info', 'error', 'details'],
  properties: {
    status: { type: 'string', enum: ['ok', 'error', 'shutting_down'], example: status },
    info: indicators(up),
    error: indicators(down),
    details: indicators({ ...up, ...down }),
  },
});

const SINCE = '2026-11-28T03:21:32.373Z';
const { name, version } = EXAMPLE_MODEL;

/** The `model` indicator as the service reports it (ModelHealthIndicator). */
export const MODEL_UP = {
  model: {
    name,
    version,
    state: 'ready',
    since: SINCE,
    versions: { [version]: { state: 'ready' } },
    status: 'up',
  },
};
export const MODEL_DOWN = {
  model: {
    name,
    version: null,
    state: 'loading',
    since: SINCE,
    reason: 'model loading has not finished',
    status: 'down',
  },
};
export const RUNTIME_UP = { runtime: { status: 'up' } };
export const HEAP_UP = { memory_heap: { status: 'up' } };
const SHUTTING_DOWN = { shutdown: { status: 'down', phase: 'draining', inFlight: 2 } };

/**
 * The 200 and 503 of a health route with this service's own indicators in the examples (terminus's
 * defaults show a database and redis it does not have). `up` is what a healthy answer holds, `down`
 * what an unhealthy one may; from SIGTERM on every health route answers 503 `shutting_down`.
 */
export function HealthResponses(up: object, down: object): MethodDecorator {
  return applyDecorators(
    ApiOkResponse({ description: 'Healthy', schema: report('ok', up, {}) }),
    ApiServiceUnavailableResponse({
      description:
        'Unhealthy (`status: "error"`, failing indicators under `error`), or shutting down (`status: "shutting_down"`)',
      content: {
        'application/json': {
          schema: report('error', {}, down),
          examples: {
            unhealthy: { value: { status: 'error', info: {}, error: down, details: down } },
            shutting_down: {
              value: {
                status: 'shutting_down',
                info: {},
                error: SHUTTING_DOWN,
                details: SHUTTING_DOWN,
              },
            },
          },
        },
      },
    }),
  );
}
