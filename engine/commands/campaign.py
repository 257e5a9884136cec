"""``offerbandit campaign``: score a whole customer base within budget and capacity, activate what
was sent, value a campaign before launch (``docs/campaigns.md``).

- ``campaign score``: every customer of ``--customers`` decided on Ray (batch prediction, the
  rules of ``choose``, prices for the scarce resources), written to the log inactive, one row
  per customer in ``--out``;
- ``campaign activate``: the decisions whose message went out (``--sent``) become active;
- ``campaign estimate``: the campaign's expected value from the logged history (off-policy
  evaluation), next to the logging policy's and the holdout's.

Example:
    >>> import argparse
    >>> sub = argparse.ArgumentParser().add_subparsers()
    >>> p = add_parser(sub)
    >>> args = p.parse_args(["score", "--customers", "c.parquet", "--catalog", "c.toml",
    ...                      "--state-dir", "s", "--out", "d.parquet", "--capacity", "sms=500"])
    >>> args.capacity, args.workers, args.budget
    ([('sms', 500)], 1, None)
"""

from __future__ import annotations

import argparse
import math
import sys
import time

from engine.commands.export import parse_since

__all__ = ["add_parser", "parse_capacity"]


def parse_capacity(text: str) -> tuple[str, int]:
    """``CHANNEL=N`` as a pair.

    Example:
        >>> parse_capacity("sms=500")
        ('sms', 500)
    """
    name, sep, value = text.partition("=")
    if not sep or not name or not value.isdigit():
        raise argparse.ArgumentTypeError(f"--capacity: expected CHANNEL=N (N sends, a whole "
                                         f"number), got {text!r}")
    return name, int(value)


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not value >= 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``campaign`` (with ``score``, ``activate``, ``estimate``) and return its parser."""
    p = subparsers.add_parser("campaign", help="score, activate and value campaigns",
                              description="Campaigns: a whole customer base decided at once, "
                              "within budget and channel capacity (docs/campaigns.md).")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    _score_parser(verbs)
    _activate_parser(verbs)
    _estimate_parser(verbs)
    return p


def _score_parser(verbs: argparse._SubParsersAction) -> None:
    s = verbs.add_parser("score", help="decide for every customer of a table",
                         description="Score every customer of --customers on Ray, within the "
                         "budget and the channels' capacity, and write each decision to the log "
                         "inactive (activate the sent ones with 'campaign activate').")
    s.add_argument("--customers", required=True,
                   help="Parquet file: customer_id and context columns (docs/campaigns.md)")
    s.add_argument("--catalog", required=True, help="catalog TOML (docs/catalog.md)")
    _where(s, "its log and checkpoints")
    s.add_argument("--out", required=True, help="Parquet file of the decisions, one per customer")
    s.add_argument("--budget", type=_non_negative, default=None,
                   help="the most money the campaign commits: channel cost plus discount per "
                   "send (default: no budget)")
    s.add_argument("--capacity", type=parse_capacity, action="append", default=[],
                   metavar="CHANNEL=N", help="the most sends on a channel (repeatable; never "
                   "more than its daily_capacity left that day; default: that)")
    s.add_argument("--discount-base", type=_non_negative, default=1.0,
                   help="money per unit of a message's discount per send (default 1: "
                   "discounts are amounts given with every send)")
    s.add_argument("--at", type=parse_since, default=None,
                   help="the decisions' time, ISO (UTC if no offset; default: now): rules, "
                   "send times and the day whose capacity is used")
    s.add_argument("--epsilon", type=float, default=None,
                   help="exploration among feasible actions (default: the learner's epsilon)")
    s.add_argument("--seed", type=int, default=0, help="seeds the draws (default 0)")
    s.add_argument("--workers", type=int, default=1,
                   help="scoring workers on Ray (default 1; 0: in this process, no Ray)")
    s.add_argument("--address", default=None,
                   help="a Ray cluster to run on (auto or ray://host:10001; default: a local "
                   "Ray)")
    s.add_argument("--batch-size", type=int, default=2000,
                   help="customers per batch and per log transaction (default 2000)")
    s.add_argument("--sample-size", type=int, default=20_000,
                   help="customers scored first to set the prices (default 20000)")
    s.add_argument("--no-progress", action="store_true",
                   help="no progress bar (default: a bar on stderr)")
    s.set_defaults(func=_run_score)


def _activate_parser(verbs: argparse._SubParsersAction) -> None:
    a = verbs.add_parser("activate", help="activate the decisions whose message went out",
                         description="Activate the decisions named in --sent (column "
                         "decision_id, optional sent_at); only activated decisions are ever "
                         "learned from.")
    a.add_argument("--sent", required=True, help="Parquet file: decision_id[, sent_at]")
    _where(a, "its log")
    a.add_argument("--at", type=parse_since, default=None,
                   help="send time of rows without sent_at, ISO (default: now)")
    a.set_defaults(func=_run_activate)


def _estimate_parser(verbs: argparse._SubParsersAction) -> None:
    e = verbs.add_parser("estimate", help="the campaign's expected value, before launch",
                         description="Value a scored campaign from the logged history by "
                         "off-policy evaluation (doubly robust, with intervals), next to the "
                         "logging policy and the holdout.")
    e.add_argument("--campaign", required=True,
                   help="the decisions file written by 'campaign score'")
    e.add_argument("--catalog", required=True, help="catalog TOML the campaign was scored with")
    _where(e, "its log")
    e.add_argument("--since", type=parse_since, default=None,
                   help="only the history from this ISO date/time (default: all of it)")
    e.add_argument("--alpha", type=float, default=0.05, help="1 - interval level (default 0.05)")
    e.add_argument("--json", action="store_true",
                   help="print one JSON object (default: a report for people)")
    e.set_defaults(func=_run_estimate)


def _where(parser: argparse.ArgumentParser, what: str) -> None:
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--state-dir", help=f"the engine's state directory ({what}; default: "
                       f"none; this or --store is required)")
    where.add_argument("--store", help="a shared log: postgresql://user@host/db or "
                       "sqlite:///folder/ (default: none; this or --state-dir is required); "
                       "the latest model snapshot published there is used")


def _open_log(args: argparse.Namespace):  # -> DecisionStore; imported late, like the rest
    """The log named by --store or --state-dir (which must hold one already)."""
    from pathlib import Path

    from engine.store import FILE_NAME
    from engine.store_url import open_store

    if args.state_dir is not None and not (Path(args.state_dir) / FILE_NAME).is_file():
        raise ValueError(f"--state-dir: expected a folder holding {FILE_NAME}, got "
                         f"{args.state_dir!r}")
    return open_store(args.store, args.state_dir)


def _fail(exc: Exception) -> int:
    print(f"offerbandit campaign: {exc}", file=sys.stderr)
    return 2


def _run_score(args: argparse.Namespace) -> int:
    from engine.campaign.plan import CampaignPlan
    from engine.campaign.runner import score_campaign
    from engine.config import load_config
    from engine.errors import EngineError
    from engine.options import EngineOptions

    try:
        _, _, settings = load_config(args.catalog)
        epsilon = args.epsilon
        if epsilon is None:
            epsilon = EngineOptions.from_dict(settings).learner_config.epsilon
        plan = CampaignPlan(at=time.time() if args.at is None else args.at,
                            budget=math.inf if args.budget is None else args.budget,
                            capacity=dict(args.capacity), discount_base=args.discount_base,
                            epsilon=epsilon, seed=args.seed, batch_size=args.batch_size,
                            sample_size=args.sample_size)
        s = score_campaign(args.customers, args.catalog, args.state_dir, args.out, plan,
                           store=args.store, workers=args.workers, address=args.address,
                           progress=not args.no_progress)
    except (EngineError, OSError) as exc:
        return _fail(exc)
    t = s.totals
    print(f"{t.decided:,} decisions written inactive ({t.holdout:,} holdout), {t.errors:,} "
          f"customers refused, -> {s.out}")
    for ch, n in t.sends.items():
        room = s.room[ch]
        limit = "no cap" if math.isinf(room) else f"room {room:,.0f}"
        print(f"  {ch:<12} {n:>9,} sends ({limit}; price {s.prices[ch]:.4g} per send)")
    budget = "no budget" if math.isinf(s.room["budget"]) else f"budget {s.room['budget']:,.2f}"
    print(f"  spent {t.spent:,.2f} ({budget}; price {s.prices['budget']:.4g} per unit); model "
          f"{s.model_source}, learned_seq {s.learned_seq}; prices fitted on {s.sampled:,} "
          f"customers")
    for line in t.first_errors:
        print(f"  refused {line}")
    return 0


def _run_activate(args: argparse.Namespace) -> int:
    from engine.campaign.activation import activate_sent
    from engine.errors import EngineError

    try:
        with _open_log(args) as log:
            n = activate_sent(log, args.sent,
                              default_at=time.time() if args.at is None else args.at)
    except (EngineError, OSError, ValueError) as exc:
        return _fail(exc)
    print(f"{n:,} decisions activated")
    return 0


def _run_estimate(args: argparse.Namespace) -> int:
    import json

    from engine.campaign.estimate import estimate_campaign
    from engine.errors import EngineError
    from ope.errors import OPEError

    try:
        report = estimate_campaign(args.campaign, args.catalog, args.state_dir,
                                   store=args.store, since=args.since, alpha=args.alpha)
    except (EngineError, OPEError, OSError) as exc:
        return _fail(exc)
    print(json.dumps(report.to_dict()) if args.json else report.text())
    return 0
