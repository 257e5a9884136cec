"""The dashboard's alternatives: logged policy, uniform random, best fixed action."""

from __future__ import annotations

import numpy as np
import pytest

from ope import OPEInputError
from ope.alternatives import dashboard_estimates

MEANS = np.array([0.1, 0.2, 0.5, 0.3])


def _log(n=20_000, seed=0):
    rng = np.random.default_rng(seed)
    # the logger favours action 0 (60%), the others 40% / 3
    probs = np.array([0.6, 0.4 / 3, 0.4 / 3, 0.4 / 3])
    a = rng.choice(4, size=n, p=probs)
    r = (rng.random(n) < MEANS[a]).astype(float)
    x = rng.normal(size=(n, 2))
    return a, r, probs[a], x


def test_values_match_the_truth():
    a, r, p, _ = _log()
    d = dashboard_estimates(r, a, p, n_actions=4, action_names=["w", "x", "y", "z"])
    assert d.estimator == "snips" and d.best_action == 2
    assert d.logged.value == pytest.approx(r.mean())
    assert d.logged.ci[0] <= 0.6 * 0.1 + 0.4 / 3 * 1.0 <= d.logged.ci[1]
    assert d.uniform.ci[0] <= MEANS.mean() <= d.uniform.ci[1]
    assert d.best_fixed.ci[0] <= 0.5 <= d.best_fixed.ci[1]
    assert d.estimated_regret == pytest.approx(d.best_fixed.value - d.logged.value)
    out = d.to_dict()
    assert [e["name"] for e in out["estimates"]] == [
        "logged policy", "uniform random", "best fixed action (y)"]
    assert out["n"] == 20_000 and out["best_action"] == "y"
    assert set(out["estimates"][0]) >= {"name", "value", "lo", "hi"}


def test_with_contexts_uses_dr_and_respects_eligibility():
    a, r, p, x = _log(seed=1)
    eligible = np.ones((a.size, 4), dtype=bool)
    eligible[:, 2] = False  # the best action may never be played...
    eligible[a == 2, 2] = True  # ...except where the log played it
    d = dashboard_estimates(r, a, p, eligible, contexts=x)
    assert d.estimator == "dr"
    # where 2 is not eligible, "fixed 2" falls back to uniform over {0, 1, 3} (mean 0.2), so it
    # is worth about 0.13 * 0.5 + 0.87 * 0.2 = 0.24 < 0.3, and action 3 wins
    share = 0.4 / 3
    assert d.per_action[2].ci[0] <= share * 0.5 + (1 - share) * 0.2 <= d.per_action[2].ci[1]
    assert d.best_action == 3


def test_never_played_action_is_not_a_candidate():
    a = np.array([0, 1, 0, 1])
    d = dashboard_estimates([0.0, 1.0, 0.0, 1.0], a, [0.5] * 4, n_actions=3)
    assert d.per_action[2] is None and d.best_action == 1


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"actions": []}, r"actions must be a non-empty \(n,\) array"),
    ({"eligible": np.ones((3, 2), dtype=bool)}, r"eligible must have shape \(n=2, K\)"),
    ({"eligible": np.array([[True, False], [False, False]])}, r"eligible has a row with no"),
    ({"action_names": ["only"]}, r"action_names has 1 names but there are 2 actions"),
    ({"propensities": [0.0, 0.5]}, r"propensities must be in \(0, 1\]"),
])
def test_bad_input(kwargs, match):
    args = {"rewards": [1.0, 0.0], "actions": [0, 1], "propensities": [0.5, 0.5]}
    with pytest.raises(OPEInputError, match=match):
        dashboard_estimates(**{**args, **kwargs})


@pytest.mark.parametrize("with_contexts", [False, True])
def test_fixed_action_fast_path_equals_estimate_on_explicit_targets(with_contexts):
    from ope import estimate
    from ope.estimators.reward_model import fit_reward_model

    a, r, p, x = _log(n=3000, seed=2)
    rng = np.random.default_rng(3)
    eligible = rng.random((a.size, 4)) < 0.7
    eligible[np.arange(a.size), a] = True
    d = dashboard_estimates(r, a, p, eligible, contexts=x if with_contexts else None)
    q = fit_reward_model(x, a, r, 4, folds=5, seed=0) if with_contexts else None
    uniform = eligible / eligible.sum(axis=1, keepdims=True)
    for j in range(4):
        target = uniform.copy()
        target[eligible[:, j]] = 0.0
        target[eligible[:, j], j] = 1.0
        want = estimate(d.estimator, r, a, p, target, q)
        got = d.per_action[j]
        assert got.value == pytest.approx(want.value, rel=1e-10)
        assert got.ci == pytest.approx(want.ci, rel=1e-9)
        assert (got.ess, got.max_weight) == pytest.approx((want.ess, want.max_weight))
        assert got.unsupported_mass == pytest.approx(want.unsupported_mass)
    want_u = estimate(d.estimator, r, a, p, uniform, q)
    assert d.uniform.value == pytest.approx(want_u.value, rel=1e-10)
