"""The GPU sweep hands weights back as float16 parts of bounded size; joined, they export like any checkpoint."""
import json

import pytest
import torch

from training.export import load_checkpoint
from training.sweep import join, main, write_parts

from .conftest import TINY_CHECKPOINT


def test_weight_parts_stay_under_the_transfer_limit_and_join_into_the_rounded_model(tmp_path, monkeypatch):
    monkeypatch.setattr("training.sweep.PART_BYTES", 160 * 1024)  # force several parts from the tiny model
    _, ckpt = load_checkpoint(TINY_CHECKPOINT)
    names = write_parts(ckpt["model"], tmp_path, "tiny-best")
    assert len(names) > 1
    for name in names:
        part = torch.load(tmp_path / name)
        assert sum(t.numel() * t.element_size() for t in part.values()) <= 160 * 1024
        assert (tmp_path / name).stat().st_size <= 160 * 1024 + 16 * 1024  # plus the pickle's own few KiB
        assert all(t.dtype == torch.float16 for t in part.values() if t.is_floating_point())
    meta = {"config": ckpt["config"], "state": ckpt.get("state", {}), "args": ckpt.get("args", {}), "spm": "",
            "sweep": {"run": "tiny", "variant": "best"}}
    (tmp_path / "tiny-best.json").write_text(json.dumps(meta))
    join([tmp_path / n for n in names], tmp_path / "tiny-best.json", tmp_path / "joined.pt",
         spm_path="here/spm.model", step_offset=100)
    model, joined = load_checkpoint(tmp_path / "joined.pt")
    assert joined["sweep"]["run"] == "tiny" and set(joined["model"]) == set(ckpt["model"])
    assert joined["spm"] == "here/spm.model" and joined["state"]["step"] == ckpt["state"]["step"] + 100
    for name, tensor in ckpt["model"].items():
        assert torch.equal(joined["model"][name], tensor.half().float()), name


def test_a_tensor_larger_than_a_part_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("training.sweep.PART_BYTES", 1024)
    with pytest.raises(ValueError, match="more than a part may"):
        write_parts({"big": torch.zeros(1024)}, tmp_path, "big")


def test_a_sweep_refuses_run_folders_that_hold_an_earlier_run(tmp_path):
    (tmp_path / "runs" / "base-do3").mkdir(parents=True)
    (tmp_path / "runs" / "base-do3" / "step-004000.pt").write_bytes(b"an earlier leg")
    with pytest.raises(SystemExit, match="already holds a run"):
        main(["run", "--data-dir", "d", "--spm", "s", "--out-dir", str(tmp_path / "out"),
              "--runs-dir", str(tmp_path / "runs"), "--only", "base-do3"])
