"""The validation's 'counters agree' sentence flips when a counter is blind for a model, even when its number
happens to equal the others' (counters that share a blind spot are no cross-check)."""

import pandas as pd
from report_fixture import render_answer

from mlalab.report.facts import validation


def counts(unseen_analytic: int, analytic_macs: int = 100) -> pd.DataFrame:
    return pd.DataFrame({
        "model": "net", "counter": ["flop_counter", "thop", "analytic"], "input_shape": "1x8",
        "macs": [100, 100, analytic_macs], "unseen_macs": [0, 0, unseen_analytic],
        "unseen_in": [None, None, "GPT2Attention" if unseen_analytic else None]})


def sentences(table: pd.DataFrame) -> tuple[dict, str]:
    rows = validation.validation_rows({"part3_models_counts": table}, {"experiments": {}})
    return rows[0], render_answer(rows, "validation")


def test_agree_when_no_counter_is_blind():
    row, s = sentences(counts(0))
    assert row["agree"] and row["blind"] == {}
    assert "For 1 of 1 models the three counters agree exactly" in s and "cannot see" not in s


def test_a_blind_counter_flips_the_sentence_even_with_equal_numbers():
    row, s = sentences(counts(16))
    assert not row["agree"] and row["blind"]["analytic"]["in"] == "GPT2Attention"
    assert "agree exactly" not in s
    assert "For net, analytic cannot see 16 MACs (products issued by GPT2Attention" in s
    assert "no cross-check" in s


def test_torchvision_rows_at_another_size_stay_out_of_the_validation():
    t = pd.concat([counts(0), pd.DataFrame({"model": ["net"], "counter": ["torchvision"], "input_shape": ["1x3x224x224"],
                                            "macs": [999], "unseen_macs": [None], "unseen_in": [None]})])
    row, _ = sentences(t)
    assert row["aten"] == 100 and row["agree"]
