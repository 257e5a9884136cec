"""Campaign speed: customers decided per second per core against the per-customer ``choose``
loop, and Ray's 1 -> 2 workers speedup against a bare Ray Data pipeline of the same shape.

Setup: the example catalog (49 actions), an engine trained on 600 decisions (checkpointed),
customers with a dozen context columns (numbers, a segment, a timezone, consent), the campaign
at one time with an SMS cap that binds (so prices are fitted on a 10% sample).

1. Per core (BLAS held to one thread): the reference is ``Engine.choose(..., activate=False)``
   customer after customer (rules, features, VW, one SQLite transaction each), on a copy of the
   same state; the campaign is ``score_campaign(..., workers=0)``: the whole command in this
   process (the file checked, the sample scored for prices, every customer scored by batch
   prediction and allocated, one transaction per batch, the output file). Target: >= 5x.
2. Ray: the campaign with 1 and then 2 scoring workers (Ray Data actors; the driver allocates
   and writes), next to a bare Ray Data pipeline of the same shape (read the same file,
   ``map_batches`` on 1 or 2 actors that burn CPU as long per batch as a worker's scoring of a
   batch takes, measured in this process; the driver only iterates). Interleaved rounds,
   medians; target: the campaign's speedup >= 0.9 of the bare pipeline's. The campaign's
   driver (allocation, one log transaction and one output row group per batch) is serial work
   the bare pipeline does not have.

3. ``--ridge``: the per-core figure again, in the same run, for the example catalog with the
   closed-form ridge candidate serving first (``candidates = ["ridge", "squarecb",
   "epsilon"]``, trained the same way): the choose loop then serves ridge, the campaign scores
   by the ridge's batch prediction (one matrix product per batch). Printed beside: what a
   worker takes to score one batch of 2,000 customers (rules, features, prediction) for each
   catalog, and the size of each serving model's snapshot.

Run: ``python benchmarks/bench_campaign.py [--quick] [--no-ray] [--ridge]``. Exits 0.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # per core: no BLAS threads (before numpy loads)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import shutil
import tempfile
import time
from importlib.resources import files
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from engine import Engine
from engine.campaign.plan import CampaignPlan
from engine.campaign.runner import score_campaign
from engine.clock import ManualClock

T0 = 1_700_000_000.0
AT = T0 + 2 * 86400 + 10 * 3600
CHANNELS = ("email", "sms", "push")
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC")
SEGMENTS = ("new", "vip", "active", "lapsed")


def customers(n: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    consent = pa.StructArray.from_arrays(
        [pa.array(rng.random(n) < 0.9), pa.array(rng.random(n) < 0.6),
         pa.array(rng.random(n) < 0.5)], names=list(CHANNELS))
    return pa.table({
        "customer_id": [f"c{i}" for i in range(n)], "age": rng.integers(18, 80, n),
        "segment": rng.choice(SEGMENTS, n), "tenure_days": rng.integers(0, 900, n).astype(float),
        "spend": np.round(rng.random(n) * 100, 2), "orders": rng.integers(0, 30, n),
        "days_since_purchase": rng.integers(0, 365, n), "device": rng.choice(["ios", "web"], n),
        "region": rng.choice(["north", "south", "east", "west"], n),
        "newsletter_opens": rng.integers(0, 12, n), "timezone": rng.choice(ZONES, n),
        "consent": consent})


def contexts(table: pa.Table) -> list[tuple[str, dict]]:
    rows = table.to_pylist()
    return [(r.pop("customer_id"), r) for r in rows]


def train(state: Path, catalog: Path) -> None:
    rng = np.random.default_rng(0)
    table = customers(600, seed=9)
    clock = ManualClock(T0 - 20 * 86400)
    with Engine.from_catalog(catalog, state_dir=state, seed=0, clock=clock) as eng:
        for i, (cid, ctx) in enumerate(contexts(table)):
            clock.set(T0 - 20 * 86400 + i * 900.0)
            dec = eng.choose(f"h{cid}", ctx)
            value = {"sms": 4.0, "email": 1.0}.get(dec.channel or "", 0.0) * rng.random()
            clock.advance(60)
            eng.reward(dec.decision_id, value)
        eng.checkpoint()


def choose_rate(state: Path, catalog: Path, table: pa.Table) -> float:
    """Customers per second of the per-customer choose loop."""
    items = contexts(table)
    with Engine.from_catalog(catalog, state_dir=state, seed=0, clock=ManualClock(AT)) as eng:
        start = time.perf_counter()
        for cid, ctx in items:
            eng.choose(cid, ctx, activate=False)
        return len(items) / (time.perf_counter() - start)


def campaign_seconds(state: Path, catalog: Path, path: Path, out: Path, workers: int,
                     n: int) -> float:
    plan = CampaignPlan(at=AT, capacity={"sms": n // 20}, sample_size=max(1, n // 10),
                        batch_size=2000)
    start = time.perf_counter()
    summary = score_campaign(path, catalog, state, out, plan, workers=workers, progress=False)
    seconds = time.perf_counter() - start
    assert summary.totals.decided == n and summary.totals.sends["sms"] <= n // 20
    return seconds


def _burn(seconds: float) -> None:
    end = time.perf_counter() + seconds
    a = np.random.default_rng(0).random((60, 60))
    while time.perf_counter() < end:
        a = np.tanh(a @ a * 0.01)


class _Burner:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, batch: pa.Table) -> dict[str, np.ndarray]:
        _burn(self.seconds)
        return {"n": np.full(batch.num_rows, 1)}


def bare_seconds(path: Path, workers: int, per_batch: float, batch_size: int) -> float:
    """The same pipeline shape on bare Ray Data: read, burn per batch on actors, iterate."""
    import ray.data

    start = time.perf_counter()
    ds = ray.data.read_parquet(str(path)).map_batches(
        _Burner, fn_constructor_kwargs={"seconds": per_batch}, batch_size=batch_size,
        batch_format="pyarrow", compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=1)
    rows = sum(len(b["n"]) for b in ds.iter_batches(batch_format="numpy", batch_size=None))
    assert rows == pq.ParquetFile(path).metadata.num_rows
    return time.perf_counter() - start


def main() -> int:
    """Measure and print; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved Ray rounds")
    parser.add_argument("--no-ray", action="store_true", help="the per-core figure only")
    parser.add_argument("--ridge", action="store_true",
                        help="also the per-core figure with the ridge candidate serving first")
    args = parser.parse_args()
    n_choose, n_core, n_ray = (1000, 10_000, 20_000) if args.quick else (3000, 40_000, 120_000)
    catalog = Path(str(files("engine") / "catalogs" / "example.toml"))
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        train(root / "trained", catalog)

        def fresh(name: str) -> Path:
            shutil.copytree(root / "trained", root / name)
            return root / name

        big = customers(n_ray)
        pq.write_table(big.slice(0, n_core), root / "core.parquet", row_group_size=20_000)
        pq.write_table(big, root / "ray.parquet", row_group_size=20_000)
        ref = choose_rate(fresh("choose"), catalog, big.slice(0, n_choose))
        core = n_core / campaign_seconds(fresh("core"), catalog, root / "core.parquet",
                                         root / "core_out.parquet", 0, n_core)
        print(f"per core ({n_choose:,} choose calls; a {n_core:,}-customer campaign in one "
              f"process, BLAS on one thread)")
        print(f"  choose loop (activate=False)  {ref:10,.0f} customers/s")
        print(f"  campaign score --workers 0    {core:10,.0f} customers/s   ratio "
              f"{core / ref:.1f}x (target >= 5x)")
        if args.ridge:
            ridge_per_core(root, catalog, big, n_choose, n_core)
        if not args.no_ray:
            ray_speedups(root, catalog, fresh, n_ray, args.repeats)
    return 0


