"""Ids: what the engine stores is what a URL can carry back, and the documented pattern says so."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ContextError, UnknownDecisionError
from engine.ids import ID_PATTERN, MAX_ID_LENGTH, check_id

GOOD = ["c", "customer-42", "crm/42", "with space", "é-ü/π", "...", ".a", "a.", "a..b", "a//b",
        "/", "a?b#c", "a%2Fb", "x" * MAX_ID_LENGTH, "emoji 👍", "tab-less"]
BAD = ["", "x" * (MAX_ID_LENGTH + 1), "victim\n", "a\rb", "a\tb", "nul\x00", "del\x7f",
       "c1\x85", "line\u2028", "para\u2029", "lone\ud800", ".", "..", "a/.", "a/..", "./a",
       "../a", "a/./b", "a/../b", None, 42, b"bytes"]


@pytest.mark.parametrize("value", GOOD)
def test_ids_a_url_carries_back_are_kept_as_they_are(value):
    assert check_id("customer_id", value) == value


@pytest.mark.parametrize("value", BAD)
def test_ids_a_url_cannot_carry_back_are_refused_naming_the_field(value):
    with pytest.raises(ContextError, match=r"^customer_id: expected 1 to 256 characters"):
        check_id("customer_id", value)


def test_the_error_class_is_the_callers():
    with pytest.raises(UnknownDecisionError, match="decision_id"):
        check_id("decision_id", "d\n", UnknownDecisionError)


def _documented(value: str) -> bool:
    # JSON Schema: minLength, maxLength, and an ECMA-262 pattern, whose `$` ends the text
    # (Python's fullmatch reads it alike; Python's search would let a trailing newline pass).
    return 1 <= len(value) <= MAX_ID_LENGTH and re.fullmatch(ID_PATTERN, value) is not None


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=20), st.text(st.sampled_from("ab./\n\x85 "), max_size=12),
                 st.sampled_from(GOOD + [b for b in BAD if isinstance(b, str)])))
def test_the_documented_pattern_accepts_exactly_what_the_engine_accepts(value):
    try:
        check_id("customer_id", value)
        accepted = True
    except ContextError:
        accepted = False
    assert accepted == (_documented(value) and not re.search("[\ud800-\udfff]", value))
