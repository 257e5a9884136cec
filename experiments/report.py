"""The experiment report: one self-contained ``report.html`` plus SVG charts and CSVs beside it.

It leads with the verdict, for the analyst's question "does the engine beat what we do today?":
per scenario, whether any policy wins (only when its paired intervals separate it from every
other), then one sentence for the engine against each A/B-test baseline and against the best
learner (:mod:`experiments.verdict`), guardrail breaches in red. Then a run summary (what ran,
when, which code), the leaderboard, regret over time (one chart per scenario, one colour per
policy throughout), head to head, lift against the holdout, guardrails, and the method.
Money is labelled with the spec's ``currency`` everywhere, per 1,000 customers.

Example:
    >>> import tempfile
    >>> from experiments.results_io import write_cell
    >>> rows = [{"scenario": "s", "policy": p, "policy_name": p, "seed": seed, "window": 0,
    ...          "step": 10, "n": 10, "n_treated": 9, "n_holdout": 1, "reward_treated": v,
    ...          "reward_sq_treated": v, "reward_holdout": 0.0, "reward_sq_holdout": 0.0,
    ...          "expected_treated": v + seed, "oracle_treated": 9.0, "random_treated": 1.0,
    ...          "regret": 9.0 - v, "cumulative_regret": 9.0 - v, "contacts": 9,
    ...          "no_contact": 0, "ch_email": 9, "opened": 1, "clicked": 1, "converted": 1,
    ...          "unsubscribed": 0, "churned": 0, "overrides": 0, "in_test": 0}
    ...         for p, v in (("a", 6.0), ("b", 3.0)) for seed in (0, 1)]
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for r in rows:
    ...         _ = write_cell(d, f"s__{r['policy']}__seed{r['seed']}", [r])
    ...     text = write_report(d, currency="USD").read_text()
    ...     "a wins with" in text, "USD per 1,000 customers" in text
    (True, True)
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from experiments import metrics, report_charts, verdict
from experiments.results_io import read_manifest, read_results
from experiments.run_stamp import utc_now

__all__ = ["MIN_SEEDS", "write_report"]

#: Fewer seeds than this and the report warns that its intervals are too wide to rank on.
MIN_SEEDS = 4
_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h2{margin-top:1.6em;border-bottom:1px solid #ddd}
table.t{border-collapse:collapse;font-size:13px;margin:.6em 0 1em}
table.t td,table.t th{padding:3px 8px;border-bottom:1px solid #e3e3e3;text-align:right}
table.t th{background:#f5f5f5;vertical-align:bottom}
table.t .l{text-align:left}
.bad{color:#a00;font-weight:600}.warn{background:#fff4d6;border:1px solid #e0c060;padding:.6em}
.lead{font-size:1.08em}.verdicts li{margin:.25em 0}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1em}
figure{margin:0}figcaption{font-size:12px;color:#555}
.legend{display:flex;flex-wrap:wrap;gap:.4em 1.2em;font-size:13px;margin:.4em 0}
.swatch{display:inline-block;width:14px;height:4px;margin-right:5px;vertical-align:middle}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:0}
dl.summary dt{font-weight:600}dl.summary dd{margin:0}
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def _num(x: float, digits: int = 1) -> str:
    if x is None or not math.isfinite(float(x)):
        return "n/a"
    return f"{x:,.{digits}f}"


def _pct(x: float) -> str:
    return "n/a" if x is None or not math.isfinite(float(x)) else f"{100 * x:.1f}%"


def _ci(v: float, lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{_num(v)} [n/a: 1 seed]"
    return f"{_num(v)} [{_num(lo)}, {_num(hi)}]"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]],
           bad: set[tuple[int, int]] = frozenset(), cls: str = "", left: int = 2) -> str:
    """A table of already formatted cells: the first ``left`` columns are text (left-aligned),
    the rest figures; ``bad`` marks (row, column) cells as breaches."""
    def td(i: int, j: int, c: str) -> str:
        classes = " ".join(k for k, on in (("l", j < left), ("bad", (i, j) in bad)) if on)
        return f"<td class='{classes}'>{_e(c)}</td>" if classes else f"<td>{_e(c)}</td>"

    head = "".join(f"<th{' class=l' if j < left else ''}>{_e(h)}</th>"
                   for j, h in enumerate(header))
    body = "".join("<tr>" + "".join(td(i, j, c) for j, c in enumerate(r)) + "</tr>"
                   for i, r in enumerate(rows))
    return f"<table class='t {cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _policy_order(rows: pd.DataFrame, spec: dict[str, Any]) -> list[str]:
    """Report labels in the spec's order (so colours follow the spec), then any others."""
    seen = set(rows["policy"].unique())
    labels = [p.get("label") or p.get("name") for p in spec.get("policies", [])]
    ordered = [p for p in labels if p in seen]
    return ordered + sorted(seen - set(ordered))


