"""Export a checkpoint to the ONNX layout Hugging Face Optimum produces for Marian (opus-mt) models.

``onnx/encoder_model.onnx``        input_ids, attention_mask → last_hidden_state
``onnx/decoder_model_merged.onnx`` one ``If`` on ``use_cache_branch``:
    else (first step):  input_ids, encoder_attention_mask, encoder_hidden_states
                        → logits, present.{i}.decoder.*, present.{i}.encoder.* (cross K/V computed once)
    then (later steps): input_ids, encoder_attention_mask, past_key_values.{i}.{decoder,encoder}.*
                        → logits, grown present.{i}.decoder.*, present.{i}.encoder.* passed through
Both branches read one shared set of initializers, so every weight is stored once.

``--weights-dtype float16`` halves the files: the weights are rounded to float16 first, and every initializer
that float16 holds exactly is stored as float16 behind a ``Cast`` to float32. The graphs still compute in
float32 (onnxruntime folds the casts when it loads them), so the files compute exactly what the rounded
PyTorch model computes.
"""
from __future__ import annotations

import copy
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper
from torch import nn

from .events import log_training_event
from .model import ModelConfig, Seq2SeqTransformer
from .train import read_checkpoint

BATCH, ENC_LEN, DEC_LEN, PAST_LEN = "batch_size", "encoder_sequence_length", "decoder_sequence_length", \
    "past_decoder_sequence_length"
PRESENT_LEN, ENC_OUT_LEN = "past_decoder_sequence_length + 1", "encoder_sequence_length_out"


# Smaller float tensors are left in float32: Cast nodes would cost more than they save.
FLOAT16_MIN_ELEMENTS = 1024


def load_checkpoint(path: Path) -> tuple[Seq2SeqTransformer, dict]:
    ckpt = read_checkpoint(path)
    model = Seq2SeqTransformer(ModelConfig(**ckpt["config"]))
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, ckpt


def cache_names(prefix: str, layers: int) -> list[str]:
    return [f"{prefix}.{i}.{part}.{kv}" for i in range(layers) for part in ("decoder", "encoder")
            for kv in ("key", "value")]


class EncoderGraph(nn.Module):
    def __init__(self, model: Seq2SeqTransformer):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model.encode(input_ids, attention_mask)


class FirstStepDecoderGraph(nn.Module):
    def __init__(self, model: Seq2SeqTransformer):
        super().__init__()
        self.model = model

    def forward(self, input_ids, encoder_attention_mask, encoder_hidden_states):
        cross = self.model.cross_kv(encoder_hidden_states)
        logits, present = self.model.decode(input_ids, encoder_attention_mask, cross)
        flat = []
        for (k, v), (ck, cv) in zip(present, cross):
            flat += [k, v, ck, cv]
        return (logits, *flat)


class CachedStepDecoderGraph(nn.Module):
    def __init__(self, model: Seq2SeqTransformer):
        super().__init__()
        self.model = model

    def forward(self, input_ids, encoder_attention_mask, *past_flat):
        layers = len(past_flat) // 4
        past = [(past_flat[4 * i], past_flat[4 * i + 1]) for i in range(layers)]
        cross = [(past_flat[4 * i + 2], past_flat[4 * i + 3]) for i in range(layers)]
        logits, present = self.model.decode(input_ids, encoder_attention_mask, cross, past)
        flat = []
        for (k, v), (ck, cv) in zip(present, cross):
            flat += [k, v, ck, cv]
        return (logits, *flat)


def _export(module: nn.Module, args: tuple, path: Path, inputs: list[str], outputs: list[str],
            axes: dict, opset: int) -> None:
    # torch.onnx.export restores the wrapper's training flag on the whole module tree afterwards, and a
    # fresh nn.Module starts in training mode: put the wrapper in eval so the model stays in eval too.
    module.eval()
    with torch.no_grad():
        torch.onnx.export(module, args, str(path), input_names=inputs, output_names=outputs,
                          dynamic_axes=axes, opset_version=opset, do_constant_folding=True)


