"""The whole Engine, driven by random scripts: no decision ever breaks a contact rule.

Hypothesis draws a catalog, rules, customers (context and stored profile) and a script of
choose / deferred choose / activate / reward calls at increasing times. A plain oracle kept by
the test (its own list of contacts, not the engine's log) restates every rule; each decision's
logged eligible set must equal the oracle's, the chosen action must be in it, and a decision
forced to no contact must say why.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Engine
from engine.catalog import Catalog, Channel, Message, TimingSlot
from engine.clock import ManualClock
from engine.contact_rules import RulesConfig
from engine.errors import ExpiredDecisionError
from engine.send_time import send_at

DAY = 86400.0
CHANNELS = ("email", "sms", "push")
SEGMENTS = ("new", "vip")
ZONES = ("UTC", "Europe/Paris", "Asia/Tokyo", "America/Los_Angeles", "Asia/Kathmandu")
RULES = ("now", "at 09:00", "at 21:30", "in 3h", "next sunday 07:00")


@dataclass
class Contact:
    customer: str
    at: float
    channel: str
    active: bool


@dataclass
class Oracle:
    """The rules restated per action, over the test's own record of contacts."""

    cat: Catalog
    cfg: RulesConfig
    contacts: dict[str, Contact] = field(default_factory=dict)

    def allowed(self, cid: str, ctx: dict, prof: dict | None, t: float) -> set[int]:
        prof = prof or {}
        # Decisions pending activation count: their message may still go out.
        mine = [c for c in self.contacts.values() if c.customer == cid and t - DAY < c.at <= t]
        week = [c for c in self.contacts.values() if c.customer == cid
                and t - 7 * DAY < c.at <= t]
        day_start = t - t % DAY
        out = set()
        for a in self.cat.actions:
            if a.is_no_contact:
                out.add(a.index)
                continue
            ch, msg = a.channel.name, a.message
            if self.cfg.consent_required:
                if ch in ctx.get("consent", {}):
                    ok = ctx["consent"][ch]
                elif f"consent_{ch}" in ctx:
                    ok = bool(ctx[f"consent_{ch}"])
                else:
                    ok = prof.get("consent", {}).get(ch, False)
                if not ok:
                    continue
            if msg.segments and ctx.get("segment", prof.get("segment")) not in msg.segments:
                continue
            if ctx.get("tenure_days", prof.get("tenure_days", 0)) < msg.min_tenure_days:
                continue
            if self.cfg.max_per_day is not None and len(mine) >= self.cfg.max_per_day:
                continue
            if self.cfg.max_per_week is not None and len(week) >= self.cfg.max_per_week:
                continue
            cap = self.cfg.max_per_day_per_channel.get(ch)
            if cap is not None and sum(c.channel == ch for c in mine) >= cap:
                continue
            used = sum(c.channel == ch and day_start <= c.at <= t
                       for c in self.contacts.values())
            if a.channel.daily_capacity is not None and used >= a.channel.daily_capacity:
                continue
            if self.cfg.quiet_hours is not None:
                tz = ctx.get("timezone", prof.get("timezone")) or "UTC"
                hour = send_at(a.timing, t, tz).astimezone(ZoneInfo(tz)).hour
                start, end = self.cfg.quiet_hours
                if (start <= hour < end) if start < end else (hour >= start or hour < end):
                    continue
            out.add(a.index)
        return out


@st.composite
def scripts(draw):
    msgs = [Message(f"m{i}", segments=tuple(draw(st.lists(st.sampled_from(SEGMENTS),
                                                            max_size=1))),
                    min_tenure_days=draw(st.sampled_from([0.0, 0.0, 60.0])))
            for i in range(draw(st.integers(1, 3)))]
    chans = [Channel(CHANNELS[i], daily_capacity=draw(st.sampled_from([None, 0, 1, 2])))
             for i in range(draw(st.integers(1, 3)))]
    rules = draw(st.lists(st.sampled_from(RULES), min_size=1, max_size=2, unique=True))
    cat = Catalog(tuple(msgs), tuple(chans),
                  tuple(TimingSlot(f"t{i}", r) for i, r in enumerate(rules)), True)
    names = [c.name for c in chans]
    cfg = RulesConfig(
        max_per_day=draw(st.sampled_from([None, 1, 2])),
        max_per_week=draw(st.sampled_from([None, 2, 4])),
        max_per_day_per_channel=draw(st.dictionaries(st.sampled_from(names), st.integers(0, 1))),
        quiet_hours=draw(st.sampled_from([None, (21, 8), (12, 15)])),
        consent_required=draw(st.booleans()))
    customers = []
    for i in range(draw(st.integers(1, 5))):
        ctx = {"age": draw(st.integers(18, 90))}
        if draw(st.integers(0, 3)):  # mostly consenting, so caps and capacity get exercised
            ctx["consent"] = {ch: draw(st.sampled_from([True, True, False])) for ch in names
                              if draw(st.integers(0, 4))}
        if draw(st.booleans()):
            ctx[f"consent_{draw(st.sampled_from(names))}"] = draw(st.sampled_from([0, 1]))
        for key, strat in (("segment", st.sampled_from(SEGMENTS)),
                           ("tenure_days", st.integers(0, 200)),
                           ("timezone", st.sampled_from(ZONES))):
            if draw(st.booleans()):
                ctx[key] = draw(strat)
        profile = draw(st.one_of(st.none(), st.fixed_dictionaries({
            "consent": st.dictionaries(st.sampled_from(names), st.booleans()),
            "segment": st.sampled_from(SEGMENTS), "timezone": st.sampled_from(ZONES)})))
        customers.append((f"cust-{i}", ctx, profile))
    steps = draw(st.lists(st.tuples(
        st.sampled_from(["choose", "choose", "choose", "defer", "activate", "reward"]),
        st.integers(0, len(customers) - 1),
        st.sampled_from([0.0, 0.0, 60.0, 3600.0, 5 * 3600.0, DAY])), min_size=5, max_size=25))
    start = draw(st.integers(1_704_067_200, 1_893_456_000))  # 2024 .. 2030
    holdout = draw(st.sampled_from([0.0, 0.0, 0.3]))
    return cat, cfg, customers, steps, float(start), holdout, draw(st.integers(0, 2**16))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script=scripts())
