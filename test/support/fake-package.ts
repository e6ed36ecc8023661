import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * Writes a small but complete model package (Optimum Marian layout) for unit tests:
 * a real Unigram tokenizer.json over single characters, config files, checksums, drift profile.
 * The .onnx files are placeholder bytes: tests pair this with FakeSeq2SeqRuntime.
 */
export const FAKE_PIECES = [
  '</s>',
  '<unk>',
  '▁',
  ...'abcdefghijklmnopqrstuvwxyz'.split(''),
  ...'.,?!'.split(''),
  '<pad>',
];
export const FAKE_VOCAB = FAKE_PIECES.length;
export const FAKE_EOS = 0;
export const FAKE_UNK = 1;
export const FAKE_PAD = FAKE_VOCAB - 1;

export function tokenizerJson(): object {
  const special = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(0, '</s>'), special(1, '<unk>'), special(FAKE_PAD, '<pad>')],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFKC' },
        { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
        { type: 'Strip', strip_left: true, strip_right: true },
      ],
    },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
      pair: [
        { Sequence: { id: 'A', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 0 } },
        { SpecialToken: { id: '</s>', type_id: 0 } },
      ],
      special_tokens: { '</s>': { id: '</s>', ids: [0], tokens: ['</s>'] } },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: {
      type: 'Unigram',
      unk_id: FAKE_UNK,
      byte_fallback: false,
      vocab: FAKE_PIECES.map((p, i) => [p, i < 2 || i === FAKE_PAD ? 0 : -2 - i / 100]),
    },
  };
}

export interface FakePackageOptions {
  root?: string;
  name?: string;
  version?: string;
  config?: Record<string, unknown>;
  generationConfig?: Record<string, unknown> | null;
  withChecksums?: boolean;
  driftProfile?: object | null;
}

export const FAKE_DRIFT_PROFILE = {
  n_texts: 1000,
  token_length: {
    bin_edges: [0, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128],
    proportions: [0.05, 0.15, 0.2, 0.2, 0.2, 0.1, 0.05, 0.05, 0, 0, 0],
  },
  unknown_token_rate: 0.01,
  non_latin_share: {
    mean: 0.01,
    bin_edges: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
    proportions: [0.98, 0.02, 0, 0, 0, 0, 0, 0, 0, 0],
  },
  top_tokens: [{ id: 2, token: '▁', share: 0.2 }],
};

/** Writes `<root>/<name>/<version>/…` and returns the version folder. */
export function writeFakePackage(options: FakePackageOptions = {}): string {
  const root = options.root ?? mkdtempSync(path.join(tmpdir(), 'anuvaad-pkg-'));
  const dir = path.join(root, options.name ?? 'fake', options.version ?? '1');
  mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  const json = (file: string, value: unknown) =>
    writeFileSync(path.join(dir, file), JSON.stringify(value, null, 2));
  json('config.json', {
    model_type: 'marian',
    d_model: 4,
    encoder_layers: 2,
    decoder_layers: 2,
    encoder_attention_heads: 2,
    decoder_attention_heads: 2,
    vocab_size: FAKE_VOCAB,
    pad_token_id: FAKE_PAD,
    eos_token_id: FAKE_EOS,
    decoder_start_token_id: FAKE_PAD,
    bad_words_ids: [[FAKE_PAD]],
    max_position_embeddings: 64,
    ...options.config,
  });
  if (options.generationConfig !== null) {
    json('generation_config.json', {
      num_beams: 1,
      max_new_tokens: 24,
      length_penalty: 1.0,
      eos_token_id: FAKE_EOS,
      pad_token_id: FAKE_PAD,
      decoder_start_token_id: FAKE_PAD,
      bad_words_ids: [[FAKE_PAD]],
      ...options.generationConfig,
    });
  }
  json('tokenizer.json', tokenizerJson());
  json('tokenizer_config.json', {
    tokenizer_class: 'MarianTokenizer',
    eos_token: '</s>',
    unk_token: '<unk>',
    pad_token: '<pad>',
    model_max_length: 64,
  });
  json('metrics.json', { dev_bleu: 1.5, dev_chrf: 10.2 });
  if (options.driftProfile !== null)
    json('drift_profile.json', options.driftProfile ?? FAKE_DRIFT_PROFILE);
  writeFileSync(path.join(dir, 'README.md'), '# fake model\n');
  writeFileSync(path.join(dir, 'onnx/encoder_model.onnx'), 'not really onnx: encoder');
  writeFileSync(path.join(dir, 'onnx/decoder_model_merged.onnx'), 'not really onnx: decoder');
  if (options.withChecksums !== false) writeChecksums(dir);
  return dir;
}

/** sha256sum-format list of every file below `dir` except the list itself. */
export function writeChecksums(dir: string): void {
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      if (statSync(path.join(dir, child)).isDirectory()) walk(child);
      else if (child !== 'checksums.sha256') files.push(child);
    }
  };
  walk('');
  const lines = files.sort().map(
    (f) =>
      `${createHash('sha256')
        .update(readFileSync(path.join(dir, f)))
        .digest('hex')}  ${f}`,
  );
  writeFileSync(path.join(dir, 'checksums.sha256'), lines.join('\n') + '\n');
}
