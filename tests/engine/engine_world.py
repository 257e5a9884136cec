"""A tiny seeded world for engine tests: 2 messages x 2 channels x 1 timing + no contact."""

from __future__ import annotations

import numpy as np

from engine import Engine
from engine.contact_rules import RulesConfig

T0 = 1_700_000_000.0  # a fixed clock: tests drive time through `now`
CONSENT = {"email": True, "sms": True}
OPEN_RULES = RulesConfig(max_per_day=None, max_per_week=None, quiet_hours=None)


def make_engine(state_dir, **options) -> Engine:
    """An engine whose rules only ask for consent (no caps, no quiet hours)."""
    options.setdefault("rules", OPEN_RULES)
    return Engine(messages=["welcome", "winback"], channels=["email", "sms"], timings=["now"],
                  state_dir=state_dir, **{"seed": 0, **options})


def context(i: int) -> dict:
    """The i-th customer's context: segment a or b, one number."""
    return {"segment": "ab"[i % 2], "x": (i % 7) / 7, "consent": CONSENT}


def reward_of(ctx: dict, message: str | None, channel: str | None) -> float:
    """Segment a answers welcome by email, segment b winback by sms; nothing else pays."""
    best = ("welcome", "email") if ctx["segment"] == "a" else ("winback", "sms")
    return 1.0 if (message, channel) == best else 0.0


PROBES = [{"c": {"segment": s, "x": 0.5}, "h": {"contacts_1d": 0}} for s in "ab"]


def probe(eng: Engine) -> np.ndarray:
    """Every candidate learner's distribution for two fixed shared feature sets (to see if it
    learned), the serving one first."""
    sel = eng._selection
    names = [sel.serving, *(n for n in sel.learners if n != sel.serving)]
    return np.concatenate([sel.learners[n].probabilities(p) for n in names for p in PROBES])
