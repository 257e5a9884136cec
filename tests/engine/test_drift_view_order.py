"""The drift panel's words and table (engine/drift/drift_view.py) keep what moved in sight: the
context's alert leads the verdict however many reward streams alerted after it, and a feature
that alerted sits above one that only reached warn later."""

from __future__ import annotations

from engine.drift.drift_view import drift_view


def _snap(events: list[dict]) -> dict:
    return {"context": {"psi_warn": 0.1, "psi_alert": 0.25, "history": [], "features": [
                {"name": "age", "psi": 0.10, "level": "warn", "since": 90.0},
                {"name": "segment", "psi": 0.05, "level": "ok", "since": None}]},
            "reward": {"streams": []}, "lift": {"direction": "unknown"}, "events": events}


def _event(kind: str, subject: str, at: float, level: str = "alert") -> dict:
    return {"kind": kind, "subject": subject, "at": at, "level": level, "value": 0.31,
            "change_at": at, "detail": {"direction": "drop"}}


def test_the_contexts_alert_leads_the_verdict_before_seven_newer_reward_drops():
    """Catches a verdict listing alerts newest first only: the segment's, oldest, fell past the
    six listed."""
    events = [_event("reward", f"treatment/stream{k}", 100.0 - k) for k in range(7)]
    events.append(_event("context", "segment", 50.0))
    text = drift_view(_snap(events), now=200.0)["verdict"]["text"]
    assert text.startswith("alerts in the last 7 days: segment moved (PSI 0.31), ")
    assert text.count("reward drop") == 5 and "and 2 more" in text


def test_a_feature_that_alerted_sits_above_a_newer_warning():
    """Catches a table sorted by the latest move alone: age's chance warning, after the
    segment's alert, took the top row."""
    events = [_event("context", "age", 90.0, level="warn"), _event("context", "segment", 50.0)]
    rows = drift_view(_snap(events), now=200.0)["features"]
    assert [f["name"] for f in rows] == ["segment", "age"]
