import { Tokenizer } from '@huggingface/tokenizers';
import * as path from 'node:path';
import { PACKAGE_FILES, readJson, readOptionalJson } from '../model/model-package';

interface TokenizerJson {
  model?: {
    type?: string;
    unk_id?: number | null;
    unk_token?: string;
    vocab?: [string, number][];
  };
  added_tokens?: { id: number; content: string; special?: boolean }[];
  [key: string]: unknown;
}

/**
 * The tokenizer.json to encode user text with. tokenizers.js matches the added special tokens
 * ("</s>", "<pad>", "<unk>") anywhere in the input, and its Unigram model matches their
 * vocabulary pieces too, so a literal "</s>" in a user's text became an end of sentence in the
 * middle of the source. SentencePiece, which made the training data, reads such text as ordinary
 * characters: here the added tokens are not matched and the special pieces have no text (an
 * empty piece never matches; unknown characters still get the unk id), which gives SentencePiece's ids (tested against it on
 * the dev split and on such strings). The caller appends the post-processor's `</s>` itself, as
 * the template looks it up by its text. Other model types are unchanged.
 */
function plainTextEncoding(json: TokenizerJson): TokenizerJson | undefined {
  const model = json.model;
  if (model?.type !== 'Unigram' || !model.vocab) return undefined;
  const special = new Set((json.added_tokens ?? []).filter((t) => t.special).map((t) => t.id));
  return {
    ...json,
    added_tokens: [],
    model: {
      ...model,
      vocab: model.vocab.map(([piece, score], id) => [special.has(id) ? '' : piece, score]),
    },
  };
}

interface TokenizerConfigJson {
  unk_token?: string | { content: string };
  model_max_length?: number;
  [key: string]: unknown;
}

/**
 * The package's tokenizer.json run by @huggingface/tokenizers (pure JS).
 * encode() returns ids with the `</s>` the post-processor appends, as the encoder expects.
 */
export class MarianTokenizer {
  readonly unkTokenId: number | undefined;

  /** what the post-processor adds around a text: `</s>` after it, for Marian */
  private readonly specialSuffix: number[];

  private constructor(
    /** decodes (it knows which ids are special, to skip them) */
    private readonly tokenizer: Tokenizer,
    /** encodes user text: special-token strings in it are ordinary text */
    private readonly encoder: Tokenizer,
    tokenizerJson: TokenizerJson,
    readonly config: TokenizerConfigJson,
  ) {
    const unkToken =
      typeof config.unk_token === 'string' ? config.unk_token : config.unk_token?.content;
    const unkId = tokenizerJson.model?.unk_id;
    this.unkTokenId =
      typeof unkId === 'number'
        ? unkId
        : tokenizer.token_to_id(unkToken ?? tokenizerJson.model?.unk_token ?? '<unk>');
    this.specialSuffix = tokenizer.encode('').ids;
  }

  static async fromDir(versionDir: string): Promise<MarianTokenizer> {
    const json = await readJson<TokenizerJson>(path.join(versionDir, PACKAGE_FILES.tokenizer));
    const config =
      (await readOptionalJson<TokenizerConfigJson>(
        path.join(versionDir, PACKAGE_FILES.tokenizerConfig),
      )) ?? {};
    const full = new Tokenizer(json, config);
    const plain = plainTextEncoding(json);
    return new MarianTokenizer(full, plain ? new Tokenizer(plain, config) : full, json, config);
  }

  /** Source ids including the appended end-of-sentence token. */
  encode(text: string): number[] {
    return [...this.encodeWithoutSpecial(text), ...this.specialSuffix];
  }

  /** Source ids without special tokens: what the drift profile counts as "token length". */
  encodeWithoutSpecial(text: string): number[] {
    return this.encoder.encode(text, { add_special_tokens: false }).ids;
  }

  /** Skips special tokens; keeps spacing exactly as the pieces say (no clean-up heuristics). */
  decode(ids: number[]): string {
    // tokenizers.js rejects an empty list; a model that emits `</s>` first produced nothing
    if (ids.length === 0) return '';
    const text = this.tokenizer.decode(ids, {
      skip_special_tokens: true,
      clean_up_tokenization_spaces: false,
    });
    // a skipped <unk> leaves the spaces around it: "the  key", " first", "Hello "
    return text.replace(/ {2,}/g, ' ').trim();
  }
}
