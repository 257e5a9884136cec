"""Child process of the SIGKILL test: streams choose/reward and prints each acknowledgement.

Usage: python -m tests.engine.crash_child STATE_DIR START
Prints ``D <decision_id>`` once a decision is returned and ``R <decision_id>`` once a reward is
acknowledged (flushed: the parent reads what was acknowledged before the kill).
"""

from __future__ import annotations

import sys

from tests.engine.engine_world import T0, context, make_engine, reward_of


def main() -> None:
    state_dir, start = sys.argv[1], int(sys.argv[2])
    eng = make_engine(state_dir, checkpoint_every=7)
    for i in range(start, start + 100000):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        print("D", d.decision_id, flush=True)
        if i % 5 != 4:  # some decisions stay unrewarded
            eng.reward(d.decision_id, reward_of(ctx, d.message, d.channel), now=T0 + i)
            print("R", d.decision_id, flush=True)


if __name__ == "__main__":
    main()
