"""Checks that the Node side computes what the Python side computes: tokenizer ids and ONNX logits.

Debian ships no onnxruntime for Python, so the ONNX side runs in Node (``training/node/*.js``) with the
same onnxruntime-node and @huggingface/tokenizers packages the service uses."""
from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import sentencepiece as spm
import torch

from .model import Seq2SeqTransformer
from .paths import REPO_ROOT

NODE_DIR = REPO_ROOT / "training" / "node"


def run_node(script: str, *args: str) -> str:
    proc = subprocess.run(["node", str(NODE_DIR / script), *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"node {script} failed: {proc.stderr.strip()[-2000:]}")
    return proc.stdout


@dataclass
class TokenizerParity:
    total: int = 0
    identical: int = 0
    ties: list[dict] = field(default_factory=list)       # same score, different segmentation
    mismatches: list[dict] = field(default_factory=list)  # anything else

    @property
    def match_rate(self) -> float:
        return self.identical / self.total if self.total else 0.0


def segmentation_score(sp: spm.SentencePieceProcessor, ids: list[int]) -> float:
    return sum(sp.get_score(i) for i in ids if not (sp.is_control(i) or sp.is_unknown(i)))


SERVICE_DIST = REPO_ROOT / "dist"
TRANSLATE_CLI = SERVICE_DIST / "cli" / "translate-file.js"


def ensure_service_built() -> None:
    """The Node side of every check runs the service's compiled code (dist/): built once when missing."""
    needed = [TRANSLATE_CLI, SERVICE_DIST / "inference" / "marian-tokenizer.js"]
    if not all(p.exists() for p in needed):
        subprocess.run(["npm", "run", "build"], cwd=REPO_ROOT, check=True, capture_output=True)


def tokenizer_parity(sp_model: Path, tokenizer_json: Path, lines: list[str]) -> TokenizerParity:
    """Compare SentencePiece ids (+ </s>) with @huggingface/tokenizers ids line by line. A difference is a
    *tie* when both segmentations have the same Viterbi score and decode to the same text: the two
    libraries break equal-score ties differently, which is not an error of the conversion."""
    ensure_service_built()
    sp = spm.SentencePieceProcessor(model_file=str(sp_model))
    eos = sp.piece_to_id("</s>")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as fh:
        fh.write("\n".join(lines) + "\n")
    try:
        js_ids = [json.loads(row) for row in run_node("sp-encode.js", str(tokenizer_json), fh.name).splitlines()]
    finally:
        Path(fh.name).unlink()
    result = TokenizerParity(total=len(lines))
    for line, py, js in zip(lines, sp.encode(lines), js_ids, strict=True):
        py = py + [eos]
        if py == js:
            result.identical += 1
            continue
        case = {"line": line, "sentencepiece": py, "node": js}
        same_score = abs(segmentation_score(sp, py) - segmentation_score(sp, js)) < 1e-4
        if same_score and sp.decode(py) == sp.decode(js):
            result.ties.append(case)
        else:
            result.mismatches.append(case)
    return result


def torch_teacher_forced_logits(model: Seq2SeqTransformer, sources: list[list[int]],
                                targets: list[list[int]]) -> np.ndarray:
    """Logits [rows, steps, vocab] step by step with the KV cache, exactly as the ONNX loop runs."""
    pad = model.cfg.pad_id
    width = max(map(len, sources))
    src = torch.full((len(sources), width), pad, dtype=torch.long)
    for i, s in enumerate(sources):
        src[i, : len(s)] = torch.tensor(s)
    mask = (src != pad).long()
    steps = max(map(len, targets)) + 1
    with torch.no_grad():
        cross = model.cross_kv(model.encode(src, mask))
        past, out = None, []
        for step in range(steps):
            tokens = torch.full((len(sources), 1), pad, dtype=torch.long)
            if step > 0:
                for i, t in enumerate(targets):
                    if step - 1 < len(t):
                        tokens[i, 0] = t[step - 1]
            logits, past = model.decode(tokens, mask, cross, past)
            out.append(logits[:, -1, :])
    return torch.stack(out, dim=1).numpy()


def onnx_logit_parity(model: Seq2SeqTransformer, model_dir: Path, sources: list[list[int]],
                      targets: list[list[int]]) -> float:
    """Max |logit difference| between PyTorch and onnxruntime-node over every step of every row."""
    expected = torch_teacher_forced_logits(model, sources, targets)
    with tempfile.TemporaryDirectory() as tmp:
        request, out = Path(tmp) / "request.json", Path(tmp) / "logits.f32"
        request.write_text(json.dumps({"model_dir": str(Path(model_dir).resolve()), "sources": sources,
                                       "targets": targets, "pad_id": model.cfg.pad_id}))
        meta = json.loads(run_node("ort-teacher-forced-logits.js", str(request), str(out)))
        actual = np.fromfile(out, dtype="<f4").reshape(meta["rows"], meta["steps"], meta["vocab"])
    return float(np.abs(actual - expected).max())
