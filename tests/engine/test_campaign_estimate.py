"""``campaign_dr``: the campaign's value from a log that rarely played its actions.

The world of these tests is the simulator's defect in miniature: the logger agrees with the
campaign on most customers and, on a fifth of them, prefers another action, so the campaign's
choice there was logged only by exploration (probability 0.3 / 100). The rewards vary per
customer and action in ways the contexts do not explain, so a contexts-only ridge values those
choices at their action's average and the doubly robust estimate is low with a narrow interval;
the campaign's own scores (the truth plus noise) know better.
"""

from __future__ import annotations

import numpy as np
import pytest

from engine.campaign.estimate import campaign_dr
from ope import LoggedDecisions
from policies.allocation import explore_distribution

K = 100


def _world(seed: int, n: int = 4000):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    truth = np.exp(rng.normal(0, 0.6, (n, K))) + 0.2 * x[:, :1]
    scores = truth + rng.normal(0, 0.3, (n, K))
    allowed = np.ones((n, K), dtype=bool)
    preferred = np.where(rng.random((n, 1)) < 0.2, -np.arange(K, dtype=float), scores)
    logger = explore_distribution(preferred, allowed, 0.3)
    a = (logger.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    rewards = truth[np.arange(n), a] + rng.normal(0, 0.5, n)
    log = LoggedDecisions(contexts=x, context_names=("x0", "x1", "x2"), actions=a,
                          propensities=logger[np.arange(n), a], rewards=rewards, eligible=allowed,
                          action_names=tuple(f"a{i}" for i in range(K)))
    target = explore_distribution(scores, allowed, 0.05)
    return log, target, scores, float(np.einsum("ij,ij->i", target, truth).mean())


def test_scores_value_the_actions_the_log_rarely_played():
    """With the contexts-only ridge, 3 of these 8 intervals (seeds 0, 6, 7) missed the truth,
    each low by ~0.2 with a half-width of ~0.05: the reward model's bias, not noise."""
    covered, errors = 0, []
    for seed in range(8):
        log, target, scores, truth = _world(seed)
        got = campaign_dr(log, target, np.eye(K), scores=scores)
        covered += got.ci[0] <= truth <= got.ci[1]
        errors.append(got.value - truth)
    assert covered >= 7, errors
    assert abs(np.median(errors)) < 0.05, errors


def test_interval_is_for_the_campaigns_own_customers():
    """The values of ``customers`` new customers spread around the logged customers' mean: their
    variance over ``customers`` is added to the estimate's, and nothing else changes."""
    log, target, scores, _ = _world(0)
    on_log = campaign_dr(log, target, np.eye(K), scores=scores)
    for m in (100, 10_000):
        campaign = campaign_dr(log, target, np.eye(K), scores=scores, customers=m)
        assert campaign.value == on_log.value and campaign.ess == on_log.ess
        spread = campaign.std_error ** 2 - on_log.std_error ** 2
        assert spread > 0
        assert campaign.ci[1] - campaign.value == pytest.approx(1.959963984540054
                                                                * campaign.std_error)
    few = campaign_dr(log, target, np.eye(K), scores=scores, customers=100)
    many = campaign_dr(log, target, np.eye(K), scores=scores, customers=10_000)
    assert few.std_error ** 2 - on_log.std_error ** 2 == pytest.approx(
        100 * (many.std_error ** 2 - on_log.std_error ** 2))