def ridge_per_core(root: Path, catalog: Path, big: pa.Table, n_choose: int, n_core: int
                   ) -> None:
    """The per-core lines for the catalog with the ridge candidate serving first, next to the
    default catalog's batch scoring cost and snapshot size, in this run."""
    from engine.checkpoint import CheckpointStore

    ridge = root / "ridge.toml"
    ridge.write_text(catalog.read_text() + 'candidates = ["ridge", "squarecb", "epsilon"]\n')
    train(root / "ridge_trained", ridge)
    info = CheckpointStore(root / "ridge_trained").latest()
    assert info is not None and info.serving == "ridge"

    def fresh(name: str) -> Path:
        shutil.copytree(root / "ridge_trained", root / name)
        return root / name

    ref = choose_rate(fresh("ridge_choose"), ridge, big.slice(0, n_choose))
    core = n_core / campaign_seconds(fresh("ridge_core"), ridge, root / "core.parquet",
                                     root / "ridge_core_out.parquet", 0, n_core)
    print("per core, the ridge candidate serving first (candidates = ridge, squarecb, epsilon)")
    print(f"  choose loop (activate=False)  {ref:10,.0f} customers/s")
    print(f"  campaign score --workers 0    {core:10,.0f} customers/s   ratio "
          f"{core / ref:.1f}x (target >= 5x)")
    print("one batch of 2,000 customers scored by a worker (median of 5, warm), serving model")
    for name, state, cat in (("default (VW squarecb)", root / "trained", catalog),
                             ("ridge first", root / "ridge_trained", ridge)):
        seconds = scoring_seconds(state, cat, root / "core.parquet", 2000)
        size = len(_serving_model(state, cat).snapshot.model)
        print(f"  {name:24s} {seconds * 1000:8.1f} ms   snapshot {size / 1e6:8.3f} MB")


