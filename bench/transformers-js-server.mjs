// Minimal http server around transformers.js's `translation` pipeline (local files only), greedy,
// one text per call (its batched generate keeps sampling after </s>), requests serialized.
import { serveSerially } from './serial-server.mjs';
import { ortSessionOptions } from './lib.mjs';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
const modelDir = process.env.MODEL_DIR ?? 'models/en-hi/7';
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.dirname(path.resolve(modelDir));
// the service's onnxruntime settings, so the comparison is about design, not runtime flags
const translate = await pipeline('translation', path.basename(modelDir), { dtype: 'fp32', device: 'cpu', session_options: ortSessionOptions() });
const tok = translate.tokenizer;
serveSerially(async (text) => {
  const [r] = await translate(text, { num_beams: 1, do_sample: false, max_new_tokens: 256 });
  // generated tokens ≈ re-encoded output length (minus the appended </s>); the pipeline does not return ids
  let tokens = 0;
  try { tokens = tok(r.translation_text, { text_target: false }).input_ids.dims.at(-1) - 1; } catch {}
  return { text: r.translation_text, tokens };
}, 3101);
