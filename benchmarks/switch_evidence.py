"""What the switch rule sees during one suite cell of an engine: every ``--every`` decisions,
each challenger's paired difference from the serving candidate (the rule's estimate and IPS,
with their 95 % intervals, over every row both met), which challengers are on trial and the
share of each decision they draw (``selection.trial_share``, ``trial_share_max``), and who
serves; a last line after the final rewards, with the rows each difference would need for its
interval to exclude 0 if its estimate and spread held (rows x (half-width / estimate)^2: a
reading of how far the horizon falls short, not a prediction). Next to the suite's capture, it
tells a rule that could not move (an interval wider than the gap it would have to show) from
one that chose not to.

Run: ``python benchmarks/switch_evidence.py --world small --learner "engine default+regcbloop
trial 0.3" --seed 14`` (seconds to a minute per cell on 2 cores).
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack
from typing import Any

from experiments.learning_suite.contestants import build_contestant, learner
from experiments.worlds import make_world
from ope.estimators.result import OPEResult


def _fmt(r: OPEResult) -> str:
    return f"{r.value:+.4f} [{r.ci[0]:+.4f}, {r.ci[1]:+.4f}]"


def evidence(world_name: str, label: str, seed: int, every: int) -> list[str]:
    """One line per ``every`` decisions (an engine learner only)."""
    world = make_world(world_name, seed, None, True)
    lines: list[str] = []
    with ExitStack() as stack:
        stack.callback(world.close)
        contestant = build_contestant(learner(label), world, seed, stack)
        engine = getattr(contestant, "engine", None)
        if engine is None:
            raise SystemExit(f"{label!r} is not an engine learner")
        est = engine.options.selection_settings.estimator
        done = 0
        while not world.done:
            batch = world.observe()
            picks, _ = contestant.act(batch)
            contestant.learn(world.play(picks))
            before, done = done, done + len(picks)
            if done // every != before // every:
                lines.append(_line(str(done), engine, est))
        contestant.learn(world.flush())
        lines.append(_line(f"{done} and the last rewards", engine, est, needed=True))
    return lines


def _line(when: str, engine: Any, est: str, needed: bool = False) -> str:
    """One row of the table: who serves, who is on trial at what share, each difference."""
    sel = engine._selection  # the suite's own engine: read, never changed
    parts = []
    for name in sel.learners:
        diff = None if name == sel.serving else sel.difference(name, sel.serving)
        if diff is not None and est in diff:
            part = (f"{name} - {sel.serving}: n {diff[est].n}, {est} {_fmt(diff[est])}, "
                    f"ips {_fmt(diff['ips'])}")
            parts.append(part + (f", needs {rows_needed(diff[est]):,.0f} rows" if needed else ""))
    share = sel.trial_weight / max(1, len(sel.on_trial()))
    trial = ", ".join(f"{n} ({share:.2f})" for n in sel.on_trial()) or "-"
    return f"| {when} | {sel.serving} | {trial} | {'; '.join(parts) or '-'} |"


def rows_needed(r: OPEResult) -> float:
    """Rows for the interval to exclude 0 at the same estimate and per-row spread."""
    half = (r.ci[1] - r.ci[0]) / 2.0
    return float("inf") if r.value == 0.0 else r.n * (half / r.value) ** 2


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", default="small")
    p.add_argument("--learner", default="engine default+regcbloop trial 0.3")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--every", type=int, default=1000)
    args = p.parse_args(argv)
    print(f"{args.world}, {args.learner}, seed {args.seed}: challenger minus serving, paired, "
          "over every row both met")
    print("| decisions | serving | on trial (share) | differences |")
    print("| --- | --- | --- | --- |")
    for line in evidence(args.world, args.learner, args.seed, args.every):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
