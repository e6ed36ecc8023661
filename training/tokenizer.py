"""Joint English+Hindi SentencePiece vocabulary, converted to a Hugging Face ``tokenizer.json``.

Id layout follows Marian (opus-mt): ``</s>`` = 0, ``<unk>`` = 1, no BOS, ``<pad>`` = the last id, which
is also the decoder start token. SentencePiece is trained with the plain ``nfkc`` rule and no byte
fallback, because the JavaScript tokenizer can only mirror NFKC (it ignores precompiled charmaps and
does not emit byte pieces).
"""
from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import sentencepiece as spm

from .events import log_training_event

EOS, UNK = "</s>", "<unk>"
PAD = "<pad>"


def train_sentencepiece(text_files: list[Path], model_prefix: Path, vocab_size: int,
                        max_lines_per_file: int | None = None, seed: int = 1) -> Path:
    """Train a unigram model on the given files (joint vocabulary) and return the ``.model`` path."""
    model_prefix.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    spm.set_random_generator_seed(seed)  # makes the sentence sampling reproducible
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as corpus:
        for path in text_files:
            with open(path, encoding="utf-8") as fh:
                for i, line in enumerate(fh):
                    if max_lines_per_file is not None and i >= max_lines_per_file:
                        break
                    corpus.write(line)
    spm.SentencePieceTrainer.train(
        input=corpus.name,
        model_prefix=str(model_prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        normalization_rule_name="nfkc",
        byte_fallback=False,
        # Rare symbols (accents, typographic quotes) should be pieces, not <unk>.
        character_coverage=0.99995,
        eos_id=0, unk_id=1, bos_id=-1, pad_id=vocab_size - 1,
        eos_piece=EOS, unk_piece=UNK, pad_piece=PAD,
        input_sentence_size=400_000, shuffle_input_sentence=True,
        num_threads=2,
        minloglevel=2,
    )
    Path(corpus.name).unlink()
    log_training_event("tokenizer_trained", vocab_size=vocab_size, seconds=round(time.time() - started, 1),
                       model=str(model_prefix) + ".model")
    return Path(str(model_prefix) + ".model")


def to_hf_tokenizer_json(sp_model: Path) -> dict:
    """Build the ``tokenizer.json`` that @huggingface/tokenizers and transformers.js load."""
    sp = spm.SentencePieceProcessor(model_file=str(sp_model))
    vocab = []
    for i in range(sp.get_piece_size()):
        piece = sp.id_to_piece(i)
        special = sp.is_control(i) or sp.is_unknown(i)
        vocab.append([piece, 0.0 if special else float(sp.get_score(i))])
    eos_id, unk_id, pad_id = sp.piece_to_id(EOS), sp.unk_id(), sp.piece_to_id(PAD)
    added = [
        {"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for tok, i in sorted([(EOS, eos_id), (UNK, unk_id), (PAD, pad_id)], key=lambda t: t[1])
    ]
    metaspace = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        # SentencePiece's "nfkc" rule plus its default remove_extra_whitespaces.
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFKC"},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
            {"type": "Strip", "strip_left": True, "strip_right": True},
        ]},
        "pre_tokenizer": metaspace,
        # Marian appends </s> to every source sentence.
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": EOS, "type_id": 0}}],
            "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}},
                     {"SpecialToken": {"id": EOS, "type_id": 0}}],
            "special_tokens": {EOS: {"id": EOS, "ids": [eos_id], "tokens": [EOS]}},
        },
        "decoder": metaspace,
        "model": {"type": "Unigram", "unk_id": unk_id, "vocab": vocab, "byte_fallback": False},
    }


def tokenizer_config() -> dict:
    """transformers.js only fetches tokenizer.json when this file exists; the class picks its JS tokenizer."""
    return {
        "tokenizer_class": "MarianTokenizer",
        "eos_token": EOS,
        "unk_token": UNK,
        "pad_token": PAD,
        "model_max_length": 512,
        "clean_up_tokenization_spaces": False,
        "source_lang": "en",
        "target_lang": "hi",
    }


def write_hf_tokenizer(sp_model: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "tokenizer.json").write_text(
        json.dumps(to_hf_tokenizer_json(sp_model), ensure_ascii=False), encoding="utf-8")
    (out_dir / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(), indent=2) + "\n",
                                                   encoding="utf-8")
