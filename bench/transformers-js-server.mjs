// Minimal http server around transformers.js's `translation` pipeline (local files only), greedy,
// one text per call (its batched generate keeps sampling after </s>), requests serialized.
import http from 'node:http';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
const modelDir = process.env.MODEL_DIR ?? 'models/en-hi/1';
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.dirname(path.resolve(modelDir));
const translate = await pipeline('translation', path.basename(modelDir), { dtype: 'fp32', device: 'cpu' });
const tok = translate.tokenizer;
let chain = Promise.resolve();
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (req.method !== 'POST') { res.writeHead(200); res.end('ok'); return; }
    chain = chain.then(async () => {
      try {
        const { text } = JSON.parse(body);
        const [r] = await translate(text, { num_beams: 1, do_sample: false, max_new_tokens: 256 });
        // generated tokens ≈ re-encoded output length (minus the appended </s>); the pipeline does not return ids
        let n = 0; try { n = tok(r.translation_text, { text_target: false }).input_ids.dims.at(-1) - 1; } catch {}
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ translations: [r.translation_text], generated_tokens: n }));
      } catch (e) { res.writeHead(500); res.end(String(e?.stack ?? e)); }
    });
  });
});
server.keepAliveTimeout = 60000;
server.listen(Number(process.env.PORT ?? 3101), '127.0.0.1', () => console.log('ready'));
