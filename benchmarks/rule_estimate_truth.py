"""Whether the switch rule's estimate holds the difference it estimates: per seed of one
learning-suite world, each challenger's paired difference from the serving candidate as the
rule reads it at the end of the cell (IPS and the control-variate DR, 95 % intervals, every row
both met), against the exact difference on the same rows, and where the gap comes from.

- ``exact``: the mean over the rows of ``sum_a (pi_c(a) - pi_s(a)) mu(x, a)``, with the
  distributions the rule scored (each candidate's, before it learned the row) and ``mu`` the
  world's exact expected reward of each action for that decision (the value of the action the
  world plays for it: the simulator turns a pick it cannot serve into no contact);
- ``IPS on mu``: the rule's IPS with each row's reward replaced by ``mu`` of its logged action:
  the weights alone (a gap to ``exact`` beyond its interval says the logged propensities or the
  scored distributions are wrong);
- ``IPS on totals``: the same with each row's reward the decision's realised total, every
  conversion of its window in (the world's final totals, those still pending at the end
  included): a gap to ``IPS on mu`` is the realised rewards' (their noise, or a world whose
  expected rewards do not average to what it pays on such a log);
- ``IPS`` and ``dr_cv``: the rule's own estimates, on the rewards as the engine holds them at
  the end (a gap to ``IPS on totals`` is what had not arrived when the cell ended: a
  conversion comes at its delay, and the engine scores a decision 0 until then).

Then, per estimate, on how many seeds its 95 % interval holds ``exact`` (19 of 20 is what an
honest interval gives) and the mean of ``estimate - exact`` over the seeds with its 95 %
interval (issue 12, stop 50).

    python benchmarks/rule_estimate_truth.py --world capacity --seeds 10-19
    python benchmarks/rule_estimate_truth.py --world per_action_linear --seeds 10-19
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from benchmarks.dr_model_ceiling import RowRecorder  # noqa: E402
from benchmarks.paired_switch import seed_list  # noqa: E402
from experiments.learning_suite.contestants import learner  # noqa: E402
from experiments.learning_suite.engine_contestant import EngineContestant  # noqa: E402
from experiments.metrics import mean_ci  # noqa: E402
from experiments.worlds import make_world  # noqa: E402

ESTIMATES = ("IPS on mu", "IPS on totals", "IPS", "dr_cv")


def played_values(world: Any, expected: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """(n, K): the expected reward of the action the world plays for each pick of each row
    (``world.served``: the simulator plays no contact for a pick it cannot serve)."""
    n, k = expected.shape
    picks = np.tile(np.arange(k), n)
    rows = np.repeat(np.arange(n), k)
    played = world.served(picks, eligible[rows]).reshape(n, k)
    return np.take_along_axis(expected, played, axis=1)


def _mean_interval(terms: np.ndarray) -> tuple[float, float, float]:
    """The mean of per-row terms and its normal 95 % interval."""
    m, half = float(terms.mean()), 1.96 * float(terms.std(ddof=1)) / np.sqrt(terms.size)
    return m, m - half, m + half


def one_seed(world_name: str, seed: int, label: str, horizon: int | None
             ) -> list[dict[str, Any]]:
    """Run one cell and return, per challenger, the exact difference and each estimate."""
    recorder = RowRecorder()
    recorder.install()
    w = make_world(world_name, seed, horizon, True)
    try:
        values: dict[str, np.ndarray] = {}
        totals: dict[str, float] = {}
        with tempfile.TemporaryDirectory() as d, EngineContestant(
                w, d, seed=seed, **learner(label).params) as eng:
            while not w.done:
                batch = w.observe()
                actions = eng.act(batch)[0]
                v = played_values(w, batch.expected, batch.eligible)
                for i, ref in enumerate(batch.refs.tolist()):
                    values[eng._ids[ref]] = v[i]
                matured = w.play(actions)
                totals.update(zip(eng._ids[matured.refs].tolist(), matured.rewards.tolist(),
                                  strict=True))
                eng.learn(matured)
            pending = w.flush()  # what no learner saw: the totals still due at the end
            totals.update(zip(eng._ids[pending.refs].tolist(), pending.rewards.tolist(),
                              strict=True))
            sel = eng.engine._selection
            serving = sel.serving
            rule = {name: sel.difference(name, serving) for name in sel.learners
                    if name != serving}
            share = sel.trial_weight
    finally:
        w.close()
        recorder.uninstall()
    out = []
    for name, diff in rule.items():
        if not diff:
            continue
        seqs = sorted(set(recorder.targets[name]) & set(recorder.targets[serving]))
        a = np.array([recorder.rows[s][0] for s in seqs])
        p = np.array([recorder.rows[s][1] for s in seqs])
        mu = np.stack([values[recorder.decision_of[s]] for s in seqs])
        signed = (np.stack([recorder.targets[name][s] for s in seqs])
                  - np.stack([recorder.targets[serving][s] for s in seqs]))
        rows = np.arange(a.size)
        w_diff = signed[rows, a] / p
        total = np.array([totals[recorder.decision_of[s]] for s in seqs])
        got = {"IPS on mu": _mean_interval(w_diff * mu[rows, a]),
               "IPS on totals": _mean_interval(w_diff * total)}
        for key, shown in (("ips", "IPS"), ("dr_cv", "dr_cv")):
            if key in diff:
                r = diff[key]
                got[shown] = (float(r.value), float(r.ci[0]), float(r.ci[1]))
        out.append({"seed": seed, "pair": f"{name} - {serving}", "rows": len(seqs),
                    "rule_rows": diff["ips"].n, "exact": float((signed * mu).sum(axis=1).mean()),
                    "share": share, **got})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--world", required=True)
    ap.add_argument("--seeds", default="10-19", help="a range 10-19 or a list 10,12")
    ap.add_argument("--learner", default="engine default", help="an engine label of the suite")
    ap.add_argument("--horizon", type=int, default=None, help="default: the quick horizon")
    args = ap.parse_args(argv)
    rows = []
    print(f"{args.world}, {args.learner}: challenger minus serving at the end of each cell")
    for seed in seed_list(args.seeds):
        for r in one_seed(args.world, seed, args.learner, args.horizon):
            rows.append(r)
            cells = "; ".join(f"{k} {r[k][0]:+.4f} [{r[k][1]:+.4f}, {r[k][2]:+.4f}]"
                              for k in ESTIMATES if k in r)
            print(f"seed {seed} {r['pair']} ({r['rows']} rows, trial share {r['share']:.2f}): "
                  f"exact {r['exact']:+.4f}; {cells}", flush=True)
    for pair in sorted({r["pair"] for r in rows}):
        mine = [r for r in rows if r["pair"] == pair]
        print(f"\n{pair}, {len(mine)} seeds:")
        for k in ESTIMATES:
            have = [r for r in mine if k in r]
            if not have:
                continue
            holds = sum(r[k][1] <= r["exact"] <= r[k][2] for r in have)
            low = sum(r[k][2] < r["exact"] for r in have)
            gap = np.array([r[k][0] - r["exact"] for r in have])
            m, lo, hi = mean_ci(gap)
            print(f"  {k:13s}: its interval holds exact on {holds} of {len(have)} seeds "
                  f"({low} below it); estimate - exact {m:+.4f} [{lo:+.4f}, {hi:+.4f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
