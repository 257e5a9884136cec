"""Does a shared-attribute default lock in on a small noiseless world? The world of
``tests/engine/test_engine.py::test_engine_beats_uniform_on_a_tiny_world``: two messages x two
channels and no contact (5 actions), segment ``a`` pays 1 for welcome by email, ``b`` for
winback by sms, nothing else pays; 1,500 decisions through the whole Engine. Prints, per
configuration of the joint ridge, the mean reward of the last 500 decisions of each seed
(uniform earns 0.2, the best 1.0; about 0.5 means one segment was never learned).

    python benchmarks/tiny_world_lock_in.py --seeds 10
    python benchmarks/tiny_world_lock_in.py --seeds 10 --only "l2 100, gamma 100"
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from tests.engine.engine_world import make_engine, play  # noqa: E402

#: label -> the joint ridge's fields (beside "ridge" and "squarecb", as the shared default)
Joint = dict[str, float | bool | str]
CONFIGS: dict[str, Joint] = {
           "l2 1, gamma 30 (default before stop 7)": {"l2": 1.0, "gamma_scale": 30.0},
           "l2 100, gamma 30 (default now)": {"l2": 100.0, "gamma_scale": 30.0},
           "l2 300, gamma 30": {"l2": 300.0, "gamma_scale": 30.0},
           "l2 300, gamma 100": {"l2": 300.0, "gamma_scale": 100.0},
           "l2 100, gamma 100": {"l2": 100.0, "gamma_scale": 100.0},
           "l2 100, gamma 5 n^0.75": {"l2": 100.0, "gamma_scale": 5.0, "gamma_exponent": 0.75},
           "l2 100, own effects 300": {"l2": 100.0, "gamma_scale": 30.0, "own_l2": 300.0},
           "l2 100, Thompson 0.5": {"l2": 100.0, "gamma_scale": 30.0, "thompson": 0.5},
           "l2 1000, Thompson 0.5": {"l2": 1000.0, "gamma_scale": 30.0, "thompson": 0.5},
           "l2 1000, gamma 30": {"l2": 1000.0, "gamma_scale": 30.0},
           "l2 1000, Thompson 1.5": {"l2": 1000.0, "gamma_scale": 30.0, "thompson": 1.5},
           "l2 100, Thompson 1": {"l2": 100.0, "gamma_scale": 30.0, "thompson": 1.0},
           "l2 100, Thompson 2": {"l2": 100.0, "gamma_scale": 30.0, "thompson": 2.0},
           "l2 100, Thompson 0.2, draws' prior 1": {"l2": 100.0, "gamma_scale": 30.0,
                                                    "thompson": 0.2, "thompson_l2": 1.0},
           "l2 1, Thompson 0.2, no action constants": {"l2": 1.0, "gamma_scale": 30.0,
                                                       "thompson": 0.2,
                                                       "action_constants": False}}
# stop 13: Thompson 0.5 with the draws' own prior penalty (JointRidgeConfig.thompson_l2), on
# every weight and on the crosses of the context with the attributes only (thompson_l2_on)
CONFIGS |= {f"l2 100, Thompson 0.5, draws' prior {p:g}{' on crosses' * (on == 'crosses')}":
            {"l2": 100.0, "gamma_scale": 30.0, "thompson": 0.5, "thompson_l2": p,
             "thompson_l2_on": on}
            for on, priors in (("all", (1.0, 10.0, 30.0, 50.0)), ("crosses", (1.0, 10.0)))
            for p in priors}
# stop 14: Thompson 0.5 with a share of inverse gap weighting's distribution mixed in
# (JointRidgeConfig.thompson_mix): a floor that shrinks as the estimates' gaps grow
CONFIGS |= {f"l2 100, Thompson 0.5, mix {m:g}": {"l2": 100.0, "gamma_scale": 30.0,
                                                 "thompson": 0.5, "thompson_mix": m}
            for m in (0.03, 0.05, 0.1, 0.2, 0.3)}
CONFIGS |= {f"l2 100, Thompson 0.5, mix 0.1 at gamma {g:g}": {
    "l2": 100.0, "gamma_scale": g, "thompson": 0.5, "thompson_mix": 0.1} for g in (100.0, 300.0)}
# stop 15: the perturbed pool (JointRidgeConfig.pool): the draws follow every reward, drawn
# afresh every `redraw` rewards, or never ("never afresh": redraw past the run)
CONFIGS |= {f"l2 100, Thompson 0.5{f', mix {m:g}' * bool(m)}, perturbed, "
            f"{'never afresh' if r > 10_000 else f'afresh every {r}'}": {
                "l2": 100.0, "gamma_scale": 30.0, "thompson": 0.5, "thompson_mix": m,
                "pool": "perturbed", "redraw": r}
            for m in (0.0, 0.05) for r in (1_000_000, 100, 300, 600, 1000)}
# stop 17: a share of the perturbed pool drawn afresh at each redraw (JointRidgeConfig.
# redraw_share), the next block in turn: half every 150 rewards (each deviation lives 300, as
# the default's) and half every 300 (each lives 600)
CONFIGS |= {f"l2 100, Thompson 0.5, mix 0.05, perturbed, half afresh every {r}": {
                "l2": 100.0, "gamma_scale": 30.0, "thompson": 0.5, "thompson_mix": 0.05,
                "pool": "perturbed", "redraw": r, "redraw_share": 0.5}
            for r in (150, 300)}
# stop 24: the default with Thompson sampling at LinTS's scale (0.2), level with LinTS on the
# mean on random_catalog where 0.5 trails it
CONFIGS |= {"l2 100, Thompson 0.2, mix 0.05, perturbed, afresh every 300": {
    "l2": 100.0, "gamma_scale": 30.0, "thompson": 0.2, "thompson_mix": 0.05,
    "pool": "perturbed", "redraw": 300}}


# stop 25: the default with Thompson sampling's scale falling from 0.5 toward 0.2, halfway
# after h rewards (JointRidgeConfig.thompson_halfway)
CONFIGS |= {f"l2 100, Thompson 0.5 to 0.2 halfway at {h}, mix 0.05, perturbed, afresh every 300": {
    "l2": 100.0, "gamma_scale": 30.0, "thompson": 0.5, "thompson_final": 0.2,
    "thompson_halfway": h, "pool": "perturbed", "redraw": 300, "thompson_mix": 0.05}
    for h in (300, 1000, 3000)}
# stop 26: the same fall, its n each action's own evidence in the context at hand
# (JointRidgeConfig.thompson_counts "evidence")
CONFIGS |= {f"l2 100, Thompson 0.5 to 0.2 halfway at {h} of its own, mix 0.05, perturbed, "
            f"afresh every 300": {
                "l2": 100.0, "gamma_scale": 30.0, "thompson": 0.5, "thompson_final": 0.2,
                "thompson_halfway": h, "thompson_counts": "evidence", "pool": "perturbed",
                "redraw": 300, "thompson_mix": 0.05}
            for h in (30, 100, 300)}
# stop 28: the default without the contact history's features (JointRidgeConfig.history)
CONFIGS |= {"l2 100, Thompson 0.5, mix 0.05, perturbed, afresh every 300, no history": {
    "l2": 100.0, "gamma_scale": 30.0, "thompson": 0.5, "thompson_mix": 0.05,
    "pool": "perturbed", "redraw": 300, "history": "left_out"}}


def last_500(seed: int, joint: Joint, decisions: int = 1500) -> float:
    """The mean reward of the last 500 of ``decisions`` (1,000-1,499 by default) of one seed."""
    candidates = [{"name": "joint", "exploration": "joint", **joint}, "ridge", "squarecb"]
    with tempfile.TemporaryDirectory() as d, \
            make_engine(d, seed=seed, candidates=candidates) as eng:
        return float(play(eng, decisions)[-500:].mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--only", default="", help="run the configurations whose label holds this "
                    "text (default: all)")
    ap.add_argument("--exact", action="store_true", help="--only names one label exactly")
    ap.add_argument("--decisions", type=int, default=1500,
                    help="decisions per seed, the last 500 read (1,500: the test's horizon)")
    ap.add_argument("--seed-list", default="", help="these seeds (comma-separated) "
                    "instead of 0 .. --seeds - 1")
    args = ap.parse_args()
    for label, joint in CONFIGS.items():
        if (args.only != label) if args.exact else (args.only not in label):
            continue
        seeds = ([int(s) for s in args.seed_list.split(",")] if args.seed_list
                 else range(args.seeds))
        got = [last_500(s, joint, args.decisions) for s in seeds]
        print(f"{label:40s} " + " ".join(f"{g:.2f}" for g in got)
              + f"   under 0.9: {sum(g < 0.9 for g in got)} of {len(got)}", flush=True)


if __name__ == "__main__":
    main()
