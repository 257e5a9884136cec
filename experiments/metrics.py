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
- **Guardrails**: unsubscribes and churned customers per 1,000 contacts sent, contact rate; a
  breach is a rate above 1.5x the reference policy's (uniform random) that a two-proportion
  z-test also puts above it.
- **A/B-test progress**: per seed, whether the test was still running at the end, or never
  ended (every decision made by the test, i.e. uniformly at random).

Example:
    >>> import pandas as pd
    >>> [round(x, 3) for x in mean_ci(pd.Series([0.5, 0.7, 0.6]))]
    [0.6, 0.352, 0.848]
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["Z95", "ab_test_progress", "cell_totals", "guardrail_breaches", "guardrails",
           "leaderboard", "lift", "mean_ci", "paired", "regret_curves", "t95"]

Z95 = 1.959963984540054
_Z90 = 1.6448536269514722  # one-sided 95%
# two-sided 97.5% Student-t quantiles, df 1..30 (scipy is not a dependency for one table)
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042)
_KEYS = ["scenario", "policy"]
_PAIRED = ["scenario", "policy", "other", "seeds", "diff_per_1000", "diff_lo", "diff_hi", "diff_se"]


def t95(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (normal beyond 30).

    Example:
        >>> t95(3), t95(1000)
        (3.182, 1.959963984540054)
    """
    if df < 1:
        return math.inf
    return _T975[df - 1] if df <= len(_T975) else Z95


def mean_ci(values: pd.Series | np.ndarray | Sequence[float]) -> tuple[float, float, float]:
    """Mean and Student-t 95% interval of independent values (one per seed, or paired
    differences); a single value has an infinite interval.

    Example:
        >>> [round(x, 2) for x in mean_ci([1.0, 2.0, 3.0])]
        [2.0, -0.48, 4.48]
    """
    v = np.asarray(values, dtype=np.float64)
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
    seed (same world), mean, Student-t 95% interval and standard error (``diff_se``, the
    spread of the per-seed differences over sqrt(seeds)) over the seeds both ran.

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
        return pd.DataFrame(columns=_PAIRED)
    for other in [c for c in wide.columns if c != policy]:
        diff = (wide[policy] - wide[other]).dropna()
        for scenario, d in diff.groupby(level="scenario", sort=True):
            m, lo, hi = mean_ci(d)
            se = float(d.std(ddof=1)) / math.sqrt(len(d)) if len(d) > 1 else math.inf
            out.append({"scenario": scenario, "policy": policy, "other": other, "seeds": len(d),
                        "diff_per_1000": m, "diff_lo": lo, "diff_hi": hi, "diff_se": se})
    return pd.DataFrame(out, columns=_PAIRED)


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
    """Per (scenario, policy): contacts, unsubscribes and churned customers (counts), contact
    rate, unsubscribes and churn per 1,000 contacts, the channel mix (share of contacts per
    channel), summed over seeds.

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
                        "contacts": g["contacts"], "unsubscribed": g["unsubscribed"],
                        "churned": g["churned"],
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


def ab_test_progress(rows: pd.DataFrame) -> pd.DataFrame:
    """Per (scenario, policy) that ran an A/B test (``in_test`` > 0 somewhere): how far it got.

    Columns: ``seeds``; ``still_testing`` (seeds whose last window still had a decision made
    by the test); ``never_finished`` (seeds where every treated decision was made by the test,
    so the policy played uniformly at random throughout); ``in_test_share`` (share of treated
    decisions made by the test, over seeds). Results written before the ``in_test`` column
    existed give an empty frame.

    Example:
        >>> rows = pd.DataFrame({"scenario": "s", "policy": "ab", "seed": [0, 0, 1, 1],
        ...     "step": [1, 2, 1, 2], "n_treated": 10, "in_test": [10, 10, 10, 0]})
        >>> ab_test_progress(rows)[["still_testing", "never_finished", "in_test_share"]
        ...                        ].values.tolist()
        [[1.0, 1.0, 0.75]]
    """
    columns = [*_KEYS, "seeds", "still_testing", "never_finished", "in_test_share"]
    if "in_test" not in rows.columns:
        return pd.DataFrame(columns=columns)
    r = rows.assign(in_test=rows["in_test"].fillna(0)).sort_values("step")
    per = r.groupby([*_KEYS, "seed"], sort=False).agg(
        in_test=("in_test", "sum"), n=("n_treated", "sum"), last=("in_test", "last"))
    per = per.assign(open=per["last"] > 0, never=(per["in_test"] >= per["n"]) & (per["n"] > 0))
    g = per.groupby(level=_KEYS, sort=False)
    out = pd.DataFrame({"seeds": g.size(), "still_testing": g["open"].sum(),
                        "never_finished": g["never"].sum(),
                        "in_test_share": g["in_test"].sum() / g["n"].sum()}).reset_index()
    return out.loc[out["in_test_share"] > 0, columns].reset_index(drop=True)


def guardrail_breaches(guard: pd.DataFrame, reference: str, ratio: float = 1.5) -> pd.DataFrame:
    """Rows of :func:`guardrails` whose unsubscribe or churn rate breaches the reference's.

    A breach: the policy's rate per contact is above ``ratio`` x the ``reference`` policy's
    (same scenario) and a two-proportion z-test puts it above the reference's at 95%
    (one-sided z > 1.645), so a handful of events does not raise a flag.

    Returns:
        Columns scenario, policy, measure (``unsubscribes`` or ``churned``), per_1000,
        reference_per_1000, ratio (policy rate / reference rate; inf when the reference's is 0).

    Example:
        >>> guard = pd.DataFrame({"scenario": "s", "policy": ["random", "a", "b"],
        ...     "contacts": 10_000, "unsubscribed": [50, 150, 60], "churned": 0})
        >>> guardrail_breaches(guard, "random")[["policy", "measure", "per_1000"]].values.tolist()
        [['a', 'unsubscribes', 15.0]]
    """
    out = []
    ref = guard[guard["policy"] == reference].set_index("scenario")
    for measure, column in (("unsubscribes", "unsubscribed"), ("churned", "churned")):
        for row in guard[guard["policy"] != reference].itertuples(index=False):
            if row.scenario not in ref.index or not row.contacts:
                continue
            n0, x0 = float(ref.at[row.scenario, "contacts"]), float(ref.at[row.scenario, column])
            n1, x1 = float(row.contacts), float(getattr(row, column))
            p0, p1 = x0 / max(n0, 1.0), x1 / n1
            pooled = (x0 + x1) / (n0 + n1)
            se = math.sqrt(pooled * (1 - pooled) * (1 / max(n0, 1.0) + 1 / n1))
            if p1 > ratio * p0 and se > 0 and (p1 - p0) / se > _Z90:
                out.append({"scenario": row.scenario, "policy": row.policy, "measure": measure,
                            "per_1000": 1000 * p1, "reference_per_1000": 1000 * p0,
                            "ratio": p1 / p0 if p0 > 0 else math.inf})
    return pd.DataFrame(out, columns=["scenario", "policy", "measure", "per_1000",
                                      "reference_per_1000", "ratio"])
