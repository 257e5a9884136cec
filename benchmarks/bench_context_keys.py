"""What reading only some context keys costs the joint ridge's features (``context_keys``):
microseconds per ``features()`` of one context (31 numbers and categories, two history
features), with every key and with the segment alone, in the same run.

Run: ``python benchmarks/bench_context_keys.py``
"""

from __future__ import annotations

import timeit

from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner

CONTEXT = {"c": {**{f"x{i}": float(i) for i in range(27)}, "segment": "vip", "region": "east",
                 "device": "ios", "age_band": "25-34"},
           "h": {"contacts_7d": 2, "never_email": True}}


def us_per_features(keys: tuple[str, ...], calls: int = 20000) -> float:
    """The fastest of 5 repeats, in microseconds per call."""
    with JointRidgeLearner(JointRidgeConfig(dim=32, context_keys=keys)) as j:
        j.features(CONTEXT)  # the slots' cache filled once, as in a running engine
        best = min(timeit.repeat(lambda: j.features(CONTEXT), number=calls, repeat=5))
    return best / calls * 1e6


def main() -> int:
    every, segment = us_per_features(()), us_per_features(("segment",))
    print(f"every key: {every:.1f} us per features(); segment alone: {segment:.1f} us "
          f"({segment / every:.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
