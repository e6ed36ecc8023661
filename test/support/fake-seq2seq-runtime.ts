import { GenerationSettings } from '../../src/inference/generation-settings';
import * as path from 'node:path';
import {
  ModelRuntime,
  RuntimeSession,
  RuntimeTensor,
  tensor,
  TensorMap,
} from '../../src/model/model-runtime.port';

/**
 * A pure-JS stand-in for an Optimum-layout Marian export, for unit tests.
 *
 * The "encoder" copies source ids into its hidden states; the "decoder" keeps generated ids in
 * its self-attention cache and source ids in its cross-attention cache, and returns logits from
 * `nextLogits(source, prefix)`. So a generator that mis-orders, drops or re-uses the wrong cache
 * rows, mis-pads, or ignores masks produces different tokens than a cache-free reference loop.
 * Later steps return zero "dummy" cross-attention presents, as Optimum's merged graph may.
 */
/** Generation settings matching the fake model: vocabulary of 12, eos 0, pad (= decoder start) 11. */
export const FAKE_VOCAB = 12;
export const FAKE_EOS = 0;
export const FAKE_PAD = FAKE_VOCAB - 1;
export const fakeGenerationSettings: GenerationSettings = {
  decoderStartTokenId: FAKE_PAD,
  eosTokenIds: [FAKE_EOS],
  padTokenId: FAKE_PAD,
  badWordsIds: [[FAKE_PAD]],
  defaultBeamSize: 1,
  defaultMaxNewTokens: 20,
  lengthPenalty: 1,
  maxSourceTokens: 64,
  maxNewTokensLimit: 64,
  numHeads: 2,
  headDim: 2,
  decoderLayers: 2,
  ignored: [],
};

export interface FakeModelSpec {
  vocabSize: number;
  layers: number;
  heads: number;
  headDim: number;
  /** logits for the next token given the unpadded source ids and prefix (decoder start first) */
  nextLogits: (source: number[], prefix: number[]) => Float32Array;
}

const PAD_GARBAGE = 1e6;

export function fakeSpec(
  partial: Partial<FakeModelSpec> & Pick<FakeModelSpec, 'nextLogits' | 'vocabSize'>,
): FakeModelSpec {
  return { layers: 2, heads: 2, headDim: 2, ...partial };
}

/** Deterministic, well-spread pseudo-random logits; `eos` grows likelier as output lengthens. */
export function hashedLogits(vocabSize: number, eos: number, pad: number) {
  return (source: number[], prefix: number[]): Float32Array => {
    let seed = 2166136261;
    for (const v of [...source, -1, ...prefix]) seed = Math.imul(seed ^ (v + 7), 16777619) >>> 0;
    const out = new Float32Array(vocabSize);
    for (let v = 0; v < vocabSize; v++) {
      const h = Math.imul(seed ^ Math.imul(v + 1, 2654435761), 2246822519) >>> 0;
      out[v] = (h % 10007) / 1000 - 5; // [-5, 5)
    }
    out[eos] += (prefix.length - source.length) * 1.5;
    out[pad] = 50; // must be masked by bad_words_ids, or greedy would always pick it
    return out;
  };
}

export class FakeSeq2SeqRuntime implements ModelRuntime {
  readonly description = 'fake seq2seq runtime (tests)';
  readonly created: string[] = [];
  readonly released: string[] = [];
  /** decoder runs, for asserting how many steps a loop took */
  decoderRuns = 0;
  /** batch rows of each decoder run, for asserting that finished rows leave the batch */
  readonly decoderRows: number[] = [];
  /** the outputs each decoder run asked for (undefined: all of them) */
  readonly decoderFetches: (readonly string[] | undefined)[] = [];

  constructor(private readonly spec: FakeModelSpec) {}

  createSession(modelPath: string): Promise<RuntimeSession> {
    this.created.push(modelPath);
    const name = path.basename(modelPath);
    const release = () => {
      this.released.push(modelPath);
      return Promise.resolve();
    };
    if (name === 'encoder_model.onnx') return Promise.resolve(this.encoder(release));
    if (name === 'decoder_model_merged.onnx') return Promise.resolve(this.decoder(release));
    return Promise.reject(new Error(`fake runtime has no graph ${name}`));
  }

  private encoder(release: () => Promise<void>): RuntimeSession {
    const d = this.spec.heads * this.spec.headDim;
    return {
      inputNames: ['input_ids', 'attention_mask'],
      outputNames: ['last_hidden_state'],
      release,
      run: (feeds: TensorMap) => {
        const ids = feeds.input_ids as RuntimeTensor<'int64'>;
        const mask = feeds.attention_mask as RuntimeTensor<'int64'>;
        const [b, s] = ids.dims;
        const hidden = new Float32Array(b * s * d);
        for (let i = 0; i < b * s; i++) {
          // padded positions get garbage: only the mask may hide them
          hidden[i * d] = mask.data[i] === 1n ? Number(ids.data[i]) : PAD_GARBAGE;
        }
        return Promise.resolve({ last_hidden_state: tensor('float32', hidden, [b, s, d]) });
      },
    };
  }

