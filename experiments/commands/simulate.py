"""``offerbandit simulate``: run one policy in the simulated world and print what happened.

    offerbandit simulate --scenario baseline --policy random --steps 100000

``--steps`` counts decisions (customers contacted or not), made ``--batch-size`` at a time.
Prints the funnel per channel, the mean realized reward per decision, the guardrails
(unsubscribes, churn), and the oracle's value (mean over decisions of the best eligible expected
reward) next to the policy's own expected value, so their gap is the regret per decision.
``random`` and ``oracle`` run as plain numpy here; any other name comes from
``policies.registry.make_policy`` through the :mod:`experiments.sim_problem` bridge.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> args = add_parser(sub).parse_args(["--scenario", "small", "--steps", "2000", "--quiet"])
    >>> summary = simulate(args.scenario, args.policy, args.steps, args.batch_size, args.seed,
    ...                    progress=False)
    >>> summary.decisions, round(summary.oracle_value / summary.random_value)  # best vs random
    (2000, 12)
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from experiments.commands.arg_types import positive_int
from policies.base import SeesTruth

__all__ = ["SimulationSummary", "add_parser", "run", "simulate"]

_BUILT_IN = ("random", "oracle")


@dataclass
class SimulationSummary:
    """What one simulated run produced (per decision unless named otherwise)."""

    scenario: str
    policy: str
    decisions: int
    simulated_days: float
    mean_reward: float
    policy_value: float
    oracle_value: float
    random_value: float
    no_contact_share: float
    unsubscribes: int
    churned: int
    contacts: int
    funnel: dict[str, dict[str, float]] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def regret(self) -> float:
        """Oracle value minus the policy's expected value, per decision."""
        return self.oracle_value - self.policy_value