def _initializer_key(t: onnx.TensorProto) -> tuple:
    arr = numpy_helper.to_array(t)
    return t.data_type, tuple(t.dims), hashlib.sha256(arr.tobytes()).hexdigest()


def merge_decoders(first: onnx.ModelProto, cached: onnx.ModelProto, cfg: ModelConfig) -> onnx.ModelProto:
    """Combine the two decoder exports into one graph with an If on ``use_cache_branch``.

    torch constant-folds each Linear weight into an auto-named initializer whose name differs between
    exports, so initializers are deduplicated by value, not by name."""
    shared: dict[tuple, onnx.TensorProto] = {}
    used_names: set[str] = set()

    def to_branch(model: onnx.ModelProto, prefix: str) -> onnx.GraphProto:
        graph = model.graph
        rename = {}
        for t in graph.initializer:
            key = _initializer_key(t)
            if key not in shared:
                name = t.name if t.name not in used_names else f"{prefix}{t.name}"
                copy = onnx.TensorProto()
                copy.CopyFrom(t)
                copy.name = name
                shared[key] = copy
                used_names.add(name)
            rename[t.name] = shared[key].name
        outer = {i.name for i in graph.input}

        def mapped(name: str) -> str:
            if not name or name in outer:
                return name
            return rename.get(name, prefix + name)

        nodes = []
        for node in graph.node:
            new = onnx.NodeProto()
            new.CopyFrom(node)
            new.name = prefix + node.name
            new.input[:] = [mapped(n) for n in node.input]
            new.output[:] = [prefix + n for n in node.output]
            nodes.append(new)
        outputs = []
        for out in graph.output:
            vi = onnx.ValueInfoProto()
            vi.CopyFrom(out)
            vi.name = mapped(out.name)
            outputs.append(vi)
        return helper.make_graph(nodes, prefix.rstrip("_"), [], outputs)

    else_branch = to_branch(first, "first_step_")
    then_branch = to_branch(cached, "cached_step_")

    float_t, int64_t = onnx.TensorProto.FLOAT, onnx.TensorProto.INT64
    heads, head_dim, layers = cfg.heads, cfg.head_dim, cfg.decoder_layers
    inputs = [
        helper.make_tensor_value_info("input_ids", int64_t, [BATCH, DEC_LEN]),
        helper.make_tensor_value_info("encoder_attention_mask", int64_t, [BATCH, ENC_LEN]),
        helper.make_tensor_value_info("encoder_hidden_states", float_t, [BATCH, ENC_LEN, cfg.d_model]),
    ]
    for name in cache_names("past_key_values", layers):
        length = PAST_LEN if ".decoder." in name else ENC_OUT_LEN
        inputs.append(helper.make_tensor_value_info(name, float_t, [BATCH, heads, length, head_dim]))
    inputs.append(helper.make_tensor_value_info("use_cache_branch", onnx.TensorProto.BOOL, [1]))
    outputs = [helper.make_tensor_value_info("logits", float_t, [BATCH, DEC_LEN, cfg.vocab_size])]
    for name in cache_names("present", layers):
        length = PRESENT_LEN if ".decoder." in name else ENC_OUT_LEN
        outputs.append(helper.make_tensor_value_info(name, float_t, [BATCH, heads, length, head_dim]))
    if_node = helper.make_node("If", ["use_cache_branch"], [o.name for o in outputs], name="optimum::if",
                               then_branch=then_branch, else_branch=else_branch)
    graph = helper.make_graph([if_node], "decoder_model_merged", inputs, outputs,
                              initializer=list(shared.values()))
    merged = helper.make_model(graph, opset_imports=first.opset_import, producer_name="anuvaad-training")
    merged.ir_version = first.ir_version
    onnx.checker.check_model(merged)
    return merged


