"""``campaign estimate`` where the truth is known: a campaign valued from a simulated log, and its
exact value, on the simulator's campaign mode.

One trial, in one world (``CustomerBatchEnv(..., mode="campaign")``):

1. **What was done before** (the log): ``log_days`` days decided greedily on a model's scores
   with ``log_epsilon`` uniform exploration among the actions still open
   (:func:`policies.allocation.allocate`: every propensity is the one the draw used), either
   first come, first served in arrival order (``logger="fcfs"``) or at prices in a random order
   (``logger="price"``: an earlier campaign). Rewards are the decisions' realised totals.
2. **The campaign**, the next day: prices fitted to the day's room on the same model's scores,
   ``epsilon`` exploration, customers drawn in a random order. Its exact value is the mean over
   its customers of ``sum_a p(a) R(a)``, ``p`` each customer's distribution at their turn and
   ``R`` the world's expected rewards.
3. **The estimate**, as ``campaign estimate`` computes it: the campaign's policy
   (:func:`engine.campaign.estimate.campaign_policy`: priced greedy plus exploration over the
   actions the rules allowed each logged customer, before any channel was full) as the target on
   the log, valued by
   :func:`engine.campaign.estimate.campaign_dr` (doubly robust; reward model: a cross-fitted
   ridge on the contexts and the actions' attributes stacked with the model's scores; the
   interval for the value on the campaign's own ``batch_size`` customers).

The model is the world's expected rewards plus independent normal noise of ``score_noise``
standard deviations (the same noisy scores for the logger and the campaign). The coverage of the
estimate's interval over many seeds is what ``benchmarks/bench_campaign_estimate.py`` reports.

Example:
    >>> t = estimate_trial("capacity", seed=0, log_days=1, n_customers=3000)
    >>> sorted(k for k in t if k.startswith("truth"))
    ['truth_campaign', 'truth_log']
"""

from __future__ import annotations

import numpy as np

from engine.campaign.estimate import (
    campaign_bounded,
    campaign_dr,
    campaign_policy,
    campaign_reward_model,
)
from ope import LoggedDecisions, estimate
from policies.allocation import allocate, explore_distribution
from policies.dual_prices import find_prices
from simulator import CustomerBatchEnv, load_scenario

__all__ = ["estimate_trial"]


