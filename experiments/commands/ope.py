"""``offerbandit ope``: the value of a target policy estimated from a log, with intervals.

    offerbandit ope --log decisions.parquet --format parquet --target linucb \\
        --estimators dr,snips --train-fraction 0.5

Prints one row per estimator: value, interval, effective sample size, largest importance weight,
share of the target's mass on actions the log never played, rows used.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> args = add_parser(sub).parse_args(["--log", "x.json", "--format", "dsjson",
    ...                                    "--target", "random", "--estimators", "ips,dr"])
    >>> args.estimators, args.alpha
    (['ips', 'dr'], 0.05)
"""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_parser", "evaluate_log", "run"]

_FORMATS = ("parquet", "dsjson", "simulator")


def _estimator_list(text: str) -> list[str]:
    from experiments.ope import ESTIMATORS

    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in ESTIMATORS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"estimators must be a comma list of {', '.join(ESTIMATORS)}; got {text!r}"
        )
    return names


def _param(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"--target-param must look like name=value, got {text!r}")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``ope`` and return its parser."""
    p = subparsers.add_parser(
        "ope", help="estimate a policy's value from logged decisions (off-policy evaluation)",
        description="Estimate the mean reward per decision of a target policy from a log of "
        "decisions with their propensities (engine Parquet export or VW/Personalizer DSJSON).")
    p.add_argument("--log", required=True, help="the log file (or Parquet dataset folder); with "
                   "--format simulator, a scenario name whose log is simulated now")
    p.add_argument("--format", required=True, choices=_FORMATS)
    p.add_argument("--target", required=True, help="a policy name from policies (e.g. random, "
                   "best_fixed, linucb, vw_epsilon), or 'engine' for a saved engine model "
                   "(with --engine-state and --catalog)")
    p.add_argument("--engine-state", default=None, metavar="DIR",
                   help="--target engine: the engine's state folder (its checkpoint is read; "
                   "default: none)")
    p.add_argument("--catalog", default=None,
                   help="--target engine: the engine's catalog TOML (default: none)")
    p.add_argument("--target-param", type=_param, action="append", default=[],
                   metavar="NAME=VALUE",
                   help="a parameter of the target policy (repeatable; default: its defaults)")
    p.add_argument("--estimators", type=_estimator_list,
                   default=["dm", "ips", "snips", "dr", "sndr", "switch_dr"],
                   help="comma list (default: all six)")
    p.add_argument("--train-fraction", type=float, default=0.0,
                   help="the target first learns from this leading share of the log and is "
                   "evaluated on the rest (default 0: evaluate the untrained target on all)")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="intervals at level 1 - alpha (default 0.05: 95%% intervals)")
    p.add_argument("--folds", type=int, default=5,
                   help="cross-fitting folds of the reward model (default 5)")
    p.add_argument("--tau", type=float, default=20.0,
                   help="Switch-DR's weight threshold (default 20)")
    p.add_argument("--seed", type=int, default=0,
                   help="seeds the target, the reward model's folds and a simulated log "
                   "(default 0)")
    p.add_argument("--n-actions", type=int, default=None,
                   help="K for a Parquet export without action names in its metadata; refused "
                   "when it contradicts them (default: from the metadata, else the largest "
                   "action index + 1)")
    p.add_argument("--cost-is-reward", action="store_true",
                   help="DSJSON: read _label_cost as the reward (default: reward = -cost)")
    p.add_argument("--logger", default="random",
                   help="--format simulator: the policy that writes the log (default random)")
    p.add_argument("--rows", type=int, default=20_000,
                   help="--format simulator: decisions to simulate (default 20,000)")
    p.add_argument("--json", action="store_true",
                   help="print JSON lines instead of a table (default: a table)")
    p.set_defaults(func=run)
    return p


def _read(args: argparse.Namespace):
    from experiments.ope.simulator_log import simulate_log
    from ope.readers.dsjson_log import read_dsjson
    from ope.readers.parquet_log import read_parquet_log

    if args.format == "dsjson":
        return read_dsjson(args.log, negate_cost=not args.cost_is_reward)
    if args.format == "simulator":
        return simulate_log(args.log, args.logger, args.rows, seed=args.seed)
    return read_parquet_log(args.log, n_actions=args.n_actions)


def _target(log, target: str, params, seed: int, train_fraction: float, engine_state, catalog):
    """The evaluated rows and the target's (n, K) distribution on them."""
    from experiments.ope.engine_model import engine_model_probabilities
    from experiments.ope.target_policy import target_probabilities
    from ope.errors import OPEInputError

    if target != "engine":
        return target_probabilities(log, target, params, seed, train_fraction)
    if engine_state is None or catalog is None:
        raise OPEInputError("--target engine needs --engine-state DIR and --catalog PATH")
    rest = log.split(train_fraction)[1]
    return rest, engine_model_probabilities(rest, catalog, engine_state)


