"""Which candidate served when: one learning-suite world through the Engine with a candidates
list, then every switch with its evidence, each candidate's DR estimate at the end (and the
one the rule reads, when another), and each challenger's paired difference from the serving
candidate (IPS, DR, dr_cv) over every row.

Run: ``python benchmarks/selection_trace.py per_action_linear 0 squarecb,epsilon,ridge``
(``--rule unpaired`` for the rule before the paired one; ``--estimator dr`` for the estimate it
read before stop 20; ``--full`` for the world's full horizon instead of the suite's quick one,
``--horizon N`` for N decisions). The candidates may
also be a JSON list, as ``[engine] candidates`` takes them:
``python benchmarks/selection_trace.py baseline 3 '["joint", {"name": "seg", "exploration":
"joint", "context_keys": ["segment"]}]' --horizon 20000``.
"""

from __future__ import annotations

import argparse
import json
import tempfile

from experiments.learning_suite.engine_contestant import EngineContestant
from experiments.worlds import make_world
from ope.estimators.progressive import PROGRESSIVE_ESTIMATORS


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("world")
    p.add_argument("seed", type=int)
    p.add_argument("candidates", help="comma-separated built-in candidate names, or a JSON list")
    p.add_argument("--rule", default="paired", choices=("paired", "unpaired"))
    p.add_argument("--estimator", default=None, choices=PROGRESSIVE_ESTIMATORS,
                   help="the estimate the rule reads (default: the engine's)")
    p.add_argument("--full", action="store_true")
    p.add_argument("--horizon", type=int, default=None)
    args = p.parse_args(argv)
    w = make_world(args.world, args.seed, args.horizon, not args.full)
    candidates = (tuple(json.loads(args.candidates)) if args.candidates.startswith("[")
                  else tuple(args.candidates.split(",")))
    with tempfile.TemporaryDirectory() as d, EngineContestant(
            w, d, seed=args.seed, candidates=candidates,
            selection={"rule": args.rule, **({"estimator": args.estimator}
                                              if args.estimator else {})}) as eng:
        while not w.done:
            eng.learn(w.play(eng.act(w.observe())[0]))
        for s in eng.engine.log.switches():
            ev = s["evidence"]
            shown = ev.get("difference") or {k: ev[s["to"]][k] for k in ("ips", "dr")}
            print(f"reward {s['seq']}: {s['from']} -> {s['to']} ({ev['rule']}); " + ", ".join(
                f"{k} {r['value']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] n={r['n']}"
                for k, r in shown.items()))
        stats = eng.engine.stats()
        est = stats["selection_estimator"]  # each candidate's value as the rule reads it
        for name, c in stats["candidates"].items():
            print(f"{name}: serving={c['serving']} rows={c['n']} DR {c['dr']:.3f} "
                  f"[{c['dr_low']:.3f}, {c['dr_high']:.3f}]" + (
                      "" if est == "dr" else f", {est} {c[est]:.3f} "
                      f"[{c[f'{est}_low']:.3f}, {c[f'{est}_high']:.3f}]"))
        sel = eng.engine._selection  # the rule's own paired estimates, as it read them last
        for name in sel.learners:
            diff = None if name == sel.serving else sel.difference(name, sel.serving)
            if diff is not None:
                print(f"{name} - {sel.serving}, paired on every row: " + ", ".join(
                    f"{k} {r.value:+.3f} [{r.ci[0]:+.3f}, {r.ci[1]:+.3f}] n={r.n}"
                    for k, r in diff.items()))
    w.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
