import pytest
import torch

from training.average import average_checkpoints, average_state_dicts
from training.export import load_checkpoint
from training.train import keep_recent_checkpoint

from .conftest import TINY_CHECKPOINT


def test_average_is_the_element_wise_mean_and_keeps_integer_tensors():
    a = {"w": torch.tensor([1.0, 2.0]), "steps": torch.tensor([3])}
    b = {"w": torch.tensor([3.0, 6.0]), "steps": torch.tensor([5])}
    out = average_state_dicts([a, b])
    assert torch.equal(out["w"], torch.tensor([2.0, 4.0]))
    assert torch.equal(out["steps"], torch.tensor([5]))  # taken from the last, not averaged


def test_average_refuses_checkpoints_of_different_models():
    with pytest.raises(ValueError, match="different parameters"):
        average_state_dicts([{"w": torch.zeros(1)}, {"v": torch.zeros(1)}])
    with pytest.raises(ValueError, match="no checkpoints"):
        average_state_dicts([])


def test_averaged_checkpoint_loads_and_sits_between_its_inputs(tmp_path):
    ckpt = torch.load(TINY_CHECKPOINT, map_location="cpu")
    shifted = dict(ckpt, model={k: v + 1 if v.is_floating_point() else v for k, v in ckpt["model"].items()})
    first, second = tmp_path / "a.pt", tmp_path / "b.pt"
    torch.save(ckpt, first)
    torch.save(shifted, second)
    out = average_checkpoints([first, second], tmp_path / "avg.pt")
    model, saved = load_checkpoint(out)  # a loadable checkpoint of the same model
    assert saved["averaged_from"] == ["a.pt", "b.pt"]
    assert "optimizer" not in saved
    for name, tensor in model.state_dict().items():
        if tensor.is_floating_point():
            assert torch.allclose(tensor, ckpt["model"][name] + 0.5, atol=1e-6)


def test_keep_recent_checkpoint_keeps_the_last_n(tmp_path):
    last = tmp_path / "last.pt"
    for step in (400, 800, 1200, 1600):
        last.write_text(str(step))
        keep_recent_checkpoint(last, step, keep=2)
    kept = sorted(p.name for p in tmp_path.glob("step-*.pt"))
    assert kept == ["step-001200.pt", "step-001600.pt"]
    assert (tmp_path / "step-001600.pt").read_text() == "1600"
    keep_recent_checkpoint(last, 2000, keep=0)  # off: nothing copied
    assert not (tmp_path / "step-002000.pt").exists()
