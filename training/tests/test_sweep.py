"""The GPU sweep hands weights back as float16 parts of bounded size; joined, they export like any checkpoint."""
import json

import torch

from training.export import load_checkpoint
from training.sweep import PART_BYTES, join, write_parts

from .conftest import TINY_CHECKPOINT


def test_weight_parts_stay_under_the_transfer_limit_and_join_into_the_rounded_model(tmp_path, monkeypatch):
    monkeypatch.setattr("training.sweep.PART_BYTES", 64 * 1024)  # force several parts from the tiny model
    _, ckpt = load_checkpoint(TINY_CHECKPOINT)
    names = write_parts(ckpt["model"], tmp_path, "tiny-best")
    assert len(names) > 1
    for name in names:
        part = torch.load(tmp_path / name)
        assert sum(t.numel() * t.element_size() for t in part.values()) <= 64 * 1024 or len(part) == 1
        assert all(t.dtype == torch.float16 for t in part.values() if t.is_floating_point())
    meta = {"config": ckpt["config"], "state": ckpt.get("state", {}), "args": ckpt.get("args", {}), "spm": "",
            "sweep": {"run": "tiny", "variant": "best"}}
    (tmp_path / "tiny-best.json").write_text(json.dumps(meta))
    join([tmp_path / n for n in names], tmp_path / "tiny-best.json", tmp_path / "joined.pt")
    model, joined = load_checkpoint(tmp_path / "joined.pt")
    assert joined["sweep"]["run"] == "tiny" and set(joined["model"]) == set(ckpt["model"])
    for name, tensor in ckpt["model"].items():
        assert torch.equal(joined["model"][name], tensor.half().float()), name
    assert PART_BYTES < 16 * 2**20  # what the GPU machine's file transfer takes
