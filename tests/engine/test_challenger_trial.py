"""Challengers on trial (``selection.trial_share``): a share of the decisions is drawn from the
challengers' own distributions, the log holds the mixture's propensity, a challenger the
serving one rarely imitates is reached on evidence it could not get otherwise, one shown behind
leaves the trial, and the trial survives a restart; ``scale_rewards = false`` has one candidate
learn business-scale rewards beside scaled ones."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.errors import ConfigError
from tests.engine.engine_world import T0, context, make_engine, play, stream


def on_trial(eng) -> list[str]:
    """The challengers the engine's stats say are on trial (``candidate_on_trial``)."""
    return [n for n, v in eng.stats()["candidate_on_trial"].items() if v]

#: A serving candidate that cannot learn (its weights barely move) and plays its one tied-best
#: action 98 % of the time, beside a challenger that learns: the serving one's exploration
#: shows the challenger's best actions on 2 % of the rows only, at importance weights near 250.
STUCK_FIRST = [{"name": "stuck", "exploration": "epsilon", "epsilon": 0.02,
                "learning_rate": 1e-9}, "squarecb"]
FAST = {"min_samples": 300, "check_every": 50, "confirm": 2}


def assert_drawn_from(eng, shares: dict[str, float], now: float) -> None:
    """A new decision is drawn from the mixture of the candidates' distributions at
    ``shares`` (name -> share), and logged and returned with that mixture's propensity."""
    sel = eng._selection
    d = eng.choose("someone", context(0), now=now)
    rec = eng.log.get_decision(d.decision_id)
    shared, eligible = json.loads(rec.features_json), np.asarray(rec.eligible)
    want = sum(w * sel.learners[n].probabilities(shared, eligible) for n, w in shares.items())
    j = int(np.flatnonzero(eligible == rec.action_index)[0])
    assert rec.probability == pytest.approx(want[j], rel=1e-9)
    assert d.probability == rec.probability
    np.testing.assert_allclose(sel.probabilities(shared, eligible), want, rtol=1e-9)


def test_a_decision_is_drawn_from_the_mixture_and_logged_with_its_propensity(tmp_path):
    with make_engine(tmp_path, candidates=STUCK_FIRST,
                     selection={**FAST, "trial_share": 0.3}) as eng:
        stream(eng, 0, 200)  # fewer rows than min_samples: both serve their shares still
        assert on_trial(eng) == ["squarecb"]
        assert_drawn_from(eng, {"stuck": 0.7, "squarecb": 0.3}, now=T0 + 500)


def test_a_trial_reaches_a_challenger_the_serving_one_never_imitates(tmp_path):
    # the same stream without a trial: the challenger is estimated on the stuck candidate's
    # 2 % exploration alone, and the rule does not move in the rows a trial needs
    with make_engine(tmp_path / "none", candidates=STUCK_FIRST, selection=FAST) as alone:
        stream(alone, 0, 1500)
        assert alone.stats()["serving_learner"] == "stuck"
        d = alone.choose("probe", context(0), now=T0 + 5000)  # still stuck on one action
        rec = alone.log.get_decision(d.decision_id)
        stuck = alone._selection.learners["stuck"].probabilities(
            json.loads(rec.features_json), np.asarray(rec.eligible))
        assert stuck.max() >= 0.98
    with make_engine(tmp_path / "trial", candidates=STUCK_FIRST,
                     selection={**FAST, "trial_share": 0.2}) as eng:
        stream(eng, 0, 1500)
        stats = eng.stats()
        assert stats["serving_learner"] == "squarecb" and stats["learner_switches"] == 1
        assert stats["trial_share"] == 0.2
        # the old serving one went on trial after the switch, and was soon shown behind
        assert on_trial(eng) == []
        [switch] = eng.log.switches()
        assert switch["evidence"]["difference"]["dr_cv"]["ci_low"] > 0


def test_a_challenger_shown_behind_leaves_the_trial_and_stays_off_after_a_restart(tmp_path):
    poor_second = ["squarecb", {"name": "poor", "exploration": "epsilon", "epsilon": 1.0}]
    options = {"candidates": poor_second, "selection": {**FAST, "trial_share": 0.2}}
    with make_engine(tmp_path, **options) as eng:
        assert on_trial(eng) == ["poor"]
        stream(eng, 0, 1500)
        stats = eng.stats()
        assert stats["serving_learner"] == "squarecb"
        assert on_trial(eng) == []
        assert stats["candidates"]["poor"]["on_trial"] is False
        # off trial, the serving candidate alone decides: the logged propensity is its own
        d = eng.choose("someone", context(1), now=T0 + 5000)
        rec = eng.log.get_decision(d.decision_id)
        own = eng._selection.learner.probabilities(json.loads(rec.features_json),
                                                   np.asarray(rec.eligible))
        j = int(np.flatnonzero(np.asarray(rec.eligible) == rec.action_index)[0])
        assert rec.probability == pytest.approx(own[j], rel=1e-9)
    with make_engine(tmp_path, **options) as again:
        assert on_trial(again) == []