def _serving_model(state: Path, catalog: Path):
    """The model a campaign on this state folder scores with."""
    from engine.campaign.runner import current_model
    from engine.config import load_config
    from engine.options import EngineOptions
    from engine.store import DecisionLog

    cat, _, settings = load_config(catalog)
    with DecisionLog(state) as log:
        model = current_model(log, state, cat, EngineOptions.from_dict(settings))
    return model


def scoring_seconds(state: Path, catalog: Path, path: Path, batch: int) -> float:
    """Median seconds a worker takes to score one batch (in this process, warm)."""
    from engine.campaign.scoring import CustomerScorer, ScoringSetup

    model = _serving_model(state, catalog)
    setup = ScoringSetup(catalog.read_text(), catalog.name, f"sqlite:///{state.resolve()}",
                         model.snapshot, AT, model.reward_scale)
    seconds = []
    with CustomerScorer(setup) as scorer:
        for part in pq.ParquetFile(path).iter_batches(batch_size=batch):
            start = time.perf_counter()
            scorer(part)
            seconds.append(time.perf_counter() - start)
            if len(seconds) == 6:
                break
    return float(np.median(seconds[1:]))


def ray_speedups(root: Path, catalog: Path, fresh, n: int, repeats: int) -> None:
    import ray

    from engine.campaign.ray_stream import ray_session

    batch = 2000
    times: dict[str, list[float]] = {"one": [], "two": [], "ref_one": [], "ref_two": []}
    ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        with ray_session(None, 2):  # the campaign's Ray settings, on the Ray started here
            campaign_seconds(fresh("warm"), catalog, root / "ray.parquet", root / "w.parquet",
                             2, n)  # warm the workers' imports
            per_batch = scoring_seconds(root / "warm", catalog, root / "ray.parquet", batch)
            for k in range(repeats):
                one = campaign_seconds(fresh(f"one{k}"), catalog, root / "ray.parquet",
                                       root / "o.parquet", 1, n)
                times["one"].append(one)
                times["ref_one"].append(bare_seconds(root / "ray.parquet", 1, per_batch, batch))
                times["two"].append(campaign_seconds(fresh(f"two{k}"), catalog,
                                                     root / "ray.parquet", root / "t.parquet",
                                                     2, n))
                times["ref_two"].append(bare_seconds(root / "ray.parquet", 2, per_batch, batch))
    finally:
        ray.shutdown()
    one, two, r1, r2 = (float(np.median(times[k])) for k in ("one", "two", "ref_one",
                                                                "ref_two"))
    print(f"Ray ({n:,} customers, batches of {batch:,}; a worker scores a batch in "
          f"{per_batch:.2f} s; medians of {repeats} interleaved rounds)")
    print(f"  {'':28s} {'1 worker s':>10s} {'2 workers s':>11s} {'speedup':>8s}")
    print(f"  {'campaign score':28s} {one:10.1f} {two:11.1f} {one / two:8.2f}")
    print(f"  {'bare Ray Data, same shape':28s} {r1:10.1f} {r2:11.1f} {r1 / r2:8.2f}")
    print(f"  ratio of speedups (campaign / bare): {(one / two) / (r1 / r2):.2f} (target >= 0.9)")


if __name__ == "__main__":
    raise SystemExit(main())
