"""What a changed world pays under each set of candidates, with drift recovery on (issue 12,
stop 41: RegCB-opt serving first, the shared default's candidates as challengers on trial).

The world of ``tests/engine/test_drift_recovery.py``: the real Engine on the test catalog, its
drift monitor with small windows and ``recover = true``, the selection's ``FAST`` settings;
3,000 customers, then each segment answers what the other one did, for ``--after`` more; each
reward at once. Prints, per arm, the mean reward over the last 1,000 customers before the
change, the first 1,000 after it, the last 1,000 and all of them after it, the serving
candidate at the end, the switches, and the drift challenger's paired difference from the
serving candidate (the estimate the switch rule reads) with its 95 % interval.

Arms: the default (``default``); ``regcb first``: the suite's ``engine regcbloop scaled
first+default trial 0.1-0.9`` (RegCB-opt first, the default's joint ridge, the ridge and
SquareCB beside it, the leading one on a trial of 0.1 growing to 0.9); the same without the
trial (``regcb first no trial``); its RegCB-opt alone (``regcb alone``: its drift challenger
is then its only rival); and the three again with 5 % uniform mixed into RegCB-opt, from the
label ``engine regcbloop scaled floor first+default trial 0.1-0.9`` (``regcb floor ...``).

Run: ``python benchmarks/drift_recovery_by_candidates.py [--after 2500]
[--arms "default,regcb first"]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: the test world lives in tests/ (E402 below)

from engine.candidates import SHARED_DEFAULT_CANDIDATES  # noqa: E402
from experiments.learning_suite.contestants import learner  # noqa: E402
from tests.engine.engine_world import T0, context, make_engine, reward_of  # noqa: E402
from tests.engine.test_drift_recovery import CHANGE, DRIFT, FAST, swapped  # noqa: E402

FIRST = "engine regcbloop scaled first+default trial 0.1-0.9"
FLOOR = "engine regcbloop scaled floor first+default trial 0.1-0.9"


def _arms() -> dict[str, dict[str, Any]]:
    """Each arm's engine options, built from the suite's labels (the same tables, not copies):
    RegCB-opt first with the default's candidates and the label's trial, without the trial,
    and alone; with no floor and with the floor."""
    out: dict[str, dict[str, Any]] = {"default": {}}
    for name, label in (("regcb", FIRST), ("regcb floor", FLOOR)):
        params = learner(label).params
        first = list(params["first_candidates"])
        out[f"{name} first"] = {"candidates": [*first, *SHARED_DEFAULT_CANDIDATES],
                                "selection": dict(params["selection"])}
        out[f"{name} first no trial"] = {"candidates": [*first, *SHARED_DEFAULT_CANDIDATES]}
        out[f"{name} alone"] = {"candidates": first[:1]}
    return out


ARMS = _arms()


def run(options: dict[str, Any], after: int) -> dict[str, Any]:
    """One arm through the world: its rewards, and the selection's state at the end."""
    selection = {**FAST, **options.get("selection", {})}
    rest = {k: v for k, v in options.items() if k != "selection"}
    got = np.empty(CHANGE + after)
    with tempfile.TemporaryDirectory() as d, make_engine(
            d, drift=DRIFT, selection=selection, **rest) as eng:
        for i in range(CHANGE + after):
            ctx = context(i)
            dec = eng.choose(f"c{i}", ctx, now=T0 + i)
            got[i] = (reward_of if i < CHANGE else swapped)(ctx, dec.message, dec.channel)
            eng.reward(dec.decision_id, float(got[i]), now=T0 + i)
        stats = eng.stats()
    return {"rewards": got, "serving": stats["serving_learner"],
            "switches": stats["learner_switches"],
            "drift1": stats["candidates"].get("drift1")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--after", type=int, default=2500, help="customers after the change")
    parser.add_argument("--arms", default="default,regcb first", help="comma-separated arm names")
    args = parser.parse_args()
    if args.after < 1000:
        parser.error(f"--after: expected at least 1000, got {args.after}")
    names = [a.strip() for a in args.arms.split(",")]
    unknown = [a for a in names if a not in ARMS]
    if unknown:
        parser.error(f"--arms: expected some of {', '.join(ARMS)}; got {', '.join(unknown)}")
    print(f"{'arm':<22} {'before':>7} {'first 1000 after':>17} {'last 1000':>10} "
          f"{'all after':>10} {'serving':>10} {'switches':>8}  drift1 minus serving [95 %] "
          f"(rows)")
    for name in names:
        out = run(ARMS[name], args.after)
        r = out["rewards"]
        c = out["drift1"] or {}
        diff = ("-" if c.get("difference") is None else
                f"{c['difference']:+.3f} [{c['difference_low']:+.3f}, "
                f"{c['difference_high']:+.3f}] ({c['difference_n']})")
        print(f"{name:<22} {r[CHANGE - 1000:CHANGE].mean():>7.3f} "
              f"{r[CHANGE:CHANGE + 1000].mean():>17.3f} {r[-1000:].mean():>10.3f} "
              f"{r[CHANGE:].mean():>10.3f} {out['serving']:>10} {out['switches']:>8}  {diff}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
