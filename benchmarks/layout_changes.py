"""Which worlds a change of the joint ridge's layout touches: the worlds whose catalog gets
other crossed columns under today's default than under the earlier layout named by
``--setting``: ``numbers_describe`` (true: the layout before stop 21) or ``cross_identity``
(``"unshared"``: the layout before stop 23); with ``--value``, that value of the setting
instead of the earlier one (stop 24: ``--setting cross_identity --value always``). Every suite
world is checked at seed 0 (a catalog does not depend on the seed but in ``random_catalog``);
``random_catalog``'s seeds in the range given are listed.

    python benchmarks/layout_changes.py --seeds 0-999
    python benchmarks/layout_changes.py --setting cross_identity --seeds 0-299
    python benchmarks/layout_changes.py --setting cross_identity --value always --seeds 200-299
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)
from benchmarks.number_units import DEFAULT_JOINT  # noqa: E402
from benchmarks.paired_switch import seed_list  # noqa: E402
from engine.features import action_feature_sets  # noqa: E402
from experiments.worlds import WORLDS, make_world  # noqa: E402
from experiments.worlds.classification import DATASETS  # noqa: E402
from policies.joint_ridge_learner import JointRidgeConfig, joint_dimension  # noqa: E402

#: Each setting's value under the earlier layout.
EARLIER = {"numbers_describe": True, "cross_identity": "unshared"}


def changes(world: str, seed: int, setting: str = "numbers_describe",
            value: object = None) -> tuple[int, int] | None:
    """The default joint ridge's dimension on ``world``'s catalog under the earlier layout (or
    ``setting`` at ``value``) and today's, or None where the two are the same."""
    horizon = None if world in DATASETS else 100  # a data set runs its own passes
    sets = action_feature_sets(make_world(world, seed, horizon).engine_setup().catalog)
    other = JointRidgeConfig(**DEFAULT_JOINT,
                             **{setting: EARLIER[setting] if value is None else value})
    dims = (joint_dimension(sets, other), joint_dimension(sets, JointRidgeConfig(**DEFAULT_JOINT)))
    return None if dims[0] == dims[1] else dims


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="0-99", help="random_catalog seeds: 0-999 or 1,5,9")
    p.add_argument("--setting", choices=tuple(EARLIER), default="numbers_describe")
    p.add_argument("--value", default=None, help="the setting's value to compare with today's "
                   "default (default: the earlier layout's); true/false for numbers_describe")
    args = p.parse_args(argv)
    value = args.value
    if args.setting == "numbers_describe" and value is not None:
        value = {"true": True, "false": False}.get(value.lower(), value)
    for world in WORLDS:
        got = changes(world, 0, args.setting, value)
        print(f"{world}: {'changes ' + str(got) if got else 'the same layout'}")
    seeds = seed_list(args.seeds)
    changed = [s for s in seeds if changes("random_catalog", s, args.setting, value)]
    print(f"random_catalog: the layout changes on {len(changed)} of {len(seeds)} seeds: "
          f"{','.join(map(str, changed))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
