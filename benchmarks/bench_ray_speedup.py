"""Ray speedup of an experiment grid: 2 workers vs 1, next to a bare Ray reference.

The grid is a fixed slice of the standard experiment (``baseline``, seeds 0-3, the policies
below). It runs once with one cell in flight and once with two, on the same local Ray. The
reference is bare Ray: as many CPU-bound numpy tasks as cells, each doing the work that takes
as long (calibrated in a worker, in this run) as its cell took in the one-worker run, also with
one and then two in flight. The four runs are interleaved and repeated; medians are printed,
both speedups and their ratio; target >= 0.9 (the runner costs little beyond what Ray itself
costs).

Run: ``python benchmarks/bench_ray_speedup.py [--quick]``. Exits 0.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import ray

from experiments.ray_runner import run_grid
from experiments.spec import ExperimentSpec

POLICIES = [{"name": "segment_rules"}, {"name": "epsilon_greedy"}, {"name": "vw_squarecb"},
            {"name": "best_fixed"}]


def _spec(horizon: int) -> ExperimentSpec:
    return ExperimentSpec.from_dict({
        "name": "bench", "scenarios": ["baseline"], "seeds": [0, 1, 2, 3], "horizon": horizon,
        "batch_size": 500, "window": 500, "holdout_fraction": 0.05,
        "policies": POLICIES})


def _grid_seconds(spec: ExperimentSpec, workers: int) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        outcomes = run_grid(spec, out, workers=workers, progress=False)
        wall = time.perf_counter() - start
    assert all(o.status == "done" for o in outcomes), outcomes
    return wall, [o.seconds for o in outcomes]


_A = np.random.default_rng(0).random((120, 120))


def _burn(iterations: int) -> int:
    """CPU-bound numpy work: ``iterations`` small matrix products (single-threaded size)."""
    x = _A
    for _ in range(iterations):
        x = np.tanh(x @ _A * 0.01)
    return int(x.shape[0])


def _rate() -> float:
    """Iterations of :func:`_burn` per second (median of three)."""
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        _burn(300)
        rates.append(300 / (time.perf_counter() - start))
    return float(np.median(rates))


def _reference_seconds(iterations: list[int], workers: int) -> float:
    burn = ray.remote(num_cpus=1)(_burn)
    todo, in_flight = list(iterations), []
    start = time.perf_counter()
    while todo or in_flight:
        while todo and len(in_flight) < workers:
            in_flight.append(burn.remote(todo.pop(0)))
        done, in_flight = ray.wait(in_flight, num_returns=1)
        ray.get(done)
    return time.perf_counter() - start


def main() -> int:
    """Measure and print; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6,000 decisions per cell")
    parser.add_argument("--horizon", type=int, default=20_000, help="decisions per cell")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (medians)")
    args = parser.parse_args()
    horizon = 6_000 if args.quick else args.horizon
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        _grid_seconds(_spec(1000), workers=2)  # warm both workers (imports, VW) for both runs
        spec = _spec(horizon)
        rate = ray.get(ray.remote(num_cpus=1)(_rate).remote())  # in a worker, as the cells ran
        times: dict[str, list[float]] = {"one": [], "two": [], "ref_one": [], "ref_two": []}
        for _ in range(args.repeats):  # interleaved: load from other jobs hits all four alike
            one, cell_seconds = _grid_seconds(spec, workers=1)
            iterations = [max(1, round(s * rate)) for s in cell_seconds]
            times["one"].append(one)
            times["ref_one"].append(_reference_seconds(iterations, workers=1))
            times["two"].append(_grid_seconds(spec, workers=2)[0])
            times["ref_two"].append(_reference_seconds(iterations, workers=2))
    finally:
        ray.shutdown()
    one, two, ref_one, ref_two = (float(np.median(times[k]))
                                  for k in ("one", "two", "ref_one", "ref_two"))
    grid_speedup, ref_speedup = one / two, ref_one / ref_two
    print(f"grid: {len(spec.cells())} cells x {horizon:,} decisions (baseline, "
          f"{len(POLICIES)} policies x 4 seeds); medians of {args.repeats} interleaved rounds")
    print(f"{'':24s} {'1 worker s':>10s} {'2 workers s':>11s} {'speedup':>8s}")
    print(f"{'experiment grid':24s} {one:10.1f} {two:11.1f} {grid_speedup:8.2f}")
    print(f"{'bare Ray numpy tasks':24s} {ref_one:10.1f} {ref_two:11.1f} {ref_speedup:8.2f}")
    print(f"ratio of speedups (grid / reference): {grid_speedup / ref_speedup:.2f} "
          f"(target >= 0.9)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
