"""What a learner can have seen by the end of a simulator world's horizon: the simulated hours
the horizon spans, and of the contacts made, the share whose outcome reached the learner
(a conversion, at its delay; no conversion, when the conversion window closes), split by
converted or not. A world whose horizon is shorter than the window shows no learner a contact
that did not convert: every learner (the engine, the VW loops, LinTS) learns from conversions
and no-contacts alone there.

Uniform random play over each customer's eligible actions (what a learner picks does not move
the hours; it moves the shares a little). The world is the suite's (``experiments.worlds``),
so the hours are the suite cells'.

Run: ``python benchmarks/matured_by_horizon.py --worlds small,fatigue,baseline --seed 0``
(seconds a world).
"""

from __future__ import annotations

import argparse

import numpy as np

from experiments.worlds import SCENARIOS, make_world


def seen_by_the_end(world_name: str, seed: int, quick: bool) -> dict[str, float]:
    """Hours spanned, contacts made, and the share of them whose outcome matured in the run,
    among those that converted and those that did not."""
    world = make_world(world_name, seed, None, quick)
    rng = np.random.default_rng(seed)
    # the simulator behind the world: only its step's outcomes say who converted
    no_contact = world._env.catalog.no_contact_action
    contact, converted, matured = [], [], []
    end = world.start_time()
    try:
        while not world.done:
            b = world.observe()
            scores = rng.random(b.eligible.shape) * b.eligible
            played = world.served(scores.argmax(axis=1), b.eligible)
            out = world.play(played)
            info = world._info
            assert np.array_equal(info["refs"], b.refs)  # the ledger's refs are the world's
            contact.append(played != no_contact)
            converted.append(np.asarray(info["converted"], dtype=bool))
            matured.append(np.asarray(out.refs))
            end = out.now
        hours = (end - world.start_time()) / 3600.0
    finally:
        world.close()
    contact_a, converted_a = np.concatenate(contact), np.concatenate(converted)
    seen = np.zeros(contact_a.size, dtype=bool)
    seen[np.concatenate(matured).astype(int)] = True
    conv, dry = contact_a & converted_a, contact_a & ~converted_a
    return {"hours": hours, "decisions": float(contact_a.size), "contacts": float(contact_a.sum()),
            "converted seen": float(seen[conv].mean()) if conv.any() else float("nan"),
            "not converted seen": float(seen[dry].mean()) if dry.any() else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worlds", default=",".join(SCENARIOS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--full", action="store_true", help="the full horizon (default quick)")
    args = parser.parse_args()
    print("| world | decisions | hours spanned | contacts | converted, outcome seen "
          "| not converted, outcome seen |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in args.worlds.split(","):
        r = seen_by_the_end(name, args.seed, not args.full)
        print(f"| {name} | {r['decisions']:.0f} | {r['hours']:.1f} | {r['contacts']:.0f} | "
              f"{r['converted seen']:.2f} | {r['not converted seen']:.2f} |")


if __name__ == "__main__":
    main()
