import { Tokenizer } from '@huggingface/tokenizers';
import * as path from 'node:path';
import { PACKAGE_FILES, readJson, readOptionalJson } from '../model/model-package';

interface TokenizerJson {
  model?: { type?: string; unk_id?: number | null; unk_token?: string };
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

  private constructor(
    private readonly tokenizer: Tokenizer,
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
  }

  static async fromDir(versionDir: string): Promise<MarianTokenizer> {
    const json = await readJson<TokenizerJson>(path.join(versionDir, PACKAGE_FILES.tokenizer));
    const config =
      (await readOptionalJson<TokenizerConfigJson>(
        path.join(versionDir, PACKAGE_FILES.tokenizerConfig),
      )) ?? {};
    return new MarianTokenizer(new Tokenizer(json, config), json, config);
  }

  /** Source ids including the appended end-of-sentence token. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text).ids;
  }

  /** Source ids without special tokens: what the drift profile counts as "token length". */
  encodeWithoutSpecial(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Skips special tokens; keeps spacing exactly as the pieces say (no clean-up heuristics). */
  decode(ids: number[]): string {
    // tokenizers.js rejects an empty list; a model that emits `</s>` first produced nothing
    if (ids.length === 0) return '';
    return this.tokenizer.decode(ids, {
      skip_special_tokens: true,
      clean_up_tokenization_spaces: false,
    });
  }
}
