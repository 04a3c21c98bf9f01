"""Numbers as a person reads them: an overspent error budget is never a negative amount left."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.numbers import budget_left_phrase, format_budget_left, format_events_left

NEGATIVE = re.compile(r"-\d")
LEFT = st.floats(min_value=-1e6, max_value=100.0, allow_nan=False)


def test_an_overspent_budget_says_how_many_times_it_was_spent() -> None:
    assert format_budget_left(-1304.59) == "none (14× spent)"
    assert budget_left_phrase(-30.0) == "budget overspent (1.30× spent)"
    assert budget_left_phrase(18.5, budget="of the 7d error budget") == (
        "18.50% of the 7d error budget left"
    )
    assert format_budget_left(0.0) == "0.00%"
    assert format_events_left(-12_345.4) == "none (12,345 over)"
    assert format_events_left(248.0) == "248"


@given(LEFT)
def test_no_negative_amount_is_ever_left(left: float) -> None:
    for text in (format_budget_left(left), budget_left_phrase(left)):
        assert not NEGATIVE.search(text), text
        assert ("spent" in text) == (left < 0), text


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_no_negative_count_is_ever_left(left: float) -> None:
    assert not NEGATIVE.search(format_events_left(left))