def _summary(rows: pd.DataFrame, manifest: dict[str, Any], currency: str) -> str:
    spec = manifest.get("spec", {})
    cells = manifest.get("cells", [])
    seeds = sorted(rows["seed"].unique())
    n, hold = rows["n"].sum() if "n" in rows else 0, rows["n_holdout"].sum()
    horizon = spec.get("horizon") or int(rows["step"].max())
    frac = spec.get("holdout_fraction")
    items = [
        ("Scenarios", ", ".join(map(str, sorted(rows["scenario"].unique())))),
        ("Policies", ", ".join(_policy_order(rows, spec))),
        ("Seeds", (f"{len(seeds)} per scenario and policy ({', '.join(map(str, seeds))}); "
                  "a seed is a different population of customers")),
        ("Horizon", f"{horizon:,} decisions per cell"
         + (f", in batches of {spec['batch_size']:,}" if "batch_size" in spec else "")),
        ("Holdout", (f"{100 * frac:g}% of customers get no contact (set), " if frac is not None
                     else "") + (f"{100 * hold / n:.1f}% measured" if n else "n/a")),
        ("Reward", (f"per decision: revenue - discount - channel cost (plus the scenario's "
                   f"open/click values and guardrail penalties), in {currency}")),
        ("Cells", _cells_line(rows, cells)),
        ("Run", f"finished {manifest['finished_at']} (started {manifest.get('started_at', '?')})"
         if manifest.get("finished_at") else "time not recorded (results from an older run)"),
        ("Code", manifest.get("code_version", "not recorded (results from an older run)")),
        ("Report written", utc_now()),
    ]
    return ("<dl class='summary' id='run-summary'>"
            + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in items) + "</dl>")


def _cells_line(rows: pd.DataFrame, cells: list[dict[str, Any]]) -> str:
    if not cells:
        return f"{rows.groupby(['scenario', 'policy', 'seed']).ngroups} with results"
    count = {s: sum(c.get("status") == s for c in cells) for s in ("done", "skipped", "failed")}
    return (f"{len(cells)}: {count['done']} run now, {count['skipped']} finished in an earlier "
            f"run, {count['failed']} failed")


def _seed_warning(board: pd.DataFrame) -> str:
    few = int(board["seeds"].min())
    if few >= MIN_SEEDS:
        return ""
    return (f"<p class='warn' id='few-seeds'>Too few seeds: some policies ran on only {few} "
            f"seed{'s' if few != 1 else ''}. A 95% interval over {few} seeds stretches the "
            f"spread between seeds by t = {_num(metrics.t95(few - 1), 2)} (over {MIN_SEEDS}: "
            f"{_num(metrics.t95(MIN_SEEDS - 1), 2)}), so the intervals below are too wide to "
            f"rank policies on; rerun with at least {MIN_SEEDS} seeds before deciding.</p>")


