import random

import pytest

from training.data import Pair, collate, parse_source_weights, sample_epoch, token_batches


def make_pairs(n, rng):
    return [Pair([5] * rng.randint(1, 40) + [0], [6] * rng.randint(1, 40) + [0], "bible" if i % 2 else "mturk")
            for i in range(n)]


def test_token_batches_respect_budget_and_keep_every_pair():
    rng = random.Random(0)
    pairs = make_pairs(500, rng)
    batches = token_batches(pairs, 300, rng)
    assert sum(len(b) for b in batches) == len(pairs)
    for batch in batches:
        longest = max(max(len(p.src), len(p.tgt)) for p in batch)
        assert longest * len(batch) <= 300 or len(batch) == 1


def test_token_batches_group_by_the_longer_side_so_little_is_padding():
    rng = random.Random(2)
    # independent source and target lengths, as in the corpus (either side may be the longer)
    pairs = make_pairs(3000, rng)
    batches = token_batches(pairs, 3000, rng)
    real = sum(max(len(p.src), len(p.tgt)) for b in batches for p in b)
    padded = sum(len(b) * max(max(len(p.src), len(p.tgt)) for p in b) for b in batches)
    assert real / padded > 0.9


def test_source_weights_change_expected_counts():
    rng = random.Random(1)
    pairs = make_pairs(2000, rng)
    weights = parse_source_weights("bible=0.25,mturk=2")
    sample = sample_epoch(pairs, weights, rng)
    bible = sum(1 for p in sample if p.source == "bible")
    mturk = sum(1 for p in sample if p.source == "mturk")
    assert mturk == 2000
    assert 180 < bible < 320  # expectation 250
    assert parse_source_weights("l10n-*=0.5")["l10n-*"] == 0.5
    with pytest.raises(ValueError, match="tag=number"):
        parse_source_weights("bible=lots")


def test_collate_shifts_targets_behind_the_decoder_start():
    batch = [Pair([10, 11, 0], [20, 21, 0], "x"), Pair([12, 0], [22, 0], "x")]
    t = collate(batch, pad_id=99, decoder_start_id=99)
    assert t["src"].tolist() == [[10, 11, 0], [12, 0, 99]]
    assert t["src_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert t["dec_in"].tolist() == [[99, 20, 21], [99, 22, 99]]
    assert t["labels"].tolist() == [[20, 21, 0], [22, 0, 99]]


def test_lexicon_pairs_keep_short_glosses_only(tmp_path):
    from training.data import LEXICON_TAG, read_lexicon
    (tmp_path / "lexicon.en").write_text("tea\nblue whale\nstation\n", encoding="utf-8")
    (tmp_path / "lexicon.hi").write_text("चाय\nएक प्रकार की सबसे बड़ी व्हेल मछली\nस्टेशन\n", encoding="utf-8")
    en, hi, tags = read_lexicon(tmp_path, max_words=3)
    assert en == ["tea", "station"]
    assert hi == ["चाय", "स्टेशन"]
    assert tags == [LEXICON_TAG, LEXICON_TAG]


def test_source_weights_naming_no_tag_are_found():
    from training.data import unmatched_weights

    tags = {"bible", "tatoeba", "l10n-gnome", "l10n-firefox", "lexicon"}
    assert unmatched_weights({"bible": 0.35, "l10n-*": 0.5, "lexicon": 0.5}, tags) == []
    # a typo would silently weigh nothing
    assert unmatched_weights({"tatoba": 2.0, "l10n-*": 1.0, "pud*": 1.5}, tags) == ["tatoba", "pud*"]
