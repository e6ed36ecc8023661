import { hasUnpairedSurrogate } from '../../common/well-formed-text';
import { hasVisibleText } from '../dto/is-text-input.validator';
import { MAX_BEAM_SIZE, MAX_NEW_TOKENS_CAP } from '../generation-settings';

/**
 * The Open Inference Protocol (KServe V2) REST shapes this service speaks, and the mapping of
 * an inference request onto a translation: one BYTES input tensor "text" of English strings,
 * one BYTES output tensor "translation" of Hindi strings, in the same order and shape.
 */
export const V2_INPUT = 'text';
export const V2_OUTPUT = 'translation';
export const V2_PLATFORM = 'onnxruntime_onnx';

export interface V2Tensor {
  name: string;
  datatype: string;
  shape: number[];
  parameters?: Record<string, unknown>;
  data: unknown[];
}

export interface V2InferenceRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: V2Tensor[];
  outputs?: { name: string; parameters?: Record<string, unknown> }[];
}

export interface V2InferenceResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: V2Tensor[];
}

/** A request the protocol does not allow: answered 400 with `{"error": message}`. */
export class InferenceRequestError extends Error {}

export const BINARY_DATA_UNSUPPORTED =
  'the binary tensor data extension is not supported; send JSON tensors (binary_data_output: false, binary_data: false)';

/** Request parameters that tune the translation. */
const GENERATION_PARAMETERS = ['beam_size', 'max_new_tokens'];

/**
 * Parameters of the binary tensor data extension that standard clients (Triton's) send: `false`
 * asks for JSON, as this server answers anyway, and is ignored; `true` is refused.
 */
function checkBinaryFlags(params: Record<string, unknown>, keys: string[], where: string): void {
  for (const key of keys) {
    const value = params[key];
    if (value === undefined || value === false) continue;
    if (value === true) throw new InferenceRequestError(BINARY_DATA_UNSUPPORTED);
    throw new InferenceRequestError(`${where} parameter "${key}" must be a boolean`);
  }
}

/**
 * A tensor's or requested output's optional `parameters`: binary data is refused, a
 * classification output too; other keys (`content_type`…, as KServe clients send) are ignored.
 */
function checkTensorParameters(value: unknown, where: string): void {
  if (value === undefined) return;
  if (!isObject(value)) throw new InferenceRequestError(`${where} "parameters" must be an object`);
  if (value.binary_data_size !== undefined) {
    throw new InferenceRequestError(BINARY_DATA_UNSUPPORTED);
  }
  checkBinaryFlags(value, ['binary_data'], where);
  if (value.classification !== undefined && value.classification !== 0) {
    throw new InferenceRequestError(
      `${where}: the classification extension is not supported; "${V2_OUTPUT}" holds texts`,
    );
  }
}

export interface ParsedInference {
  id?: string;
  texts: string[];
  shape: number[];
  beamSize?: number;
  maxNewTokens?: number;
}

/** Validates an inference request and pulls out the texts and generation parameters. */
export function parseInferenceRequest(body: unknown): ParsedInference {
  if (!isObject(body)) throw new InferenceRequestError('the request body must be a JSON object');
  const { id, parameters, inputs, outputs } = body;
  if (id !== undefined && typeof id !== 'string') {
    throw new InferenceRequestError('"id" must be a string');
  }
  // echoed in the response: half a surrogate pair would make it invalid UTF-8
  if (id !== undefined && hasUnpairedSurrogate(id)) {
    throw new InferenceRequestError(
      '"id" holds an unpaired UTF-16 surrogate (half of a character)',
    );
  }
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw new InferenceRequestError(`"inputs" must list one tensor named "${V2_INPUT}"`);
  }
  const input = inputs.find((t) => isObject(t) && t.name === V2_INPUT) as
    Record<string, unknown> | undefined;
  const unexpected = inputs.filter((t) => !isObject(t) || t.name !== V2_INPUT);
  if (!input || unexpected.length > 0 || inputs.length !== 1) {
    const names = inputs.map((t) => (isObject(t) ? JSON.stringify(t.name) : 'a non-object'));
    throw new InferenceRequestError(
      `expected exactly one input tensor named "${V2_INPUT}", got ${names.join(', ')}`,
    );
  }
  checkTensorParameters(input.parameters, `input "${V2_INPUT}"`);
  if (input.datatype !== 'BYTES') {
    throw new InferenceRequestError(
      `input "${V2_INPUT}" must have datatype BYTES, got ${JSON.stringify(input.datatype)}`,
    );
  }
  const shape = input.shape;
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    !shape.every((d) => Number.isInteger(d) && (d as number) >= 0)
  ) {
    throw new InferenceRequestError(
      `input "${V2_INPUT}" needs a shape of non-negative integers, e.g. [2]`,
    );
  }
  if (!Array.isArray(input.data)) {
    throw new InferenceRequestError(`input "${V2_INPUT}" needs "data": an array of strings`);
  }
  // The protocol allows tensor data flattened or nested in row-major order.
  const texts = (input.data as unknown[]).flat(Infinity);
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  if (texts.length !== elements) {
    throw new InferenceRequestError(
      `input "${V2_INPUT}" has ${texts.length} elements but shape [${shape.join(', ')}] needs ${elements}`,
    );
  }
  if (texts.length === 0) throw new InferenceRequestError(`input "${V2_INPUT}" holds no text`);
  const blank = texts.findIndex((t) => typeof t !== 'string' || !hasVisibleText(t));
  if (blank !== -1) {
    throw new InferenceRequestError(
      `input "${V2_INPUT}" element ${blank} must be a non-empty string`,
    );
  }
  if (outputs !== undefined) {
    if (!Array.isArray(outputs) || !outputs.every(isObject)) {
      throw new InferenceRequestError(
        `"outputs" must be an array of objects, e.g. [{"name": "${V2_OUTPUT}"}]`,
      );
    }
    if (!outputs.every((o) => o.name === V2_OUTPUT)) {
      throw new InferenceRequestError(`the only output this model has is "${V2_OUTPUT}"`);
    }
    for (const output of outputs) {
      checkTensorParameters(output.parameters, `output "${V2_OUTPUT}"`);
    }
  }
  const params = parameters === undefined ? {} : parameters;
  if (!isObject(params)) throw new InferenceRequestError('"parameters" must be an object');
  const binary = ['binary_data_output'];
  checkBinaryFlags(params, binary, 'request');
  const unknown = Object.keys(params).filter(
    (k) => !GENERATION_PARAMETERS.includes(k) && !binary.includes(k),
  );
  if (unknown.length > 0) {
    throw new InferenceRequestError(
      `unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')}; supported: beam_size, max_new_tokens`,
    );
  }
  return {
    id,
    texts: texts as string[],
    shape: shape as number[],
    beamSize: intParameter(params, 'beam_size', MAX_BEAM_SIZE),
    maxNewTokens: intParameter(params, 'max_new_tokens', MAX_NEW_TOKENS_CAP),
  };
}

function intParameter(params: Record<string, unknown>, key: string, max: number) {
  const value = params[key];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw new InferenceRequestError(`parameter "${key}" must be an integer from 1 to ${max}`);
  }
  return value as number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
