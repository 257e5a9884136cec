"""How soon a drift challenger takes over under each switch rule (issue 12's agreement and
anytime interval, issue 15's recovery), in the drift-recovery test world.

The world of ``tests/engine/test_drift_recovery.py``: the real Engine on the test catalog,
its drift monitor with small windows and ``recover = true``, the selection's ``FAST`` settings
(``min_samples`` 300, a check every 50, 2 in a row); 3,000 customers, then each segment answers
what the other one did. Prints, for each rule, the customers after the change by which the
challenger (``drift1``) serves, read every ``--step`` customers up to ``--after``.

Run: ``python benchmarks/drift_takeover.py [--after 8000] [--step 250]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: the test world lives in tests/ (E402 below)

from tests.engine.engine_world import make_engine  # noqa: E402
from tests.engine.test_drift_recovery import CHANGE, DRIFT, FAST, stream  # noqa: E402

ARMS: list[tuple[str, dict[str, bool | str]]] = [
    ("DR and IPS agree (stops 5-19)", {"estimator": "dr"}),
    ("control-variate DR and IPS agree", {"estimator": "dr_cv"}),
    ("DR alone (before stop 5)", {"estimator": "dr", "agree": False}),
    ("DR and IPS agree, anytime interval", {"estimator": "dr", "anytime": True}),
]


def takeover(settings: dict[str, bool | str], after: int, step: int) -> int | None:
    """Customers after the change by which ``drift1`` serves (read every ``step``), or None."""
    with tempfile.TemporaryDirectory() as d, make_engine(
            d, drift=DRIFT, selection={**FAST, **settings}) as eng:
        stream(eng, 0, CHANGE)
        i = CHANGE
        while i < CHANGE + after:
            stream(eng, i, i + step)
            i += step
            if eng.stats()["serving_learner"] == "drift1":
                return i - CHANGE
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--after", type=int, default=8000, help="customers after the change")
    p.add_argument("--step", type=int, default=250, help="customers between two reads")
    args = p.parse_args(argv)
    for label, settings in ARMS:
        got = takeover(settings, args.after, args.step)
        print(f"{label}: " + (f"serving by {got:,} customers after the change" if got
                              else f"not serving {args.after:,} customers after the change"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
