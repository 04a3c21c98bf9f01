"""The ``-n`` suffix of timestamp IDs: incidents and runbook runs pick it the same way."""

from __future__ import annotations

from bot.ids import next_free_id

BASE = "INC-20261016-170000"


def test_a_free_base_is_taken_as_it_is() -> None:
    assert next_free_id(BASE, []) == BASE
    assert next_free_id(BASE, [f"{BASE}-2"]) == BASE


def test_the_second_of_a_second_is_dash_two_and_then_one_past_the_highest() -> None:
    assert next_free_id(BASE, [BASE]) == f"{BASE}-2"
    assert next_free_id(BASE, [BASE, f"{BASE}-2", f"{BASE}-10"]) == f"{BASE}-11"


def test_ids_that_only_share_the_prefix_are_ignored() -> None:
    assert next_free_id(BASE, [BASE, f"{BASE}-x", f"{BASE}-3-1"]) == f"{BASE}-2"
