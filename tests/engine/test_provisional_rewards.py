"""Each decision reported as 0 when made and its conversion added as a correction later
(``reward_mode = "sum"``): the engine's ridge candidates end as the model that learned every
decision once, at its total; a restart and a crash change nothing."""

from __future__ import annotations

import numpy as np
import pytest

from tests.engine.engine_world import T0, context, make_engine, model_of_log, readout, reward_of

DELAY = 7  # a conversion is reported this many decisions after its decision


def provisional_stream(eng, lo: int, hi: int, unit: float = 1.0, pending=None) -> list:
    """Customers ``c{lo}``..: each decision rewarded 0 at once, its conversion (times
    ``unit``) added :data:`DELAY` decisions later; returns the decisions still pending."""
    pending = [] if pending is None else pending
    for i in range(lo, hi):
        ctx = context(i)
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        eng.reward(d.decision_id, 0.0, now=T0 + i)
        pending.append((i + DELAY, d.decision_id, unit * reward_of(ctx, d.message, d.channel)))
        while pending and pending[0][0] <= i:
            _, did, value = pending.pop(0)
            if value:
                eng.reward(did, value, now=T0 + i)
    return pending


@pytest.mark.parametrize("unit", [1.0, 80.0])
def test_the_ridge_candidates_learn_each_decision_once_at_its_total(tmp_path, unit):
    with make_engine(tmp_path / "s", reward_mode="sum") as eng:
        pending = provisional_stream(eng, 0, 400, unit)
        provisional_stream(eng, 400, 400 + DELAY, unit, pending)  # the last ones reported
        names = [n for n in eng._selection.learners if n in ("joint", "ridge")]
        assert names == ["joint", "ridge"]  # the shared default's two ridge candidates
        assert eng.stats()["rewards"] > 400 + DELAY  # corrections were written and learned
        for name in names:
            np.testing.assert_allclose(readout(eng._selection.learners[name]),
                                       model_of_log(eng.log, options=eng.options,
                                                    candidate=name, once=True), atol=1e-8)


def test_corrected_candidates_resume_after_a_restart_and_a_crash(tmp_path):
    with make_engine(tmp_path / "clean", reward_mode="sum") as eng:
        provisional_stream(eng, 0, 300)
        before = [readout(eng._selection.learners[n]) for n in eng._selection.learners]
    with make_engine(tmp_path / "clean", reward_mode="sum") as again:
        assert again.stats()["replayed_on_start"] == 0
        for got, want in zip((readout(again._selection.learners[n])
                              for n in again._selection.learners), before, strict=True):
            np.testing.assert_array_equal(got, want)
    eng = make_engine(tmp_path / "crash", reward_mode="sum", checkpoint_every=100)
    provisional_stream(eng, 0, 300)
    expected = [readout(eng._selection.learners[n]) for n in eng._selection.learners]
    replayed = eng._learned_seq % 100
    eng.log.close()  # a crash: the rewards after the last checkpoint are replayed
    eng._selection.close()
    with make_engine(tmp_path / "crash", reward_mode="sum", checkpoint_every=100) as again:
        assert again.stats()["replayed_on_start"] == replayed > 0
        for got, want in zip((readout(again._selection.learners[n])
                              for n in again._selection.learners), expected, strict=True):
            np.testing.assert_array_equal(got, want)
