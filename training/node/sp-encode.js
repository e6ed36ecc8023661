#!/usr/bin/env node
// Encodes lines with @huggingface/tokenizers from a tokenizer.json, exactly as the service does, so the
// Python tests can compare the ids with SentencePiece's. Usage: node sp-encode.js <tokenizer.json> <lines.txt>
// Prints one JSON array of ids per line (including the </s> the post-processor appends).
'use strict';
const fs = require('node:fs');
const { Tokenizer } = require('@huggingface/tokenizers');

const [tokenizerPath, linesPath] = process.argv.slice(2);
const tokenizer = new Tokenizer(JSON.parse(fs.readFileSync(tokenizerPath, 'utf8')), {});
const lines = fs.readFileSync(linesPath, 'utf8').split('\n');
if (lines[lines.length - 1] === '') lines.pop();
process.stdout.write(lines.map((line) => JSON.stringify(tokenizer.encode(line).ids)).join('\n') + '\n');
