"""The model card reports what evaluate measured, including the dev lines that did not pick the checkpoint."""
import json

from training.package import model_card

from .conftest import SHIPPED_MODEL


def test_model_card_shows_scores_on_dev_lines_not_used_for_selection():
    config = json.loads((SHIPPED_MODEL / "config.json").read_text())
    generation = json.loads((SHIPPED_MODEL / "generation_config.json").read_text())
    metrics = {"dev": {"lines": 1303,
                       "greedy": {"bleu": 9.8, "chrf": 31.09,
                                  "not_selection": {"bleu": 9.1, "chrf": 30.5, "lines": 903}},
                       "beam4": {"bleu": 10.86, "chrf": 32.36}}}
    card = model_card("en-hi", "9", config, generation, metrics)
    assert "| greedy | all | 9.80 | 31.09 |" in card
    assert "| greedy | 903 outside the training subset | 9.10 | 30.50 |" in card
    # beam 4 was not scored apart: no row claims it was
    assert "| beam 4 | all | 10.86 | 32.36 |" in card
    assert "beam 4 | 903" not in card
    assert 'How the\nshipped version 9 was made' in card
    assert "| weights |" not in card


def test_model_card_says_when_weights_are_stored_as_float16():
    config = json.loads((SHIPPED_MODEL / "config.json").read_text())
    generation = json.loads((SHIPPED_MODEL / "generation_config.json").read_text())
    card = model_card("en-hi", "9", config, generation, {}, weights_dtype="float16")
    assert "| weights | stored as float16" in card


def test_model_card_names_each_legs_batch_size_when_they_differ():
    config = json.loads((SHIPPED_MODEL / "config.json").read_text())
    generation = json.loads((SHIPPED_MODEL / "generation_config.json").read_text())
    one = model_card("en-hi", "9", config, generation, {"training": {"recipe": {"max_tokens": 8000}}})
    legs = model_card("en-hi", "9", config, generation, {"training": {"recipe": {"max_tokens": [8000, 32000]}}})
    assert "batches of up to 8,000 tokens" in one
    assert "batches of up to 32,000 tokens (earlier legs: 8,000)" in legs


def test_model_card_says_how_often_numbers_survive_when_evaluate_measured_it():
    config = json.loads((SHIPPED_MODEL / "config.json").read_text())
    generation = json.loads((SHIPPED_MODEL / "generation_config.json").read_text())
    metrics = {"dev": {"greedy": {"bleu": 1, "chrf": 2, "numbers": {"lines": 124, "same": 53}},
                       "beam4": {"bleu": 1, "chrf": 2, "numbers": {"lines": 124, "same": 60}}}}
    card = model_card("en-hi", "9", config, generation, metrics)
    assert "of the 124 dev lines whose source holds a number" in card
    assert "exactly the same numbers in 53 (beam 4: 60), 43 %. Most misses drop" in card
    metrics["dev"]["numbers_in_references"] = {"lines": 124, "same": 106}
    card = model_card("en-hi", "9", config, generation, metrics)
    assert "The human references do in 106: a correct translation may write a number in words" in card
    # an older metrics.json without the measurement: no claim either way
    assert "Numbers are not copied" not in model_card("en-hi", "9", config, generation, {})