def test_an_unscaled_candidate_learns_business_scale_rewards_beside_a_scaled_one(tmp_path):
    candidates = ["squarecb", {"name": "raw", "exploration": "squarecb",
                               "scale_rewards": False}]
    with make_engine(tmp_path, candidates=candidates) as eng:
        play(eng, 300, unit=80.0)  # a conversion worth 80 euros
        sel = eng._selection
        assert sel.scale_of("raw") == 1.0 and sel.scaled("squarecb")
        assert sel.scale_of("squarecb") > 10.0
        best = {"c": {"segment": "a", "x": 0.5}, "h": {"contacts_1d": 0}}
        raw = max(sel.learners["raw"].explain(best, a, 0)[0] for a in range(5))
        scaled = max(sel.learners["squarecb"].explain(best, a, 0)[0] for a in range(5))
        assert raw > 10.0 > 2.0 > scaled  # euros, against the scaled unit


@pytest.mark.parametrize("options, match", [
    ({"selection": {"trial_share": -0.1}}, r"selection.trial_share: expected a number in"),
    ({"selection": {"trial_share": 0.6}}, r"selection.trial_share: expected a number in"),
    ({"selection": {"trial_share": float("nan")}}, r"selection.trial_share: expected"),
    ({"selection": {"trial_share": "0.1"}}, r"selection.trial_share: expected"),
    ({"selection": {"trial_share": True}}, r"selection.trial_share: expected"),
    ({"candidates": [{"name": "x", "scale_rewards": "no"}]},
     r"candidates\[0\].scale_rewards: expected true or false"),
])
def test_bad_trial_options_are_refused_naming_the_field(tmp_path, options, match):
    with pytest.raises(ConfigError, match=match):
        make_engine(tmp_path, **options)
    assert not (tmp_path / "checkpoint.json").exists()


def test_the_trial_goes_to_the_leading_challenger(tmp_path):
    """Before any check every challenger has an equal part of the share; after one, the whole
    share goes to the challenger with the highest estimated difference from the serving one
    (here the learning one, not the uniform one), which concentrates the evidence where a
    switch may come from."""
    candidates = [*STUCK_FIRST, {"name": "uniform", "exploration": "epsilon", "epsilon": 1.0}]
    with make_engine(tmp_path, candidates=candidates,
                     selection={**FAST, "trial_share": 0.2}) as eng:
        assert on_trial(eng) == ["squarecb", "uniform"]
        stream(eng, 0, 250)  # checks ran, fewer rows than min_samples: nobody switched
        stats = eng.stats()
        assert stats["serving_learner"] == "stuck"
        assert on_trial(eng) == ["squarecb"]
        c = stats["candidates"]
        assert c["squarecb"]["dr_cv"] > c["uniform"]["dr_cv"]


def test_a_checkpoint_learned_scaled_is_refused_to_a_candidate_now_unscaled(tmp_path):
    """Catches a model learned on one reward unit resumed as if learned on another: turning a
    candidate's ``scale_rewards`` off changes the options' fingerprint, and the checkpoint
    made before is refused naming it; a candidate that leaves it on keeps the fingerprint of
    a checkpoint made before the setting existed."""
    from engine.errors import CheckpointError
    from engine.options import EngineOptions

    scaled = [{"name": "raw", "exploration": "squarecb"}]
    with make_engine(tmp_path, candidates=scaled) as eng:
        stream(eng, 0, 20)
    with pytest.raises(CheckpointError, match="checkpoint"):
        make_engine(tmp_path, candidates=[{**scaled[0], "scale_rewards": False}])
    with make_engine(tmp_path, candidates=[{**scaled[0], "scale_rewards": True}]) as again:
        assert again.stats()["replayed_on_start"] == 0
    before = EngineOptions(candidates=scaled).fingerprint()
    assert "unscaled" not in before
    assert EngineOptions(candidates=[{**scaled[0], "scale_rewards": True}]).fingerprint() \
        == before


def test_stats_give_the_trial_share_in_effect(tmp_path):
    # one candidate has no challenger to put on trial: a configured share is not in effect,
    # and stats() must not say it is (a fleet's replica serves one published learner alike)
    trial = {**FAST, "trial_share": 0.3}
    with make_engine(tmp_path / "one", candidates=["squarecb"], selection=trial) as alone:
        stream(alone, 0, 50)
        assert alone.stats()["trial_share"] == 0.0
    with make_engine(tmp_path / "two", candidates=STUCK_FIRST, selection=trial) as eng:
        assert eng.stats()["trial_share"] == 0.3
