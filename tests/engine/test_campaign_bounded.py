"""``campaign_bounded``: the campaign's value with the mass the log cannot identify bounded.

A first-come log in miniature: two channels of two actions; on the second half of the rows the
second channel was full, so the logger never played it there, while the campaign puts most of its
mass on it everywhere. Rewards are 0/1 with a per-customer part the contexts do not explain.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.campaign.estimate import campaign_bounded, campaign_dr, logged_support
from ope import LoggedDecisions

K = 4
CHANNEL = np.array([0, 0, 1, 1])


def _log(seed: int, n: int = 3000, *, with_distribution: bool = True):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    truth = np.clip(0.5 + 0.1 * x[:, :1] + rng.normal(0, 0.2, (n, K)), 0, 1)
    truth[:, 2:] = np.clip(truth[:, 2:] + 0.3, 0, 1)  # the scarce channel is worth more
    logger = np.full((n, K), 0.25)
    late = np.arange(n) >= n // 2
    logger[late] = [0.5, 0.5, 0.0, 0.0]
    a = (logger.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    rewards = (rng.random(n) < truth[np.arange(n), a]).astype(float)
    log = LoggedDecisions(contexts=x, context_names=("x0", "x1"), actions=a,
                          propensities=logger[np.arange(n), a], rewards=rewards,
                          eligible=np.ones((n, K), bool), action_names=("a", "b", "c", "d"),
                          logging_probs=logger if with_distribution else None)
    target = np.tile([0.05, 0.05, 0.45, 0.45], (n, 1))
    return log, target, float(np.einsum("ij,ij->i", target, truth).mean())


def test_unplayed_channel_widens_the_interval_by_the_bound():
    log, target, truth = _log(0)
    got = campaign_bounded(log, target, np.eye(K), CHANNEL)
    assert got.mass == pytest.approx(0.45)  # 0.9 of the target on half the rows
    assert got.bound[0] < -0.05 and got.bound[1] > 0.05
    width = got.ci[1] - got.ci[0]
    assert width == pytest.approx(got.supported.ci[1] - got.supported.ci[0]
                                  + got.bound[1] - got.bound[0])
    assert got.ci[0] <= truth <= got.ci[1]
    plain = campaign_dr(log, target, np.eye(K))
    # the same DR but for the model clipped into its channel's predicted range
    assert got.supported.value == pytest.approx(plain.value, abs=1e-3)


def test_bound_is_zero_when_the_log_supports_the_campaign():
    log, _, _ = _log(1)
    on_channel_0 = np.tile([0.5, 0.5, 0.0, 0.0], (log.n, 1))
    got = campaign_bounded(log, on_channel_0, np.eye(K), CHANNEL)
    assert got.mass == 0.0 and got.bound == (0.0, 0.0) and got.ci == got.supported.ci


def test_engine_log_support_is_the_eligible_actions_it_played():
    """The engine's log has only the played action's probability: an eligible action the log
    played somewhere counts as supported, one it never played does not, and a floor drops the
    logged action's own cell when its propensity is below it."""
    log, _, _ = _log(2, with_distribution=False)
    never = log.actions != 3
    log = LoggedDecisions(contexts=log.contexts[never], context_names=log.context_names,
                          actions=log.actions[never], propensities=log.propensities[never],
                          rewards=log.rewards[never], eligible=log.eligible[never],
                          action_names=log.action_names)
    support = logged_support(log, 0.0)
    assert support[:, :3].all() and not support[:, 3].any()
    floored = logged_support(log, 0.3)  # every logged propensity is 0.25 or 0.5
    rows = np.arange(log.n)
    assert (floored[rows, log.actions] == (log.propensities >= 0.3)).all()
