"""Regret, value, lift and guardrails from the per-window records of :mod:`experiments.cell`.

Methods (stated once, used everywhere):

- **Value and regret** use the *expected* reward of each chosen action (exact, from the
  simulator), so the only noise left is between runs: the mean over seeds with a Student-t 95%
  interval over seeds (``n_seeds - 1`` degrees of freedom).
- **Paired differences** (policy A vs B on the same scenario): per seed both ran on the same
  world (same customers, same holdout), so the difference of their values per seed has a much
  smaller spread than either value; Student-t 95% interval over seeds of that difference.
- **Lift vs holdout** uses *realized* rewards: mean reward per treated decision minus mean per
  holdout decision (no contact), pooled over seeds, with a Welch / normal 95% interval on the
  per-decision rewards (decisions are treated as independent draws).
- **Value per 1,000 customers**: 1,000 x the mean reward per decision.
- **Guardrails**: unsubscribes and churned customers per 1,000 contacts sent, contact rate.

Example:
    >>> import pandas as pd
    >>> [round(x, 3) for x in mean_ci(pd.Series([0.5, 0.7, 0.6]))]
    [0.6, 0.352, 0.848]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["Z95", "cell_totals", "guardrails", "leaderboard", "lift", "mean_ci", "paired",
           "regret_curves", "t95"]

Z95 = 1.959963984540054
# two-sided 97.5% Student-t quantiles, df 1..30 (scipy is not a dependency for one table)
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
_KEYS = ["scenario", "policy"]


def t95(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (normal beyond 30).

    Example:
        >>> t95(3), t95(1000)
        (3.182, 1.959963984540054)
    """
    if df < 1:
        return math.inf
    return _T975[df - 1] if df <= len(_T975) else Z95


def mean_ci(values: pd.Series) -> tuple[float, float, float]:
    """Mean and Student-t 95% interval of independent values (one per seed); a single value
    has an infinite interval."""
    v = values.to_numpy(dtype=np.float64)
    mean = float(v.mean())
    if len(v) < 2:
        return mean, -math.inf, math.inf
    half = t95(len(v) - 1) * float(v.std(ddof=1)) / math.sqrt(len(v))
    return mean, mean - half, mean + half


