"""Reading Vowpal Wabbit DSJSON logs (the Personalizer format) into arrays."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ope import LogFormatError, estimate
from ope.readers.dsjson_log import parse_dsjson_lines, read_dsjson

TINY = Path(__file__).parent / "data" / "tiny.dsjson"


def test_tiny_log_is_read():
    log = read_dsjson(TINY)
    assert log.n == 4
    assert log.action_names == ("news", "sports", "music")
    assert log.actions.tolist() == [0, 1, 2, 0]
    assert log.propensities.tolist() == [0.8, 0.6, 0.5, 0.9]
    assert log.rewards.tolist() == [1.0, 0.0, 1.0, 0.0]  # reward = -cost
    assert log.eligible.tolist()[3] == [True, True, False]
    assert log.logging_probs[1].tolist() == [0.2, 0.6, 0.2]  # a=[2,1,3], p=[0.6,0.2,0.2]
    assert log.context_names == ("User.tier=free", "User.tier=pro", "User.visits")
    assert log.contexts[2].tolist() == [0.0, 1.0, 7.0]
    assert log.action_feature_names == ("Topic.kind=music", "Topic.kind=news",
                                        "Topic.kind=sports", "Topic.len")
    assert dict(log.skipped) == {"_skipLearn (never activated)": 1,
                                 "no _label_cost (reward event or unjoined decision)": 1}


def test_ips_of_uniform_on_the_tiny_log_by_hand():
    log = read_dsjson(TINY)
    target = log.eligible / log.eligible.sum(axis=1, keepdims=True)
    r = estimate("ips", log.rewards, log.actions, log.propensities, target)
    # (1/3)/0.8 * 1 + 0 + (1/3)/0.5 * 1 + 0, over 4 rows
    assert r.value == pytest.approx(((1 / 3) / 0.8 + (1 / 3) / 0.5) / 4)


def test_cost_can_be_read_as_is():
    assert read_dsjson(TINY, negate_cost=False).rewards.tolist() == [-1.0, 0.0, -1.0, 0.0]


def _line(**change):
    event = {"_label_cost": -1, "_label_probability": 0.5, "_labelIndex": 0, "a": [1, 2],
             "p": [0.5, 0.5], "c": {"u": {"x": 1}, "_multi": [{"_tag": "a"}, {"_tag": "b"}]}}
    event.update(change)
    return json.dumps({k: v for k, v in event.items() if v is not None})


@pytest.mark.parametrize(("line", "match"), [
    ("{not json", r"<lines> line 1: not valid JSON"),
    ("[1, 2]", r"line 1: expected a JSON object, got list"),
    (_line(c={"u": {}}), r"line 1: c._multi must be a non-empty list"),
    (_line(_labelIndex=2), r"_labelIndex must be an int in \[0, 2\), got 2"),
    (_line(_label_probability=0.0), r"_label_probability must be in \(0, 1\], got 0.0"),
    (_line(_label_probability="high"), r"_label_probability must be a finite number"),
    (_line(_label_cost=None, RewardValue=1), r"no decision lines with _label_cost"),
    (_line(_label_cost="x"), r"_label_cost must be a finite number, got 'x'"),
    (_line(a=[1, 2, 3]), r"a and p must be equal-length lists of 1-based action ids"),
    (_line(a=[2, 1]), r"a\[0\] \(the chosen action id\) is 2 but _labelIndex \+ 1 is 1"),
])
def test_bad_lines_are_refused_with_the_line_number(line, match):
    with pytest.raises(LogFormatError, match=match):
        parse_dsjson_lines([line])


def test_missing_file():
    with pytest.raises(LogFormatError, match="does not exist"):
        read_dsjson("no/such/file.json")


def test_without_a_and_p_the_full_distribution_is_unknown():
    log = parse_dsjson_lines([_line(a=None, p=None)])
    assert log.logging_probs is None and log.actions.tolist() == [0]
    assert np.array_equal(log.eligible, [[True, True]])
