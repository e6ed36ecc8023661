"""``python3 -m training average``: the mean of the weights of several checkpoints.

Averaging the checkpoints of the last evaluations of a run (``train --keep-checkpoints N``) smooths
out the noise of the final updates and usually scores a little better than any one of them
(Vaswani et al., 2017, averaged their last 5–20). ``--score`` compares the result with given
checkpoints on the same dev subset the training run scores, so the better one can be exported.
"""
from __future__ import annotations

from pathlib import Path

import sentencepiece as spm
import torch

from .data import read_split
from .events import log_training_event
from .train import dev_subset, evaluate_dev_chrf, read_checkpoint, save_checkpoint


def average_state_dicts(state_dicts: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Element-wise mean of floating-point tensors; other tensors (if any) are taken from the last."""
    if not state_dicts:
        raise ValueError("no checkpoints to average")
    keys = list(state_dicts[-1])
    for sd in state_dicts:
        if list(sd) != keys:
            raise ValueError("checkpoints hold different parameters: they are not of one model")
    averaged = {}
    for key in keys:
        last = state_dicts[-1][key]
        if last.is_floating_point():
            averaged[key] = torch.stack([sd[key].float() for sd in state_dicts]).mean(0).to(last.dtype)
        else:
            averaged[key] = last.clone()
    return averaged


def average_checkpoints(paths: list[Path], out: Path) -> Path:
    checkpoints = [read_checkpoint(p) for p in paths]
    configs = {repr(c["config"]) for c in checkpoints}
    if len(configs) != 1:
        raise ValueError("checkpoints have different model configurations")
    result = dict(checkpoints[-1])
    result["model"] = average_state_dicts([c["model"] for c in checkpoints])
    result.pop("optimizer", None)  # an average is for export, not for resuming
    result["averaged_from"] = [p.name for p in paths]
    save_checkpoint(out, **result)
    log_training_event("average", checkpoints=[str(p) for p in paths], out=str(out))
    return out


def score_checkpoints(paths: list[Path], data_dir: Path, spm_path: Path, eval_lines: int) -> dict[str, float]:
    """Dev-subset chrF of each checkpoint, decoded greedily with PyTorch (as during training)."""
    from .export import load_checkpoint

    sp = spm.SentencePieceProcessor(model_file=str(spm_path))
    eos_id = sp.piece_to_id("</s>")
    dev_en, dev_hi, _ = read_split(data_dir, "dev")
    keep = dev_subset(len(dev_en), eval_lines)
    dev_src = [ids + [eos_id] for ids in sp.encode([dev_en[i] for i in keep])]
    dev_ref = [dev_hi[i] for i in keep]
    scores = {}
    for path in paths:
        model, _ = load_checkpoint(path)
        scores[str(path)] = round(evaluate_dev_chrf(model, sp, dev_src, dev_ref), 2)
        log_training_event("score", checkpoint=str(path), dev_chrf=scores[str(path)], dev_lines=len(dev_src))
    return scores
