#!/usr/bin/env node
// Encodes lines with the service's own tokenizer (dist/inference/marian-tokenizer.js, run by
// @huggingface/tokenizers) from a package's tokenizer.json and tokenizer_config.json, so the Python
// tests compare exactly what the service feeds the encoder with SentencePiece's ids.
// Usage: node sp-encode.js <tokenizer.json> <lines.txt> (needs `npm run build`)
// Prints one JSON array of ids per line (including the </s> the post-processor appends).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { MarianTokenizer } = require('../../dist/inference/marian-tokenizer');

const [tokenizerPath, linesPath] = process.argv.slice(2);
const lines = fs.readFileSync(linesPath, 'utf8').split('\n');
if (lines[lines.length - 1] === '') lines.pop();
MarianTokenizer.fromDir(path.dirname(tokenizerPath)).then(
  (tokenizer) => {
    process.stdout.write(lines.map((line) => JSON.stringify(tokenizer.encode(line))).join('\n') + '\n');
  },
  (error) => {
    console.error(`sp-encode: ${error.message}`);
    process.exit(1);
  },
);
