"""Finish a model version folder: drift profile, model card and ``checksums.sha256``."""
from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from pathlib import Path

import sentencepiece as spm

from .data import read_split
from .events import log_training_event
from .export import stores_float16_weights

TOKEN_LENGTH_EDGES = [0, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128]
SHARE_EDGES = [round(i / 10, 1) for i in range(10)]


def histogram(values: list[float], edges: list[float]) -> list[float]:
    """Bin i covers [edges[i], edges[i+1]); the last bin is [edges[-1], ∞)."""
    counts = [0] * len(edges)
    for v in values:
        i = len(edges) - 1
        while i > 0 and v < edges[i]:
            i -= 1
        counts[i] += 1
    total = max(len(values), 1)
    return [round(c / total, 6) for c in counts]


def non_latin_share(text: str) -> float:
    letters = [ch for ch in text if unicodedata.category(ch).startswith("L")]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if "LATIN" not in unicodedata.name(ch, "")) / len(letters)


def drift_profile(sp: spm.SentencePieceProcessor, texts: list[str], top_k: int = 200) -> dict:
    """Reference statistics of the training inputs that the service compares live traffic against."""
    ids = sp.encode(texts)
    unk = sp.unk_id()
    n_tokens = sum(len(x) for x in ids)
    counts = Counter(i for row in ids for i in row)
    shares = [non_latin_share(t) for t in texts]
    return {
        "n_texts": len(texts),
        "token_length": {"bin_edges": TOKEN_LENGTH_EDGES, "proportions": histogram([len(x) for x in ids],
                                                                                    TOKEN_LENGTH_EDGES)},
        "unknown_token_rate": round(counts[unk] / max(n_tokens, 1), 6),
        "non_latin_share": {"mean": round(sum(shares) / max(len(shares), 1), 6), "bin_edges": SHARE_EDGES,
                            "proportions": histogram(shares, SHARE_EDGES)},
        "top_tokens": [{"id": i, "token": sp.id_to_piece(i), "share": round(c / n_tokens, 6)}
                       for i, c in counts.most_common(top_k)],
    }