  private decoder(release: () => Promise<void>): RuntimeSession {
    const { layers, heads, headDim, vocabSize, nextLogits } = this.spec;
    const pastNames: string[] = [];
    for (let i = 0; i < layers; i++) {
      for (const kind of ['decoder', 'encoder']) {
        for (const kv of ['key', 'value']) pastNames.push(`past_key_values.${i}.${kind}.${kv}`);
      }
    }
    const kvSize = heads * headDim;
    return {
      inputNames: [
        'input_ids',
        'encoder_attention_mask',
        'encoder_hidden_states',
        ...pastNames,
        'use_cache_branch',
      ],
      outputNames: ['logits', ...pastNames.map((n) => n.replace('past_key_values', 'present'))],
      release,
      run: (feeds: TensorMap, fetches?: readonly string[]) => {
        this.decoderRuns++;
        this.decoderFetches.push(fetches);
        const ids = feeds.input_ids as RuntimeTensor<'int64'>;
        const mask = feeds.encoder_attention_mask as RuntimeTensor<'int64'>;
        const hidden = feeds.encoder_hidden_states as RuntimeTensor<'float32'>;
        const useCache = (feeds.use_cache_branch as RuntimeTensor<'bool'>).data[0] === 1;
        const rows = ids.dims[0];
        this.decoderRows.push(rows);
        const srcLen = mask.dims[1];
        const d = hidden.dims[2];
        for (const name of pastNames) {
          const t = feeds[name];
          if (!t || t.dims[0] !== rows || t.dims[1] !== heads || t.dims[3] !== headDim) {
            return Promise.reject(new Error(`bad past ${name}: [${t?.dims.join(',')}]`));
          }
        }
        if (mask.dims[0] !== rows || hidden.dims[0] !== rows) {
          return Promise.reject(new Error('encoder inputs do not match the batch'));
        }
        const selfKey = feeds['past_key_values.0.decoder.key'] as RuntimeTensor<'float32'>;
        const crossKey = feeds['past_key_values.0.encoder.key'] as RuntimeTensor<'float32'>;
        const pastLen = selfKey.dims[2];
        if (!useCache && pastLen !== 0)
          return Promise.reject(new Error('no-cache branch got a past'));

        const logits = new Float32Array(rows * vocabSize);
        const selfPresent = new Float32Array(rows * heads * (pastLen + 1) * headDim);
        const crossPresent = new Float32Array(rows * heads * srcLen * headDim);
        for (let r = 0; r < rows; r++) {
          const prefix: number[] = [];
          for (let p = 0; p < pastLen; p++) {
            prefix.push(selfKey.data[(r * heads * pastLen + p) * headDim]);
          }
          prefix.push(Number(ids.data[r]));
          const source: number[] = [];
          for (let s = 0; s < srcLen; s++) {
            if (mask.data[r * srcLen + s] !== 1n) continue;
            // the cache branch must read source ids from the cross-attention cache
            source.push(
              useCache
                ? crossKey.data[(r * heads * srcLen + s) * headDim]
                : hidden.data[(r * srcLen + s) * d],
            );
          }
          logits.set(nextLogits(source, prefix), r * vocabSize);
          for (let h = 0; h < heads; h++) {
            prefix.forEach((tok, p) => {
              selfPresent[((r * heads + h) * (pastLen + 1) + p) * headDim] = tok;
            });
            if (!useCache) {
              for (let s = 0; s < srcLen; s++) {
                crossPresent[((r * heads + h) * srcLen + s) * headDim] =
                  hidden.data[(r * srcLen + s) * d];
              }
            }
          }
        }
        const out: TensorMap = { logits: tensor('float32', logits, [rows, 1, vocabSize]) };
        for (let i = 0; i < layers; i++) {
          for (const kv of ['key', 'value']) {
            out[`present.${i}.decoder.${kv}`] = tensor('float32', selfPresent, [
              rows,
              heads,
              pastLen + 1,
              headDim,
            ]);
            out[`present.${i}.encoder.${kv}`] = useCache
              ? tensor('float32', new Float32Array(rows * kvSize * srcLen), [
                  rows,
                  heads,
                  srcLen,
                  headDim,
                ])
              : tensor('float32', crossPresent, [rows, heads, srcLen, headDim]);
          }
        }
        if (!fetches) return Promise.resolve(out);
        // as onnxruntime does: only what was asked for, and an unknown name is an error
        const unknown = fetches.find((n) => !(n in out));
        if (unknown) return Promise.reject(new Error(`no output named ${unknown}`));
        return Promise.resolve(Object.fromEntries(fetches.map((n) => [n, out[n]])));
      },
    };
  }
}
