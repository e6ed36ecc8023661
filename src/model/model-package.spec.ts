import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MarianConfig, readJson, validateMarianConfig } from './model-package';

describe('model package', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'package-'));

  it('reports missing and invalid JSON files by name', async () => {
    writeFileSync(path.join(root, 'bad.json'), '{nope');
    await expect(readJson(path.join(root, 'bad.json'))).rejects.toThrow(
      /bad\.json is not valid JSON/,
    );
    await expect(readJson(path.join(root, 'none.json'))).rejects.toThrow(/missing none\.json/);
  });

  it('validates the config fields the decoder loop needs', () => {
    const good: MarianConfig = {
      d_model: 8,
      decoder_layers: 2,
      decoder_attention_heads: 2,
      vocab_size: 10,
      pad_token_id: 9,
      eos_token_id: 0,
    };
    expect(() => validateMarianConfig(good)).not.toThrow();
    expect(() => validateMarianConfig({ ...good, d_model: 7 })).toThrow(/divisible/);
    expect(() => validateMarianConfig({ ...good, eos_token_id: -1 })).toThrow(/eos_token_id/);
    const { vocab_size: _omit, ...noVocab } = good;
    expect(() => validateMarianConfig(noVocab as MarianConfig)).toThrow(/vocab_size/);
  });
});