class _Memory:
    """The contexts, actions and probabilities of decisions whose reward has not matured yet,
    kept per step (refs are ``step * batch + row``)."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self.steps: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.left: dict[int, int] = {}

    def keep(self, step: int, obs: np.ndarray, actions: np.ndarray, probs: np.ndarray) -> None:
        self.steps[step] = (obs, actions, probs)
        self.left[step] = len(actions)

    def recall(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        steps, rows = np.divmod(refs, self.batch)
        out_obs, out_a, out_p = [], [], []
        for s in np.unique(steps):
            pick = rows[steps == s]
            obs, a, p = self.steps[int(s)]
            out_obs.append(obs[pick])
            out_a.append(a[pick])
            out_p.append(p[pick])
            self.left[int(s)] -= len(pick)
            if not self.left[int(s)]:
                del self.steps[int(s)], self.left[int(s)]
        return np.concatenate(out_obs), np.concatenate(out_a), np.concatenate(out_p)


def _make_policy(name: str, env: Any, seed: int) -> Any:
    """A registered policy for this env, or None for the built-in random and oracle."""
    if name in _BUILT_IN:
        return None
    from experiments.sim_problem import problem_from_catalog
    from policies.registry import make_policy

    return make_policy(name, problem_from_catalog(env), seed)


def simulate(scenario: str, policy: str = "random", steps: int = 100_000,
             batch_size: int = 1000, seed: int = 0, progress: bool = True) -> SimulationSummary:
    """Run ``policy`` for ``steps`` decisions and summarise.

    Args:
        scenario: scenario name or TOML path.
        policy: ``random``, ``oracle`` or a name registered in ``policies.registry``.
        steps: number of decisions (rounded up to whole batches).
        batch_size: customers per step (capped at the population size).
        seed: seed of the world and of the policy.
        progress: show a tqdm progress bar.

    Returns:
        The :class:`SimulationSummary`.
    """
    from tqdm import tqdm

    from simulator import CustomerBatchEnv, FunnelCounter, load_scenario
    from simulator.calibration import uniform_random_actions

    sc = load_scenario(scenario)
    env = CustomerBatchEnv(sc, batch_size=min(batch_size, sc.n_customers), seed=seed)
    learner = _make_policy(policy, env, seed)
    rng = np.random.default_rng([seed, 2])
    memory = _Memory(env.batch_size)
    counter = FunnelCounter(env.catalog.channels)
    n_steps = -(-steps // env.batch_size)
    obs, info = env.reset(seed=seed)
    sums = np.zeros(4)  # policy value, oracle value, random value, realized reward
    no_contact = 0
    for step in tqdm(range(n_steps), desc=f"simulate {sc.name} / {policy}", unit="batch",
                     disable=not progress):
        el = info["eligible"]
        expected = env.expected_rewards()
        masked = np.where(el, expected, -np.inf)
        if policy == "random":
            actions = uniform_random_actions(el, rng)
            probs = 1.0 / el.sum(axis=1)
        elif policy == "oracle":
            actions, probs = masked.argmax(axis=1), np.ones(len(el))
        else:
            if isinstance(learner, SeesTruth):
                learner.see_expected(expected)
            actions, probs = learner.act(obs, el)
        rows = np.arange(len(actions))
        sums[:3] += (expected[rows, actions].sum(), masked.max(axis=1).sum(),
                     (np.where(el, expected, 0).sum(axis=1) / el.sum(axis=1)).sum())
        memory.keep(step, obs, actions, probs)
        obs, _, _, _, info = env.step(actions)
        counter.add(env.catalog.channel_of[actions], info)
        no_contact += int((actions == env.catalog.no_contact_action).sum())
        sums[3] += _learn(learner, memory, info["matured_refs"], info["matured_rewards"])
    refs, totals = env.flush()
    sums[3] += _learn(learner, memory, refs, totals)
    n = n_steps * env.batch_size
    counts = counter.counts
    return SimulationSummary(
        scenario=sc.name, policy=policy, decisions=n,
        simulated_days=n_steps * env.hours_per_step / 24, mean_reward=float(sums[3] / n),
        policy_value=float(sums[0] / n), oracle_value=float(sums[1] / n),
        random_value=float(sums[2] / n),
        no_contact_share=no_contact / n,
        unsubscribes=sum(c["unsubscribed"] for c in counts.values()),
        churned=sum(c["churned"] for c in counts.values()),
        contacts=sum(c["sent"] for c in counts.values()), funnel=counter.rates(), counts=counts)


def _learn(learner: Any, memory: _Memory, refs: np.ndarray, rewards: np.ndarray) -> float:
    """Hand matured rewards to the learner (if any); return their sum."""
    if len(refs) == 0:
        return 0.0
    contexts, actions, probs = memory.recall(refs)
    if learner is not None:
        learner.learn(contexts, actions, probs, rewards)
    return float(rewards.sum())


def format_summary(s: SimulationSummary) -> str:
    """The summary as the text the command prints."""
    lines = [
        (f"scenario {s.scenario}, policy {s.policy}: {s.decisions:,} decisions over "
        f"{s.simulated_days:.1f} simulated days"),
        "",
        (f"{'channel':8s} {'sent':>8s} {'deliv%':>7s} {'open%':>7s} {'click%':>7s} "
        f"{'CTOR%':>7s} {'conv/click%':>11s} {'conv/send%':>10s} {'unsub%':>7s}"),
    ]
    for ch, r in s.funnel.items():
        lines.append(
            f"{ch:8s} {s.counts[ch]['sent']:8d} {_pct(r['delivery_rate'])} "
            f"{_pct(r['open_rate'])} {_pct(r['click_rate'])} {_pct(r['click_to_open'])} "
            f"{_pct(r['conversion_per_click'], 11)} {_pct(r['conversion_per_send'], 10)} "
            f"{_pct(r['unsubscribe_rate'])}")
    per_k = 1000 / max(s.contacts, 1)
    lines += [
        "",
        f"mean reward per decision (realized): {s.mean_reward:9.4f}",
        f"policy expected value per decision : {s.policy_value:9.4f}",
        f"oracle value per decision          : {s.oracle_value:9.4f}",
        f"uniform-random value per decision  : {s.random_value:9.4f}",
        f"regret per decision (oracle-policy): {s.regret:9.4f}",
        f"no-contact share                   : {100 * s.no_contact_share:8.2f}%",
        (f"guardrails: {s.unsubscribes} unsubscribes ({s.unsubscribes * per_k:.2f} per 1,000 "
        f"contacts), {s.churned} churned ({s.churned * per_k:.2f} per 1,000 contacts)"),
    ]
    return "\n".join(lines)


def _pct(x: float, width: int = 7) -> str:
    return f"{'-':>{width}s}" if np.isnan(x) else f"{100 * x:{width}.3f}"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``simulate`` and return its parser."""
    p = subparsers.add_parser(
        "simulate", help="run a policy in the customer simulator and print funnel, reward, "
        "guardrails and the oracle's value",
        description="Run one policy in a simulated world of customers. --steps counts "
        "decisions; random and oracle are built in, any name from policies.registry works too.")
    p.add_argument("--scenario", default="baseline",
                   help="baseline, cold_start, drift, fatigue, capacity, small, or a TOML path "
                   "(default baseline)")
    p.add_argument("--policy", default="random",
                   help="random, oracle, or a registered policy name, e.g. vw_squarecb "
                   "(default random)")
    p.add_argument("--steps", type=positive_int, default=100_000,
                   help="decisions to make (default 100000)")
    p.add_argument("--batch-size", type=positive_int, default=1000,
                   help="customers per step (default 1000)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the world and the policy (default 0)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar (default: a bar over batches)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run the command; 2 with a one-line error on bad input."""
    import sys

    from policies.errors import PolicyError
    from simulator import SimulatorError

    try:
        summary = simulate(args.scenario, args.policy, args.steps, args.batch_size, args.seed,
                           progress=not args.quiet)
    except (SimulatorError, PolicyError) as err:
        print(f"offerbandit simulate: error: {err}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    return 0
