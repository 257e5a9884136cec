"""What the drift monitor says to people (the dashboard's panel, ``offerbandit drift``), shaped
from its snapshot.

Plain functions over the plain dict of ``LogFollower.snapshot()``, tested without a server:
which features to chart (those that reached ``warn`` in the kept history, else the highest PSI,
at most ``top``), their PSI over time beside the two thresholds, each reward stream's block means
per 1,000 decisions with its detected change points, the features (those that moved first, an
alert before a warning, each with its latest move), the lift's trend, the events, and one
sentence saying what moved: the alerts of the last days, then what stands out now.

Example:
    >>> snap = {"context": {"psi_warn": 0.1, "psi_alert": 0.25, "features": [
    ...             {"name": "segment", "psi": 0.31, "level": "alert", "since": 50.0},
    ...             {"name": "age", "psi": 0.01, "level": "ok", "since": None}],
    ...         "history": [{"t": 10.0, "psi": {"segment": 0.02, "age": 0.01}},
    ...                     {"t": 50.0, "psi": {"segment": 0.31, "age": 0.01}}]},
    ...         "reward": {"streams": []}, "lift": {"direction": "unknown"}, "events": []}
    >>> view = drift_view(snap, now=100.0)
    >>> view["verdict"]["text"], [s["label"] for s in view["psi_series"]]
    ('now: segment at alert (PSI 0.31)', ['segment'])
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["drift_view"]


def _charted_features(ctx: Mapping[str, Any], top: int) -> list[str]:
    warn = ctx["psi_warn"]
    peak: dict[str, float] = {}
    for point in ctx["history"]:
        for name, value in point["psi"].items():
            peak[name] = max(peak.get(name, 0.0), value)
    moved = sorted((n for n, v in peak.items() if v >= warn), key=lambda n: -peak[n])
    if moved:
        return moved[:top]
    current = [f["name"] for f in ctx["features"] if f.get("psi") is not None]
    return current[:min(top, 3)]  # nothing moved: the three closest to moving, for scale


def _verdict(snap: Mapping[str, Any], now: float, lookback_s: float) -> dict[str, Any]:
    """What moved, in one sentence: the alerts of the last ``lookback_s`` (the reference
    re-anchors and a detector warms up again after a change, so the state alone would forget
    them), the context's first, then what stands out now. The context's come first because a
    population that moves is usually the cause and comes first, and the reward streams it
    moves alert after it: listed newest first, six reward drops would hide it."""
    recent: dict[str, str] = {}
    # the context's events first; a stable sort keeps each kind newest first
    for e in sorted(snap["events"], key=lambda e: e["kind"] != "context"):
        if e["level"] == "alert" and e["at"] >= now - lookback_s:  # each subject's latest
            what = (f"{e['subject']} moved (PSI {e['value']:.2f})" if e["kind"] == "context"
                    else f"{e['subject']} reward {e['detail'].get('direction', 'change')}")
            recent.setdefault(e["subject"], what)
    current = [f"{f['name']} at {f['level']} (PSI {f['psi']:.2f})"
               for f in snap["context"]["features"]
               if f["level"] in ("warn", "alert") and f["name"] not in recent]
    if snap["lift"].get("direction") == "falling":
        current.append("the lift over the holdout is falling")
    parts = []
    if recent:
        parts.append(f"alerts in the {_words(lookback_s)}: " + ", ".join(list(recent.values())[:6])
                     + (f" and {len(recent) - 6} more" if len(recent) > 6 else ""))
    if current:
        parts.append("now: " + ", ".join(current[:6]))
    level = "alert" if recent or any(f["level"] == "alert" for f in snap["context"]["features"]
                                     ) else "warn" if current else "ok"
    return {"level": level, "text": "; ".join(parts) or "no drift detected"}


def _words(seconds: float) -> str:
    days = seconds / 86400
    return f"last {days:g} day{'s' if days != 1 else ''}" if days >= 1 else \
        f"last {seconds / 3600:g} hours"


def drift_view(snap: Mapping[str, Any], now: float, lookback_s: float = 7 * 86400.0,
               top: int = 6) -> dict[str, Any]:
    """The panel's data (see the module docstring); ``snap`` as ``LogFollower.snapshot()``,
    ``now`` the clock (epoch s), ``lookback_s`` how far back the verdict recalls alerts."""
    ctx = snap["context"]
    names = _charted_features(ctx, top)
    moved: dict[str, dict[str, Any]] = {}
    for e in snap["events"]:  # newest first: each feature's latest move
        if e["kind"] == "context" and e["level"] in ("warn", "alert"):
            moved.setdefault(e["subject"], {"at": e["at"], "psi": e["value"], "level": e["level"],
                                            "change_at": e["change_at"]})
    features = [{**f, "last_moved": moved.get(f["name"])} for f in ctx["features"]]
    # the features that moved first (an alert before a warning, then the latest move first:
    # a feature at warn by chance after the one that alerted must not hide it), then the rest
    # by PSI now
    features.sort(key=lambda f: (f["last_moved"] is None,
                                 (f["last_moved"] or {}).get("level") != "alert",
                                 -(f["last_moved"] or {}).get("at", 0.0), -(f["psi"] or 0.0)))
    psi_series = [{"label": n, "x": [p["t"] for p in ctx["history"]],
                   "y": [p["psi"].get(n) for p in ctx["history"]]} for n in names]
    streams = list(snap["reward"]["streams"])
    streams.sort(key=lambda s: (s["name"] != "holdout", s["name"] != "treatment", s["name"]))
    reward_series = [{"label": s["name"], "x": [p["t"] for p in s["series"]],
                      "y": [1000 * p["mean"] for p in s["series"]]} for s in streams]
    changes = [{"stream": e["subject"], "t": e["change_at"] if e["change_at"] is not None
                else e["at"], "detected_at": e["at"], "direction": e["detail"].get("direction"),
                "level": e["level"]}
               for e in snap["events"] if e["kind"] == "reward"]
    return {"verdict": _verdict(snap, now, lookback_s), "features": features,
            "psi_series": psi_series, "psi_warn": ctx["psi_warn"], "psi_alert": ctx["psi_alert"],
            "reward_series": reward_series, "changes": changes, "streams": [
                {k: v for k, v in s.items() if k != "series"} for s in streams],
            "lift": snap["lift"], "response": response_text(snap.get("response")),
            "events": snap["events"]}


def response_text(resp: Mapping[str, Any] | None) -> str:
    """One line on the response streams (each message's rewards against the reference model).

    Example:
        >>> response_text({"phase": "watching", "fits": 1, "gathered": 0, "reference": 10000,
        ...     "threshold": 12.0, "shift": 0.25, "alarms": 0, "messages": [
        ...     {"name": "response/message=a", "statistic": 0.4},
        ...     {"name": "response/message=b", "statistic": 0.1}]})
        'answers given the context: 2 messages watched against the reward model of 10,000 \
rewards, for a 25% change; the highest CUSUM response/message=a at 0.40 of its threshold'
    """
    if resp is None:
        return "answers given the context: not watched ([engine.drift] response = false)"
    if resp["phase"] != "watching":
        return (f"answers given the context: fitting the reward model "
                f"({resp['gathered']:,} of {resp['reference']:,} rewards)")
    top = max(resp["messages"], key=lambda m: m["statistic"], default=None)
    what = ("change in each message's rate of answers (the count test)"
            if resp.get("test") == "count" else "change")
    return (f"answers given the context: {len(resp['messages'])} messages watched against the "
            f"reward model of {resp['reference']:,} rewards, for a {100 * resp['shift']:g}% "
            f"{what}" + ("" if top is None else f"; the highest CUSUM {top['name']} at "
                         f"{top['statistic']:.2f} of its threshold"))