def test_no_engine_decision_breaks_a_rule(script):
    cat, cfg, customers, steps, t, holdout, seed = script
    oracle = Oracle(cat, cfg)
    pending: list[str] = []
    rewardable: list[str] = []
    made = 0
    clock = ManualClock(t)
    with tempfile.TemporaryDirectory() as state, Engine(
            catalog=cat, rules=cfg, state_dir=state, seed=seed,
            holdout_fraction=holdout, clock=clock) as eng:
        for cid, _, profile in customers:
            if profile is not None:
                eng.set_profile(cid, profile)
        for kind, who, dt in steps:
            t += dt
            clock.set(t)
            cid, ctx, profile = customers[who]
            if kind == "activate" and pending:
                did = pending.pop(0)
                eng.activate(did, now=t)
                if did in oracle.contacts:
                    oracle.contacts[did].active = True
                rewardable.append(did)
                continue
            if kind == "reward" and rewardable:
                with contextlib.suppress(ExpiredDecisionError):
                    eng.reward(rewardable.pop(0), 1.0, now=t)
                continue
            expected = oracle.allowed(cid, ctx, profile, t)
            d = eng.choose(cid, ctx, now=t, activate=kind != "defer")
            made += 1
            rec = eng.log.get_decision(d.decision_id)
            assert set(rec.eligible) == expected, (kind, cid, ctx, profile, t)
            assert d.action_index in expected
            assert 0.0 < d.probability <= 1.0
            contact_possible = any(i != cat.no_contact_index for i in expected)
            if d.holdout:
                assert d.message is None and d.reason.startswith("holdout")
            else:
                assert (d.reason is None) == contact_possible
            if d.channel is not None:
                action = cat.actions[d.action_index]
                assert (d.message, d.channel, d.timing) == (
                    action.message.name, action.channel.name, action.timing.name)
                tz = ctx.get("timezone", (profile or {}).get("timezone"))
                assert d.send_at == send_at(action.timing, t, tz)
                oracle.contacts[d.decision_id] = Contact(cid, t, d.channel, kind != "defer")
            else:
                assert d.send_at is None and d.action_index == cat.no_contact_index
            (pending if kind == "defer" else rewardable).append(d.decision_id)
        assert eng.stats()["decisions"] == made


def test_pending_decisions_count_against_caps_and_capacity():
    # One action and no no-contact: every decision is that email until a rule removes it.
    cat = Catalog((Message("m"),), (Channel("email", daily_capacity=2),),
                  (TimingSlot("now", "now"),), False)
    cfg = RulesConfig(max_per_day=1, quiet_hours=None, consent_required=False)
    t = 1_700_000_000.0
    with tempfile.TemporaryDirectory() as state, Engine(catalog=cat, rules=cfg,
                                                        state_dir=state, seed=0,
                                                        clock=ManualClock(t)) as eng:
        first = [eng.choose(cid, {}, now=t, activate=False) for cid in ("a", "b", "c")]
        assert [d.channel for d in first] == ["email", "email", None]
        assert "capacity" in first[2].reason
        again = eng.choose("a", {}, now=t + 60, activate=False)
        assert again.channel is None and "max_per_day" in again.reason


def _race(capacity: int | None, customers) -> tuple[list, Engine]:
    """8 threads choosing at once on an engine whose one action is an sms (no no-contact)."""
    cat = Catalog((Message("m"),), (Channel("sms", daily_capacity=capacity),),
                  (TimingSlot("now", "now"),), False)
    cfg = RulesConfig(max_per_day=1, quiet_hours=None, consent_required=False)
    t = 1_700_000_000.0
    barrier = threading.Barrier(8)
    with tempfile.TemporaryDirectory() as state, Engine(catalog=cat, rules=cfg,
                                                        state_dir=state, seed=0,
                                                        clock=ManualClock(t)) as eng:
        def worker(k: int) -> list:
            barrier.wait()
            return [eng.choose(cid, {}, now=t).channel for cid in customers(k)]

        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(worker, range(8)))
        history = eng.log.history("same", t, ("sms",)).contacts_1d
    return [ch for r in results for ch in r if ch is not None], history


def test_threads_choosing_at_once_never_pass_a_cap_twice():
    # the channel's daily capacity: 24 customers race for 5 sends
    sent, _ = _race(5, lambda k: (f"own-{k}-0", f"own-{k}-1", f"own-{k}-2"))
    assert len(sent) == 5
    # the customer's max_per_day: 8 threads ask twice each for "same", who gets exactly one
    sent, same = _race(None, lambda k: ("same", f"own-{k}", "same"))
    assert same == 1 and len(sent) == 1 + 8
