"""Resuming a run: the same weights as an uninterrupted run, and a fresh epoch when the data changed."""
from pathlib import Path

import pytest
import torch

from training.__main__ import main
from training.paths import DATA_DIR, MODELS_DIR

from .conftest import TINY_MODEL

SMALL = ["--d-model", "32", "--heads", "2", "--ffn", "64", "--encoder-layers", "1", "--decoder-layers", "1",
         "--train-limit", "300", "--max-tokens", "300", "--max-len", "32", "--eval-every", "1000",
         "--eval-lines", "4", "--warmup", "2", "--source-weights", "", "--threads", "1", "--quiet"]


def train(work: Path, *extra: str) -> dict:
    main(["train", "--data-dir", str(DATA_DIR), "--work-dir", str(work),
          "--spm", str(TINY_MODEL / "sentencepiece.model"), *SMALL, *extra])
    return torch.load(work / "last.pt", map_location="cpu")


def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    straight = train(tmp_path / "straight", "--max-steps", "6")
    train(tmp_path / "legs", "--max-steps", "3")
    resumed = train(tmp_path / "legs", "--max-steps", "6", "--resume")
    assert resumed["state"]["step"] == straight["state"]["step"] == 6
    # dropout is on (0.1): equal weights need the random state carried over, and the same batches
    for name, tensor in straight["model"].items():
        assert torch.equal(tensor, resumed["model"][name]), name


def test_resuming_on_changed_data_starts_a_fresh_epoch(tmp_path):
    first = train(tmp_path, "--max-steps", "3")
    assert (first["state"]["epoch"], first["state"]["batch_in_epoch"]) == (0, 3)
    resumed = train(tmp_path, "--max-steps", "5", "--resume", "--lexicon-max-words", "2")
    # the old epoch's remaining batches belong to other data: epoch 2 ran its first 2 batches
    assert (resumed["state"]["epoch"], resumed["state"]["batch_in_epoch"]) == (1, 2)
    assert resumed["state"]["data_settings"]["lexicon_max_words"] == 2


def test_all_refuses_to_start_over_a_run_or_a_shipped_version(tmp_path):
    (tmp_path / "last.pt").write_bytes(b"a run in progress")
    with pytest.raises(SystemExit, match="already holds a training run"):
        main(["all", "--work-dir", str(tmp_path), "--version", "999"])
    (tmp_path / "last.pt").unlink()
    shipped = sorted((MODELS_DIR / "en-hi").iterdir())[-1].name
    with pytest.raises(SystemExit, match="exists: choose another --version"):
        main(["all", "--work-dir", str(tmp_path), "--version", shipped])
    assert list(tmp_path.iterdir()) == []  # nothing was trained or written


def test_init_from_starts_from_a_checkpoints_weights_with_a_fresh_optimizer(tmp_path):
    first = train(tmp_path / "first", "--max-steps", "3")
    # one epoch at learning rate 0: the weights stay exactly the ones the run started from
    started = train(tmp_path / "second", "--max-epochs", "1", "--lr", "0",
                    "--init-from", str(tmp_path / "first" / "last.pt"))
    for name, tensor in first["model"].items():
        assert torch.equal(tensor, started["model"][name]), name
    # the optimizer counted only this run's steps, and the schedule started over at step 1
    adam_steps = {float(s["step"]) for s in started["optimizer"]["state"].values()}
    assert adam_steps == {float(started["state"]["step"])}


def test_init_from_and_resume_exclude_each_other(tmp_path):
    train(tmp_path, "--max-steps", "1")
    with pytest.raises(SystemExit, match="exclude each other"):
        train(tmp_path, "--max-steps", "2", "--resume", "--init-from", str(tmp_path / "last.pt"))


def test_a_typo_in_source_weights_or_a_zero_warmup_stops_before_training(tmp_path):
    # --train-limit 300 reads the first lines of train, which hold no "tatoba" (nor any) such tag
    with pytest.raises(SystemExit, match="--source-weights names tags the data does not have: tatoba"):
        train(tmp_path, "--max-steps", "1", "--source-weights", "tatoba=2")
    with pytest.raises(SystemExit, match="--warmup must be at least 1"):
        train(tmp_path, "--max-steps", "1", "--warmup", "0")