def cell_totals(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (scenario, policy, seed): every count and sum over its windows."""
    numeric = [c for c in rows.columns if c not in ("scenario", "policy", "policy_name", "seed",
                                                     "window", "step", "cumulative_regret")]
    return rows.groupby([*_KEYS, "seed"], sort=False)[numeric].sum().reset_index()


def leaderboard(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (scenario, policy): expected value per 1,000 decisions with its CI over seeds, regret
    per 1,000, and the share of the achievable gain over random it captures; best first.

    Example:
        >>> rows = pd.DataFrame({"scenario": "s", "policy": ["a", "a", "b", "b"],
        ...     "seed": [0, 1, 0, 1], "n_treated": 100, "expected_treated": [50., 60., 20., 20.],
        ...     "oracle_treated": 100., "random_treated": 10.})
        >>> board = leaderboard(rows)
        >>> board["policy"].tolist(), board["value_per_1000"].tolist()
        (['a', 'b'], [550.0, 200.0])
    """
    cells = cell_totals(rows)
    per = cells.assign(
        value=1000 * cells["expected_treated"] / cells["n_treated"],
        regret=1000 * (cells["oracle_treated"] - cells["expected_treated"]) / cells["n_treated"],
        capture=(cells["expected_treated"] - cells["random_treated"])
        / (cells["oracle_treated"] - cells["random_treated"]))
    out = []
    for (scenario, policy), g in per.groupby(_KEYS, sort=False):
        v, lo, hi = mean_ci(g["value"])
        r, rlo, rhi = mean_ci(g["regret"])
        out.append({"scenario": scenario, "policy": policy, "seeds": len(g),
                    "value_per_1000": v, "value_lo": lo, "value_hi": hi,
                    "regret_per_1000": r, "regret_lo": rlo, "regret_hi": rhi,
                    "capture": float(g["capture"].mean()),
                    "oracle_per_1000": float((1000 * g["oracle_treated"] / g["n_treated"]).mean())})
    board = pd.DataFrame(out)
    return board.sort_values(["scenario", "value_per_1000"], ascending=[True, False],
                             ignore_index=True)


def paired(rows: pd.DataFrame, policy: str) -> pd.DataFrame:
    """Per scenario and every other policy: ``policy``'s value per 1,000 minus the other's, per
    seed (same world), mean and Student-t 95% interval over the seeds both ran.

    Example:
        >>> rows = pd.DataFrame({"scenario": "s", "policy": ["a", "a", "b", "b"],
        ...     "seed": [0, 1, 0, 1], "n_treated": 100, "expected_treated": [50., 80., 40., 69.]})
        >>> d = paired(rows, "a").iloc[0]
        >>> d.other, round(float(d.diff_per_1000), 1), bool(d.diff_lo > 0)
        ('b', 105.0, True)
    """
    cells = cell_totals(rows)
    cells = cells.assign(value=1000 * cells["expected_treated"] / cells["n_treated"])
    wide = cells.pivot_table(index=["scenario", "seed"], columns="policy", values="value")
    out = []
    if policy not in wide.columns:
        return pd.DataFrame(columns=["scenario", "policy", "other", "seeds", "diff_per_1000",
                                     "diff_lo", "diff_hi"])
    for other in [c for c in wide.columns if c != policy]:
        diff = (wide[policy] - wide[other]).dropna()
        for scenario, d in diff.groupby(level="scenario", sort=True):
            m, lo, hi = mean_ci(d)
            out.append({"scenario": scenario, "policy": policy, "other": other, "seeds": len(d),
                        "diff_per_1000": m, "diff_lo": lo, "diff_hi": hi})
    return pd.DataFrame(out)


def lift(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (scenario, policy): realized reward per 1,000 treated vs holdout customers and the
    lift with its Welch 95% interval (pooled over seeds).

    Example:
        >>> rows = pd.DataFrame({"scenario": ["s"], "policy": "p", "seed": 0, "n_treated": 4,
        ...     "reward_treated": 4.0, "reward_sq_treated": 6.0, "n_holdout": 4,
        ...     "reward_holdout": 0.0, "reward_sq_holdout": 2.0})
        >>> round(float(lift(rows)["lift_per_1000"][0]), 1)
        1000.0
    """
    g = rows.groupby(_KEYS, sort=False)[["n_treated", "reward_treated", "reward_sq_treated",
                                          "n_holdout", "reward_holdout",
                                          "reward_sq_holdout"]].sum().reset_index()
    mt, vt = _mean_var(g["n_treated"], g["reward_treated"], g["reward_sq_treated"])
    mh, vh = _mean_var(g["n_holdout"], g["reward_holdout"], g["reward_sq_holdout"])
    se = np.sqrt(vt / g["n_treated"] + vh / g["n_holdout"].where(g["n_holdout"] > 0))
    diff = mt - mh
    return pd.DataFrame({
        "scenario": g["scenario"], "policy": g["policy"], "n_treated": g["n_treated"],
        "n_holdout": g["n_holdout"], "treated_per_1000": 1000 * mt, "holdout_per_1000": 1000 * mh,
        "lift_per_1000": 1000 * diff, "lift_lo": 1000 * (diff - Z95 * se),
        "lift_hi": 1000 * (diff + Z95 * se)})


def _mean_var(n: pd.Series, s: pd.Series, sq: pd.Series) -> tuple[pd.Series, pd.Series]:
    n = n.astype(np.float64)
    mean = s / n.where(n > 0)
    var = (sq - n * mean ** 2) / (n - 1).where(n > 1)
    return mean, var.clip(lower=0.0)


def guardrails(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (scenario, policy): contact rate, unsubscribes and churn per 1,000 contacts, the
    channel mix (share of contacts per channel), summed over seeds.

    Example:
        >>> rows = pd.DataFrame({"scenario": ["s"], "policy": "p", "seed": 0, "n_treated": 10,
        ...     "contacts": 8, "unsubscribed": 2, "churned": 0, "converted": 1, "ch_email": 8})
        >>> guardrails(rows)[["unsub_per_1000", "email_share"]].values.tolist()
        [[250.0, 1.0]]
    """
    chans = [c for c in rows.columns if c.startswith("ch_")]
    g = rows.groupby(_KEYS, sort=False)[["n_treated", "contacts", "unsubscribed", "churned",
                                          "converted", *chans]].sum().reset_index()
    sent = g["contacts"].where(g["contacts"] > 0)
    out = pd.DataFrame({"scenario": g["scenario"], "policy": g["policy"],
                        "contact_rate": g["contacts"] / g["n_treated"],
                        "unsub_per_1000": 1000 * g["unsubscribed"] / sent,
                        "churn_per_1000": 1000 * g["churned"] / sent,
                        "conversions_per_1000": 1000 * g["converted"] / sent})
    for c in chans:
        out[f"{c[3:]}_share"] = g[c] / sent
    return out


def regret_curves(rows: pd.DataFrame) -> pd.DataFrame:
    """Cumulative regret per decision at each window end: mean over seeds and its t-interval.

    Columns: scenario, policy, step, regret (cumulative regret / treated decisions so far), lo,
    hi.
    """
    r = rows.sort_values([*_KEYS, "seed", "step"])
    grp = r.groupby([*_KEYS, "seed"], sort=False)
    r = r.assign(per=grp["regret"].cumsum() / grp["n_treated"].cumsum())
    out = []
    for (scenario, policy, step), g in r.groupby([*_KEYS, "step"], sort=True):
        m, lo, hi = mean_ci(g["per"])
        out.append({"scenario": scenario, "policy": policy, "step": step, "regret": m,
                    "lo": lo, "hi": hi})
    return pd.DataFrame(out)
