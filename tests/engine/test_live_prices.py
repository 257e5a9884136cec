"""Priced live choose (``[engine.prices]``): the scarce channel by price instead of by arrival
order, honest probabilities, prices recomputed the same after a restart, bad settings refused.

The world: one message on ``sms`` (20 sends a day) and ``email`` (no cap), and no contact. A
customer's ``v`` (uniform in [0, 1]) is what an sms brings them; an email brings 0.3 to everyone.
Three days of 100 customers each teach the engine (exploration 30%), rewarded with those values.
"""

from __future__ import annotations

import shutil
from collections import Counter

import numpy as np
import pytest

from engine import Engine
from engine.catalog import Catalog, Channel, Message, TimingSlot
from engine.clock import ManualClock
from engine.day_forecast import forecast_rows
from engine.errors import CatalogError, ConfigError
from engine.live_scores import LiveScores

T0 = 1_700_006_400.0  # a UTC midnight
DAY = 86400.0
N = 100  # customers a day
SMS_CAP = 20
RULES = {"quiet_hours": False, "max_per_day": False, "max_per_week": False}
LEARNER = {"exploration": "epsilon", "epsilon": 0.3}


def _catalog() -> Catalog:
    return Catalog((Message("offer"),), (Channel("sms", daily_capacity=SMS_CAP),
                                         Channel("email")), (TimingSlot("now", "now"),),
                   no_contact=True)


def _engine(state_dir, clock: ManualClock, **options) -> Engine:
    return Engine(catalog=_catalog(), rules=RULES, state_dir=state_dir, seed=3, clock=clock,
                  learner=LEARNER, **options)


def _context(v: float) -> dict:
    return {"v": float(v), "consent": {"sms": True, "email": True}}


def _value(channel: str | None, v: float) -> float:
    return {"sms": v, "email": 0.3}.get(channel or "", 0.0)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A state folder after three taught days (prices off), and the clock's time then."""
    d = tmp_path_factory.mktemp("trained")
    clock = ManualClock(T0)
    rng = np.random.default_rng(0)
    with _engine(d, clock) as eng:
        for day in range(3):
            for i, v in enumerate(rng.uniform(0, 1, N)):
                t = T0 + day * DAY + (i + 0.5) * DAY / N
                clock.set(t)
                dec = eng.choose(f"d{day}-{i}", _context(v))
                eng.reward(dec.decision_id, _value(dec.channel, v))
    return d


def _copy(trained, tmp_path, name: str):
    out = tmp_path / name
    shutil.copytree(trained, out)
    return out


def _run_day(state_dir, ascending_v: np.ndarray, **options) -> list[tuple[float, str | None]]:
    """Day 3's customers in the given order; (v, channel) of each."""
    clock = ManualClock(T0 + 3 * DAY)
    out = []
    with _engine(state_dir, clock, **options) as eng:
        for i, v in enumerate(ascending_v):
            clock.set(T0 + 3 * DAY + (i + 0.5) * DAY / len(ascending_v))
            out.append((float(v), eng.choose(f"t-{i}", _context(v)).channel))
    return out


def test_scarce_channel_goes_to_higher_gains_than_first_come(trained, tmp_path):
    # the day's customers arrive from the lowest gain to the highest: first come gives the sms
    # to the first ones it suits; priced choose keeps it for those who gain most
    vs = np.sort(np.random.default_rng(7).uniform(0, 1, N))
    fcfs = _run_day(_copy(trained, tmp_path, "fcfs"), vs)
    priced = _run_day(_copy(trained, tmp_path, "priced"), vs,
                      prices={"enabled": True, "epsilon": 0.0, "refresh_every": 10})
    sms_f = [v for v, c in fcfs if c == "sms"]
    sms_p = [v for v, c in priced if c == "sms"]
    assert len(sms_f) <= SMS_CAP and len(sms_p) <= SMS_CAP  # capacity stays a hard limit
    assert len(sms_p) >= SMS_CAP // 2  # the price does not leave the channel empty
    assert np.mean(sms_p) > np.mean(sms_f) + 0.2, (np.mean(sms_p), np.mean(sms_f))
    value_f = sum(_value(c, v) for v, c in fcfs)
    value_p = sum(_value(c, v) for v, c in priced)
    assert value_p > value_f


def test_probabilities_are_the_distribution_drawn(trained, tmp_path):
    # one low-gain customer context drawn many times at fixed prices (no learning meanwhile):
    # each action's frequency equals its logged probability within 4 standard errors
    d = _copy(trained, tmp_path, "draws")
    clock = ManualClock(T0 + 3 * DAY + 60.0)
    n = 1000
    with _engine(d, clock, prices={"enabled": True, "epsilon": 0.06,
                                   "refresh_every": 10**6}) as eng:
        decs = [eng.choose(f"p-{i}", _context(0.2)) for i in range(n)]
        first = decs[0].explain()
    probs: dict[str | None, set[float]] = {}
    for dec in decs:
        probs.setdefault(dec.channel, set()).add(round(dec.probability, 12))
    assert all(len(p) == 1 for p in probs.values()), probs  # one distribution throughout
    assert first.prices["sms"] > 0.0 and set(first.prices) == {"sms"}
    assert first.as_dict()["prices"] == first.prices and "channel prices: sms" in str(first)
    counts = Counter(dec.channel for dec in decs)
    for channel, (p,) in probs.items():
        se = np.sqrt(p * (1 - p) / n)
        assert abs(counts[channel] / n - p) < 4 * se + 1e-9, (channel, counts, p)
    # the distribution is the campaign's: 1 - epsilon on the best priced score, epsilon uniform
    assert sorted(p for (p,) in probs.values()) == pytest.approx(
        sorted([0.02, 0.02, 0.96])[-len(probs):])


