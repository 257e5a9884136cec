"""A tiny seeded world for engine tests: 2 messages x 2 channels x 1 timing + no contact."""

from __future__ import annotations

import json

import numpy as np

from engine import Engine
from engine.clock import ManualClock
from engine.contact_rules import RulesConfig

T0 = 1_700_000_000.0  # the engines' clock starts here: tests move it (engine.clock.set)
CONSENT = {"email": True, "sms": True}
OPEN_RULES = RulesConfig(max_per_day=None, max_per_week=None, quiet_hours=None)


def make_engine(state_dir, **options) -> Engine:
    """An engine whose rules only ask for consent (no caps, no quiet hours), on a
    :class:`ManualClock` at :data:`T0` (pass ``clock=`` for another)."""
    options.setdefault("rules", OPEN_RULES)
    options.setdefault("clock", ManualClock(T0))
    return Engine(messages=["welcome", "winback"], channels=["email", "sms"], timings=["now"],
                  state_dir=state_dir, **{"seed": 0, **options})


def make_ridges_engine(state_dir, **options) -> Engine:
    """:func:`make_engine` with both kinds of ridge candidate, the joint and the per-action
    one (:data:`engine.candidates.JOINT_RIDGE_SQUARECB`, the shared default of stops 28-42),
    for what must hold for each; ``candidates`` given wins."""
    from engine.candidates import JOINT_RIDGE_SQUARECB

    return make_engine(state_dir, **{"candidates": list(JOINT_RIDGE_SQUARECB), **options})


def context(i: int) -> dict:
    """The i-th customer's context: segment a or b, one number."""
    return {"segment": "ab"[i % 2], "x": (i % 7) / 7, "consent": CONSENT}


def reward_of(ctx: dict, message: str | None, channel: str | None) -> float:
    """Segment a answers welcome by email, segment b winback by sms; nothing else pays."""
    best = ("welcome", "email") if ctx["segment"] == "a" else ("winback", "sms")
    return 1.0 if (message, channel) == best else 0.0


def play(eng: Engine, decisions: int, unit: float = 1.0) -> np.ndarray:
    """Customers ``c0``, ``c1``, ... chosen for one second apart and rewarded
    (:func:`reward_of`, times ``unit``: a conversion worth 80 euros) a second after each
    choice; the rewards in :func:`reward_of`'s unit, in order."""
    got = np.zeros(decisions)
    for i in range(decisions):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        got[i] = reward_of(ctx, d.message, d.channel)
        eng.reward(d.decision_id, unit * float(got[i]), now=T0 + i + 1)
    return got


PROBES = [{"c": {"segment": s, "x": 0.5}, "h": {"contacts_1d": 0}} for s in "ab"]


def readout(learner) -> np.ndarray:
    """A learner's distribution and its estimated reward of every action, for two fixed shared
    feature sets (to see if it learned). The estimates matter: an epsilon-greedy distribution
    only moves when the best action changes, so one more learned reward (or one fewer) seldom
    shows in it."""
    out = []
    for shared in PROBES:
        out.append(learner.probabilities(shared))
        out.append([learner.explain(shared, a, 0)[0] for a in range(learner.n_actions)])
    return np.concatenate(out)


def probe(eng: Engine) -> np.ndarray:
    """:func:`readout` of every candidate learner of the engine, the serving one first."""
    sel = eng._selection
    names = [sel.serving, *(n for n in sel.learners if n != sel.serving)]
    return np.concatenate([readout(sel.learners[n]) for n in names])


def estimate(eng: Engine, decision_id: str) -> float:
    """The serving learner's estimated reward of a logged decision's action, on its logged
    features."""
    rec = eng.log.get_decision(decision_id)
    return eng._selection.learner.explain(json.loads(rec.features_json), rec.action_index, 0)[0]


def model_of_log(log, catalog=None, seed: int = 0, options=None, candidate: str | None = None,
                 once: bool = False) -> np.ndarray:
    """:func:`readout` of a fresh learner of candidate ``candidate`` (default: the first, the
    one that serves until a switch) of ``options`` (default: the engine's defaults) fed every
    logged reward exactly once, in sequence order, scaled as the engine scales them (a ridge
    learner's earlier rows moved to each new scale; holdout, no-contact and inactive decisions
    skipped, as the engine skips them): the log's own model, to compare a learner's with.
    ``once``: each decision learned once instead, at its final total, in the order of its
    first reward (what a ridge learner that replaces a corrected reward holds). ``catalog``:
    this world's when None."""
    from engine.candidate_learners import new_learner
    from engine.catalog import Catalog
    from engine.features import action_feature_sets
    from engine.options import EngineOptions
    from engine.reward_scale import RewardScale
    from policies.hashed_ridge import HashedRidge

    catalog = catalog or Catalog.from_names(["welcome", "winback"], ["email", "sms"], ["now"])
    options = (options or EngineOptions()).for_catalog(catalog)  # the default follows it
    spec = next(c for c in options.candidate_specs if candidate in (None, c.name))
    rows = [(seq, rec) for seq, rec, _, kind in log.rewards_since(0)
            if not once or kind != "correction"]
    scale = RewardScale()
    with new_learner(spec.config, seed=seed) as ref:
        ref.set_actions(action_feature_sets(catalog, options.prune_features))
        for seq, rec in rows:
            if rec.holdout or rec.action_index < 0 or not rec.active:
                continue
            total = sum(v for s, v, _, _ in log.rewards_of(rec.decision_id)
                        if once or s <= seq)
            if options.reward_scale:
                before = scale.value
                scale.observe(total)
                if isinstance(ref, HashedRidge) and scale.value != before:
                    ref.rescale_rewards(before / scale.value)  # one unit for every row
                total = scale.normalise(total)
            ref.learn(json.loads(rec.features_json), rec.eligible, rec.action_index,
                      rec.probability, total)
        return readout(ref)


def stream(eng: Engine, lo: int, hi: int) -> None:
    """Customers ``c{lo}`` to ``c{hi-1}``, each chosen for and rewarded (:func:`reward_of`)
    in the same second."""
    for i in range(lo, hi):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        eng.reward(d.decision_id, reward_of(ctx, d.message, d.channel), now=T0 + i)


def check_resumes_after_restart_and_crash(tmp_path, candidates: list, serving: str) -> None:
    """Every candidate of ``candidates`` equals the uninterrupted one bit for bit (:func:`probe`)
    after a clean restart (nothing replayed, ``serving`` still serving), and after a crash 50
    rewards past the last checkpoint (those 50 replayed). Catches a learner's state missing
    from the checkpoint, or a replay that relearns or skips rewards."""
    with make_engine(tmp_path / "clean", candidates=candidates) as eng:
        stream(eng, 0, 450)
        before = probe(eng)
        estimates = eng.stats()["candidates"]
    with make_engine(tmp_path / "clean", candidates=candidates) as again:
        assert again.stats()["replayed_on_start"] == 0
        assert again.stats()["serving_learner"] == serving
        np.testing.assert_array_equal(probe(again), before)
        assert again.stats()["candidates"] == estimates
    eng = make_engine(tmp_path / "crash", candidates=candidates, checkpoint_every=100)
    stream(eng, 0, 450)
    expected = probe(eng)
    eng.log.close()  # a crash: 50 rewards after the last checkpoint
    eng._selection.close()
    with make_engine(tmp_path / "crash", candidates=candidates, checkpoint_every=100) as again:
        assert again.stats()["replayed_on_start"] == 50
        np.testing.assert_array_equal(probe(again), expected)
