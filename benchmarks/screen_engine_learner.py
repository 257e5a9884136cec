"""Screen one engine learner variant on the simulator's baseline (docs/engine.md, "Learning").

Runs :func:`benchmarks.bench_engine_learning.run` with VWConfig overrides, and optionally extra
VW flags or reward clipping patched in for the run only (neither is an engine option), and
prints one JSON line with the tail capture. Example::

    python benchmarks/screen_engine_learner.py noh 20000 0 \
        '{"interactions": ["cm","cn","ct","mn","nt","ca"]}'
    python benchmarks/screen_engine_learner.py an 50000 1 '{"_extra": ["--adaptive", "--normalized"]}'
    python benchmarks/screen_engine_learner.py clip8 20000 0 '{"_clip": 8}'
"""

from __future__ import annotations

import json
import sys

import bench_engine_learning as bench  # this folder is on sys.path when run as a script

import policies.vw_learner as vl


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__)
        return 2
    name, n, seed, spec = argv[0], int(argv[1]), int(argv[2]), json.loads(argv[3])
    extra, clip = spec.pop("_extra", []), spec.pop("_clip", None)
    if extra:
        orig = vl.VWConfig.arguments
        vl.VWConfig.arguments = lambda self, seed: orig(self, seed) + list(extra)
    if clip is not None:
        vl.cost_of = lambda r: -max(-float(clip), min(float(clip), float(r)))
    if "interactions" in spec:
        spec["interactions"] = tuple(spec["interactions"])
    r = bench.run(spec, n, batch=100, seed=seed)
    print(json.dumps({"name": name, "n": n, "seed": seed,
                      **{k: round(float(v), 4) for k, v in r.items()}}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
