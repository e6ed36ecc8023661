#!/usr/bin/env node
// Quality gate of the daily model validation:
//   node .github/scripts/chrf-gate.mjs COMMITTED_METRICS_JSON NEW_METRICS_JSON [--max-drop POINTS]
// Fails (exit 1) when the new dev greedy chrF (dev.greedy.chrf) is more than POINTS (default 1)
// below the committed model card's value; exits 2 when either file lacks the number, so a
// renamed key cannot turn the gate into a silent pass.
import { appendFileSync, readFileSync } from 'node:fs';

function usage(message) {
  console.error(`${message}\nusage: chrf-gate.mjs COMMITTED.json NEW.json [--max-drop POINTS]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let maxDrop = 1;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--max-drop') {
    maxDrop = Number(args[++i]);
    if (!Number.isFinite(maxDrop) || maxDrop < 0) usage(`--max-drop must be a number >= 0`);
  } else {
    files.push(args[i]);
  }
}
if (files.length !== 2) usage('expected two metrics.json files');

function greedyChrf(file) {
  let json;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    usage(`${file}: ${e.message}`);
  }
  const value = json?.dev?.greedy?.chrf;
  if (typeof value !== 'number' || !Number.isFinite(value))
    usage(`${file}: no numeric dev.greedy.chrf`);
  return value;
}

const committed = greedyChrf(files[0]);
const measured = greedyChrf(files[1]);
const drop = Math.round((committed - measured) * 100) / 100;
const ok = drop <= maxDrop;
const line = `dev greedy chrF: model card ${committed}, measured ${measured}, drop ${drop} (allowed ${maxDrop}): ${ok ? 'ok' : 'REGRESSION'}`;
console.log(line);
if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${line}\n`);
process.exit(ok ? 0 : 1);
