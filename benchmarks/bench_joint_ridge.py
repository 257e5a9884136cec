"""What the joint ridge learner costs per learn and per probabilities call, against the disjoint
ridge learner, on catalogs of messages x channels x timings (issue 12: the joint candidate).

The joint learner's learn is one Sherman-Morrison pass over its ``D x D`` inverse, ``D =
(dim + 1) * (crossed columns + 1) + constants`` (policies/joint_ridge_learner.py); the disjoint
ridge's is one over the chosen action's ``(dim + 1)^2``. Prints, per catalog, ``D`` and the us
per learn and per ``probabilities`` of: the disjoint ridge (its defaults), the joint ridge (its
defaults), the joint ridge under Thompson sampling (``thompson = 0.5``: a pool of 64 draws,
redrawn every 100 learns, one Cholesky factorisation each), the same with the draws' own
prior (``thompson_l2 = 10``: the Gram matrix kept beside ``A^-1``, one more update per learn),
Thompson sampling 0.5 with a twentieth of inverse gap weighting mixed in (``thompson_mix =
0.05``, the shared default's: one more pass over the estimates per ``probabilities``), the same
with the perturbed pool (``pool = "perturbed"``, ``redraw = 300``: a rank-one update of the 64
draws' deviations per learn, a factorisation every 300 learns), the joint
ridge's update done as numpy's ``A -= outer(u, u)`` instead of BLAS ``dger`` (the choice the
learner made until stop 40), the perturbed default with each update applied at once by ``dger``
(one pass over ``D x D`` per learn: what the held updates replaced, ``_HELD_UPDATES``), all in
the same run, with the ratios to the disjoint ridge.
Contexts: 6 numbers and a 4-valued segment (the marketing world's shape).

Run: ``OPENBLAS_NUM_THREADS=1 python benchmarks/bench_joint_ridge.py [--learns 2000]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.linalg.blas import dger  # type: ignore[import-untyped]

from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from policies.ridge_learner import RidgeConfig, RidgeLearner


def catalog(messages: int, channels: int, timings: int) -> list[dict]:
    """The engine's action sets (``m``, ``n``, ``t`` and the id ``a``) of a full grid."""
    return [{"m": {"msg": f"m{i}"}, "n": {"ch": f"c{j}"}, "t": {"t": f"t{k}"},
             "a": {"id": f"m{i}/c{j}/t{k}"}}
            for i in range(messages) for j in range(channels) for k in range(timings)]


def contexts(n: int, seed: int = 0) -> list[dict]:
    """``n`` shared feature sets: 6 numbers and a segment."""
    rng = np.random.default_rng(seed)
    return [{"c": {**{f"x{j}": float(v) for j, v in enumerate(rng.normal(size=6))},
                   "seg": f"s{int(rng.integers(4))}"}} for _ in range(n)]


class _NumpyOuter(JointRidgeLearner):
    """The joint learner with the rank-one update as ``A -= outer(u, u) / denom``."""

    def learn(self, shared, eligible, chosen, probability, reward):  # type: ignore[no-untyped-def]
        nz, val = self._phi(self.features(shared), int(chosen))
        u = self._ainv[:, nz] @ val
        denom = 1.0 + val @ u[nz]
        self._theta += u * ((float(reward) - self._theta[nz] @ val) / denom)
        self._ainv -= np.outer(u, u / denom)
        self._b[nz] += float(reward) * val
        self._n += 1


class _DgerEach(JointRidgeLearner):
    """The joint learner with each rank-one update applied at once, in place (``dger``), as
    before the updates were held."""

    def _update_inverse(self, u, denom, *rest):  # type: ignore[no-untyped-def]
        self._fold()
        self._base = dger(-1.0 / denom, u, u, a=self._base, overwrite_a=True)


def timed(learner, actions: list[dict], shared: list[dict]) -> tuple[float, float]:
    """(us per learn, us per probabilities call) over ``shared``."""
    learner.set_actions(actions)
    rng = np.random.default_rng(1)
    chosen = rng.integers(len(actions), size=len(shared))
    start = time.perf_counter()
    for s, a in zip(shared, chosen, strict=True):
        learner.learn(s, None, int(a), 1.0 / len(actions), float(rng.random() < 0.1))
    learn = (time.perf_counter() - start) / len(shared) * 1e6
    start = time.perf_counter()
    for s in shared:
        learner.probabilities(s)
    return learn, (time.perf_counter() - start) / len(shared) * 1e6


def main() -> int:
    """Measure and print; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learns", type=int, default=2000, help="learns per cell")
    args = parser.parse_args()
    shared = contexts(args.learns)
    print("actions  learner                  D      us/learn  x ridge   us/probs  x ridge")
    for grid in ((6, 3, 3), (16, 3, 4)):
        actions = catalog(*grid)
        base = timed(RidgeLearner(RidgeConfig()), actions, shared)
        rows = [("ridge (disjoint)", "-", base)]
        for label, learner in (("joint", JointRidgeLearner(JointRidgeConfig())),
                               ("joint, Thompson 0.5",
                                JointRidgeLearner(JointRidgeConfig(thompson=0.5))),
                               ("joint, TS 0.5, prior 10",
                                JointRidgeLearner(JointRidgeConfig(thompson=0.5,
                                                                   thompson_l2=10.0))),
                               ("joint, TS 0.5, mix 0.05",
                                JointRidgeLearner(JointRidgeConfig(thompson=0.5,
                                                                   thompson_mix=0.05))),
                               ("mix 0.05, perturbed r300",
                                JointRidgeLearner(JointRidgeConfig(thompson=0.5,
                                                                   thompson_mix=0.05,
                                                                   pool="perturbed",
                                                                   redraw=300))),
                               ("perturbed r300, dger each",
                                _DgerEach(JointRidgeConfig(thompson=0.5, thompson_mix=0.05,
                                                           pool="perturbed", redraw=300))),
                               ("joint, numpy outer", _NumpyOuter(JointRidgeConfig()))):
            cost = timed(learner, actions, shared)
            rows.append((label, str(learner.joint_dim), cost))
        for label, d, (learn, probs) in rows:
            print(f"{len(actions):7d}  {label:23s}  {d:>5s}  {learn:9.0f}  {learn / base[0]:7.2f}"
                  f"  {probs:9.0f}  {probs / base[1]:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
