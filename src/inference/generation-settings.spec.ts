import { MarianConfig } from '../model/model-package';
import {
  cacheBytesPerPosition,
  resolveGenerateOptions,
  resolveGenerationSettings,
} from './generation-settings';

const config: MarianConfig = {
  d_model: 512,
  decoder_layers: 6,
  decoder_attention_heads: 8,
  vocab_size: 61950,
  pad_token_id: 61949,
  eos_token_id: 0,
  decoder_start_token_id: 61949,
  bad_words_ids: [[61949]],
  max_position_embeddings: 512,
  max_length: 512,
  num_beams: 4,
};

describe('generation settings', () => {
  it('reads ids and defaults from config.json when generation_config.json is absent', () => {
    const s = resolveGenerationSettings(config, undefined, 512);
    expect(s).toMatchObject({
      decoderStartTokenId: 61949,
      eosTokenIds: [0],
      padTokenId: 61949,
      badWordsIds: [[61949]],
      defaultBeamSize: 4,
      defaultMaxNewTokens: 511,
      lengthPenalty: 1,
      maxSourceTokens: 512,
      numHeads: 8,
      headDim: 64,
      decoderLayers: 6,
    });
    // opus-mt-en-hi's shape: 6 layers × keys and values × 512 floats
    expect(cacheBytesPerPosition(s)).toBe(6 * 2 * 512 * 4);
  });

  it('prefers generation_config.json and ignores sentinel tokenizer limits', () => {
    const s = resolveGenerationSettings(
      config,
      { num_beams: 2, max_new_tokens: 64, length_penalty: 0.6, eos_token_id: [0, 5] },
      1e30,
    );
    expect(s).toMatchObject({
      defaultBeamSize: 2,
      defaultMaxNewTokens: 64,
      lengthPenalty: 0.6,
      eosTokenIds: [0, 5],
    });
    expect(s.maxSourceTokens).toBe(512);
  });

  it('names the settings of an opus-mt generation_config.json it does not apply', () => {
    // Helsinki-NLP/opus-mt-en-hi's generation_config.json, as transformers writes it
    const opus = {
      bad_words_ids: [[61949]],
      bos_token_id: 0,
      decoder_start_token_id: 61949,
      eos_token_id: 0,
      forced_eos_token_id: 0,
      max_length: 512,
      num_beams: 4,
      pad_token_id: 61949,
      renormalize_logits: true,
    };
    expect(resolveGenerationSettings(config, opus).ignored).toEqual(['forced_eos_token_id=0']);
    // neutral values change nothing, so they are not reported
    expect(
      resolveGenerationSettings(config, { repetition_penalty: 1, no_repeat_ngram_size: 0 }).ignored,
    ).toEqual([]);
    expect(
      resolveGenerationSettings(config, { no_repeat_ngram_size: 3, do_sample: true }).ignored,
    ).toEqual(['no_repeat_ngram_size=3', 'do_sample=true']);
    // older exports keep them in config.json, without a generation_config.json
    expect(
      resolveGenerationSettings({ ...config, forced_eos_token_id: 0 }, undefined).ignored,
    ).toEqual(['forced_eos_token_id=0']);
    // and generation_config.json has the last word
    expect(
      resolveGenerationSettings(
        { ...config, forced_eos_token_id: 0 },
        { forced_eos_token_id: null },
      ).ignored,
    ).toEqual([]);
  });

  it('falls back to pad as decoder start (Marian convention)', () => {
    const { decoder_start_token_id: _drop, ...noStart } = config;
    expect(resolveGenerationSettings(noStart, undefined).decoderStartTokenId).toBe(61949);
  });

  it('caps generation by the decoder position table', () => {
    const s = resolveGenerationSettings(
      { ...config, max_position_embeddings: 32 },
      { max_new_tokens: 200 },
    );
    expect(s.maxNewTokensLimit).toBe(32);
    expect(s.defaultMaxNewTokens).toBe(32);
    expect(resolveGenerateOptions(s, { maxNewTokens: 500 }).maxNewTokens).toBe(32);
  });

  it('request options override defaults within the API caps', () => {
    const s = resolveGenerationSettings(config, { num_beams: 3, max_new_tokens: 40 });
    expect(resolveGenerateOptions(s, {})).toEqual({
      beamSize: 3,
      maxNewTokens: 40,
      lengthPenalty: 1,
    });
    expect(resolveGenerateOptions(s, { beamSize: 1, maxNewTokens: 5 })).toEqual({
      beamSize: 1,
      maxNewTokens: 5,
      lengthPenalty: 1,
    });
    expect(resolveGenerateOptions(s, { beamSize: 50 }).beamSize).toBe(8);
  });
});