def _verdict_section(rows: pd.DataFrame, board: pd.DataFrame, breaches: pd.DataFrame,
                     progress: pd.DataFrame, unit: str) -> str:
    found = verdict.verdicts(rows, board, progress)
    parts = []
    for scenario in sorted(board["scenario"].unique()):
        items = [f"<li class='verdict' data-word='{_e(v.word)}'>{_bold(v.sentence(unit, _mark))}"
                 "</li>" for v in found if v.scenario == scenario]
        mentioned = {v.other for v in found if v.scenario == scenario}
        items += [f"<li>{_e(note)}.</li>" for p in progress.loc[
            progress["scenario"] == scenario, "policy"] if p not in mentioned
            for note in [verdict.ab_test_note(progress, scenario, p)] if note]
        for b in breaches[breaches["scenario"] == scenario].itertuples(index=False):
            what = "unsubscribes" if b.measure == "unsubscribes" else "churned customers"
            items.append(f"<li class='bad guardrail'>Guardrail breach: {_e(b.policy)} has "
                         f"{_num(b.per_1000, 2)} {what} per 1,000 contacts, "
                         f"{_ratio(b.ratio, b.reference_per_1000)}.</li>")
        lead = verdict.scenario_lead(rows, board, scenario, unit)
        parts.append(f"<section class='scenario' data-scenario='{_e(scenario)}'>"
                     f"<h3>{_e(scenario)}</h3><p class='lead'>{_e(lead)}</p>"
                     f"<ul class='verdicts'>{''.join(items)}</ul></section>")
    return "".join(parts)


def _mark(word: str) -> str:
    return f"\x02{word}\x03"  # survives escaping; becomes <b>...</b>


def _bold(text: str) -> str:
    return _e(text).replace("\x02", "<b>").replace("\x03", "</b>")


def _ratio(ratio: float, reference: float) -> str:
    if not math.isfinite(ratio):
        return "where uniform random has none"
    return f"{ratio:.1f}x uniform random's {_num(reference, 2)}"


def _leaderboard(board: pd.DataFrame, progress: pd.DataFrame, unit: str) -> str:
    notes = {(p.scenario, p.policy): "A/B test never finished" if p.never_finished == p.seeds
             else f"A/B test unfinished on {p.still_testing} of {p.seeds} seeds"
             for p in progress.itertuples(index=False) if p.still_testing}
    header = ["scenario", "policy", "seeds", f"expected value ({unit}) [95% CI]",
              f"regret ({unit}) [95% CI]", "share of the oracle's gain over random", "note"]
    body = [[b.scenario, b.policy, str(b.seeds), _ci(b.value_per_1000, b.value_lo, b.value_hi),
             _ci(b.regret_per_1000, b.regret_lo, b.regret_hi), _pct(b.capture),
             notes.get((b.scenario, b.policy), "")] for b in board.itertuples(index=False)]
    return _table(header, body, cls="leaderboard")


def _head_to_head(rows: pd.DataFrame, board: pd.DataFrame, unit: str) -> tuple[str, pd.DataFrame]:
    names = verdict.policy_names(rows)
    focus = [p for p in board["policy"].unique() if names.get(p) == verdict.ENGINE] or list(
        board.groupby("scenario").head(1)["policy"].unique())
    parts = [metrics.paired(rows, f) for f in focus]
    d = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if d.empty:
        return "<p>n/a: one policy per scenario.</p>", d
    rank = {(s, p): i for i, (s, p) in enumerate(zip(board["scenario"], board["policy"],
                                                     strict=True))}
    d = d.assign(_rank=[rank.get(k, 0) for k in zip(d["scenario"], d["other"], strict=True)])
    d = d.sort_values(["scenario", "policy", "_rank"]).drop(columns="_rank")
    body = []
    for r in d.itertuples(index=False):
        v = verdict.Verdict(r.scenario, r.policy, r.other, "", r.seeds, r.diff_per_1000,
                            r.diff_lo, r.diff_hi, r.diff_se)
        m = v.seeds_needed
        word = v.word if m is None else (f"{v.word}: ~{m:,} seeds needed" if m <= 10_000
                                         else f"{v.word}: > 10,000 seeds needed")
        body.append([r.scenario, r.policy, r.other, str(r.seeds),
                     _ci(r.diff_per_1000, r.diff_lo, r.diff_hi), word])
    header = ["scenario", "policy", "against", "seeds",
              f"difference ({unit}) [95% CI]", "verdict"]
    return _table(header, body, cls="paired", left=3), d


