// Translates lines with transformers.js's `translation` pipeline from local files only (no hub access),
// greedy, one line at a time (its batched generate keeps sampling after </s> on finished rows).
// Usage: node transformers-js-translate.mjs <model version dir> <lines.txt> <max_new_tokens>
// Prints a JSON array of translations. Run in a child process: transformers.js is ESM-only.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { env, pipeline } from '@huggingface/transformers';

const [modelDir, linesPath, maxNewTokens] = process.argv.slice(2);
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = path.dirname(path.resolve(modelDir));

const translate = await pipeline('translation', path.basename(modelDir), { dtype: 'fp32', device: 'cpu' });
const lines = readFileSync(linesPath, 'utf8').split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
const out = [];
for (const line of lines) {
  const [result] = await translate(line, { num_beams: 1, do_sample: false, max_new_tokens: Number(maxNewTokens) });
  out.push(result.translation_text);
}
process.stdout.write(JSON.stringify(out));
