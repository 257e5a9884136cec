"""Screen one engine learner variant on the simulator's baseline (docs/engine.md, "Learning").

Runs :func:`benchmarks.bench_engine_learning.run` with VWConfig overrides, and optionally extra
VW flags or reward clipping patched in for the run only (neither is an engine option), and
prints one JSON line with the tail capture. Example::

    python benchmarks/screen_engine_learner.py noh 20000 0 \
        '{"interactions": ["cm","cn","ct","mn","nt","ca"]}'
    python benchmarks/screen_engine_learner.py an 50000 1 \
        '{"_extra": ["--adaptive", "--normalized"]}'
    python benchmarks/screen_engine_learner.py clip8 20000 0 '{"_clip": 8}'
    python benchmarks/screen_engine_learner.py regcbopt 50000 0 \
        '{"_replace_exploration": ["--regcbopt"]}'
    python benchmarks/screen_engine_learner.py decay 50000 0 \
        '{"_eps_decay": {"c": 1.0, "power": 0.333, "floor": 0.01}}'
    python benchmarks/screen_engine_learner.py bins4 50000 0 '{"_bins": [0.25, 0.5, 0.75]}'

Benchmark-only patches (none is an engine option): ``_extra`` appends VW flags;
``_replace_exploration`` drops ``--epsilon E`` from VW's command line and puts these flags in
its place (another VW exploration); ``_clip`` clips rewards into [-c, c] before they become
costs; ``_eps_decay`` mixes the greedy action with uniform exploration at epsilon_t =
max(floor, min(1, c / t**power)), t = the learner's decisions so far (VW itself then runs at
epsilon 0), with ``"warmup": n`` playing uniformly for the first n decisions instead;
``_bins`` adds, for each numeric context value, a categorical feature ``<key>_bin`` naming the
interval of the given edges it falls in (so ``ca`` can fit a non-linear response per action),
in the ``c`` namespace or, with ``"_bins_ns": "b"``, in a namespace of its own (cross it with
``interactions``).
"""

from __future__ import annotations

import json
import sys

import bench_engine_learning as bench  # this folder is on sys.path when run as a script
import numpy as np

import policies.vw_learner as vl


def _patch_decay(decay: dict) -> None:
    c, power = float(decay.get("c", 1.0)), float(decay.get("power", 1 / 3))
    floor, warmup = float(decay.get("floor", 0.01)), int(decay.get("warmup", 0))
    orig = vl.VWLearner.probabilities
    count = {"t": 0}

    def probabilities(self, shared, eligible=None):
        p = orig(self, shared, eligible)  # VW at epsilon 0: all mass on its greedy action
        count["t"] += 1
        t = count["t"]
        eps = 1.0 if t <= warmup else max(floor, min(1.0, c / (t - warmup) ** power))
        out = np.full(p.size, eps / p.size)
        out[int(np.argmax(p))] += 1.0 - eps
        return out
    vl.VWLearner.probabilities = probabilities


def _patch_bins(edges: list[float], namespace: str | None) -> None:
    import engine.engine as ee
    orig = ee.shared_features

    def shared_features(context_ns, history_ns):
        out = orig(context_ns, history_ns)
        binned = {f"{k}_bin": f"b{int(np.searchsorted(edges, v, side='right'))}"
                  for k, v in context_ns.items()
                  if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if namespace:
            out[namespace] = binned
        else:
            out["c"].update(binned)
        return out
    ee.shared_features = shared_features


def main(argv: list[str]) -> int:
    if len(argv) != 4:
        print(__doc__)
        return 2
    name, n, seed, spec = argv[0], int(argv[1]), int(argv[2]), json.loads(argv[3])
    extra, clip = spec.pop("_extra", []), spec.pop("_clip", None)
    replace_expl = spec.pop("_replace_exploration", None)
    decay, bins = spec.pop("_eps_decay", None), spec.pop("_bins", None)
    if replace_expl is not None:
        orig_args = vl.VWConfig.arguments

        def replaced(self, seed):
            args = orig_args(self, seed)
            i = args.index("--epsilon")
            return args[:i] + list(replace_expl) + args[i + 2:]
        vl.VWConfig.arguments = replaced
    if decay is not None:
        _patch_decay(decay)
        spec["epsilon"] = 0.0
    bins_ns = spec.pop("_bins_ns", None)
    if bins is not None:
        _patch_bins([float(b) for b in bins], bins_ns)
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