def evaluate_log(log, target: str, estimators: list[str], *, params=None, train_fraction=0.0,
                 alpha=0.05, folds=5, tau=20.0, seed=0, progress=None, engine_state=None,
                 catalog=None) -> tuple[list, float | None]:
    """Every requested estimator's :class:`~experiments.ope.OPEResult` for ``target`` on ``log``,
    and the target's true value on the evaluated rows when the log is simulated (else None).

    ``target`` is a ``policies`` name, or ``"engine"`` for the model checkpointed in
    ``engine_state`` (with its ``catalog``), replayed on the log's learner features."""
    from experiments.ope import estimate, make_estimator
    from ope.estimators.reward_model import fit_reward_model

    step = progress.update if progress is not None else (lambda _=1: None)
    rest, probs = _target(log, target, params, seed, train_fraction, engine_state, catalog)
    step()
    q = None
    if any(make_estimator(e).needs_reward_hat for e in estimators):
        features = rest.n_actions if rest.action_features is None else rest.action_features
        q = fit_reward_model(rest.contexts, rest.actions, rest.rewards, features,
                             folds=min(folds, rest.n), seed=seed)
    step()
    results = []
    for name in estimators:
        results.append(estimate(name, rest.rewards, rest.actions, rest.propensities, probs, q,
                                alpha, tau=tau))
        step()
    return results, rest.true_value(probs)


def _table(results, truth, log, args) -> str:
    head = (f"{'estimator':<10} {'value':>9} {'ci low':>9} {'ci high':>9} {'ESS':>10} "
            f"{'max w':>8} {'unsupp.':>8} {'n':>9}")
    lines = [f"log {args.log} ({args.format}): {log.n:,} decisions, {log.n_actions} actions"
             + (f"; skipped {dict(log.skipped)}" if log.skipped else ""),
             (f"target {args.target}, train fraction {args.train_fraction}, "
             f"{100 * (1 - args.alpha):g}% intervals"), head, "-" * len(head)]
    lines.extend(f"{r.estimator:<10} {r.value:>9.4f} {r.ci[0]:>9.4f} {r.ci[1]:>9.4f} "
                 f"{r.ess:>10,.1f} {r.max_weight:>8.2f} {r.unsupported_mass:>8.3f} "
                 f"{r.n:>9,}" for r in results)
    worst = min(results, key=lambda r: r.ess)
    if worst.ess < max(100.0, 0.01 * worst.n):
        lines.append(f"warning: effective sample size {worst.ess:,.1f} of {worst.n:,} rows (max "
                     f"weight {worst.max_weight:,.0f}): the log barely covers what the target "
                     "does; read the estimates as unreliable")
    if truth is not None:
        lines.append(f"{'truth':<10} {truth:>9.4f}   (the simulator's expected rewards)")
    lines.append("intervals: " + "; ".join(f"{r.estimator}: {r.ci_method}" for r in results))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Read the log, build the target, print the estimates; 2 on bad input."""
    from tqdm import tqdm

    from ope.errors import OPEError

    try:
        log = _read(args)
        with tqdm(total=2 + len(args.estimators), desc="ope", disable=None,
                  file=sys.stderr) as bar:
            results, truth = evaluate_log(log, args.target, args.estimators,
                                   params=dict(args.target_param),
                                   train_fraction=args.train_fraction, alpha=args.alpha,
                                   folds=args.folds, tau=args.tau, seed=args.seed, progress=bar,
                                   engine_state=args.engine_state, catalog=args.catalog)
    except OPEError as exc:
        print(f"offerbandit ope: {exc}", file=sys.stderr)
        return 2
    if args.json:
        for r in results:
            print(json.dumps({**r.to_dict(), "truth": truth}))
    else:
        print(_table(results, truth, log, args))
    return 0
