"""What a trial costs, split into its parts: over the tail of a learning-suite cell, the capture
of the distribution the engine served (the serving candidate's mixed with the challengers' on
trial), of the serving candidate's own distribution within it, and of the challengers' part,
each the exact expected reward of the world's rows under that distribution (issue 12, stop 45).

A loss to the serving candidate alone that its own part shares says the trial taught it
worse (it learned from decisions it would not have made); one in the challengers' part only
is the price of the decisions they served.

    python benchmarks/trial_parts.py --world example_catalog --seeds 10-19 \\
        --learner "engine joint+regcbloop scaled floor trial 0.1-0.9" --alone "engine joint alone"
"""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from engine.learner_selection import LearnerSelection  # noqa: E402
from experiments.learning_suite.contestants import build_contestant, learner  # noqa: E402
from experiments.learning_suite.suite_cell import batch_values, capture  # noqa: E402
from experiments.metrics import mean_ci  # noqa: E402
from experiments.worlds import make_world  # noqa: E402


class _Recorder:
    """Every distribution the selection serves, with the serving candidate's own part."""

    def __init__(self) -> None:
        self.rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []
        self._original = LearnerSelection.served_parts

    def __enter__(self) -> _Recorder:
        original, rows = self._original, self.rows

        def recorded(sel: LearnerSelection, shared: Any, eligible: np.ndarray):
            mixed, parts = original(sel, shared, eligible)
            own = parts[sel.serving]
            share = sel.trial_weight if sel.on_trial() else 0.0  # what the mixture gave them
            rows.append((np.asarray(eligible).copy(), mixed.copy(), own.copy(), share))
            return mixed, parts

        LearnerSelection.served_parts = recorded  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        LearnerSelection.served_parts = self._original  # type: ignore[method-assign]


def _parts(world_name: str, label: str, seed: int) -> dict[str, float]:
    """Tail capture of the served, own and challengers' distributions of one cell; a decision
    no distribution made (a rule left one action) counts its played action in all three."""
    world = make_world(world_name, seed, quick=True)
    h = world.horizon
    tail = h - round(h * world.tail_fraction)
    served, own, rest, rand, best = [], [], [], [], []
    rest_rand: list[float] = []
    rest_best: list[float] = []
    with ExitStack() as stack, _Recorder() as rec:
        stack.callback(world.close)
        contestant = build_contestant(learner(label), world, seed, stack)
        made: list[Any] = []
        choose = contestant.engine.choose

        def recorded_choose(*a: Any, **k: Any) -> Any:
            start = len(rec.rows)
            d = choose(*a, **k)
            made.append(rec.rows[-1] if len(rec.rows) > start else None)
            return d

        contestant.engine.choose = recorded_choose
        while not world.done:
            b = world.observe()
            made.clear()
            picks, _ = contestant.act(b)
            played = world.served(picks, b.eligible)
            chosen, r, o = batch_values(b, played)
            for i, part in enumerate(made):
                if b.refs[i] < tail:
                    continue
                if part is None:
                    served.append(chosen[i])
                    own.append(chosen[i])
                else:
                    elig, mixed, mine, share = part
                    values = b.expected[i, elig]
                    served.append(mixed @ values)
                    own.append(mine @ values)
                    if share > 0.0:  # the challengers' part: what is left of the mixture
                        rest.append((mixed - (1 - share) * mine) @ values / share)
                        rest_rand.append(r[i])
                        rest_best.append(o[i])
                rand.append(r[i])
                best.append(o[i])
            contestant.learn(world.play(picks))
        contestant.learn(world.flush())
    out = {k: capture(np.array(v), np.array(rand), np.array(best))
           for k, v in (("served", served), ("own", own))}
    # over the rows where a challenger was on trial only (none: NaN)
    out["challengers"] = capture(np.array(rest), np.array(rest_rand), np.array(rest_best))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", default="example_catalog")
    ap.add_argument("--learner", default="engine joint+regcbloop scaled floor trial 0.1-0.9")
    ap.add_argument("--alone", default="engine joint alone",
                    help="the serving candidate alone, the reference")
    ap.add_argument("--seeds", default="10-19", help="first-last")
    args = ap.parse_args()
    lo, hi = (int(x) for x in args.seeds.split("-"))
    cells = []
    for seed in range(lo, hi + 1):
        mix, alone = _parts(args.world, args.learner, seed), _parts(args.world, args.alone, seed)
        cells.append((mix["served"], mix["own"], mix["challengers"], alone["served"]))
        print(f"seed {seed}: served {mix['served']:.3f}, its serving candidate's own part "
              f"{mix['own']:.3f}, the challengers' part {mix['challengers']:.3f}; alone "
              f"{alone['served']:.3f}", flush=True)
    a = np.array(cells)
    print(f"\n{args.world}, tail capture, seeds {args.seeds}, minus {args.alone!r} paired:")
    for j, name in enumerate(("served", "the serving candidate's own part",
                              "the challengers' part")):
        m, low, high = mean_ci(a[:, j] - a[:, 3])
        print(f"  {name}: {a[:, j].mean():.3f}, {m:+.3f} [{low:+.3f}, {high:+.3f}]")
    print(f"  alone: {a[:, 3].mean():.3f}")


if __name__ == "__main__":
    main()
