"""Dev-set BLEU/chrF through the exported ONNX files, decoded by the service's own generator, and a
PyTorch ↔ onnxruntime parity check. Results are merged into ``<model-dir>/metrics.json``."""
from __future__ import annotations

import json
import subprocess
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import sentencepiece as spm

from .data import read_split
from .events import log_training_event
from .export import load_checkpoint, round_weights_to_float16, stores_float16_weights
from .model import count_parameters
from .parity import TRANSLATE_CLI, ensure_service_built, onnx_logit_parity
from .paths import REPO_ROOT
from .scoring import corpus_bleu, corpus_chrf, number_fidelity
from .train import dev_subset, translate_ids

EVERYDAY_SENTENCES = [
    "Hello, how are you?",
    "Where is the railway station?",
    "The weather is nice today.",
    "I would like a cup of tea.",
]


def translate_with_service(model_dir: Path, lines: list[str], beam_size: int, split: bool = True,
                           max_new_tokens: int = 256) -> tuple[list[dict], float]:
    """Translate with the service's tokenizer and generator (``dist/cli/translate-file.js``)."""
    ensure_service_built()
    with tempfile.TemporaryDirectory() as tmp:
        src, out = Path(tmp) / "src.txt", Path(tmp) / "out.jsonl"
        src.write_text("\n".join(lines) + "\n", encoding="utf-8")
        cmd = ["node", str(TRANSLATE_CLI), "--model-dir", str(model_dir), "--input", str(src), "--output",
               str(out), "--beam-size", str(beam_size), "--max-new-tokens", str(max_new_tokens)]
        if not split:
            cmd.append("--no-split")
        started = time.time()
        subprocess.run(cmd, cwd=REPO_ROOT, check=True, capture_output=True)
        seconds = time.time() - started
        rows = [json.loads(row) for row in out.read_text(encoding="utf-8").splitlines()]
    if len(rows) != len(lines):
        raise RuntimeError(f"translate-file returned {len(rows)} rows for {len(lines)} lines")
    return rows, seconds


def score(hyps: list[str], refs: list[str]) -> dict:
    return {"bleu": round(corpus_bleu(hyps, refs), 2), "chrf": round(corpus_chrf(hyps, refs), 2)}


def evaluate(args) -> dict:
    model_dir = Path(args.model_dir)
    checkpoint = Path(args.checkpoint) if args.checkpoint else None
    if checkpoint and not checkpoint.exists():
        raise SystemExit(f"--checkpoint {checkpoint} does not exist")
    en, hi, tags = read_split(Path(args.data_dir), "dev", args.limit)
    results: dict = {"dev": {"lines": len(en), "split": "shared/data/en-hi/dev"}}
    # The evenly spaced subset scored during training chose the checkpoint (and, between legs, the recipe):
    # the other lines are scored apart as well. Only on the whole split, where the subset is known.
    selection = set(dev_subset(len(en), args.selection_lines)) if args.limit is None else set()
    # greedy is what the quality target names; beam 4 is what the service returns by default
    samples = {e: {"en": e} for e in EVERYDAY_SENTENCES}
    for beam in (int(b) for b in args.beams.split(",")):
        # the everyday samples ride along with the dev lines: one model load per decoding
        rows, seconds = translate_with_service(model_dir, en + EVERYDAY_SENTENCES, beam)
        rows, sample_rows = rows[: len(en)], rows[len(en):]
        for e, r in zip(EVERYDAY_SENTENCES, sample_rows):
            samples[e]["hi" if beam == 1 else f"hi_beam{beam}"] = r["translation"]
        hyps = [r["translation"] for r in rows]
        key = "greedy" if beam == 1 else f"beam{beam}"
        entry = score(hyps, hi)
        entry["seconds"] = round(seconds, 1)
        # a translation with a wrong number misleads more than chrF's one or two characters say
        entry["numbers"] = number_fidelity(en, hyps)
        by_source = defaultdict(lambda: ([], []))
        for h, r, t in zip(hyps, hi, tags):
            by_source[t][0].append(h)
            by_source[t][1].append(r)
        entry["by_source"] = {t: score(h, r) for t, (h, r) in sorted(by_source.items())}
        if selection:
            rest = [i for i in range(len(en)) if i not in selection]
            entry["not_selection"] = score([hyps[i] for i in rest], [hi[i] for i in rest]) | {"lines": len(rest)}
        results["dev"][key] = entry
        print(f"dev {key}: BLEU {entry['bleu']} chrF {entry['chrf']} ({seconds:.0f}s)")
        log_training_event("evaluate", model_dir=str(model_dir), decoding=key, bleu=entry["bleu"],
                           chrf=entry["chrf"], lines=len(en))

    results["samples"] = list(samples.values())
    # the bar for the numbers measure: human translations also write some numbers in words
    results["dev"]["numbers_in_references"] = number_fidelity(en, hi)

    if checkpoint:
        results["parity"] = parity_check(checkpoint, model_dir, en[: args.parity_lines])
        results["params"] = results["parity"].pop("params")
        checkpoint_step = results["parity"].pop("checkpoint_step")
        summary = checkpoint.parent / "train_summary.json"
        if summary.exists():
            results["training"] = json.loads(summary.read_text())
            # the run went on after the exported checkpoint: say which step the weights are from
            if checkpoint_step is not None:
                results["training"]["checkpoint_step"] = checkpoint_step
    merged = {}
    metrics_path = model_dir / "metrics.json"
    if metrics_path.exists():
        merged = json.loads(metrics_path.read_text())
    merged.update(results)
    metrics_path.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {k: v for k, v in results.items() if k != "dev"} | {
        "dev": {k: {m: v[m] for m in ("bleu", "chrf")} for k, v in results["dev"].items() if isinstance(v, dict)}}


def parity_check(checkpoint: Path, model_dir: Path, lines: list[str]) -> dict:
    """PyTorch greedy vs the service's ONNX greedy on the same lines (token ids), and the max logit
    difference under teacher forcing on PyTorch's outputs."""
    model, ckpt = load_checkpoint(checkpoint)
    if stores_float16_weights(model_dir):  # the files hold the rounded weights: compare like with like
        round_weights_to_float16(model)
    sp = spm.SentencePieceProcessor(model_file=str(model_dir / "sentencepiece.model"))
    eos = sp.piece_to_id("</s>")
    sources = [ids + [eos] for ids in sp.encode(lines)]
    torch_ids = translate_ids(model, sources, batch_size=16, max_new_tokens=256)
    onnx_rows, _ = translate_with_service(model_dir, lines, 1, split=False)
    identical = sum(1 for a, b in zip(torch_ids, onnx_rows) if a == b["ids"])
    max_diff = onnx_logit_parity(model, model_dir, sources, [ids + [eos] for ids in torch_ids])
    result = {"lines": len(lines), "greedy_identical": identical, "max_abs_logit_diff": max_diff,
              "params": count_parameters(model)}
    log_training_event("parity", **result)
    result["checkpoint_step"] = ckpt.get("state", {}).get("step")
    print(f"parity: {identical}/{len(lines)} identical greedy outputs, max |Δlogit| {max_diff:.2e}")
    return result
