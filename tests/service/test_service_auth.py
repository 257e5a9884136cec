"""The token: where it comes from, what is refused, and how a header is checked."""

from __future__ import annotations

import pytest

from engine.errors import ConfigError
from engine.http.auth import TOKEN_ENV, BearerCheck, load_token

GOOD = "a-good-token-0123456789"


def test_token_from_file_wins_over_the_environment(tmp_path):
    f = tmp_path / "token"
    f.write_text(f"  {GOOD}\n")
    assert load_token(f, env={TOKEN_ENV: "another-token-0123456789"}) == GOOD
    assert load_token(None, env={TOKEN_ENV: GOOD}) == GOOD


@pytest.mark.parametrize("token_file,env,match", [
    (None, {}, r"token: none given; set \$OFFERBANDIT_TOKEN"),
    (None, {TOKEN_ENV: "   "}, "none given"),
    (None, {TOKEN_ENV: "short"}, r"at least 16 characters in \$OFFERBANDIT_TOKEN, got 5"),
    ("missing.txt", {TOKEN_ENV: GOOD}, "token_file: expected a readable file"),
])
def test_bad_tokens_are_refused_naming_the_source(tmp_path, token_file, env, match):
    path = None if token_file is None else tmp_path / token_file
    with pytest.raises(ConfigError, match=match):
        load_token(path, env=env)


@pytest.mark.parametrize("header,allowed", [
    (f"Bearer {GOOD}", True),
    (f"bearer {GOOD}", True),          # the scheme is case-insensitive (RFC 7235)
    (f"Bearer  {GOOD} ", True),
    (f"Bearer {GOOD}x", False),
    (f"Bearer {GOOD[:-1]}", False),
    (f"Basic {GOOD}", False),
    (GOOD, False),
    ("", False),
    (None, False),
])
def test_bearer_check(header, allowed):
    assert BearerCheck(GOOD).allows(header) is allowed


def test_no_token_means_auth_off():
    assert not BearerCheck(None).enabled and BearerCheck(None).allows(None)
