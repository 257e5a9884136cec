"""What the checkpoint's rows file costs since stop 49: milliseconds per ``Engine.checkpoint()``
with the estimates' correctable rows saved beside the models (``rows-<seq>.npz``, so that a
conversion after a restart still replaces its decision's row) against the same checkpoint
without them (the code before: every row scored before a restart was lost to corrections), on
one engine in the same run, at 49 actions with the default candidates, after a number of
rewards (each estimate keeps up to 65,536 rows: the file grows with the rewards up to that).
Also the file's size, and the cost spread over the rewards between two checkpoints at the
default ``checkpoint_every`` (1,000). Then the sidecar (``checkpoint.json``) of the same
checkpoint written as before stop 49 (``dataclasses.asdict``, which deep-copies the state, and
``json.dump``, which encodes in Python) against today (a shallow dict and ``json.dumps``, the
C encoder), each timed alone on the same sidecar.

    python benchmarks/bench_checkpoint_rows.py            # after 5,000 and 66,000 rewards
    python benchmarks/bench_checkpoint_rows.py --quick    # after 5,000
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script (E402 below)

from benchmarks.bench_engine import T0, contexts, make_engine  # noqa: E402
from engine.checkpoint import CheckpointStore  # noqa: E402
from engine.learner_selection import LearnerSelection  # noqa: E402
from engine.options import EngineOptions  # noqa: E402

CHECKPOINT_EVERY = EngineOptions().checkpoint_every


def checkpoint_ms(eng, rows: bool, repeats: int) -> float:
    """The median milliseconds of ``repeats`` checkpoints, with or without the rows file."""
    # no rows: the checkpoint as before stop 49, no rows file written
    patch = contextlib.nullcontext() if rows \
        else mock.patch.object(LearnerSelection, "kept_rows", lambda self: {})
    times = []
    with patch:
        for _ in range(repeats):
            start = time.perf_counter()
            eng.checkpoint()
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def sidecar_ms(state_dir: str, repeats: int) -> tuple[float, float]:
    """Median milliseconds to write the current sidecar as before stop 49 and as today."""
    info = CheckpointStore(state_dir).latest()
    assert info is not None
    out = Path(state_dir) / "sidecar-timing.json"

    def before() -> None:
        with open(out, "w") as f:
            json.dump(dataclasses.asdict(info), f, sort_keys=True)

    def today() -> None:
        with open(out, "w") as f:
            f.write(json.dumps({k.name: getattr(info, k.name)
                                for k in dataclasses.fields(info)}, sort_keys=True))

    medians = []
    for write in (before, today):
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            write()
            times.append(time.perf_counter() - start)
        medians.append(statistics.median(times) * 1e3)
    out.unlink()
    return medians[0], medians[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only after 5,000 rewards")
    args = parser.parse_args()
    print("rewards  rows kept  without rows  with rows  ratio  rows file  "
          f"added per reward at checkpoint_every={CHECKPOINT_EVERY}")
    done = 0
    with tempfile.TemporaryDirectory() as d:
        eng = make_engine(4, d)  # 4 messages x 3 channels x 4 timings + no contact: 49
        ctxs = contexts(2000)
        try:
            for target in ([5000] if args.quick else [5000, 66000]):
                for i in range(done, target):
                    dec = eng.choose(f"c{i}", ctxs[i % len(ctxs)], now=T0 + i)
                    eng.reward(dec.decision_id, float(i % 7 == 0), now=T0 + i + 1)
                done = target
                off = checkpoint_ms(eng, False, 7)
                on = checkpoint_ms(eng, True, 7)
                kept = max(v.n_kept for v in eng._selection.values.values())
                size = sum(p.stat().st_size for p in Path(d).glob("rows-*.npz"))
                extra_us = (on - off) * 1e3 / CHECKPOINT_EVERY
                print(f"{target:7d}  {kept:9d}  {off:9.1f} ms  {on:6.1f} ms  {on / off:5.2f}x"
                      f"  {size / 1e6:6.2f} MB  {extra_us:8.1f} us")
                old, new = sidecar_ms(d, 7)
                print(f"         the sidecar alone: {old:.1f} ms as before stop 49, {new:.1f} "
                      f"ms today ({old / new:.1f}x faster)")
        finally:
            eng.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
