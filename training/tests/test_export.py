"""Export parity on the tiny model: the ONNX files compute what PyTorch computes, in Optimum's layout."""
import copy
import hashlib
import json
import shutil

import onnx
import pytest
import torch
from onnx import numpy_helper

from training.export import (cache_names, export_onnx, load_checkpoint, round_weights_to_float16,
                             stores_float16_weights)
from training.parity import onnx_logit_parity
from training.train import translate_ids

from .conftest import TINY_CHECKPOINT, TINY_MODEL


@pytest.fixture(scope="module")
def tiny():
    model, _ = load_checkpoint(TINY_CHECKPOINT)
    return model


@pytest.fixture(scope="module")
def exported(tiny, tmp_path_factory):
    out = tmp_path_factory.mktemp("tiny-export")
    export_onnx(tiny, out / "onnx", opset=17)
    (out / "config.json").write_text((TINY_MODEL / "config.json").read_text())
    return out


def io_names(path):
    graph = onnx.load(str(path)).graph
    return [i.name for i in graph.input], [o.name for o in graph.output]


def test_layout_matches_optimum_marian(exported, tiny):
    layers = tiny.cfg.decoder_layers
    assert io_names(exported / "onnx/encoder_model.onnx") == (["input_ids", "attention_mask"], ["last_hidden_state"])
    inputs, outputs = io_names(exported / "onnx/decoder_model_merged.onnx")
    assert inputs == ["input_ids", "encoder_attention_mask", "encoder_hidden_states",
                      *cache_names("past_key_values", layers), "use_cache_branch"]
    assert outputs == ["logits", *cache_names("present", layers)]
    merged = onnx.load(str(exported / "onnx/decoder_model_merged.onnx"))
    assert [n.op_type for n in merged.graph.node] == ["If"]
    onnx.checker.check_model(merged)


def test_merged_decoder_stores_each_weight_once(exported):
    merged = onnx.load(str(exported / "onnx/decoder_model_merged.onnx"))
    digests = [hashlib.sha256(numpy_helper.to_array(t).tobytes()).hexdigest() + str(t.dims)
               for t in merged.graph.initializer]
    assert len(digests) == len(set(digests))
    for branch in merged.graph.node[0].attribute:
        assert len(branch.g.initializer) == 0  # branches read the shared outer initializers


def test_dynamic_axes_use_optimum_names(exported):
    merged = onnx.load(str(exported / "onnx/decoder_model_merged.onnx"))
    dims = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in merged.graph.input}
    assert dims["input_ids"] == ["batch_size", "decoder_sequence_length"]
    assert dims["past_key_values.0.decoder.key"][0] == "batch_size"
    assert dims["past_key_values.0.decoder.key"][2] == "past_decoder_sequence_length"
    assert dims["use_cache_branch"] == [1]


def teacher_forcing_case(tiny, dev_lines, n):
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=str(TINY_MODEL / "sentencepiece.model"))
    sources = [ids + [0] for ids in sp.encode(dev_lines["en"][:n])]
    targets = [ids + [0] for ids in translate_ids(tiny, sources, max_new_tokens=24)]
    return sources, targets


def test_onnx_runtime_logits_match_pytorch(exported, tiny, dev_lines):
    sources, targets = teacher_forcing_case(tiny, dev_lines, 8)
    assert onnx_logit_parity(tiny, exported, sources, targets) < 1e-4


def test_committed_tiny_fixture_was_exported_from_the_committed_checkpoint(tiny, dev_lines):
    sources, targets = teacher_forcing_case(tiny, dev_lines, 4)
    assert onnx_logit_parity(tiny, TINY_MODEL, sources, targets) < 1e-4
    config = json.loads((TINY_MODEL / "config.json").read_text())
    assert config["d_model"] == tiny.cfg.d_model and config["vocab_size"] == tiny.cfg.vocab_size


def test_export_is_deterministic_in_weights(tiny, exported, tmp_path):
    export_onnx(tiny, tmp_path / "onnx", opset=17)
    a = onnx.load(str(exported / "onnx/encoder_model.onnx")).graph.initializer
    b = onnx.load(str(tmp_path / "onnx/encoder_model.onnx")).graph.initializer
    assert [t.SerializeToString() for t in a] == [t.SerializeToString() for t in b]
    assert torch.equal(torch.tensor(numpy_helper.to_array(a[0])), torch.tensor(numpy_helper.to_array(b[0])))


def test_service_decoder_reproduces_pytorch_greedy(dev_lines):
    """The service's own generator (dist/cli/translate-file.js) yields PyTorch's greedy ids."""
    from training.evaluate import parity_check

    result = parity_check(TINY_CHECKPOINT, TINY_MODEL, dev_lines["en"][:12])
    assert result["greedy_identical"] == 12
    assert result["max_abs_logit_diff"] < 1e-4


def test_float16_weights_halve_the_files_and_compute_what_the_rounded_model_computes(tiny, exported, dev_lines,
                                                                                        tmp_path):
    from training.evaluate import parity_check

    package = tmp_path / "package"
    shutil.copytree(TINY_MODEL, package, ignore=shutil.ignore_patterns("onnx"))
    export_onnx(tiny, package / "onnx", opset=17, weights_dtype="float16")
    for name in ("encoder_model.onnx", "decoder_model_merged.onnx"):
        full, half = (exported / "onnx" / name).stat().st_size, (package / "onnx" / name).stat().st_size
        assert half < 0.6 * full, name
    assert stores_float16_weights(package) and not stores_float16_weights(exported)
    assert not torch.equal(tiny.embed.weight, tiny.embed.weight.half().float())  # export did not round the caller's
    rounded = copy.deepcopy(tiny)
    round_weights_to_float16(rounded)
    sources, targets = teacher_forcing_case(rounded, dev_lines, 4)
    assert onnx_logit_parity(rounded, package, sources, targets) < 1e-4
    # rounding matters at the parity bound: the unrounded model is measurably off the float16 files ...
    assert onnx_logit_parity(tiny, package, sources, targets) > 1e-4
    # ... so evaluate's parity check rounds the checkpoint's weights when the package stores float16
    result = parity_check(TINY_CHECKPOINT, package, dev_lines["en"][:8])
    assert result["greedy_identical"] == 8 and result["max_abs_logit_diff"] < 1e-4
