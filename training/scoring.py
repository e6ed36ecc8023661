"""Corpus BLEU and chrF with sacrebleu's definitions (sacrebleu is not packaged in Debian 12).

- BLEU: 13a tokenisation, n = 4, brevity penalty, ``exp`` smoothing (sacrebleu's defaults).
- chrF: character n-grams 1..6, whitespace removed, β = 2, statistics summed over the corpus; precision
  and recall are averaged over the orders that have both hypothesis and reference n-grams.
"""
from __future__ import annotations

import math
import re
from collections import Counter

_13A_RULES = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),
]


def tokenize_13a(line: str) -> str:
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} "
    for pattern, repl in _13A_RULES:
        line = pattern.sub(repl, line)
    return " ".join(line.split())


def _ngrams(tokens, n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(hypotheses: list[str], references: list[str], max_order: int = 4) -> float:
    matches, totals = [0] * max_order, [0] * max_order
    sys_len = ref_len = 0
    for hyp, ref in zip(hypotheses, references, strict=True):
        h, r = tokenize_13a(hyp).split(), tokenize_13a(ref).split()
        sys_len += len(h)
        ref_len += len(r)
        for n in range(1, max_order + 1):
            hn, rn = _ngrams(h, n), _ngrams(r, n)
            matches[n - 1] += sum(min(c, rn[g]) for g, c in hn.items())
            totals[n - 1] += max(0, len(h) - n + 1)
    # sacrebleu stops early when no n-gram of any order matches (its issue #141): 0, unsmoothed
    if sys_len == 0 or not any(matches):
        return 0.0
    precisions, smooth = [], 1.0
    for n in range(max_order):
        if totals[n] == 0:
            return 0.0
        if matches[n] == 0:
            smooth *= 2
            precisions.append(100.0 / (smooth * totals[n]))
        else:
            precisions.append(100.0 * matches[n] / totals[n])
    bp = 1.0 if sys_len >= ref_len else math.exp(1 - ref_len / sys_len)
    return bp * math.exp(sum(math.log(p) for p in precisions) / max_order)


def _char_ngrams(text: str, n: int) -> Counter:
    text = "".join(text.split())
    return Counter(text[i:i + n] for i in range(len(text) - n + 1))


def corpus_chrf(hypotheses: list[str], references: list[str], char_order: int = 6, beta: float = 2.0) -> float:
    stats = [[0, 0, 0] for _ in range(char_order)]  # hyp n-grams, ref n-grams, matches
    for hyp, ref in zip(hypotheses, references, strict=True):
        for n in range(1, char_order + 1):
            hn, rn = _char_ngrams(hyp, n), _char_ngrams(ref, n)
            stats[n - 1][0] += sum(hn.values())
            stats[n - 1][1] += sum(rn.values())
            stats[n - 1][2] += sum(min(c, rn[g]) for g, c in hn.items())
    prec = rec = 0.0
    effective = 0
    for n_hyp, n_ref, n_match in stats:
        if n_hyp > 0 and n_ref > 0:
            prec += n_match / n_hyp
            rec += n_match / n_ref
            effective += 1
    if effective == 0:
        return 0.0
    prec, rec = prec / effective, rec / effective
    if prec + rec == 0:
        return 0.0
    factor = beta ** 2
    return 100.0 * (1 + factor) * prec * rec / (factor * prec + rec)


# Devanagari digits (०-९) are the same numbers as 0-9: Hindi text uses both.
_DEVANAGARI_DIGITS = str.maketrans("०१२३४५६७८९", "0123456789")
# a number: digits with thousands separators, in the Western or the Indian grouping ("25,000", "2,50,000"),
# and a decimal part ("3.14"); "25,000" == "25000"
_NUMBER = re.compile(r"\d+(?:,\d{2,3})*(?:\.\d+)?")


def numbers_in(text: str) -> list[str]:
    """The numbers of a text, in either digit script, without thousands separators, sorted."""
    return sorted(n.replace(",", "") for n in _NUMBER.findall(text.translate(_DEVANAGARI_DIGITS)))


def number_fidelity(sources: list[str], hyps: list[str]) -> dict:
    """Of the source lines that hold a number, how many translations hold exactly the same numbers."""
    pairs = [(numbers_in(s), numbers_in(h)) for s, h in zip(sources, hyps)]
    with_numbers = [(s, h) for s, h in pairs if s]
    same = sum(1 for s, h in with_numbers if s == h)
    return {"lines": len(with_numbers), "same": same}
