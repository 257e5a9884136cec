"""Every learning policy beats uniform random by a clear margin on the tiny linear world.

The measure is the share of the achievable gain it captures over the last 1,000 of 3,000
decisions: (policy - random) / (oracle - random), all three on the same customers.
"""

from __future__ import annotations

import pytest
from linear_world import make_problem, run
from test_policy_contract import NAMES

from policies import make_policy

DECISIONS, LAST = 3000, 1000
# name -> (params, minimum share of the random-to-oracle gap over the last decisions). An A/B test
# cannot use the numeric context columns, so its bar is lower; the contextual learners' is high.
LEARNERS = {
    "best_fixed": ({"explore_decisions": 500}, 0.2),
    "segment_rules": ({"explore_decisions": 300}, 0.5),
    "epsilon_greedy": ({}, 0.75),
    "linucb": ({}, 0.85),
    "lints": ({}, 0.85),
    "vw_epsilon": ({}, 0.75),
    "vw_squarecb": ({}, 0.75),
    "vw_bag": ({}, 0.75),
}
NOT_LEARNERS = {"random", "oracle"}


def mean_last(name: str, params: dict, seed: int) -> float:
    return float(run(make_policy(name, make_problem(), seed, **params), seed, DECISIONS)[-LAST:]
                 .mean())


def test_every_registered_policy_has_a_learnability_bar():
    missing = set(NAMES) - set(LEARNERS) - NOT_LEARNERS
    assert not missing, f"add a learnability bar for {sorted(missing)}"


@pytest.mark.parametrize("name", [n for n in NAMES if n in LEARNERS])
def test_learner_captures_most_of_the_gain(name):
    params, bar = LEARNERS[name]
    seed = 11
    random, oracle = mean_last("random", {}, seed), mean_last("oracle", {}, seed)
    share = (mean_last(name, params, seed) - random) / (oracle - random)
    assert share >= bar, f"{name} captured {share:.2f} of the gain, wanted >= {bar}"


def test_segment_rules_beat_one_fixed_action_when_segments_differ():
    seed = 12
    fixed = mean_last("best_fixed", LEARNERS["best_fixed"][0], seed)
    rules = mean_last("segment_rules", LEARNERS["segment_rules"][0], seed)
    assert rules > fixed + 0.05
