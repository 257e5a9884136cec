"""A campaign's value before launch: ``offerbandit campaign estimate``.

The campaign is a policy: the model snapshot that scored it, its prices, its exploration. Its
expected reward per customer is estimated from the logged history by off-policy evaluation:
on every logged, rewarded, treated decision, the campaign's distribution over the actions the
rules allowed then (the priced greedy choice plus exploration, :func:`campaign_policy`) is the
target, and the doubly robust estimator gives its value with an interval, the effective sample
size and the share of the target on actions the log never played (:func:`campaign_dr`). Its
reward model is a cross-fitted ridge on the logged contexts and the actions' attributes stacked
with the campaign model's own scores of the logged contexts (cross-fitted on the logged
rewards); the interval is for the campaign's value on its own customers (the spread of their
values around the logged customers' mean is added). The campaign's mass on actions the log does
not support (logger probability below :data:`UNSUPPORTED_FLOOR`) is not identified: it is
bounded by the reward model's range (:func:`campaign_bounded`), and the interval reported first
is the DR interval widened by that bound. Beside
it: the logging policy's own mean reward and the holdout's, with their intervals.

What comes from the campaign itself is exact: its customers, its holdout, its sends per channel
and what it commits (channel cost and discounts), read from its decisions file. Its expected
total is the estimated value per treated customer times the treated customers, plus the
holdout's mean reward times its holdout customers.

Limits: the estimate values the campaign's policy on the *logged* customers and contexts; it
is the campaign's value to the extent that its customers are drawn like them. The campaign's
model learnt from the same log, so its scores are not independent of the logged rewards: the
stacking's cross-fitting does not undo that. Capacity closing a
channel mid-campaign (rare at fitted prices) is not modelled. The engine's log has no
unsubscribes: they are not estimated.

Example:
    >>> import numpy as np
    >>> from policies.allocation import Prices, Resources
    >>> res = Resources(np.array([0, -1]), np.array([10.0]))
    >>> campaign_policy(np.array([[1.0, 0.0]]), np.ones((1, 2), bool), res,
    ...                 Prices(np.array([2.0])), 0.1).round(2).tolist()
    [[0.05, 0.95]]
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.campaign.plan import action_costs
from engine.campaign.runner import METADATA_KEY, sidecar_model
from engine.campaign.scoring import fresh_config
from engine.candidate_learners import CandidateConfig, batch_scorer, new_learner
from engine.catalog import Catalog
from engine.config import load_config
from engine.errors import CampaignError
from engine.features import FEATURES_VERSION, action_feature_sets
from engine.options import EngineOptions
from engine.parquet_export import export_parquet
from engine.snapshots import config_of
from engine.store import FILE_NAME
from engine.store_url import open_store
from ope import (
    LoggedDecisions,
    OPEResult,
    PartialIdentification,
    estimate,
    fit_reward_model,
    observed_reward_range,
    partially_identified_dr,
    predicted_reward_range,
    read_parquet_log,
    stack_reward_models,
)
from policies.allocation import Prices, Resources, explore_distribution

__all__ = [
    "UNSUPPORTED_FLOOR",
    "CampaignEstimate",
    "MeanValue",
    "action_attributes",
    "campaign_bounded",
    "campaign_dr",
    "campaign_policy",
    "campaign_reward_model",
    "estimate_campaign",
    "logged_support",
]

_Z = {0.05: 1.959963984540054}

# The logger probability below which a campaign's action counts as not identified by the log
# (bounded, not weighted): chosen by measurement in docs/campaigns.md.
UNSUPPORTED_FLOOR = 0.01
# What the unsupported mass is bounded by: "observed" (the logged rewards' range per group) or
# "predicted" (the reward model's range on the group's supported cells); ``estimate_campaign``
# takes each action as its own group (measured in docs/campaigns.md).
REWARD_RANGE = "predicted"


def _z(alpha: float) -> float:
    from statistics import NormalDist

    return _Z.get(alpha) or NormalDist().inv_cdf(1 - alpha / 2)


@dataclass(frozen=True)
class MeanValue:
    """A plain mean reward with its normal interval (a policy's value on its own decisions)."""

    value: float
    ci: tuple[float, float]
    n: int

    @classmethod
    def of(cls, rewards: np.ndarray, alpha: float) -> MeanValue | None:
        """The mean of ``rewards`` (None when there are fewer than 2)."""
        r = np.asarray(rewards, dtype=float)
        if r.size < 2:
            return None
        half = _z(alpha) * float(r.std(ddof=1)) / math.sqrt(r.size)
        m = float(r.mean())
        return cls(m, (m - half, m + half), int(r.size))


def campaign_policy(scores: np.ndarray, eligible: np.ndarray, resources: Resources,
                    prices: Prices, epsilon: float) -> np.ndarray:
    """(n, K) the campaign's distribution on contexts it did not score itself: the best priced
    score among the eligible actions, plus ``epsilon`` uniform over them."""
    return explore_distribution(scores - prices.action_prices(resources), eligible, epsilon)


def action_attributes(catalog: Catalog) -> np.ndarray:
    """(K, F) the actions' attributes for the reward model: one-hot message, channel and timing,
    a no-contact flag, the message's discount and margin, the channel's cost."""
    m, c, t = len(catalog.messages), len(catalog.channels), len(catalog.timings)
    out = np.zeros((catalog.n_actions, m + c + t + 4))
    for a in catalog.actions:
        if (triple := a.triple) is None:
            out[a.index, m + c + t] = 1.0
            continue
        msg, ch, _ = triple
        out[a.index, catalog.action_message[a.index]] = 1.0
        out[a.index, m + catalog.action_channel[a.index]] = 1.0
        out[a.index, m + c + catalog.action_timing[a.index]] = 1.0
        out[a.index, m + c + t + 1:] = (msg.discount, msg.margin, ch.cost)
    return out


def campaign_reward_model(log: LoggedDecisions, attributes: np.ndarray,
                          scores: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """(n, K) the reward model of :func:`campaign_dr`: the cross-fitted ridge on the contexts and
    ``attributes``, stacked with ``scores`` when given."""
    q = fit_reward_model(log.contexts, log.actions, log.rewards, attributes, folds=5, seed=seed)
    if scores is not None:
        q = stack_reward_models([q, scores], log.actions, log.rewards, folds=5, seed=seed)
    return q


def _for_customers(result: OPEResult, target: np.ndarray, q: np.ndarray, customers: int | None,
                   alpha: float) -> OPEResult:
    """``result``'s interval for the value on ``customers`` new customers (see campaign_dr)."""
    if not customers:
        return result
    spread = float(np.einsum("ij,ij->i", target, q).var(ddof=1)) / customers
    se = math.sqrt(result.std_error ** 2 + spread)
    half = _z(alpha) * se
    return replace(result, ci=(result.value - half, result.value + half), std_error=se,
                   ci_method=f"{result.ci_method}, plus the spread of {customers:,} "
                             f"customers' values")


def campaign_dr(log: LoggedDecisions, target: np.ndarray, attributes: np.ndarray,
                alpha: float = 0.05, seed: int = 0, *, scores: np.ndarray | None = None,
                customers: int | None = None) -> OPEResult:
    """The doubly robust value of ``target`` (n, K) on the logged decisions.

    The reward model is a cross-fitted ridge on the logged contexts and the action
    ``attributes`` (K, F), stacked (cross-fitted too) with the campaign's own ``scores`` (n, K)
    of the logged contexts when given. The campaign's actions that the log played only by
    exploration (probability ~epsilon / K) are valued by the reward model alone, and the ridge
    alone is far off there: on the simulator it undervalued them by ~0.4 per customer on a value
    of ~0.7 (``docs/campaigns.md``).

    With ``customers`` (the campaign's treated customers) the interval is for the campaign's
    value on *its* customers: their values spread around the logged customers' mean, so the
    variance of the per-row direct terms over ``customers`` is added to the estimate's own.
    """
    q = campaign_reward_model(log, attributes, scores, seed)
    result = estimate("dr", log.rewards, log.actions, log.propensities, target, reward_hat=q,
                      alpha=alpha)
    return _for_customers(result, target, q, customers, alpha)


def logged_support(log: LoggedDecisions, floor: float) -> np.ndarray:
    """(n, K) bool: the actions the logger played with probability >= ``floor`` per row.

    From the logger's full distribution when the log has it; else (the engine's log, which
    records only the played action's probability) the eligible actions of the actions the log
    played at least once, and the logged action only if its own propensity reaches the floor:
    an eligible, once-played action is taken as supported on every row, since its probability
    there is not in the log (a channel full for later customers is recorded ineligible, so the
    campaign's target has no mass on it there).
    """
    if log.logging_probs is not None:
        return (log.logging_probs >= floor) & (log.logging_probs > 0)
    seen = np.bincount(log.actions, minlength=log.n_actions) > 0
    support = log.eligible & seen
    support[np.arange(log.n), log.actions] = log.propensities >= floor
    return support


def campaign_bounded(log: LoggedDecisions, target: np.ndarray, attributes: np.ndarray,
                     groups: np.ndarray, alpha: float = 0.05, seed: int = 0, *,
                     scores: np.ndarray | None = None, customers: int | None = None,
                     floor: float = UNSUPPORTED_FLOOR, reward_range: str = REWARD_RANGE,
                     reward_hat: np.ndarray | None = None) -> PartialIdentification:
    """:func:`campaign_dr` plus what the log cannot identify, bounded.

    The target's mass on actions the logger played with probability below ``floor``
    (:func:`logged_support`) is valued by the reward model and bounded by a range per action's
    ``groups`` (K,) (its channel): ``reward_range="observed"``, the logged rewards' range
    (:func:`ope.observed_reward_range`), or ``"predicted"``, the reward model's range on the
    supported cells (:func:`ope.predicted_reward_range`);
    the rest by DR (:func:`ope.partially_identified_dr`). The DR interval is for the campaign's
    own ``customers`` as in :func:`campaign_dr`; the combined interval is that, widened by the
    bound. ``reward_hat``: :func:`campaign_reward_model`'s, when already fitted.
    """
    q = (campaign_reward_model(log, attributes, scores, seed) if reward_hat is None
         else reward_hat)
    support = logged_support(log, floor)
    if reward_range == "observed":
        low, high = observed_reward_range(log.rewards, log.actions, groups)
    elif reward_range == "predicted":
        low, high = predicted_reward_range(q, support, groups)
    else:
        raise CampaignError(f"reward_range: expected 'observed' or 'predicted', got "
                            f"{reward_range!r}")
    pi = partially_identified_dr(log.rewards, log.actions, log.propensities, target, q,
                                 support, low, high, alpha, floor)
    dr = _for_customers(pi.supported, target, np.clip(q, low, high), customers, alpha)
    return replace(pi, supported=dr, ci=(dr.ci[0] + pi.bound[0], dr.ci[1] + pi.bound[1]))


@dataclass(frozen=True)
class CampaignEstimate:
    """What ``campaign estimate`` reports (per customer values, campaign totals).

    Attributes:
        campaign: the DR estimate of the campaign's value per treated customer.
        logging: the logged (treated) decisions' mean reward: what was done before.
        holdout: the holdout's mean reward (None when the log has fewer than 2).
        customers, treated, holdout_customers: the campaign's counts.
        sends: channel -> the campaign's sends. cost: what it commits.
        model_estimate: the sum of the chosen actions' scores (the model's own view).
        total, total_ci: the campaign's expected total reward and its interval.
        skipped: logged rows left out, by reason.
        bounded: the campaign's value with the mass the log cannot identify bounded
            (:func:`campaign_bounded`); ``campaign`` is its DR part (its ``ci`` the sampling
            interval only); ``total_ci`` includes the bound.
    """

    campaign: OPEResult
    logging: MeanValue | None
    holdout: MeanValue | None
    customers: int
    treated: int
    holdout_customers: int
    sends: dict[str, int]
    cost: float
    model_estimate: float
    total: float
    total_ci: tuple[float, float]
    skipped: tuple[tuple[str, int], ...]
    bounded: PartialIdentification | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        def mean(m: MeanValue | None) -> dict | None:
            return None if m is None else {"value": m.value, "ci_low": m.ci[0],
                                           "ci_high": m.ci[1], "n": m.n}

        return {"campaign": self.campaign.to_dict(), "logging": mean(self.logging),
                "holdout": mean(self.holdout), "customers": self.customers,
                "treated": self.treated, "holdout_customers": self.holdout_customers,
                "sends": self.sends, "cost": self.cost, "model_estimate": self.model_estimate,
                "total": self.total, "total_ci_low": self.total_ci[0],
                "total_ci_high": self.total_ci[1], "skipped": dict(self.skipped),
                "bounded": None if self.bounded is None else self.bounded.to_dict()}

    def text(self) -> str:
        """The report for people: per 1,000 customers, then the campaign's totals."""
        def per_k(v: float) -> str:
            return f"{1000 * v:,.1f}"

        c = self.campaign
        lines = [f"campaign of {self.customers:,} customers ({self.treated:,} treated, "
                 f"{self.holdout_customers:,} holdout), valued on {c.n:,} logged decisions",
                 "expected reward per 1,000 customers (95% interval):" if c.alpha == 0.05 else
                 f"expected reward per 1,000 customers ({1 - c.alpha:.0%} interval):"]
        b = self.bounded
        if b is not None:
            lines.append(f"  this campaign                 {per_k(c.value)} [{per_k(b.ci[0])}, "
                         f"{per_k(b.ci[1])}]  (doubly robust, widened by what the log cannot "
                         f"identify)")
        lines.append(f"  this campaign (doubly robust) {per_k(c.value)} "
                     f"[{per_k(c.ci[0])}, {per_k(c.ci[1])}]  effective sample size {c.ess:,.0f}, "
                     f"max weight {c.max_weight:,.1f}, unsupported mass {c.unsupported_mass:.1%}")
        if b is not None:
            lines.append(f"  identification bound          [{per_k(b.bound[0])}, "
                         f"+{per_k(b.bound[1])}]  (the {b.mass:.1%} of the campaign the log does "
                         f"not support, valued anywhere in the model's range for its action)")
        for name, m in (("what was done before (logged)", self.logging),
                        ("holdout", self.holdout)):
            lines.append(f"  {name:<29} " + ("not in the log" if m is None else
                         f"{per_k(m.value)} [{per_k(m.ci[0])}, {per_k(m.ci[1])}]  n {m.n:,}"))
        if c.ess < max(100.0, 0.01 * c.n):
            lines.append("  warning: the log barely covers this campaign (low effective sample "
                         "size): do not trust the interval")
        sends = ", ".join(f"{ch} {n:,}" for ch, n in self.sends.items())
        lines += [f"campaign total: {self.total:,.1f} [{self.total_ci[0]:,.1f}, "
                  f"{self.total_ci[1]:,.1f}]; the model's own estimate {self.model_estimate:,.1f}",
                  f"sends: {sends}; commits {self.cost:,.2f}; unsubscribes: not in the log"]
        return "\n".join(lines)


def _metadata(path: Path) -> dict[str, Any]:
    try:
        meta = pq.read_schema(path).metadata or {}
    except (OSError, ValueError) as exc:
        raise CampaignError(f"campaign: cannot read {str(path)!r} as Parquet: {exc}") from None
    if METADATA_KEY not in meta:
        raise CampaignError(f"campaign: {str(path)!r} was not written by 'campaign score' (no "
                            f"{METADATA_KEY.decode()} metadata)")
    return json.loads(meta[METADATA_KEY])


def _campaign_counts(path: Path, channels: list[str]) -> dict[str, Any]:
    t = pq.read_table(path, columns=["decision_id", "holdout", "channel", "cost", "score"])
    decided = t.filter(pc.is_valid(t.column("decision_id")))
    holdout = int(pc.sum(decided.column("holdout")).as_py() or 0)
    sends = {ch: int(pc.sum(pc.equal(decided.column("channel"), ch)).as_py() or 0)
             for ch in channels}
    return {"customers": decided.num_rows, "holdout": holdout, "sends": sends,
            "cost": float(pc.sum(decided.column("cost")).as_py() or 0.0),
            "model": float(pc.sum(decided.column("score")).as_py() or 0.0)}


def _scores(catalog: Catalog, config: CandidateConfig, model: Path, features: tuple[str, ...],
            *, pruned: bool, scale: float) -> np.ndarray:
    """The campaign model's scores of the logged features (a VW or a ridge learner, as its
    configuration names), on the business scale."""
    with new_learner(config, model_path=model if model.is_file() else None) as learner:
        learner.set_actions(action_feature_sets(catalog, pruned))
        return batch_scorer(learner).scores([json.loads(f) for f in features]) * scale


def _holdout_rewards(export: Path) -> np.ndarray:
    t = pq.read_table(export, columns=["holdout", "active", "reward"])
    keep = pc.and_(pc.and_(t.column("holdout"), t.column("active")), pc.is_valid(t.column(
        "reward")))
    return t.filter(keep).column("reward").to_numpy(zero_copy_only=False).astype(float)


def estimate_campaign(campaign: str | os.PathLike, catalog_path: str | os.PathLike,
                      state_dir: str | os.PathLike | None, *, store: str | None = None,
                      since: float | None = None, alpha: float = 0.05) -> CampaignEstimate:
    """Value a scored campaign from the log (see the module docstring).

    The log is the state folder's, or the one ``store`` names (``sqlite:///...``,
    ``postgresql://...``); the model is the one that scored the campaign (its sidecar file),
    with the learner configuration it was served with.

    Raises:
        CampaignError: not a campaign file, another catalog, or no log.
        OPEError: the log has no rewarded treated decisions (``LogFormatError``).
    """
    path = Path(campaign)
    meta = _metadata(path)
    catalog, _, settings = load_config(catalog_path)
    if meta["catalog_version"] != catalog.version:
        raise CampaignError(f"catalog: expected the catalog the campaign was scored with "
                            f"(version {meta['catalog_version']}), got version "
                            f"{catalog.version}")
    if meta.get("features_version") != FEATURES_VERSION:
        raise CampaignError(f"campaign: scored with features version "
                            f"{meta.get('features_version')}, this engine has {FEATURES_VERSION}")
    options = EngineOptions.from_dict(settings).for_catalog(catalog)
    channels = [c.name for c in catalog.channels]
    prices = Prices(np.array([meta["prices"][ch] for ch in channels]), meta["prices"]["budget"])
    resources = Resources(catalog.action_channel, np.full(len(channels), np.inf),
                          action_costs(catalog, meta["plan"]["discount_base"]))
    if store is None and (state_dir is None or not (Path(state_dir) / FILE_NAME).is_file()):
        raise CampaignError(f"state_dir: expected a folder holding {FILE_NAME}, got "
                            f"{None if state_dir is None else str(state_dir)!r}")
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "log.parquet"
        with open_store(store, state_dir) as log:
            export_parquet(log, export, since=since)
        logged = read_parquet_log(export, n_actions=catalog.n_actions)
        holdout_r = _holdout_rewards(export)
    assert logged.learner_features is not None  # the engine's export has them
    config = (config_of(meta["learner_config"]) if "learner_config" in meta
              else fresh_config(catalog, options))
    scores = _scores(catalog, config, sidecar_model(path), logged.learner_features,
                     pruned=bool(meta.get("pruned", options.prune_features)),
                     scale=float(meta.get("reward_scale", 1.0)))
    target = campaign_policy(scores, logged.eligible, resources, prices,
                             meta["plan"]["epsilon"])
    counts = _campaign_counts(path, channels)
    treated = counts["customers"] - counts["holdout"]
    bounded = campaign_bounded(logged, target, action_attributes(catalog),
                               np.arange(catalog.n_actions), alpha, scores=scores,
                               customers=max(treated, 1))
    dr = bounded.supported
    holdout = MeanValue.of(holdout_r, alpha)
    h_value = holdout.value if holdout else 0.0
    total = dr.value * treated + h_value * counts["holdout"]
    half = _z(alpha) * math.hypot(dr.std_error * treated, (
        (holdout.ci[1] - holdout.value) / _z(alpha) if holdout else 0.0) * counts["holdout"])
    total_ci = (total - half + bounded.bound[0] * treated,
                total + half + bounded.bound[1] * treated)
    return CampaignEstimate(dr, MeanValue.of(logged.rewards, alpha), holdout,
                            counts["customers"], treated, counts["holdout"], counts["sends"],
                            counts["cost"], counts["model"], total, total_ci, logged.skipped,
                            bounded)
