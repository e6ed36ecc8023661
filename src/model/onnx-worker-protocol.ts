import type { GenerateOptions, GenerationSettings } from '../inference/generation-settings';
import type { GenerationOutput } from '../inference/seq2seq-generator';
import { RuntimeTensor, SessionOptions, TensorMap, TensorType } from './model-runtime.port';

/** A tensor as it crosses the thread boundary: its bytes by buffer, offset and length. */
export interface WireTensor {
  name: string;
  type: TensorType;
  dims: readonly number[];
  buffer: ArrayBuffer;
  byteOffset: number;
  length: number;
}

export type WorkerRequest =
  | { id: number; op: 'create'; modelPath: string; options: SessionOptions }
  | {
      id: number;
      op: 'run';
      sessionId: number;
      feeds: WireTensor[];
      transfer: ArrayBuffer[];
      fetches?: string[];
    }
  | { id: number; op: 'release'; sessionId: number }
  | {
      id: number;
      op: 'generator';
      encoderSessionId: number;
      decoderSessionId: number;
      settings: GenerationSettings;
    }
  | {
      id: number;
      op: 'generate';
      generatorId: number;
      batch: number[][];
      options: GenerateOptions;
      /** GENERATION_FLAGS layout, shared with the caller (read before every decoder step) */
      flags: SharedArrayBuffer;
    };

/**
 * A generation's shared Int32 flags: [0] is 1 once the whole generation was cancelled (checked
 * before every encoder/decoder run), [1 + row] is 1 once that row is no longer wanted (checked
 * after every step). Shared memory, so the decode loop reads them synchronously where it needs
 * them, with no message to wait for or route to the running generation.
 */
export const GENERATION_FLAGS = { cancelled: 0, rowOffset: 1 } as const;

/** What a running generation reports before its final reply. */
export type GenerationEvent =
  { kind: 'encoded'; encodeMs: number } | { kind: 'sequence'; row: number; ids: number[] };

export type WorkerReply =
  | {
      id: number;
      ok: true;
      op: 'create';
      sessionId: number;
      inputNames: string[];
      outputNames: string[];
    }
  | {
      id: number;
      ok: true;
      op: 'run';
      outputs: WireTensor[];
      inputs: WireTensor[];
      transfer: ArrayBuffer[];
    }
  | { id: number; ok: true; op: 'release' }
  | { id: number; ok: true; op: 'generator'; generatorId: number }
  | { id: number; ok: true; op: 'generate'; output: GenerationOutput }
  | { id: number; ok: true; op: 'event'; event: GenerationEvent }
  | {
      id: number;
      ok: false;
      error: string;
      errorName?: 'ModelPackageError';
      inputs?: WireTensor[];
    };

const ARRAY_TYPES = {
  int64: BigInt64Array,
  float32: Float32Array,
  bool: Uint8Array,
} as const;

/**
 * Tensors as wire records plus the distinct buffers to transfer (several tensors may view one
 * buffer). Shared memory cannot be moved and is left out of the list, so it is copied.
 */
export function encodeTensors(tensors: TensorMap): {
  tensors: WireTensor[];
  transfer: ArrayBuffer[];
} {
  const transfer = new Set<ArrayBuffer>();
  const wire = Object.entries(tensors).map(([name, t]) => {
    const buffer = t.data.buffer;
    if (buffer instanceof ArrayBuffer) transfer.add(buffer);
    return {
      name,
      type: t.type,
      dims: t.dims,
      buffer: buffer as ArrayBuffer,
      byteOffset: t.data.byteOffset,
      length: t.data.length,
    };
  });
  return { tensors: wire, transfer: [...transfer] };
}

export function decodeTensor(w: WireTensor): RuntimeTensor {
  const data = new ARRAY_TYPES[w.type](w.buffer, w.byteOffset, w.length);
  return { type: w.type, data, dims: w.dims };
}

export function decodeTensors(wire: readonly WireTensor[]): TensorMap {
  return Object.fromEntries(wire.map((w) => [w.name, decodeTensor(w)]));
}