def _lift(lift: pd.DataFrame, currency: str) -> str:
    unit = f"{currency} per 1,000"
    header = ["scenario", "policy", "treated customers", "holdout customers",
              f"treated: realized {unit}", f"holdout: realized {unit}",
              f"lift ({unit} customers) [95% CI]"]
    lift = lift.sort_values(["scenario", "lift_per_1000"], ascending=[True, False])
    body = [[r.scenario, r.policy, f"{r.n_treated:,}", f"{r.n_holdout:,}",
             _num(r.treated_per_1000), _num(r.holdout_per_1000),
             _ci(r.lift_per_1000, r.lift_lo, r.lift_hi)] for r in lift.itertuples(index=False)]
    note = ("Lift uses realized rewards (what happened, noisy), the leaderboard expected rewards "
            "(exact), so the two differ by chance.")
    if len(lift) and (lift["holdout_per_1000"].fillna(0) == 0).all():
        note += (" No contact earns nothing in these scenarios, so every holdout's value is 0 "
                 "and the lift equals the treated customers' realized value.")
    return _table(header, body, cls="lift") + f"<p>{_e(note)}</p>"


def _guardrails(guard: pd.DataFrame, breaches: pd.DataFrame) -> str:
    shares = [c for c in guard.columns if c.endswith("_share")]
    header = ["scenario", "policy", "contacts", "contact rate", "unsubscribes per 1,000 contacts",
              "churned per 1,000 contacts", "conversions per 1,000 contacts",
              *[f"{c[:-6]} share of contacts" for c in shares]]
    flagged = {(b.scenario, b.policy, b.measure) for b in breaches.itertuples(index=False)}
    body, bad = [], set()
    for i, g in enumerate(guard.itertuples(index=False)):
        body.append([g.scenario, g.policy, f"{int(g.contacts):,}", _pct(g.contact_rate),
                     _num(g.unsub_per_1000, 2), _num(g.churn_per_1000, 2),
                     _num(g.conversions_per_1000, 2), *[_pct(getattr(g, c)) for c in shares]])
        for j, measure in ((4, "unsubscribes"), (5, "churned")):
            if (g.scenario, g.policy, measure) in flagged:
                bad.add((i, j))
    return _table(header, body, bad, cls="guardrails")


def _legend(colors: dict[str, str]) -> str:
    return ("<div class='legend'>" + "".join(
        f"<span><i class='swatch' style='background:{c}'></i>{_e(p)}</span>"
        for p, c in colors.items()) + "</div>")


def _figures(charts: dict[str, str], kind: str, caption: str) -> str:
    return "<div class='grid'>" + "".join(
        f"<figure class='chart {kind}' data-scenario='{_e(s)}'>{svg}"
        f"<figcaption>{_e(caption)}</figcaption></figure>" for s, svg in charts.items()) + "</div>"


def _method(currency: str, ratio: float) -> str:
    return (
        "<h2>Method</h2><p>Value and regret use the simulator's exact expected reward of each "
        f"chosen action (treated customers), in {_e(currency)} per 1,000 customers, averaged "
        "per seed; intervals are Student-t 95% over seeds. Head-to-head differences are taken "
        "per seed (both policies met the same customers) with the same interval: "
        "<b>beats</b>/<b>trails</b> when it excludes 0, otherwise <b>not distinguishable</b>, "
        "with the seeds a run would need for the interval to exclude 0 if the observed "
        "difference and spread held. A scenario has a <b>winner</b> only when the leader's "
        "paired interval excludes 0 against every other policy. Regret = best eligible "
        "action's expected reward minus the chosen one's. Share of the oracle's gain = "
        "(policy - random) / (oracle - random). Lift = realized reward per treated customer "
        "minus per holdout customer, pooled over seeds, Welch/normal 95% interval. Guardrails "
        f"are per 1,000 contacts sent; a breach (red) is an unsubscribe or churn rate above "
        f"{ratio:g}x uniform random's that a two-proportion z-test also puts above it. An "
        "A/B-test baseline that never finished its test played uniformly at random.</p>")