def write_checksums(model_dir: Path) -> dict[str, str]:
    sums = {}
    for path in sorted(p for p in model_dir.rglob("*") if p.is_file() and p.name != "checksums.sha256"):
        sums[path.relative_to(model_dir).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    (model_dir / "checksums.sha256").write_text("".join(f"{h}  {p}\n" for p, h in sums.items()))
    return sums


def package(model_dir: Path, data_dir: Path, name: str) -> None:
    sp = spm.SentencePieceProcessor(model_file=str(model_dir / "sentencepiece.model"))
    en, _, _ = read_split(data_dir, "train")
    (model_dir / "drift_profile.json").write_text(
        json.dumps(drift_profile(sp, en), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    metrics_path = model_dir / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    config = json.loads((model_dir / "config.json").read_text())
    generation = json.loads((model_dir / "generation_config.json").read_text())
    weights_dtype = "float16" if stores_float16_weights(model_dir) else "float32"
    (model_dir / "README.md").write_text(model_card(name, model_dir.name, config, generation, metrics, weights_dtype),
                                         encoding="utf-8")
    sums = write_checksums(model_dir)
    size = sum((model_dir / p).stat().st_size for p in sums)
    log_training_event("package", model_dir=str(model_dir), files=len(sums), bytes=size)
    print(f"packaged {model_dir}: {len(sums)} files, {size / 1e6:.1f} MB")


def _score_row(label: str, entry: dict | None, lines: str = "all") -> str:
    if not entry:
        return f"| {label} | {lines} | not measured | not measured |"
    return f"| {label} | {lines} | {entry['bleu']:.2f} | {entry['chrf']:.2f} |"


def _score_rows(label: str, entry: dict | None) -> str:
    """All dev lines, and (when scored) those that played no part in picking the checkpoint."""
    rows = [_score_row(label, entry)]
    if entry and entry.get("not_selection"):
        rest = entry["not_selection"]
        rows.append(_score_row(label, rest, f"{rest['lines']} outside the training subset"))
    return "\n".join(rows)


def _lexicon_note(training: dict) -> str:
    if not training.get("recipe", {}).get("lexicon_max_words"):
        return ""
    return (" Also the FreeDict eng-hin lexicon shipped with the data (Debian dict-freedict-eng-hin, GPL-2+), as "
            "word-level pairs.")


def _recipe_extras(training: dict) -> str:
    recipe = training.get("recipe", {})
    parts = []
    if recipe.get("source_weights"):
        parts.append("source weights " + ", ".join(f"{k}={v}" for k, v in recipe["source_weights"].items()))
    if recipe.get("lexicon_max_words"):
        parts.append(f"FreeDict lexicon entries with glosses of at most {recipe['lexicon_max_words']} words added as "
                     "word-level pairs (tag `lexicon`) for everyday vocabulary")
    if recipe.get("bf16"):
        parts.append("bfloat16 autocast for the forward pass (fp32 weights and optimizer)")
    if recipe.get("dropout") is not None:
        parts.append(f"dropout {recipe['dropout']}")
    if recipe.get("max_tokens"):
        # one size, or the sizes in the order the legs used them when they changed
        *earlier, last = recipe["max_tokens"] if isinstance(recipe["max_tokens"], list) else [recipe["max_tokens"]]
        earlier_note = f" (earlier legs: {', '.join(f'{n:,}' for n in earlier)})" if earlier else ""
        parts.append(f"batches of up to {last:,} tokens{earlier_note}")
    return f" Last leg of the run: {'; '.join(parts)}." if parts else ""


def _selection_note(training: dict) -> str:
    return f" {training['selection']}" if training.get("selection") else ""


def _weights_row(weights_dtype: str) -> str:
    if weights_dtype == "float16":
        return ("| weights | stored as float16 (rounded once at export; the graphs cast them to float32 and compute in "
                "float32, so PyTorch and ONNX agree on the rounded weights) |\n")
    return ""


def _numbers_note(dev: dict) -> str:
    numbers = dev.get("greedy", {}).get("numbers")
    if not numbers or not numbers["lines"]:
        return ""
    beam = dev.get("beam4", {}).get("numbers")
    beam_part = f" (beam 4: {beam['same']})" if beam else ""
    share = 100 * numbers["same"] / numbers["lines"]
    refs = dev.get("numbers_in_references")
    refs_part = (f" The human references do in {refs['same']}: a correct translation may write a number in words,\n"
                 "  so not every miss is an error, but most drop, change or repeat digits." if refs else
                 " Most misses drop, change or repeat digits.")
    return (f"- Numbers are not copied reliably: of the {numbers['lines']} dev lines whose source holds a number, the greedy "
            f"output holds\n  exactly the same numbers in {numbers['same']}{beam_part}, {share:.0f} %.{refs_part} Check "
            "the numbers of a translation\n  against its source.\n")


def model_card(name: str, version: str, config: dict, generation: dict, metrics: dict,
               weights_dtype: str = "float32") -> str:
    dev = metrics.get("dev", {})
    training = metrics.get("training", {})
    parity = metrics.get("parity", {})
    samples = "\n".join(f"| {s['en']} | {s.get('hi', 'not measured')} | {s.get('hi_beam4', 'not measured')} |"
                        for s in metrics.get("samples", []))
    by_source = dev.get("greedy", {}).get("by_source", {})
    source_rows = "\n".join(f"| {tag} | {v['bleu']:.2f} | {v['chrf']:.2f} |" for tag, v in by_source.items())
    minutes = training.get("train_seconds", 0) / 60
    params = metrics.get("params")
    params = f"{params:,}" if isinstance(params, int) else "not measured"
    return f"""# {name} / {version} — English→Hindi transformer

A small encoder–decoder transformer trained from scratch by this repository's pipeline (`training/`),
exported to the Hugging Face Optimum Marian ONNX layout (`onnx/encoder_model.onnx`,
`onnx/decoder_model_merged.onnx` with a KV cache), so the anuvaad service, transformers.js and other
Optimum consumers load it unchanged.

## Model
| | |
|---|---|
| architecture | pre-layer-norm transformer, {config['encoder_layers']} encoder + {config['decoder_layers']} decoder layers, d_model {config['d_model']}, {config['encoder_attention_heads']} heads, FFN {config['encoder_ffn_dim']}, ReLU, sinusoidal positions |
| parameters | {params} |
| vocabulary | joint English+Hindi SentencePiece unigram, {config['vocab_size']} pieces (`nfkc`, no byte fallback); embeddings shared by encoder, decoder and output layer |
| ids | eos {config['eos_token_id']}, unk 1, pad = decoder start {config['pad_token_id']} |
| default decoding | beam {generation['num_beams']}, max {generation['max_new_tokens']} new tokens, length penalty {generation['length_penalty']} |
{_weights_row(weights_dtype)}
## Training data
`shared/data/en-hi` (see its SOURCES.md): 81,213 train pairs — KJV/Hindi Bible verses (bible; KJV public domain,
Hindi text's copyright unclear), WMT12 crowdsourced MTurk pairs (CC BY-SA 3.0), Tatoeba (CC-BY 2.0 FR, attributions
in tatoeba_attribution.tsv), Parallel Universal Dependencies (CC BY-SA 3.0), XQuAD (CC BY-SA 4.0), and Hindi
software-localisation strings from Debian packages (GNOME, LibreOffice, MATE/Cinnamon, Firefox, others; each under its
package's licence: GPL/LGPL/MPL-2.0). Standard public test sets (FLORES-200, IITB/WMT14, Tatoeba test, TICO-19, NTREX)
were removed from the data before it reached us.{_lexicon_note(training)} Nothing else was used; nothing was tuned on anything but train/dev.

## Recipe
Label-smoothed (0.1) cross-entropy; Adam (β 0.9/0.98) with linear warm-up, inverse-square-root decay and a linear
cool-down to zero over the last part of the time budget; length-bucketed token batches; gradient clipping at 1.0; the
Bible down-weighted (it is 65% of the English words but one archaic domain); the checkpoint that scores best on a dev
subset is kept, and a run ends on its time budget or by early stopping on that score.{_recipe_extras(training)} Stopped by:
{training.get('stop_reason', 'n/a')} after {training.get('steps', 'n/a')} steps ({training.get('epochs', 'n/a')} epochs,
{minutes:.0f} min) on {training.get('hardware', 'n/a')}; the exported weights are the checkpoint of step
{training.get('checkpoint_step', 'n/a')}, the best on the dev subset.
Reproduce: every leg of the run behind this version, with its options, is listed in `training/README.md` ("How the
shipped version {version} was made"). `/usr/bin/python3 -m training all` trains a model from scratch on CPU in one command,
with the smaller version-1 architecture and recipe (training stops on wall-clock budgets, so runs differ in their
step counts).

## Results on the dev split ({dev.get('lines', 'n/a')} lines), scored through the ONNX files
BLEU (13a) and chrF (β=2, n=6) with sacrebleu's definitions, decoded by the service's own generator. An evenly
spaced subset of the dev split was scored during training to pick each run's checkpoint; the rows "outside the
training subset" leave those lines out. Between legs, scores by source on the whole dev split (earlier versions' cards) informed the
source weights, so no dev line is wholly unseen by the recipe.{_selection_note(training)}

| decoding | dev lines | BLEU | chrF |
|---|---|---|---|
{_score_rows('greedy', dev.get('greedy'))}
{_score_rows('beam 4', dev.get('beam4'))}

Greedy by source:

| source | BLEU | chrF |
|---|---|---|
{source_rows}

PyTorch ↔ onnxruntime parity on {parity.get('lines', 'n/a')} dev lines: {parity.get('greedy_identical', 'n/a')} identical
greedy outputs, max |Δlogit| {parity.get('max_abs_logit_diff', float('nan')):.1e}.

## Everyday English
| English | Hindi, greedy | Hindi, beam 4 (the default) |
|---|---|---|
{samples}

## Known limits
- A small model trained from scratch on 81k sentence pairs, most of them Bible verses and UI strings. It does not reach
  the project's target (greedy dev chrF 40); training/README.md says what each model size and each hour of training
  gained. Expect literal and often wrong translations, especially for everyday conversational English (see the samples
  above: only some are recognisable as the same meaning), long sentences, rare words and names. Software UI strings,
  which dominate the data, fare best.
- Strong domain skew: Bible verses and software UI strings dominate the data, so outputs may sound archaic or UI-like.
- English input only; other scripts are out of distribution (the service's drift detector reports them, and it keeps a
  sentence without a Latin letter as it is).
{_numbers_note(dev)}- Not evaluated on the standard public test sets here; scores above are on the dev split only.
"""
