"""Where the online selection's paired DR width comes from: one learning-suite world through
the Engine with several candidates, every candidate's distribution on every logged row recorded
(the one the selection took, before the candidate learned the row), then each challenger's
paired difference from the serving candidate recomputed offline under these estimates:

- ``none``: IPS (a reward model of 0);
- ``action mean``: DR on each action's running mean reward over the rows before (the
  selection's :class:`ope.estimators.paired.PairedDifference`);
- ``shrunk mean``: DR on those means shrunk towards the overall mean (:func:`shrunk_means`);
- ``oracle``: DR on the world's exact expected reward of every action for that decision (on
  the simulator worlds not on the scale of the rewards the engine learns: docs/engine.md);
- ``action mean fitted`` and ``shrunk mean fitted``: the control-variate DR
  (:mod:`ope.estimators.dr_cv`) on those models.

For each, the mean difference and its 95 % half-width over the rows, and "true": the
difference by the world's expected rewards (issue 12, stop 19).

    python benchmarks/dr_model_ceiling.py baseline 3 --horizon 20000
    python benchmarks/dr_model_ceiling.py marketing54 0 --learner "engine segment first"
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from engine.engine import Engine  # noqa: E402
from engine.learner_selection import LearnerSelection, LoggedRow  # noqa: E402
from experiments.learning_suite.contestants import learner  # noqa: E402
from experiments.learning_suite.engine_contestant import EngineContestant  # noqa: E402
from experiments.worlds import make_world  # noqa: E402
from ope.estimators.dr_cv import ControlVariateDR  # noqa: E402
from ope.estimators.moments import Moments  # noqa: E402


class RowRecorder:
    """What the candidates met, row by row: which decision a log row is, and each candidate's
    distribution on it before learning it."""

    def __init__(self) -> None:
        self.decision_of: dict[int, str] = {}
        self.rows: dict[int, tuple[int, float, float]] = {}
        self.targets: dict[str, dict[int, np.ndarray]] = defaultdict(dict)

    def install(self) -> None:
        rec_self = self
        row_of, pair = Engine._row, LearnerSelection._pair

        def _row(engine: Engine, rec: Any, seq: int, *args: Any, **kwargs: Any) -> LoggedRow:
            rec_self.decision_of[seq] = rec.decision_id
            return row_of(engine, rec, seq, *args, **kwargs)

        def _pair(sel: LearnerSelection, name: str, row: LoggedRow, target: np.ndarray) -> None:
            # the distribution the selection itself took (no second call: a learner's
            # probabilities may move its state)
            rec_self.targets[name][row.seq] = target.copy()
            rec_self.rows[row.seq] = (row.action, row.probability, row.reward)
            pair(sel, name, row, target)

        self._originals = (row_of, pair)
        Engine._row = _row  # type: ignore[method-assign]
        LearnerSelection._pair = _pair  # type: ignore[method-assign]

    def uninstall(self) -> None:
        """Put back what :meth:`install` wrapped (a later recorder then wraps the engine's own)."""
        Engine._row, LearnerSelection._pair = self._originals  # type: ignore[method-assign]


def _paired_terms(diff: np.ndarray, a: np.ndarray, p: np.ndarray, r: np.ndarray,
                  q: np.ndarray) -> np.ndarray:
    """Per-row DR terms of a signed distribution ``diff`` (n, K) under the reward model q."""
    rows = np.arange(a.size)
    return (diff * q).sum(axis=1) + diff[rows, a] / p * (r - q[rows, a])


def _control_variate(diff: np.ndarray, a: np.ndarray, p: np.ndarray, r: np.ndarray,
                     q: np.ndarray) -> tuple[float, float]:
    """The control-variate DR of ``diff`` under the model q: its value and 95 % half-width."""
    rows = np.arange(a.size)
    u = diff[rows, a] / p * r
    z = diff[rows, a] / p * q[rows, a] - (diff * q).sum(axis=1)
    moments = Moments.of(np.column_stack([u, z, u * z, z * z]))
    value, grad = ControlVariateDR().value_and_gradient(moments.mean)
    return value, 1.96 * float(np.sqrt(grad @ moments.covariance() @ grad / a.size))


def _running_means(a: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """Each row's per-action running mean reward over the rows before it, (n, K)."""
    n = a.size
    sums, counts = np.zeros((n + 1, k)), np.zeros((n + 1, k))
    np.add.at(sums, (np.arange(1, n + 1), a), r)
    np.add.at(counts, (np.arange(1, n + 1), a), 1.0)
    sums, counts = np.cumsum(sums, axis=0)[:-1], np.cumsum(counts, axis=0)[:-1]
    return sums / np.maximum(counts, 1.0)


def shrunk_means(sums: np.ndarray, counts: np.ndarray, sum_squares: float) -> np.ndarray:
    """Each action's mean reward shrunk towards the mean of every reward, as far as the spread
    between the actions' means (beyond their own noise) warrants: a reward model for DR.

    ``sums`` and ``counts`` are each action's reward sum and rows (K,), ``sum_squares`` the sum
    of every squared reward. The one-way analysis of variance estimates the noise of a reward
    ``s2`` (within actions) and the spread of the actions' true means ``t2`` (between them,
    less what the noise alone would spread); an action seen ``n`` times keeps the share
    ``n t2 / (n t2 + s2)`` of its own mean's distance from the overall mean. Why try it: with
    many actions and rare, large rewards, an action met a few times has a raw mean that is
    mostly noise, and DR's model term adds that noise to every row that gives the action
    weight. Measured, not used by the engine: it narrows DR's interval 1.5-3.4x on ``baseline``
    and ``capacity`` (level on ``marketing54``) but leaves it wider than IPS's there; the
    control-variate DR on the raw means does better.

    Example:
        >>> q = shrunk_means(np.array([1.0, 0.0]), np.array([1.0, 1.0]), 1.0)
        >>> q.tolist()   # two rows, no way to tell noise from a difference: the overall mean
        [0.5, 0.5]
        >>> q = shrunk_means(np.array([100.0, 0.0]), np.array([100.0, 100.0]), 100.0)
        >>> q.tolist()   # one action always pays 1, the other never: their own means
        [1.0, 0.0]
    """
    n = float(counts.sum())
    if n <= 0.0:
        return np.zeros_like(sums, dtype=np.float64)
    mean = float(sums.sum()) / n
    seen = counts > 0.0
    k = int(seen.sum())
    own = np.where(seen, sums / np.maximum(counts, 1.0), mean)
    between = float((counts * (own - mean) ** 2).sum())
    within = max(float(sum_squares) - n * mean * mean - between, 0.0)
    if n <= k:
        return np.full(sums.shape, mean)
    noise = within / (n - k)
    spread = (between - (k - 1) * noise) / max(n - float((counts ** 2).sum()) / n, 1e-12)
    if spread <= 0.0:
        return np.full(sums.shape, mean)
    if noise <= 0.0:  # every action's rewards are its own constant
        return own
    keep = counts * spread / (counts * spread + noise)
    return mean + keep * (own - mean)


def _shrunk_means(a: np.ndarray, r: np.ndarray, k: int) -> np.ndarray:
    """Each row's per-action running means shrunk towards the running mean of every action,
    by the one-way analysis of variance's estimate of how far the actions' means spread, (n,
    K)."""
    n = a.size
    sums, counts = np.zeros((n + 1, k)), np.zeros((n + 1, k))
    np.add.at(sums, (np.arange(1, n + 1), a), r)
    np.add.at(counts, (np.arange(1, n + 1), a), 1.0)
    sums, counts = np.cumsum(sums, axis=0)[:-1], np.cumsum(counts, axis=0)[:-1]
    squares = np.concatenate([[0.0], np.cumsum(r * r)[:-1]])
    return np.stack([shrunk_means(sums[i], counts[i], squares[i]) for i in range(n)])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("world")
    ap.add_argument("seed", type=int)
    ap.add_argument("--learner", default="engine default+segment", help="an engine label")
    ap.add_argument("--horizon", type=int, default=20000)
    args = ap.parse_args(argv)
    recorder = RowRecorder()
    recorder.install()
    w = make_world(args.world, args.seed, args.horizon, True)
    expected: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory() as d, EngineContestant(
            w, d, seed=args.seed, **learner(args.learner).params) as eng:
        while not w.done:
            batch = w.observe()
            actions = eng.act(batch)[0]
            for i, ref in enumerate(batch.refs.tolist()):
                expected[eng._ids[ref]] = batch.expected[i]
            eng.learn(w.play(actions))
        serving = eng.engine.stats()["candidates"]
        first = next(n for n, c in serving.items() if c["serving"])
    w.close()
    seqs = sorted(recorder.rows)
    a = np.array([recorder.rows[s][0] for s in seqs])
    p = np.array([recorder.rows[s][1] for s in seqs])
    r = np.array([recorder.rows[s][2] for s in seqs])
    oracle = np.stack([expected[recorder.decision_of[s]] for s in seqs])
    k = oracle.shape[1]
    models = {"none": np.zeros_like(oracle), "action mean": _running_means(a, r, k),
              "shrunk mean": _shrunk_means(a, r, k),
              "oracle": oracle}
    decisions = len({recorder.decision_of[s] for s in seqs})
    print(f"{args.world} seed {args.seed}: {len(seqs)} rows of {decisions} decisions, serving "
          f"{first}; min propensity {p.min():.2e}; rewards > 0 on {np.mean(r > 0):.1%} of rows")
    for name, targets in recorder.targets.items():
        if name == first:
            continue
        diff = (np.stack([targets[s] for s in seqs])
                - np.stack([recorder.targets[first][s] for s in seqs]))
        line = []
        for m, q in models.items():
            t = _paired_terms(diff, a, p, r, q)
            line.append(f"{m} {t.mean():+.4f} +-{1.96 * t.std(ddof=1) / np.sqrt(t.size):.4f}")
        for m in ("action mean", "shrunk mean"):
            value, half = _control_variate(diff, a, p, r, models[m])
            line.append(f"{m} fitted {value:+.4f} +-{half:.4f}")
        true = float(((diff * oracle).sum(axis=1)).mean())
        print(f"  {name} - {first}: true {true:+.4f}; " + "; ".join(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