def write_report(results_dir: str | os.PathLike, out_dir: str | os.PathLike | None = None, *,
                 currency: str | None = None, guardrail_ratio: float = 1.5) -> Path:
    """Read a results folder and write ``report.html``, SVG charts and CSV tables into
    ``out_dir`` (default: the results folder). Returns the HTML path.

    Args:
        currency: the money label (default: the spec's ``currency``, else ``EUR``).
        guardrail_ratio: a rate above this multiple of uniform random's (and significantly
            so) is flagged as a guardrail breach.

    Raises:
        ResultsError: the folder holds no results.
    """
    rows = read_results(results_dir)
    out = Path(out_dir or results_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(results_dir)
    currency = currency or manifest.get("spec", {}).get("currency") or "EUR"
    unit = f"{currency} per 1,000 customers"
    board, lift = metrics.leaderboard(rows), metrics.lift(rows)
    guard, curves = metrics.guardrails(rows), metrics.regret_curves(rows)
    progress = metrics.ab_test_progress(rows)
    names = verdict.policy_names(rows)
    reference = next((p for p, n in names.items() if n == verdict.REFERENCE), None)
    breaches = (metrics.guardrail_breaches(guard, reference, guardrail_ratio) if reference
                else metrics.guardrail_breaches(guard.iloc[:0], "", guardrail_ratio))
    for name, df in (("leaderboard", board), ("lift", lift), ("guardrails", guard),
                     ("guardrail_breaches", breaches), ("ab_tests", progress)):
        df.to_csv(out / f"{name}.csv", index=False)
    colors = report_charts.policy_colors(_policy_order(rows, manifest.get("spec", {})))
    value_svgs = report_charts.value_charts(board, colors, unit, out)
    regret_svgs = report_charts.regret_charts(curves, colors, unit, out)
    pairs_html, pairs = _head_to_head(rows, board, unit)
    if not pairs.empty:
        pairs.to_csv(out / "paired.csv", index=False)
    name = manifest.get("name", Path(results_dir).name)
    failed = manifest.get("failed", [])
    errors = {c["cell_id"]: c["error"] for c in manifest.get("cells", []) if c.get("error")}
    seeds = int(board["seeds"].max())
    parts = [
        (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Experiment {_e(name)}</title><style>{_CSS}</style></head><body>"
        f"<h1>Experiment {_e(name)}</h1>"),
        _summary(rows, manifest, currency), _seed_warning(board),
        "<h2 id='verdict'>Verdict: does the engine beat today's A/B tests?</h2>",
        _verdict_section(rows, board, breaches, progress, unit)]
    if failed:
        parts += ["<h2 class='bad'>Failed cells (not in the tables)</h2><ul>",
                  *[f"<li class='bad'>{_e(c)}: {_e(errors.get(c, ''))}</li>" for c in failed],
                  "</ul>"]
    parts += [
        "<h2>Leaderboard</h2>", _leaderboard(board, progress, unit), _legend(colors),
        _figures(value_svgs, "value", f"Expected value in {unit}: mean over seeds, "
                 "bars: 95% CI over seeds."),
        "<h2>Regret over time</h2>", _legend(colors),
        _figures(regret_svgs, "regret", f"Average regret over the decisions so far, in {unit}: "
                 f"mean over {seeds} seeds; right of the dashed line, each policy's 95% CI "
                 "over seeds at the end of the run (clipped at 0)."),
        "<h2>Head to head (same customers, paired by seed)</h2>", pairs_html,
        "<h2>Lift against the holdout (no contact)</h2>", _lift(lift, currency),
        "<h2>Guardrails</h2>", _guardrails(guard, breaches),
        _method(currency, guardrail_ratio), "</body></html>"]
    path = out / "report.html"
    path.write_text("\n".join(parts))
    return path