def test_prices_recomputed_the_same_after_a_restart(trained, tmp_path):
    d = _copy(trained, tmp_path, "restart")
    other = _copy(trained, tmp_path, "other")
    settings = {"enabled": True, "epsilon": 0.0}
    t = T0 + 3 * DAY + 3600.0
    no_sms = {"v": 0.5, "consent": {"sms": False, "email": True}}  # uses no capacity
    with _engine(d, ManualClock(t), prices=settings) as eng:
        before = eng.choose("r-1", _context(0.9), now=t).explain().prices
    with _engine(d, ManualClock(t), prices=settings) as eng:  # restarted: computed again
        eng.choose("r-2", no_sms, now=t)
        after = eng.choose("r-3", _context(0.9), now=t).explain().prices
    with _engine(other, ManualClock(t), prices=settings) as eng:
        fresh = eng.choose("r-1", _context(0.9), now=t).explain().prices
    assert before["sms"] > 0.0
    assert before == fresh  # the same log and model give the same prices
    # after the restart one sms less is left (r-1 took it if it went by sms): the price is
    # the same or higher, never reset to first come
    assert after["sms"] >= before["sms"]


def test_default_choose_is_unpriced(trained, tmp_path):
    d = _copy(trained, tmp_path, "default")
    with _engine(d, ManualClock(T0 + 3 * DAY)) as eng:
        dec = eng.choose("x", _context(0.9))
        assert eng._prices is None
        assert dec.explain().prices == {}


@pytest.mark.parametrize(("table", "match"), [
    ({"refresh_every": 0}, r"prices\.refresh_every: expected an integer >= 1, got 0"),
    ({"enabled": "yes"}, r"prices\.enabled: expected true or false, got 'yes'"),
    ({"epsilon": 1.5}, r"prices\.epsilon: expected a number in \[0, 1\]"),
    ({"sample_size": 2.5}, r"prices\.sample_size: expected an integer"),
    ({"forecast_day": 3}, r"prices\.forecast_day: unknown setting; expected one of"),
    ([1, 2], r"prices: expected a table"),
])
def test_bad_price_settings_are_refused_by_name(tmp_path, table, match):
    with pytest.raises(ConfigError, match=match):
        _engine(tmp_path / "s", ManualClock(T0), prices=table)
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())


def test_bad_price_table_in_a_catalog_names_the_file(tmp_path):
    path = tmp_path / "cat.toml"
    path.write_text('[[messages]]\nname = "m"\n[[channels]]\nname = "sms"\ndaily_capacity = 5\n'
                    '[[timings]]\nname = "now"\n'
                    '[engine.prices]\nenabled = true\nrescore_every = -1\n')
    with pytest.raises(CatalogError, match=r"cat\.toml.*prices\.rescore_every"):
        Engine.from_catalog(path, state_dir=tmp_path / "s")


def test_forecast_adds_back_a_full_channel_for_customers_who_consent(tmp_path):
    # the first customer (sms only, no other action) fills sms's capacity of 1: the log records
    # it ineligible for everyone after, so a forecast from the logged sets alone would see no
    # demand for it after that hour
    cat = Catalog((Message("offer"),), (Channel("sms", daily_capacity=1), Channel("email")),
                  (TimingSlot("now", "now"),), no_contact=False)
    clock = ManualClock(T0 + 3600.0)
    with Engine(catalog=cat, rules=RULES, state_dir=tmp_path, seed=0, clock=clock) as eng:
        assert eng.choose("first", {"consent": {"sms": True, "email": False}}).channel == "sms"
        eng.choose("yes", {"consent": {"sms": True, "email": True}})
        eng.choose("no", {"consent": {"sms": False, "email": True}})
        logged = [r.eligible for r in (eng.log.get_decision(d[0]) for batch in
                                       eng.log.iter_export_rows() for d in batch)][1:]
        rows = forecast_rows(eng.log, eng.rules, eng.catalog, T0 + DAY, days=1,
                             sample_size=10, seed=0)
    sms = int(np.flatnonzero(np.asarray(cat.action_channel) == 0)[0])
    assert all(sms not in e for e in logged)
    assert rows.eligible[:, sms].tolist() == [True, True, False]  # first, yes, no


def test_vw_scores_follow_the_model_every_rescore_every_learns():
    from policies.vw_config import VWConfig
    from policies.vw_learner import VWLearner

    live = LiveScores(rescore_every=2)
    with VWLearner(VWConfig(interactions=("cm",)), seed=0) as vw:
        vw.set_actions([{"m": {"msg": "a"}}, {"m": {"msg": "b"}}])
        ctx = {"c": {"x": 1.0}}
        first = live.scores(vw, 1.0, 0, [ctx])
        vw.learn(ctx, [0, 1], chosen=1, probability=0.5, reward=1.0)
        assert np.array_equal(live.scores(vw, 1.0, 1, [ctx]), first)  # within 2 learns: cached
        vw.learn(ctx, [0, 1], chosen=1, probability=0.5, reward=1.0)
        now = live.scores(vw, 1.0, 2, [ctx])
        assert now[0, 1] > first[0, 1]  # rebuilt: the learned reward shows
        assert np.allclose(now, live.scores(vw, 1.0, 2, [ctx, ctx])[:1])  # one row == batch
    assert live.rebuilds == 2