def export_onnx(model: Seq2SeqTransformer, onnx_dir: Path, opset: int, weights_dtype: str = "float32") -> None:
    if weights_dtype not in ("float32", "float16"):
        raise ValueError(f"weights_dtype must be float32 or float16, not {weights_dtype!r}")
    if weights_dtype == "float16":
        model = copy.deepcopy(model)  # the caller's model keeps its weights
        round_weights_to_float16(model)
    cfg = model.cfg
    onnx_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    b, s, p = 2, 7, 3
    ids = torch.randint(3, cfg.vocab_size - 1, (b, s))
    mask = torch.ones(b, s, dtype=torch.long)
    mask[1, 5:] = 0
    _export(EncoderGraph(model), (ids, mask), onnx_dir / "encoder_model.onnx",
            ["input_ids", "attention_mask"], ["last_hidden_state"],
            {"input_ids": {0: BATCH, 1: ENC_LEN}, "attention_mask": {0: BATCH, 1: ENC_LEN},
             "last_hidden_state": {0: BATCH, 1: ENC_LEN}}, opset)

    enc = model.encode(ids, mask).detach()
    dec_ids = torch.full((b, 1), cfg.pad_id, dtype=torch.long)
    present_names = cache_names("present", cfg.decoder_layers)
    past_names = cache_names("past_key_values", cfg.decoder_layers)
    out_axes = {"logits": {0: BATCH, 1: DEC_LEN}}
    for name in present_names:
        out_axes[name] = {0: BATCH, 2: PRESENT_LEN if ".decoder." in name else ENC_OUT_LEN}
    with tempfile.TemporaryDirectory() as tmp:
        first_path, cached_path = Path(tmp) / "first.onnx", Path(tmp) / "cached.onnx"
        _export(FirstStepDecoderGraph(model), (dec_ids, mask, enc), first_path,
                ["input_ids", "encoder_attention_mask", "encoder_hidden_states"], ["logits", *present_names],
                {"input_ids": {0: BATCH, 1: DEC_LEN}, "encoder_attention_mask": {0: BATCH, 1: ENC_LEN},
                 "encoder_hidden_states": {0: BATCH, 1: ENC_LEN}, **out_axes}, opset)
        past = []
        for ck, cv in model.cross_kv(enc):
            past += [torch.randn(b, cfg.heads, p, cfg.head_dim), torch.randn(b, cfg.heads, p, cfg.head_dim),
                     ck.detach(), cv.detach()]
        past_axes = {name: {0: BATCH, 2: PAST_LEN if ".decoder." in name else ENC_OUT_LEN} for name in past_names}
        _export(CachedStepDecoderGraph(model), (dec_ids, mask, *past), cached_path,
                ["input_ids", "encoder_attention_mask", *past_names], ["logits", *present_names],
                {"input_ids": {0: BATCH, 1: DEC_LEN}, "encoder_attention_mask": {0: BATCH, 1: ENC_LEN},
                 **past_axes, **out_axes}, opset)
        merged = merge_decoders(onnx.load(str(first_path)), onnx.load(str(cached_path)), cfg)
    if weights_dtype == "float16":
        encoder_path = onnx_dir / "encoder_model.onnx"
        encoder = onnx.load(str(encoder_path))
        store_initializers_as_float16(encoder)
        onnx.save(encoder, str(encoder_path))
        store_initializers_as_float16(merged)
    onnx.save(merged, str(onnx_dir / "decoder_model_merged.onnx"))


def round_weights_to_float16(model: nn.Module) -> None:
    """Rounds every floating-point parameter to the nearest float16 value (kept as float32)."""
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(param.half().float())


