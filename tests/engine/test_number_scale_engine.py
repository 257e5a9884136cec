"""The ridge candidates' number scale (policies/number_scale.py) in the engine: a context
number in euros is scaled by both kinds of ridge candidate, the scale (fixed or still being
collected) survives a restart and a crash's replay bit for bit, a snapshot (what the
fleet's replicas and campaigns serve) reads the numbers as the learner does, and one
caller's absurd number is held at its limit."""

from __future__ import annotations

import numpy as np
import pytest

from tests.engine.engine_world import CONSENT, T0, probe, reward_of
from tests.engine.engine_world import make_ridges_engine as make_engine


def _context(i: int) -> dict:
    """Segment a or b, and a spend of 40 to 5,000 euros (a fixed pseudo-random walk)."""
    spend = round(40.0 * 125.0 ** (((i * 7919) % 1000) / 1000.0), 2)
    return {"segment": "ab"[i % 2], "spend": spend, "consent": CONSENT}


def _stream(eng, lo: int, hi: int) -> None:
    for i in range(lo, hi):
        ctx = _context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        eng.reward(d.decision_id, reward_of(ctx, d.message, d.channel), now=T0 + i)


def _scales(eng) -> dict:
    return {name: learner.number_scale()
            for name, learner in eng._selection.learners.items()
            if hasattr(learner, "number_scale")}


def _factors(eng) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    return {name: (s.factors, s.limits) for name, s in _scales(eng).items()}


def test_the_ridge_candidates_scale_a_number_in_euros(tmp_path):
    """Catches the ridge candidates reading euros raw (no scale fixed after the warm-up)."""
    with make_engine(tmp_path) as eng:
        _stream(eng, 0, 300)
        got = _factors(eng)
    assert set(got) == {"joint", "ridge"}
    assert all(f.get("spend", 1.0) >= 256.0 for f, _ in got.values())


def test_one_callers_absurd_number_is_held_at_its_limit(tmp_path):
    """Catches a spend of 1e15 euros (within what the engine accepts) read as it comes by the
    ridge candidates once their scale is fixed, or the limits lost in a restart."""
    with make_engine(tmp_path) as eng:
        _stream(eng, 0, 300)
        d = eng.choose("typo", {**_context(300), "spend": 1e15}, now=T0 + 300)
        eng.reward(d.decision_id, 1.0, now=T0 + 300)
        scales = _scales(eng)
        assert set(scales) == {"joint", "ridge"}
        for scale in scales.values():
            limit = scale.limits["spend"]
            assert 1.0 < limit < 100.0  # spends of 40 to 5,000 euros, on a scale of 512
            assert scale.read("c", "spend", 1e15) == limit
        kept = _factors(eng)
    with make_engine(tmp_path) as again:
        assert _factors(again) == kept


@pytest.mark.parametrize("decisions", [200, 450], ids=["collecting", "fixed"])
def test_the_scale_survives_a_restart_and_a_crash_bit_for_bit(tmp_path, decisions):
    """Catches the values still being collected, or the fixed scale, missing from the
    checkpoint: the restarted candidates equal the uninterrupted ones."""
    with make_engine(tmp_path / "clean") as eng:
        _stream(eng, 0, decisions)
        before, factors = probe(eng), _factors(eng)
    with make_engine(tmp_path / "clean") as again:
        np.testing.assert_array_equal(probe(again), before)
        assert _factors(again) == factors
        _stream(again, decisions, decisions + 100)
    eng = make_engine(tmp_path / "crash", checkpoint_every=100)
    _stream(eng, 0, decisions)
    expected = probe(eng)
    eng.log.close()  # a crash: the rewards after the last checkpoint are replayed
    eng._selection.close()
    with make_engine(tmp_path / "crash", checkpoint_every=100) as again:
        assert again.stats()["replayed_on_start"] == decisions % 100
        np.testing.assert_array_equal(probe(again), expected)


def test_a_snapshot_reads_the_numbers_as_the_learner_does(tmp_path):
    """Catches a snapshot (a replica's, a campaign's) or its batch scorer reading euros raw."""
    from engine.candidate_learners import batch_scorer
    from engine.snapshots import learner_from, snapshot_of

    probes = [{"c": {"segment": s, "spend": v}, "h": {"contacts_1d": 0}}
              for s in "ab" for v in (60.0, 900.0, 4500.0)]
    with make_engine(tmp_path) as eng:
        _stream(eng, 0, 400)
        joint = eng._selection.learners["joint"]
        spec = eng.options.candidate("joint")
        snap = snapshot_of(joint, eng.catalog, spec.config, learned_seq=400, learner_name="joint")
        want = np.array([joint.estimates(p) for p in probes])
        with learner_from(snap, eng.catalog) as served:
            assert served.number_scale().factors == joint.number_scale().factors
            np.testing.assert_array_equal([served.estimates(p) for p in probes], want)
            np.testing.assert_allclose(batch_scorer(served).scores(probes), want, rtol=0,
                                       atol=1e-12)
