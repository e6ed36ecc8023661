"""A pre-layer-norm encoder–decoder transformer with hand-written attention.

Hand-written attention (separate q/k/v/o projections, explicit KV cache tensors) exports cleanly to ONNX,
which ``nn.MultiheadAttention`` does not. Caches use Optimum's layout ``[batch, heads, seq, head_dim]``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

NEG_INF = -1e9  # additive mask value: -inf would turn fully masked rows into NaN


@dataclass
class ModelConfig:
    vocab_size: int = 8000
    d_model: int = 256
    heads: int = 4
    ffn: int = 1024
    encoder_layers: int = 4
    decoder_layers: int = 2
    dropout: float = 0.1
    max_positions: int = 512
    pad_id: int = 7999
    eos_id: int = 0
    unk_id: int = 1

    @property
    def head_dim(self) -> int:
        return self.d_model // self.heads

    def to_dict(self) -> dict:
        return asdict(self)


def inverse_frequencies(d_model: int) -> torch.Tensor:
    return torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.heads, self.head_dim = cfg.heads, cfg.head_dim
        self.q = nn.Linear(cfg.d_model, cfg.d_model)
        self.k = nn.Linear(cfg.d_model, cfg.d_model)
        self.v = nn.Linear(cfg.d_model, cfg.d_model)
        self.o = nn.Linear(cfg.d_model, cfg.d_model)

    def split(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).transpose(1, 2)

    def project_kv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.split(self.k(x)), self.split(self.v(x))

    def attend(self, x: torch.Tensor, k: torch.Tensor, v: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q = self.split(self.q(x)) * (self.head_dim ** -0.5)
        scores = torch.matmul(q, k.transpose(-1, -2)) + bias
        out = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.o(out.transpose(1, 2).reshape(b, t, d))


class FeedForward(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.up = nn.Linear(cfg.d_model, cfg.ffn)
        self.down = nn.Linear(cfg.ffn, cfg.d_model)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(self.dropout(F.relu(self.up(x))))


class EncoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.self_norm, self.self_attn = nn.LayerNorm(cfg.d_model), Attention(cfg)
        self.ffn_norm, self.ffn = nn.LayerNorm(cfg.d_model), FeedForward(cfg)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        h = self.self_norm(x)
        k, v = self.self_attn.project_kv(h)
        x = x + self.dropout(self.self_attn.attend(h, k, v, bias))
        return x + self.dropout(self.ffn(self.ffn_norm(x)))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.self_norm, self.self_attn = nn.LayerNorm(cfg.d_model), Attention(cfg)
        self.cross_norm, self.cross_attn = nn.LayerNorm(cfg.d_model), Attention(cfg)
        self.ffn_norm, self.ffn = nn.LayerNorm(cfg.d_model), FeedForward(cfg)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x, self_bias, past_k, past_v, cross_k, cross_v, cross_bias):
        """Returns the new hidden states and the grown self-attention cache."""
        h = self.self_norm(x)
        k, v = self.self_attn.project_kv(h)
        if past_k is not None:
            k, v = torch.cat([past_k, k], dim=2), torch.cat([past_v, v], dim=2)
        x = x + self.dropout(self.self_attn.attend(h, k, v, self_bias))
        x = x + self.dropout(self.cross_attn.attend(self.cross_norm(x), cross_k, cross_v, cross_bias))
        return x + self.dropout(self.ffn(self.ffn_norm(x))), k, v


class Seq2SeqTransformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model, padding_idx=cfg.pad_id)
        nn.init.normal_(self.embed.weight, mean=0.0, std=cfg.d_model ** -0.5)
        with torch.no_grad():
            self.embed.weight[cfg.pad_id].zero_()
        self.register_buffer("inv_freq", inverse_frequencies(cfg.d_model), persistent=False)
        self.encoder_layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.encoder_layers))
        self.decoder_layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.decoder_layers))
        self.encoder_norm = nn.LayerNorm(cfg.d_model)
        self.decoder_norm = nn.LayerNorm(cfg.d_model)
        self.dropout = nn.Dropout(cfg.dropout)

    # -- pieces shared by training, generation and export -------------------------------------------
    def positional_encoding(self, positions: torch.Tensor) -> torch.Tensor:
        """Interleaved sin/cos encodings computed on the fly: in ONNX this is a few Sin/Cos nodes instead of a
        position table stored in both files."""
        angles = positions.to(torch.float32)[:, None] * self.inv_freq[None, :]
        return torch.stack([torch.sin(angles), torch.cos(angles)], dim=-1).reshape(positions.shape[0], -1)

    def embed_tokens(self, ids: torch.Tensor, offset) -> torch.Tensor:
        """Scaled token embedding plus sinusoidal positions starting at ``offset`` (a dynamic length)."""
        pos = torch.arange(ids.shape[1], device=ids.device) + offset
        return self.dropout(self.embed(ids) * math.sqrt(self.cfg.d_model) + self.positional_encoding(pos))

    @staticmethod
    def padding_bias(mask: torch.Tensor) -> torch.Tensor:
        """[B, S] 1/0 mask → additive bias [B, 1, 1, S]."""
        return ((1 - mask.to(torch.float32)) * NEG_INF)[:, None, None, :]

    @staticmethod
    def causal_bias(new_len, past_len, device=None) -> torch.Tensor:
        """Query i (at absolute position past_len+i) may see keys 0..past_len+i; built from aranges so it
        stays dynamic in ONNX."""
        q = torch.arange(new_len, device=device).unsqueeze(1) + past_len
        k = torch.arange(new_len + past_len, device=device).unsqueeze(0)
        return (k > q).to(torch.float32)[None, None] * NEG_INF

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        x = self.embed_tokens(input_ids, 0)
        bias = self.padding_bias(attention_mask)
        for layer in self.encoder_layers:
            x = layer(x, bias)
        return self.encoder_norm(x)

    def cross_kv(self, encoder_hidden_states: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        return [layer.cross_attn.project_kv(encoder_hidden_states) for layer in self.decoder_layers]

    def lm_head(self, x: torch.Tensor) -> torch.Tensor:
        """Tied output projection written as (E·xᵀ)ᵀ so ONNX reads the embedding initializer directly
        instead of storing a transposed second copy of it."""
        b, t, d = x.shape
        flat = x.reshape(b * t, d)
        return torch.matmul(self.embed.weight, flat.transpose(0, 1)).transpose(0, 1).reshape(
            b, t, self.cfg.vocab_size)

    def decode(self, input_ids, encoder_attention_mask, cross, past=None):
        """One decoder call. ``cross``: per-layer (k, v) from ``cross_kv``; ``past``: per-layer (k, v) of the
        self-attention cache or None. Returns logits and the grown self-attention cache."""
        past_len = 0 if past is None else past[0][0].shape[2]
        x = self.embed_tokens(input_ids, past_len)
        self_bias = self.causal_bias(input_ids.shape[1], past_len, input_ids.device)
        cross_bias = self.padding_bias(encoder_attention_mask)
        present = []
        for i, layer in enumerate(self.decoder_layers):
            pk, pv = (None, None) if past is None else past[i]
            x, k, v = layer(x, self_bias, pk, pv, cross[i][0], cross[i][1], cross_bias)
            present.append((k, v))
        return self.lm_head(self.decoder_norm(x)), present

    def forward(self, src, src_mask, dec_in):
        enc = self.encode(src, src_mask)
        logits, _ = self.decode(dec_in, src_mask, self.cross_kv(enc))
        return logits

    # -- generation used for dev evaluation during training and for parity tests ----------------------
    @torch.no_grad()
    def greedy(self, src: torch.Tensor, src_mask: torch.Tensor, max_new_tokens: int,
               return_logits: bool = False):
        """Batched greedy decoding with the KV cache; pad is never generated (bad_words_ids = [[pad]]).
        Returns per-row token lists (without the final </s>) and optionally per-step logits [B, V]."""
        cfg = self.cfg
        enc = self.encode(src, src_mask)
        cross = self.cross_kv(enc)
        b = src.shape[0]
        tokens = torch.full((b, 1), cfg.pad_id, dtype=torch.long, device=src.device)
        finished = torch.zeros(b, dtype=torch.bool, device=src.device)
        out: list[list[int]] = [[] for _ in range(b)]
        step_logits = []
        past = None
        for _ in range(max_new_tokens):
            logits, past = self.decode(tokens, src_mask, cross, past)
            last = logits[:, -1, :]
            if return_logits:
                step_logits.append(last.clone())
            masked = last.clone()
            masked[:, cfg.pad_id] = NEG_INF
            nxt = masked.argmax(dim=-1)
            nxt = torch.where(finished, torch.full_like(nxt, cfg.pad_id), nxt)
            for i, (token, done) in enumerate(zip(nxt.tolist(), finished.tolist())):
                if not done and token != cfg.eos_id:
                    out[i].append(token)
            finished |= nxt == cfg.eos_id
            tokens = nxt.unsqueeze(1)
            if bool(finished.all()):
                break
        return (out, step_logits) if return_logits else out


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
