"""The experiment report: one self-contained ``report.html`` plus the PNGs and CSVs beside it.

For a marketer first: per scenario, which policy wins, by how much per 1,000 customers (with
a 95% interval), and at what unsubscribe cost; then the leaderboard, the lift against the
holdout, the guardrails, and regret curves (mean and interval over seeds). Methods are in
:mod:`experiments.metrics` and restated at the bottom of the page.

Example:
    >>> import tempfile
    >>> from experiments.results_io import write_cell
    >>> rows = [{"scenario": "s", "policy": p, "policy_name": p, "seed": seed, "window": 0,
    ...          "step": 10, "n": 10, "n_treated": 9, "n_holdout": 1, "reward_treated": v,
    ...          "reward_sq_treated": v, "reward_holdout": 0.0, "reward_sq_holdout": 0.0,
    ...          "expected_treated": v, "oracle_treated": 9.0, "random_treated": 1.0,
    ...          "regret": 9.0 - v, "cumulative_regret": 9.0 - v, "contacts": 9,
    ...          "no_contact": 0, "ch_email": 9, "opened": 1, "clicked": 1, "converted": 1,
    ...          "unsubscribed": 0, "churned": 0, "overrides": 0}
    ...         for p, v in (("a", 6.0), ("b", 3.0)) for seed in (0, 1)]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for r in rows:
    ...         _ = write_cell(d, f"s__{r['policy']}__seed{r['seed']}", [r])
    ...     path = write_report(d)
    ...     path.name, "a wins" in path.read_text()
    ('report.html', True)
"""

from __future__ import annotations

import base64
import html
import math
import os
from pathlib import Path

import pandas as pd

from experiments import metrics
from experiments.results_io import read_manifest, read_results

__all__ = ["headlines", "write_report"]


def _fmt(x: float, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:,.{digits}f}"


def _ci(v: float, lo: float, hi: float, digits: int = 1) -> str:
    return f"{_fmt(v, digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"


def headlines(board: pd.DataFrame, guard: pd.DataFrame,
              rows: pd.DataFrame | None = None) -> list[str]:
    """One sentence per scenario: the winner, its margin over the runner-up (and whether the
    intervals separate them: paired by seed when ``rows`` are given), and its unsubscribe cost
    next to the runner-up's."""
    out = []
    g = guard.set_index(["scenario", "policy"])
    for scenario, b in board.groupby("scenario", sort=True):
        b = b.sort_values("value_per_1000", ascending=False)
        win = b.iloc[0]
        text = (f"<b>{html.escape(str(scenario))}</b>: <b>{html.escape(str(win.policy))} wins</b> "
                f"with {_fmt(win.value_per_1000)} per 1,000 customers "
                f"({_fmt(100 * win.capture, 0)}% of the gain an all-knowing policy makes over "
                f"random)")
        if len(b) > 1:
            second = b.iloc[1]
            sure = "intervals do not overlap" if win.value_lo > second.value_hi else \
                "intervals overlap: not a clear win"
            if rows is not None:
                d = metrics.paired(rows[rows["scenario"] == scenario], str(win.policy))
                d = d[d["other"] == second.policy]
                if len(d):
                    lo, hi = float(d["diff_lo"].iloc[0]), float(d["diff_hi"].iloc[0])
                    sure = (f"paired 95% CI [{_fmt(lo)}, {_fmt(hi)}]: "
                            + ("a clear win" if lo > 0 else "not a clear win"))
            text += (f", {_fmt(win.value_per_1000 - second.value_per_1000)} more than "
                     f"{html.escape(str(second.policy))} ({sure})")
            u_w = g.loc[(scenario, win.policy), "unsub_per_1000"]
            u_s = g.loc[(scenario, second.policy), "unsub_per_1000"]
            text += (f"; unsubscribes {_fmt(u_w, 2)} per 1,000 contacts vs {_fmt(u_s, 2)}")
        out.append(text + ".")
    return out


def _paired_view(rows: pd.DataFrame, board: pd.DataFrame) -> pd.DataFrame:
    """The engine (any ``engine`` cell), else each scenario's winner, against every other policy,
    paired by seed."""
    focus = list(rows.loc[rows.get("policy_name", pd.Series(dtype=str)) == "engine",
                          "policy"].unique())
    if not focus:
        focus = list(board.groupby("scenario").head(1)["policy"].unique())
    parts = [metrics.paired(rows, f) for f in focus]
    d = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if d.empty:
        return d
    verdict = ["better" if lo > 0 else "worse" if hi < 0 else "not separated"
               for lo, hi in zip(d.diff_lo, d.diff_hi, strict=True)]
    return d.assign(**{"difference per 1,000 [95% CI]": [_ci(*r) for r in zip(
        d.diff_per_1000, d.diff_lo, d.diff_hi, strict=True)], "verdict": verdict})[
        ["scenario", "policy", "other", "seeds", "difference per 1,000 [95% CI]", "verdict"]]


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, border=0, classes="t", na_rep="n/a",
                      float_format=lambda x: f"{x:,.3f}")


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def _figures(out: Path, board: pd.DataFrame, curves: pd.DataFrame) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    for scenario, c in curves.groupby("scenario", sort=True):
        fig, ax = plt.subplots(figsize=(7, 4))
        for policy, p in c.groupby("policy", sort=False):
            ax.plot(p["step"], p["regret"], label=str(policy))
            lo, hi = p["lo"].clip(lower=p["regret"].min() - 10), p["hi"]
            if p["lo"].map(math.isfinite).all():
                ax.fill_between(p["step"], lo, hi, alpha=0.2)
        ax.set(title=f"{scenario}: regret per decision so far (mean, 95% CI over seeds)",
               xlabel="decisions", ylabel="oracle - policy expected reward")
        ax.legend(fontsize=7)
        fig.tight_layout()
        paths.append(out / f"regret_{scenario}.png")
        fig.savefig(paths[-1], dpi=90)
        plt.close(fig)
    for scenario, b in board.groupby("scenario", sort=True):
        b = b.sort_values("value_per_1000")
        fig, ax = plt.subplots(figsize=(7, 0.4 * len(b) + 1.2))
        err = [b["value_per_1000"] - b["value_lo"], b["value_hi"] - b["value_per_1000"]]
        finite = all(pd.Series(e).map(math.isfinite).all() for e in err)
        ax.barh(b["policy"].astype(str), b["value_per_1000"], xerr=err if finite else None,
                color="#4a7bb7")
        ax.set(title=f"{scenario}: expected reward per 1,000 customers (95% CI over seeds)",
               xlabel="reward per 1,000 customers")
        fig.tight_layout()
        paths.append(out / f"value_{scenario}.png")
        fig.savefig(paths[-1], dpi=90)
        plt.close(fig)
    return paths


_CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table.t{border-collapse:collapse;font-size:13px;margin:1em 0}"
        "table.t td,table.t th{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}"
        "img{max-width:100%}.bad{color:#a00}")


def write_report(results_dir: str | os.PathLike, out_dir: str | os.PathLike | None = None
                 ) -> Path:
    """Read a results folder and write ``report.html``, PNGs and CSV tables into ``out_dir``
    (default: the results folder). Returns the HTML path.

    Raises:
        ResultsError: the folder holds no results.
    """
    rows = read_results(results_dir)
    out = Path(out_dir or results_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(results_dir)
    board, lift = metrics.leaderboard(rows), metrics.lift(rows)
    guard, curves = metrics.guardrails(rows), metrics.regret_curves(rows)
    for name, df in (("leaderboard", board), ("lift", lift), ("guardrails", guard)):
        df.to_csv(out / f"{name}.csv", index=False)
    figs = _figures(out, board, curves)
    name = manifest.get("name", Path(results_dir).name)
    view = board.assign(**{
        "value per 1,000 [95% CI]": [_ci(*r) for r in zip(
            board.value_per_1000, board.value_lo, board.value_hi, strict=True)],
        "regret per 1,000 [95% CI]": [_ci(*r) for r in zip(
            board.regret_per_1000, board.regret_lo, board.regret_hi, strict=True)],
        "capture %": (100 * board.capture).round(1)})[
        ["scenario", "policy", "seeds", "value per 1,000 [95% CI]", "regret per 1,000 [95% CI]",
         "capture %"]]
    lift_view = lift.assign(**{"lift per 1,000 [95% CI]": [_ci(*r) for r in zip(
        lift.lift_per_1000, lift.lift_lo, lift.lift_hi, strict=True)]})[
        ["scenario", "policy", "n_treated", "n_holdout", "treated_per_1000", "holdout_per_1000",
         "lift per 1,000 [95% CI]"]]
    failed = manifest.get("failed", [])
    errors = {c["cell_id"]: c["error"] for c in manifest.get("cells", []) if c.get("error")}
    parts = [(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(name)}"
             f"</title><style>{_CSS}</style></head><body>"
             f"<h1>Experiment {html.escape(name)}</h1>"),
             "<h2>Who wins</h2><ul>", *[f"<li>{h}</li>" for h in headlines(board, guard, rows)],
             "</ul>"]
    if failed:
        parts += ["<h2 class='bad'>Failed cells (not in the tables)</h2><ul>",
                  *[f"<li class='bad'>{html.escape(c)}: {html.escape(errors.get(c, ''))}</li>"
                    for c in failed], "</ul>"]
    pairs = _paired_view(rows, board)
    if not pairs.empty:
        pairs.to_csv(out / "paired.csv", index=False)
    parts += ["<h2>Leaderboard</h2>", _table(view),
              *[_img(p) for p in figs if p.name.startswith("value_")],
              "<h2>Head to head (same worlds, paired by seed)</h2>",
              _table(pairs) if not pairs.empty else "<p>n/a</p>",
              "<h2>Lift against the holdout (no contact)</h2>", _table(lift_view),
              "<h2>Guardrails</h2>", _table(guard),
              "<h2>Regret curves</h2>", *[_img(p) for p in figs if p.name.startswith("regret_")],
              ("<h2>Method</h2><p>Value and regret use the simulator's exact expected reward of "
              "each chosen action (treated customers), averaged per seed; intervals are "
              "Student-t 95% over seeds; head-to-head differences are taken per seed "
              "(both policies met the same customers) with the same interval. Regret = best "
              "eligible action's expected reward minus the chosen one's. Capture = "
              "(policy - random) / (oracle - random). Lift = "
              "realized reward per treated customer minus per holdout customer, pooled over "
              "seeds, Welch/normal 95% interval on per-decision rewards. Guardrails are per "
              "1,000 contacts sent.</p></body></html>")]
    path = out / "report.html"
    path.write_text("\n".join(parts))
    return path
