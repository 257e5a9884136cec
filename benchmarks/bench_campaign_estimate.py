"""Interval coverage of ``campaign estimate`` where the truth is known (the simulator).

Per seed (``experiments/campaign_value.py``): three days of the ``capacity`` scenario decided
with 30% exploration are the log (first come, first served, or ``--logger price``: an earlier
price-based campaign); the next day a price-based campaign
is drawn; its exact value per customer is known from the world's expected rewards. The
campaign's policy is valued on the log as ``campaign estimate`` does (doubly robust,
cross-fitted ridge reward model, 95% interval). Printed: how often the interval holds the
campaign's exact value and the policy's exact value on the logged customers (the estimator's own
estimand), the mean error, the interval's mean half-width next to the spread of the estimates,
and the effective sample size; then, per floor and range, the interval widened by the bound on
what the log cannot identify (``campaign_bounded``): its coverage and mean width next to the DR
part's.

Run: ``python benchmarks/bench_campaign_estimate.py [--seeds 50] [--first-seed 0] [--log-days 3]
[--logger fcfs|price]``. ``campaign estimate``'s default is the row floor 0.01,
predicted-action. Exits 0.
"""

from __future__ import annotations

import argparse

import numpy as np

from experiments.campaign_value import estimate_trial


def main() -> int:
    """Measure and print; exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50, help="worlds (default 50)")
    parser.add_argument("--first-seed", type=int, default=0, help="first world (default 0)")
    parser.add_argument("--log-days", type=int, default=3, help="logged days (default 3)")
    parser.add_argument("--log-epsilon", type=float, default=0.3,
                        help="the log's exploration (default 0.3)")
    parser.add_argument("--logger", choices=["fcfs", "price"], default="fcfs",
                        help="what was done before: first come, first served, or an earlier "
                        "price-based campaign (default fcfs)")
    args = parser.parse_args()
    rows = [estimate_trial("capacity", seed=s, log_days=args.log_days,
                           log_epsilon=args.log_epsilon, logger=args.logger)
            for s in range(args.first_seed, args.first_seed + args.seeds)]
    est = np.array([r["estimate"] for r in rows])
    lo, hi = np.array([r["ci_low"] for r in rows]), np.array([r["ci_high"] for r in rows])
    camp, logv = np.array([r["truth_campaign"] for r in rows]), np.array([r["truth_log"]
                                                                          for r in rows])
    ess = np.array([r["ess"] for r in rows])
    n = int(np.mean([r["n_log"] for r in rows]))
    print(f"campaign estimate on {args.seeds} simulator seeds (capacity scenario, {n:,} logged "
          f"decisions, log exploration {args.log_epsilon:.0%}, logger {args.logger}); per "
          f"customer:")
    covers = (lo <= camp) & (camp <= hi)
    logged = np.mean([r["logging_mean"] for r in rows])
    print(f"  coverage of the campaign's exact value:    {covers.mean():.2f} (target 0.95)")
    on_log = (lo <= logv) & (logv <= hi)
    print(f"  coverage of its policy's value on the log: {on_log.mean():.2f}")
    print(f"  mean exact value {camp.mean():.3f}; mean estimate {est.mean():.3f}; mean error "
          f"{np.mean(est - camp):+.3f}, median {np.median(est - camp):+.3f} (a few seeds' rare "
          f"large weights move the mean); logged policy {logged:.3f}")
    olo, ohi = (np.array([r[k] for r in rows]) for k in ("oracle_ci_low", "oracle_ci_high"))
    print(f"  with the world's expected rewards as the reward model: coverage of the value on the "
          f"log {((olo <= logv) & (logv <= ohi)).mean():.2f}; the target's mass on actions "
          f"logged with probability < 0.01: {np.mean([r['barely_logged'] for r in rows]):.2f}")
    print(f"  interval half-width, mean {np.mean((hi - lo) / 2):.3f}; spread of the estimates "
          f"(sd) {est.std(ddof=1):.3f} x 1.96 = {1.96 * est.std(ddof=1):.3f}")
    print(f"  effective sample size: median {np.median(ess):,.0f}, 10th percentile "
          f"{np.percentile(ess, 10):,.0f}; coverage where ESS >= 100: "
          f"{covers[ess >= 100].mean():.2f} "
          f"({int((ess >= 100).sum())} seeds)")
    _bounded(rows, camp)
    return 0


def _bounded(rows: list[dict[str, float]], camp: np.ndarray) -> None:
    """The bounded estimate per floor and range (``campaign_bounded``): coverage and widths."""
    print("  with the unidentified mass bounded (campaign_bounded; floor: logger probability below "
          "which an action is unsupported):")
    print("    floor range             mass  coverage (DR part)  mean width (DR part)  "
          "median width")
    keys = sorted({k.rsplit("_", 2)[0] for k in rows[0] if k.endswith("_ci_low") and
                   k[0].isdigit()}, key=lambda k: (float(k.split("_")[0]), k))
    for key in keys:
        lo, hi, dlo, dhi = (np.array([r[f"{key}_{p}"] for r in rows])
                            for p in ("ci_low", "ci_high", "dr_low", "dr_high"))
        floor, name = key.split("_", 1)
        cover = ((lo <= camp) & (camp <= hi)).mean()
        dr_cover = ((dlo <= camp) & (camp <= dhi)).mean()
        print(f"    {floor:<5} {name:<17} {np.mean([r[f'{key}_mass'] for r in rows]):.2f}  "
              f"{cover:.2f} ({dr_cover:.2f})         {np.mean(hi - lo):6.3f} "
              f"({np.mean(dhi - dlo):.3f})        {np.median(hi - lo):.3f}")


if __name__ == "__main__":
    raise SystemExit(main())
