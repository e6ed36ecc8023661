#!/usr/bin/env node
// Runs an exported model with onnxruntime-node under teacher forcing and writes the logits of every
// decoder step, so the Python side can compare them with PyTorch (Debian has no Python onnxruntime).
// Usage: node ort-teacher-forced-logits.js <request.json> <logits.f32>
//   request: {"model_dir": "...", "sources": [[ids...]], "targets": [[ids...]], "pad_id": N}
//   output:  float32 little-endian [rows, steps, vocab], steps = longest target + 1 (start token first)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ort = require('onnxruntime-node');

function padded(rows, pad) {
  const width = Math.max(...rows.map((r) => r.length));
  const data = new BigInt64Array(rows.length * width).fill(BigInt(pad));
  const mask = new BigInt64Array(rows.length * width);
  rows.forEach((r, i) => r.forEach((id, j) => {
    data[i * width + j] = BigInt(id);
    mask[i * width + j] = 1n;
  }));
  return {
    ids: new ort.Tensor('int64', data, [rows.length, width]),
    mask: new ort.Tensor('int64', mask, [rows.length, width]),
  };
}

async function main() {
  const [requestPath, outPath] = process.argv.slice(2);
  const req = JSON.parse(fs.readFileSync(requestPath, 'utf8'));
  const options = { intraOpNumThreads: 1, graphOptimizationLevel: 'all' };
  const encoder = await ort.InferenceSession.create(path.join(req.model_dir, 'onnx/encoder_model.onnx'), options);
  const decoder = await ort.InferenceSession.create(
    path.join(req.model_dir, 'onnx/decoder_model_merged.onnx'), options);
  const config = JSON.parse(fs.readFileSync(path.join(req.model_dir, 'config.json'), 'utf8'));
  const { ids, mask } = padded(req.sources, req.pad_id);
  const { last_hidden_state: hidden } = await encoder.run({ input_ids: ids, attention_mask: mask });
  const rows = req.sources.length;
  const steps = Math.max(...req.targets.map((t) => t.length)) + 1;
  const vocab = config.vocab_size;
  const heads = config.decoder_attention_heads;
  const headDim = config.d_model / heads;
  const out = new Float32Array(rows * steps * vocab);
  let feeds = {};
  for (const name of decoder.inputNames.filter((n) => n.startsWith('past_key_values.'))) {
    feeds[name] = new ort.Tensor('float32', new Float32Array(0), [rows, heads, 0, headDim]);
  }
  for (let step = 0; step < steps; step += 1) {
    // Step 0 feeds the decoder start token; step s feeds target token s-1 (pad once a row has ended).
    const tokens = new BigInt64Array(rows).fill(BigInt(req.pad_id));
    if (step > 0) req.targets.forEach((t, i) => { if (step - 1 < t.length) tokens[i] = BigInt(t[step - 1]); });
    const result = await decoder.run({
      ...feeds,
      input_ids: new ort.Tensor('int64', tokens, [rows, 1]),
      encoder_attention_mask: mask,
      encoder_hidden_states: hidden,
      use_cache_branch: new ort.Tensor('bool', [step > 0], [1]),
    });
    const logits = result.logits.data;
    for (let i = 0; i < rows; i += 1) {
      out.set(logits.subarray(i * vocab, (i + 1) * vocab), (i * steps + step) * vocab);
    }
    feeds = {};
    for (const [name, tensor] of Object.entries(result)) {
      if (name.startsWith('present.')) feeds[name.replace('present.', 'past_key_values.')] = tensor;
    }
  }
  fs.writeFileSync(outPath, Buffer.from(out.buffer));
  console.log(JSON.stringify({ rows, steps, vocab }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
