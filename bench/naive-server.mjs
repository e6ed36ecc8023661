// Naive baseline: plain node http + onnxruntime-node + @huggingface/tokenizers.
// One request at a time (serialized), no batching, no KV cache: each decoding step runs the merged
// decoder with use_cache_branch=false on the whole prefix and zero-length past tensors. Greedy.
// Usage: PORT=... MODEL_DIR=models/en-hi/7 node bench/naive-server.mjs
import { serveSerially } from './serial-server.mjs';
import { ortSessionOptions } from './lib.mjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const { Tokenizer } = require('@huggingface/tokenizers');

const dir = process.env.MODEL_DIR ?? 'models/en-hi/7';
const cfg = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
const tokJson = JSON.parse(readFileSync(path.join(dir, 'tokenizer.json'), 'utf8'));
let tokCfg = {};
try { tokCfg = JSON.parse(readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')); } catch {}
const tokenizer = new Tokenizer(tokJson, tokCfg);
const opts = ortSessionOptions(); // the service's onnxruntime settings
const encoder = await ort.InferenceSession.create(path.join(dir, 'onnx/encoder_model.onnx'), opts);
const decoder = await ort.InferenceSession.create(path.join(dir, 'onnx/decoder_model_merged.onnx'), opts);
const H = cfg.decoder_attention_heads, D = cfg.d_model / H, L = cfg.decoder_layers;
const EOS = cfg.eos_token_id, START = cfg.decoder_start_token_id, PAD = cfg.pad_token_id;
const MAX_NEW = Number(process.env.MAX_NEW_TOKENS ?? 256);
const i64 = (arr, dims) => new ort.Tensor('int64', BigInt64Array.from(arr.map(BigInt)), dims);
const emptyPast = new ort.Tensor('float32', new Float32Array(0), [1, H, 0, D]);

async function translate(text) {
  const ids = tokenizer.encode(text).ids;
  const mask = i64(ids.map(() => 1), [1, ids.length]);
  const { last_hidden_state } = await encoder.run({ input_ids: i64(ids, [1, ids.length]), attention_mask: mask });
  const out = [START];
  for (let step = 0; step < MAX_NEW; step++) {
    const feeds = {
      input_ids: i64(out, [1, out.length]),
      encoder_attention_mask: mask,
      encoder_hidden_states: last_hidden_state,
      use_cache_branch: new ort.Tensor('bool', [false], [1]),
    };
    for (let l = 0; l < L; l++) for (const k of ['decoder.key', 'decoder.value', 'encoder.key', 'encoder.value']) feeds[`past_key_values.${l}.${k}`] = emptyPast;
    const { logits } = await decoder.run(feeds);
    const V = logits.dims[2];
    const base = (out.length - 1) * V;
    let best = -1, bestV = -Infinity;
    for (let v = 0; v < V; v++) { if (v === PAD) continue; const x = logits.data[base + v]; if (x > bestV) { bestV = x; best = v; } }
    if (best === EOS) break;
    out.push(best);
  }
  const gen = out.slice(1);
  const textOut = gen.length ? tokenizer.decode(gen, { skip_special_tokens: true, clean_up_tokenization_spaces: false }) : '';
  return { text: textOut, tokens: gen.length }; // like the service counter: without </s>
}

serveSerially(translate, 3100);
