"""Node's @huggingface/tokenizers must produce SentencePiece's ids from our converted tokenizer.json."""
import json

import pytest

from training.parity import tokenizer_parity
from training.tokenizer import to_hf_tokenizer_json

from .conftest import SHIPPED_MODEL, TINY_MODEL


@pytest.mark.parametrize("lang", ["en", "hi"])
def test_node_ids_equal_sentencepiece_on_1000_dev_lines(lang, dev_lines):
    lines = dev_lines[lang][:1000] + dev_lines[lang][1000:]
    assert len(lines) >= 1000
    result = tokenizer_parity(SHIPPED_MODEL / "sentencepiece.model", SHIPPED_MODEL / "tokenizer.json", lines)
    print(f"{lang}: {result.identical}/{result.total} identical ({100 * result.match_rate:.2f}%), "
          f"{len(result.ties)} equal-score ties")
    assert result.mismatches == []            # every difference must be an equal-score tie
    assert result.match_rate >= 0.995


def test_tricky_inputs_normalise_like_sentencepiece():
    lines = ["  extra   spaces  ", "ﬁne ligature", "fullwidth ＡＢＣ", "½ cup ™", "नमस्ते, दुनिया!", "emoji 🙂 and CJK 漢字",
             "tab\tseparated", "zero\u200bwidth",
             # special-token strings in user text are ordinary characters to SentencePiece, not ids
             "Type </s> to end <pad> here", "<unk> and <s> tags", "a</s>b"]
    result = tokenizer_parity(SHIPPED_MODEL / "sentencepiece.model", SHIPPED_MODEL / "tokenizer.json", lines)
    assert result.mismatches == []


def test_tokenizer_json_has_marian_shape():
    tok = to_hf_tokenizer_json(TINY_MODEL / "sentencepiece.model")
    assert tok["model"]["type"] == "Unigram" and tok["model"]["byte_fallback"] is False
    assert [t["content"] for t in tok["added_tokens"]][:2] == ["</s>", "<unk>"]
    assert tok["post_processor"]["single"][-1] == {"SpecialToken": {"id": "</s>", "type_id": 0}}
    shipped = json.loads((TINY_MODEL / "tokenizer.json").read_text())
    assert shipped == json.loads(json.dumps(tok))  # the committed file is what the converter writes
