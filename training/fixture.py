"""``python3 -m training tiny-fixture``: rebuild the tiny model package the tests run on.

A 64-wide 2+2-layer model with its own 1,000-piece vocabulary, trained for 1,200 steps on the first 5,000
training pairs (about 3 minutes on one core). Its translations are poor: it exists so
tests exercise the real code path (tokenizer, ONNX layout, KV cache) in seconds."""
from __future__ import annotations

from pathlib import Path

import torch

from .paths import REPO_ROOT
from .train import read_checkpoint

FIXTURE_MODEL = REPO_ROOT / "test" / "fixtures" / "models" / "tiny" / "1"
FIXTURE_CHECKPOINT = REPO_ROOT / "test" / "fixtures" / "checkpoints" / "tiny.pt"


def slim_checkpoint(src: Path, dst: Path) -> None:
    """Keep only what export needs (weights and config): no optimizer state, no local paths."""
    ckpt = read_checkpoint(src)
    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"model": ckpt["model"], "config": ckpt["config"], "state": {"step": ckpt["state"]["step"]},
                "spm": ""}, dst)


def build_tiny_fixture(args) -> None:
    from .__main__ import main

    work = Path(args.work_dir) / "tiny"
    common = ["--data-dir", args.data_dir, "--work-dir", str(work)]
    main(["tokenizer", *common, "--vocab-size", "1000", "--train-limit", "5000"])
    main(["train", *common, "--d-model", "64", "--heads", "4", "--ffn", "256", "--encoder-layers", "2",
          "--decoder-layers", "2", "--train-limit", "5000", "--max-steps", "1200", "--max-tokens", "1500",
          "--eval-every", "400", "--eval-lines", "50", "--warmup", "100", "--lr", "3e-3", "--source-weights", "",
          "--threads", "1", "--max-len", "64", "--quiet"])
    main(["export", *common, "--checkpoint", str(work / "last.pt"), "--out", str(FIXTURE_MODEL),
          "--num-beams", "1", "--max-new-tokens", "64"])
    slim_checkpoint(work / "last.pt", FIXTURE_CHECKPOINT)
    main(["package", *common, "--model-dir", str(FIXTURE_MODEL), "--name", "tiny"])