def store_initializers_as_float16(model: onnx.ModelProto) -> int:
    """Stores each large float32 initializer that float16 represents exactly as float16 plus a Cast back
    to float32 under its old name, ahead of the nodes that read it (subgraphs see it from the outer scope).
    Returns the number of initializers converted; values are unchanged by construction."""
    graph = model.graph
    if {i.name for i in graph.input} & {t.name for t in graph.initializer}:
        raise ValueError("initializers that are also graph inputs (overridable defaults) cannot be stored as float16")
    taken = {t.name for t in graph.initializer} | {o for n in graph.node for o in n.output}
    casts = []
    for init in graph.initializer:
        if init.data_type != onnx.TensorProto.FLOAT or int(np.prod(init.dims)) < FLOAT16_MIN_ELEMENTS:
            continue
        values = numpy_helper.to_array(init)
        halved = values.astype(np.float16)
        if not np.array_equal(halved.astype(np.float32), values):
            continue
        name = init.name
        if f"{name}.float16" in taken:
            raise ValueError(f"cannot store {name} as float16: {name}.float16 is already a name in the graph")
        init.CopyFrom(numpy_helper.from_array(halved, f"{name}.float16"))
        casts.append(helper.make_node("Cast", [init.name], [name], name=f"{name}.to_float32",
                                      to=onnx.TensorProto.FLOAT))
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)
    onnx.checker.check_model(model)
    return len(casts)


def stores_float16_weights(model_dir: Path) -> bool:
    encoder = onnx.load(str(Path(model_dir) / "onnx" / "encoder_model.onnx"))
    return any(i.data_type == onnx.TensorProto.FLOAT16 for i in encoder.graph.initializer)


def hf_config(cfg: ModelConfig) -> dict:
    return {
        "architectures": ["MarianMTModel"],
        "model_type": "marian",
        "is_encoder_decoder": True,
        "d_model": cfg.d_model,
        "encoder_layers": cfg.encoder_layers,
        "decoder_layers": cfg.decoder_layers,
        "encoder_attention_heads": cfg.heads,
        "decoder_attention_heads": cfg.heads,
        "encoder_ffn_dim": cfg.ffn,
        "decoder_ffn_dim": cfg.ffn,
        "activation_function": "relu",
        "vocab_size": cfg.vocab_size,
        "decoder_vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_positions,
        "scale_embedding": True,
        "share_encoder_decoder_embeddings": True,
        "tie_word_embeddings": True,
        "normalize_before": True,
        "pad_token_id": cfg.pad_id,
        "eos_token_id": cfg.eos_id,
        "decoder_start_token_id": cfg.pad_id,
        "bad_words_ids": [[cfg.pad_id]],
        "max_length": cfg.max_positions,
        "num_beams": 1,
        "torch_dtype": "float32",
    }


def generation_config(cfg: ModelConfig, num_beams: int, max_new_tokens: int, length_penalty: float) -> dict:
    return {
        "decoder_start_token_id": cfg.pad_id,
        "eos_token_id": cfg.eos_id,
        "pad_token_id": cfg.pad_id,
        "bad_words_ids": [[cfg.pad_id]],
        "num_beams": num_beams,
        "max_new_tokens": max_new_tokens,
        "length_penalty": length_penalty,
    }


def export_package(checkpoint: Path, out: Path, args) -> None:
    model, ckpt = load_checkpoint(checkpoint)
    cfg = model.cfg
    out.mkdir(parents=True, exist_ok=True)
    export_onnx(model, out / "onnx", args.opset, args.weights_dtype)
    (out / "config.json").write_text(json.dumps(hf_config(cfg), indent=2) + "\n")
    (out / "generation_config.json").write_text(
        json.dumps(generation_config(cfg, args.num_beams, args.max_new_tokens, args.length_penalty), indent=2) + "\n")
    tok_dir = Path(ckpt["spm"]).parent
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(tok_dir / name, out / name)
    # The SentencePiece model travels along so parity checks and retraining use the exact vocabulary.
    shutil.copyfile(ckpt["spm"], out / "sentencepiece.model")
    sizes = {p.name: p.stat().st_size for p in (out / "onnx").iterdir()}
    log_training_event("export", checkpoint=str(checkpoint), out=str(out), opset=args.opset, bytes=sizes,
                       weights_dtype=args.weights_dtype)
    print(f"exported {checkpoint} → {out} {sizes}")
