import pytest

from training.scoring import corpus_bleu, corpus_chrf, tokenize_13a


def test_chrf_matches_sacrebleu_reference_values():
    # Values printed by sacrebleu's CHRF() (char_order 6, beta 2) in the HF metric card examples.
    assert corpus_chrf(["The relationship between Obama and Netanyahu is not exactly friendly."],
                       ["The ties between Obama and Netanyahu are not particularly friendly."]) == pytest.approx(
        61.576379378113785, abs=1e-9)
    assert corpus_chrf(
        ["The relationship between cats and dogs is not exactly friendly.",
         "a good bookshop is just a genteel black hole that knows how to read."],
        ["The relationship between dogs and cats is not exactly friendly.",
         "A good bookshop is just a genteel Black Hole that knows how to read."]) == pytest.approx(
        84.64214891738334, abs=1e-9)


def test_chrf_ignores_whitespace_and_handles_devanagari():
    assert corpus_chrf(["नमस्ते दुनिया"], ["नमस्ते  दुनिया"]) == pytest.approx(100.0)
    assert corpus_chrf(["abc"], ["xyz"]) == 0.0
    # hand-computed: orders 1-3 have n-grams; precision = recall = (2/3 + 1/2 + 0) / 3
    assert corpus_chrf(["abc"], ["abd"]) == pytest.approx(100 * (2 / 3 + 1 / 2) / 3)


def test_13a_tokenisation_splits_punctuation_but_not_numbers():
    assert tokenize_13a("Hello, world.") == "Hello , world ."
    assert tokenize_13a("It costs 3.50 (or 4,000)!") == "It costs 3.50 ( or 4,000 ) !"
    assert tokenize_13a("A&amp;B") == "A & B"


def test_bleu_identity_zero_and_brevity():
    assert corpus_bleu(["hello there general kenobi"], ["hello there general kenobi"]) == pytest.approx(100.0)
    # no matches at all: sacrebleu stops early with 0 (no smoothing)
    assert corpus_bleu(["a b c d"], ["w x y z"]) == 0.0
    assert corpus_bleu(["a b", "c d e f"], ["w x", "y z v u"]) == 0.0
    # unigram matches only: sacrebleu's "exp" smoothing gives precisions 100/(2^k * total_n)
    # for the orders without matches (k counting them)
    assert corpus_bleu(["a b c d"], ["a x y z"]) == pytest.approx(
        (100 / 4 * 100 / (2 * 3) * 100 / (4 * 2) * 100 / (8 * 1)) ** 0.25)
    full = corpus_bleu(["the cat sat on the mat today"], ["the cat sat on the mat today"])
    short = corpus_bleu(["the cat sat on the mat"], ["the cat sat on the mat today"])
    assert short < full
    assert short == pytest.approx(100 * 2.718281828459045 ** (1 - 7 / 6), rel=1e-9)  # precision 1, BP only


def test_number_fidelity_counts_lines_whose_numbers_survive_in_either_digit_script():
    from training.scoring import number_fidelity, numbers_in

    assert numbers_in("I was born on June 4, 1974.") == ["1974", "4"]
    # Devanagari digits and thousands separators name the same numbers
    assert numbers_in("मैं ४ जून, १९७४ को पैदा हुआ था।") == ["1974", "4"]
    assert numbers_in("a fine of 25,000 dollars; pi is 3.14") == ["25000", "3.14"]
    # the Indian grouping of lakhs and crores is the same number
    assert numbers_in("2,50,000 रुपये") == numbers_in("250,000 rupees") == ["250000"]
    sources = ["I was born on June 4, 1974.", "Call 9876543210 now.", "No numbers here.", "Room 12."]
    hyps = ["मैं ४ जून, १९७४ को पैदा हुआ था।", "कॉल 98732 अब 6.42", "कोई संख्या नहीं 7", "कमरा"]
    # the third line has no number in its source: not counted, whatever its translation holds
    assert number_fidelity(sources, hyps) == {"lines": 3, "same": 1}