def _noisy(truth: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    return truth + rng.normal(0.0, noise * float(truth.std()), truth.shape) if noise else truth


def estimate_trial(scenario: str, *, seed: int, log_days: int = 3, epsilon: float = 0.05,
                   log_epsilon: float = 0.3, score_noise: float = 0.5, alpha: float = 0.05,
                   logger: str = "fcfs", n_customers: int | None = None,
                   floors: tuple[float, ...] = (0.0, 0.01)) -> dict[str, float]:
    """One trial (see the module docstring).

    A first-come log never played a full channel for the customers who came after it filled,
    while the campaign gives that channel to its best customers wherever they arrive: on those
    rows the campaign's choice has no logged support, and the doubly robust estimate leans on
    its reward model there (``benchmarks/bench_campaign_estimate.py`` measures both loggers).

    Returns:
        ``estimate``, ``ci_low``, ``ci_high``, ``ess``, ``unsupported_mass``, ``n_log``;
        ``truth_campaign`` (the campaign's exact value per customer) and ``truth_log`` (its
        policy's exact value on the logged decisions, what the estimator estimates directly);
        ``logging_mean`` (the log's mean reward); ``oracle_ci_low``, ``oracle_ci_high`` (the
        interval of DR with the world's expected rewards as its reward model, on the log: what
        is left when the reward model is right) and ``barely_logged`` (the target's mass on
        actions the logger played with probability < 0.01: valued by the reward model alone);
        per floor of ``floors`` and range, the bounded estimate of
        :func:`engine.campaign.estimate.campaign_bounded` (the log carries the logger's full
        distribution, so the support is exact): ``{floor}_{range}_ci_low`` ... (:func:`_bounds`).
    """
    from experiments.campaign_days import day_resources

    sc = load_scenario(scenario, **({} if n_customers is None else {"n_customers": n_customers}))
    env = CustomerBatchEnv(sc, mode="campaign", seed=seed)
    rng = np.random.default_rng([seed, 7])
    obs, info = env.reset(seed=seed)
    nc = env.catalog.no_contact_action
    rows: dict[str, list[np.ndarray]] = {k: [] for k in ("x", "a", "p", "e", "s", "r", "refs",
                                                          "mu")}
    totals: dict[int, float] = {}
    for _ in range(log_days):
        truth = env.expected_rewards()
        scores = _noisy(truth, score_noise, rng)
        room = day_resources(env, info)
        priced = scores
        if logger == "price":
            prices = find_prices(scores, info["eligible"], room, epsilon=log_epsilon)
            priced = scores - prices.action_prices(room)
            alloc = allocate(scores, info["eligible"], room, prices, epsilon=log_epsilon,
                             rng=rng, order=rng.permutation(env.batch_size), no_contact=nc)
        else:
            alloc = allocate(scores, info["eligible"], room, epsilon=log_epsilon, rng=rng,
                             order=info["arrival_order"], no_contact=nc)
        mu = explore_distribution(priced, alloc.feasible, log_epsilon)  # the logger's
        for key, value in (("x", obs), ("a", alloc.actions), ("p", alloc.probabilities),
                           ("e", info["eligible"]), ("s", scores), ("r", truth), ("mu", mu)):
            rows[key].append(value)
        obs, _, _, _, info = env.step(alloc.actions)
        rows["refs"].append(info["refs"])
        totals.update(zip(info["matured_refs"].tolist(), info["matured_rewards"].tolist(),
                          strict=True))
    late_refs, late = env.flush()
    totals.update(zip(late_refs.tolist(), late.tolist(), strict=True))
    # the campaign, the next day: prices on the day's room, then the draw
    truth = env.expected_rewards()
    scores = _noisy(truth, score_noise, rng)
    res = day_resources(env, info)
    prices = find_prices(scores, info["eligible"], res, epsilon=epsilon)
    day = allocate(scores, info["eligible"], res, prices, epsilon=epsilon, rng=rng,
                   order=rng.permutation(env.batch_size), no_contact=nc)
    used = explore_distribution(scores - prices.action_prices(res), day.feasible, epsilon)
    truth_campaign = float(np.einsum("ij,ij->i", used, truth).mean())
    # the estimate from the log
    x, a, e = (np.concatenate(rows[k]) for k in ("x", "a", "e"))
    rewards = np.array([totals[r] for r in np.concatenate(rows["refs"]).tolist()])
    log = LoggedDecisions(contexts=x, context_names=env.context_names, actions=a,
                          propensities=np.concatenate(rows["p"]), rewards=rewards, eligible=e,
                          action_names=env.catalog.action_names,
                          logging_probs=np.concatenate(rows["mu"]))
    target = campaign_policy(np.concatenate(rows["s"]), e, res, prices, epsilon)
    result = campaign_dr(log, target, np.asarray(env.catalog.action_features), alpha, seed=seed,
                         scores=np.concatenate(rows["s"]), customers=env.batch_size)
    bounds = _bounds(log, target, env, np.concatenate(rows["s"]), alpha, seed, floors)
    r_log = np.concatenate(rows["r"])
    oracle = estimate("dr", rewards, a, log.propensities, target, reward_hat=r_log, alpha=alpha)
    return {"oracle_ci_low": oracle.ci[0], "oracle_ci_high": oracle.ci[1],
            "barely_logged": float((target * (np.concatenate(rows["mu"]) < 0.01)).sum(1).mean()),
            "estimate": result.value, "ci_low": result.ci[0], "ci_high": result.ci[1],
            "ess": result.ess, "unsupported_mass": result.unsupported_mass, "n_log": log.n,
            "truth_campaign": truth_campaign,
            "truth_log": float(np.einsum("ij,ij->i", target, r_log).mean()),
            "logging_mean": float(rewards.mean()), **bounds}


def _bounds(log: LoggedDecisions, target: np.ndarray, env, scores: np.ndarray, alpha: float,
            seed: int, floors: tuple[float, ...]) -> dict[str, float]:
    """:func:`campaign_bounded` per floor and range (per channel, ``observed`` or ``predicted``;
    ``predicted-action``: the model's range per action):
    ``{floor}_{range}_{ci_low|ci_high|dr_low|dr_high|mass|value}``.
    """
    attributes = np.asarray(env.catalog.action_features)
    q = campaign_reward_model(log, attributes, scores, seed)
    out: dict[str, float] = {}
    for floor in floors:
        for name, rng, groups in (
                ("observed", "observed", env.catalog.channel_of),
                ("predicted", "predicted", env.catalog.channel_of),
                ("predicted-action", "predicted", np.arange(log.n_actions))):
            b = campaign_bounded(log, target, attributes, groups, alpha, seed,
                                 scores=scores, customers=env.batch_size, floor=floor,
                                 reward_range=rng, reward_hat=q)
            key = f"{floor:g}_{name}"
            out |= {f"{key}_ci_low": b.ci[0], f"{key}_ci_high": b.ci[1],
                    f"{key}_dr_low": b.supported.ci[0], f"{key}_dr_high": b.supported.ci[1],
                    f"{key}_mass": b.mass, f"{key}_value": b.supported.value}
    return out
