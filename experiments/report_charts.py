"""The report's charts: small multiples (one chart per scenario), one colour per policy kept
across every chart, drawn by matplotlib as SVG with live text (so the page stays
self-contained, text stays selectable, and a browser can check that no label is clipped).

Example:
    >>> colors = policy_colors(["random", "engine"])
    >>> colors["random"] != colors["engine"]
    True
    >>> policy_colors(["engine"])["engine"] == colors["random"]  # by position in the spec
    True
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

__all__ = ["policy_colors", "regret_charts", "value_charts"]

# matplotlib's tab10, then tab20's light halves: distinct for up to 20 policies
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
            "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896",
            "#c5b0d5", "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5")
_RC = {"svg.fonttype": "none", "svg.hashsalt": "offerbandit", "font.size": 10,
       "axes.titlesize": 11, "axes.spines.top": False, "axes.spines.right": False}
_SIZE = (5.4, 3.4)  # inches: two charts side by side on the report's 1,100 px page


def policy_colors(policies: Sequence[str]) -> dict[str, str]:
    """A colour per policy, by position in ``policies`` (the spec's order), so a policy has
    the same colour in every chart of the report."""
    return {p: _PALETTE[i % len(_PALETTE)] for i, p in enumerate(policies)}


def _svg(fig) -> str:
    """The figure as an inline ``<svg>`` that scales to its container."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.08)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    return re.sub(r'<svg([^>]*?) width="[^"]*" height="[^"]*"',
                  r'<svg\1 style="width:100%;height:auto"', text, count=1)


def _axes(plt, ticker):
    fig, ax = plt.subplots(figsize=_SIZE)
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(ticker.MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
        axis.set_major_formatter(ticker.FuncFormatter(_tick))
    ax.grid(True, color="#e6e6e6", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", str(text))


def _tick(x: float, _pos: int) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 or x == int(x) else f"{x:,.3g}"


def regret_charts(curves: pd.DataFrame, colors: dict[str, str], unit: str,
                  out: Path | None = None) -> dict[str, str]:
    """One regret chart per scenario: average regret per 1,000 customers over the decisions so
    far, mean over seeds, and right of the lines each policy's 95% interval over seeds at the
    end of the run (a bar per policy, side by side, clipped at 0). Returns ``{scenario: svg}``;
    with ``out``, also writes ``regret_<scenario>.svg`` there.

    Each policy's line is the SVG group ``line-<scenario>-<i>``, ``i`` its position in
    ``colors``.

    Args:
        curves: :func:`experiments.metrics.regret_curves` (regret per decision).
        colors: :func:`policy_colors`.
        unit: the y axis unit, e.g. ``"EUR per 1,000 customers"``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    charts = {}
    with plt.rc_context(_RC):
        for scenario, c in curves.groupby("scenario", sort=True):
            fig, ax = _axes(plt, ticker)
            policies = [p for p in colors if p in set(c["policy"])]
            first, last = int(c["step"].min()), int(c["step"].max())
            gap = (last - first or last) * 0.035
            for i, policy in enumerate(policies):
                p = c[c["policy"] == policy].sort_values("step")
                ax.plot(p["step"], 1000 * p["regret"], color=colors[policy], linewidth=1.8,
                        label=policy, gid=f"line-{_slug(scenario)}-{list(colors).index(policy)}")
                end = p.iloc[-1]
                if math.isfinite(end["lo"]) and math.isfinite(end["hi"]):
                    # the end-of-run interval as a bar right of the lines, one per policy side
                    # by side: seven overlapping bands over time read as one smear
                    x = last + gap * (i + 1.5)
                    lo, hi = 1000 * max(end["lo"], 0.0), 1000 * end["hi"]
                    ax.plot([x, x], [lo, hi], color=colors[policy], linewidth=2.2,
                            solid_capstyle="butt")
                    ax.plot([x], [1000 * end["regret"]], marker="o", markersize=3.5,
                            color=colors[policy])
            right = last + gap * (len(policies) + 2)
            ax.axvline(last, color="#999", linewidth=0.8, linestyle=(0, (2, 2)))
            ax.text((last + right) / 2, 1.01, "95% CI\nat the end", ha="center", va="bottom",
                    fontsize=8, color="#555", transform=ax.get_xaxis_transform())
            ax.set_xlim(first, right)
            nice = ticker.MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10])
            ticks = nice.tick_values(first, last)
            ax.xaxis.set_major_locator(ticker.FixedLocator(
                [t for t in ticks if first <= t <= last]))
            ax.set_title(str(scenario), loc="left")
            ax.set_xlabel("decisions so far")
            ax.set_ylabel(f"regret so far\n({unit})")
            charts[str(scenario)] = _finish(fig, plt, out, f"regret_{scenario}.svg")
    return charts


def value_charts(board: pd.DataFrame, colors: dict[str, str], unit: str,
                 out: Path | None = None) -> dict[str, str]:
    """One bar chart per scenario: expected value per 1,000 customers with its 95% interval
    over seeds, best on top. Returns ``{scenario: svg}`` (and writes ``value_<scenario>.svg``
    into ``out`` when given)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import ticker

    charts = {}
    with plt.rc_context(_RC):
        for scenario, b in board.groupby("scenario", sort=True):
            b = b.sort_values("value_per_1000")
            fig, ax = _axes(plt, ticker)
            fig.set_size_inches(_SIZE[0], 0.32 * len(b) + 1.3)
            err = [b["value_per_1000"] - b["value_lo"], b["value_hi"] - b["value_per_1000"]]
            finite = all(pd.Series(e).map(math.isfinite).all() for e in err)
            ax.barh(b["policy"].astype(str), b["value_per_1000"],
                    xerr=err if finite else None, capsize=3, ecolor="#444",
                    color=[colors.get(p, "#888") for p in b["policy"]])
            ax.yaxis.set_major_locator(ticker.FixedLocator(range(len(b))))
            ax.yaxis.set_major_formatter(ticker.FixedFormatter(list(b["policy"].astype(str))))
            ax.grid(False, axis="y")
            ax.set_title(str(scenario), loc="left")
            ax.set_xlabel(f"expected value ({unit})")
            charts[str(scenario)] = _finish(fig, plt, out, f"value_{scenario}.svg")
    return charts


def _finish(fig, plt, out: Path | None, name: str) -> str:
    svg = _svg(fig)
    plt.close(fig)
    if out is not None:
        (out / name).write_text(svg)
    return svg
