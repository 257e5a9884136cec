"""Small synthetic results tables for the report's tests: each policy's expected value per
seed is chosen, so the paired differences (and hence the verdicts) are known in advance."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments.results_io import write_cell

N = 1000  # treated decisions per window
WINDOWS = 3


def rows(values: dict[str, tuple[str, list[float]]], scenario: str = "s",
         in_test: dict[str, list[list[int]]] | None = None,
         unsubscribed: dict[str, int] | None = None) -> pd.DataFrame:
    """Results rows: ``values[label] = (registry name, value per 1,000 customers per seed)``.

    Args:
        in_test: per label, per seed, the test decisions of each window (default 0).
        unsubscribed: per label, unsubscribes per window (default 2 out of 900 contacts).
    """
    out = []
    for label, (name, per_seed) in values.items():
        for seed, v in enumerate(per_seed):
            for w in range(WINDOWS):
                expected = v * N / 1000
                tests = (in_test or {}).get(label)
                out.append({
                    "scenario": scenario, "policy": label, "policy_name": name, "seed": seed,
                    "window": w, "step": (w + 1) * (N + 50), "n": N + 50, "n_treated": N,
                    "n_holdout": 50, "reward_treated": expected,
                    "reward_sq_treated": 2.0 * expected + 1.0, "reward_holdout": 0.0,
                    "reward_sq_holdout": 0.0, "expected_treated": expected,
                    "oracle_treated": 1.5 * N, "random_treated": 0.1 * N,
                    "regret": 1.5 * N - expected,
                    "cumulative_regret": (w + 1) * (1.5 * N - expected),
                    "contacts": 900, "no_contact": 100, "ch_email": 600, "ch_sms": 300,
                    "tm_now": 900, "opened": 300, "clicked": 60, "converted": 20,
                    "unsubscribed": (unsubscribed or {}).get(label, 2), "churned": 0,
                    "overrides": 0, "in_test": tests[seed][w] if tests else 0})
    return pd.DataFrame(out)


def write(folder: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as the experiment runner would: one Parquet file per cell."""
    for (scenario, policy, seed), cell in frame.groupby(["scenario", "policy", "seed"]):
        write_cell(folder, f"{scenario}__{policy.replace(' ', '-')}__seed{seed}",
                   cell.to_dict("records"))
    return folder
