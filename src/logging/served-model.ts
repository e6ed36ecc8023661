import type { ServerResponse } from 'node:http';

/**
 * The model version that served a request travels in response headers, so the client sees it
 * and the request log line (written when the response finishes) carries it too.
 */
export const SERVED_MODEL_HEADERS = { name: 'x-model-name', version: 'x-model-version' } as const;

export function setServedModelHeaders(
  res: Pick<ServerResponse, 'setHeader'>,
  model: { name: string; version: string },
): void {
  res.setHeader(SERVED_MODEL_HEADERS.name, model.name);
  res.setHeader(SERVED_MODEL_HEADERS.version, model.version);
}

/** Log fields for a finished response: `model_name` and `model_version` when a model served it. */
export function servedModelLogProps(res: Pick<ServerResponse, 'getHeader'>): object {
  const name = res.getHeader(SERVED_MODEL_HEADERS.name);
  const version = res.getHeader(SERVED_MODEL_HEADERS.version);
  return typeof name === 'string' && typeof version === 'string'
    ? { model_name: name, model_version: version }
    : {};
}
