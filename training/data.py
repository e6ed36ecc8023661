"""Parallel data: reading the shared corpus, per-source weighting and length-bucketed token batches."""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import sentencepiece as spm
import torch


@dataclass
class Pair:
    src: list[int]   # source ids including the trailing </s>
    tgt: list[int]   # target ids including the trailing </s>
    source: str      # corpus tag from *.source


def read_lines(path: Path, limit: int | None = None) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        lines = [line.rstrip("\n") for line in fh]
    return lines[:limit] if limit is not None else lines


def read_split(data_dir: Path, split: str, limit: int | None = None) -> tuple[list[str], list[str], list[str]]:
    en = read_lines(data_dir / f"{split}.en", limit)
    hi = read_lines(data_dir / f"{split}.hi", limit)
    tags = read_lines(data_dir / f"{split}.source", limit)
    if not (len(en) == len(hi) == len(tags)):
        raise ValueError(f"{split}: .en/.hi/.source line counts differ ({len(en)}/{len(hi)}/{len(tags)})")
    return en, hi, tags


LEXICON_TAG = "lexicon"


def read_lexicon(data_dir: Path, max_words: int) -> tuple[list[str], list[str], list[str]]:
    """The FreeDict headword -> gloss list as extra word-level pairs (tag ``lexicon``), for vocabulary
    coverage of everyday words the sentence pairs rarely contain. Glosses longer than ``max_words`` are
    explanations rather than equivalents (SOURCES.md) and are left out."""
    en = read_lines(data_dir / "lexicon.en")
    hi = read_lines(data_dir / "lexicon.hi")
    if len(en) != len(hi):
        raise ValueError(f"lexicon: .en/.hi line counts differ ({len(en)}/{len(hi)})")
    kept = [(e, h) for e, h in zip(en, hi) if e.strip() and h.strip() and len(h.split()) <= max_words]
    return [e for e, _ in kept], [h for _, h in kept], [LEXICON_TAG] * len(kept)


def encode_pairs(sp: spm.SentencePieceProcessor, en: list[str], hi: list[str], tags: list[str],
                 max_len: int) -> tuple[list[Pair], int]:
    """Tokenise both sides (appending </s>); drop pairs longer than ``max_len`` tokens. Returns (pairs, dropped)."""
    eos = sp.piece_to_id("</s>")
    src_ids = sp.encode(en)
    tgt_ids = sp.encode(hi)
    pairs, dropped = [], 0
    for s, t, tag in zip(src_ids, tgt_ids, tags):
        if not s or not t or len(s) >= max_len or len(t) >= max_len:
            dropped += 1
            continue
        pairs.append(Pair(s + [eos], t + [eos], tag))
    return pairs, dropped


def parse_source_weights(spec: str) -> dict[str, float]:
    """``"bible=0.35,mturk=1"`` → ``{"bible": 0.35, "mturk": 1.0}``; a tag prefix ending in ``*`` matches many."""
    weights: dict[str, float] = {}
    for item in filter(None, (p.strip() for p in spec.split(","))):
        name, _, value = item.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError as exc:
            raise ValueError(f"bad source weight {item!r}: expected tag=number") from exc
        if weights[name.strip()] < 0:
            raise ValueError(f"bad source weight {item!r}: must be >= 0")
    return weights


def _names_tag(name: str, tag: str) -> bool:
    """A source-weight name matches its tag, or every tag starting with what precedes a final ``*``."""
    return name == tag or (name.endswith("*") and tag.startswith(name[:-1]))


def weight_for(tag: str, weights: dict[str, float]) -> float:
    if tag in weights:
        return weights[tag]
    for name, w in weights.items():
        if _names_tag(name, tag):
            return w
    return 1.0


def unmatched_weights(weights: dict[str, float], tags: set[str]) -> list[str]:
    """The names in ``weights`` that no tag matches (a typo such as ``tatoba=2`` would weigh nothing)."""
    return [name for name in weights if not any(_names_tag(name, t) for t in tags)]


def sample_epoch(pairs: list[Pair], weights: dict[str, float], rng: random.Random) -> list[Pair]:
    """Each pair appears floor(w) times plus once more with probability frac(w): its expected count is w."""
    chosen = []
    for pair in pairs:
        w = weight_for(pair.source, weights)
        copies = int(w) + (1 if rng.random() < w - int(w) else 0)
        chosen.extend([pair] * copies)
    return chosen


def token_batches(pairs: list[Pair], max_tokens: int, rng: random.Random) -> list[list[Pair]]:
    """Group pairs of similar length so padding is small; a batch holds at most ``max_tokens``
    (padded) tokens on its longer side. Batches come back shuffled.

    Pairs are sorted by their longer side, the one the budget counts: sorting by the source alone
    left the target lengths of a batch mixed (the Hindi side is the longer in about half the
    pairs), and batches closed with ~40 % of their target positions padding."""
    noisy = sorted(pairs, key=lambda p: max(len(p.src), len(p.tgt)) + rng.random() * 2)
    batches, current, longest = [], [], 0
    for pair in noisy:
        longest_if_added = max(longest, len(pair.src), len(pair.tgt))
        if current and longest_if_added * (len(current) + 1) > max_tokens:
            batches.append(current)
            current, longest_if_added = [], max(len(pair.src), len(pair.tgt))
        current.append(pair)
        longest = longest_if_added
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def collate(batch: list[Pair], pad_id: int, decoder_start_id: int) -> dict[str, torch.Tensor]:
    """Right-padded tensors: source ids + mask, decoder input (start + target[:-1]) and labels."""
    b = len(batch)
    s_len = max(len(p.src) for p in batch)
    t_len = max(len(p.tgt) for p in batch)
    src = torch.full((b, s_len), pad_id, dtype=torch.long)
    dec_in = torch.full((b, t_len), pad_id, dtype=torch.long)
    labels = torch.full((b, t_len), pad_id, dtype=torch.long)
    for i, p in enumerate(batch):
        src[i, : len(p.src)] = torch.tensor(p.src)
        labels[i, : len(p.tgt)] = torch.tensor(p.tgt)
        dec_in[i, 0] = decoder_start_id
        dec_in[i, 1: len(p.tgt)] = torch.tensor(p.tgt[:-1])
    return {"src": src, "src_mask": (src != pad_id).long(), "dec_in": dec_in, "labels": labels}
