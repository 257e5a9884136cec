"""The engine picks its own learner online: a poor candidate is replaced on evidence, equals are
left alone, every switch is logged with its evidence and survives a restart with every
candidate."""

from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ConfigError
from ope.estimators.progressive import PROGRESSIVE_ESTIMATORS
from tests.engine.engine_world import T0, context, make_engine, probe, stream

POOR_FIRST = [{"name": "poor", "exploration": "epsilon", "epsilon": 1.0}, "squarecb"]
FAST = {"min_samples": 300, "check_every": 50, "confirm": 2}


def test_a_deliberately_poor_serving_candidate_is_replaced_with_evidence(tmp_path):
    with make_engine(tmp_path, candidates=POOR_FIRST, selection=FAST) as eng:
        assert eng.stats()["serving_learner"] == "poor"
        stream(eng, 0, 1500)
        stats = eng.stats()
        assert stats["serving_learner"] == "squarecb"
        assert stats["learner_switches"] == 1
        [switch] = eng.log.switches()
        assert (switch["from"], switch["to"]) == ("poor", "squarecb")
        ev = switch["evidence"]
        assert ev["squarecb"]["dr"]["ci_low"] > ev["poor"]["dr"]["ci_high"]
        assert ev["squarecb"]["dr"]["n"] >= FAST["min_samples"]
        cands = stats["candidates"]
        assert cands["squarecb"]["dr"] > cands["poor"]["dr"] and cands["squarecb"]["serving"]
        for est in PROGRESSIVE_ESTIMATORS:  # every estimate kept is shown per candidate
            for key in (est, f"{est}_low", f"{est}_high"):
                assert stats[f"candidate_{key}"] == {n: c[key] for n, c in cands.items()}
        d = eng.choose("someone", context(0), now=T0 + 2000)
        assert d.explain().learner == "squarecb" and "learner squarecb" in str(d.explain())


def test_equal_candidates_are_not_switched(tmp_path):
    near_twins = [{"name": "eps5", "exploration": "epsilon", "epsilon": 0.05},
                  {"name": "eps6", "exploration": "epsilon", "epsilon": 0.06}]
    with make_engine(tmp_path, candidates=near_twins, selection=FAST) as eng:
        stream(eng, 0, 1500)
        stats = eng.stats()
        assert stats["serving_learner"] == "eps5" and stats["learner_switches"] == 0
        c = stats["candidates"]
        assert c["eps5"]["n"] == c["eps6"]["n"] > 1000  # both were scored all along


def test_every_candidate_and_the_serving_choice_survive_a_restart(tmp_path):
    with make_engine(tmp_path, candidates=POOR_FIRST, selection=FAST) as eng:
        stream(eng, 0, 1500)
        before, serving = probe(eng), eng.stats()["serving_learner"]
        estimates = eng.stats()["candidates"]
    assert serving == "squarecb"
    with make_engine(tmp_path, candidates=POOR_FIRST, selection=FAST) as again:
        assert again.stats()["serving_learner"] == serving
        assert again.stats()["replayed_on_start"] == 0
        np.testing.assert_array_equal(probe(again), before)  # every candidate, bit for bit
        assert again.stats()["candidates"] == estimates
        stream(again, 1500, 1600)  # and they go on learning, the switch is not re-logged
        assert again.stats()["learner_switches"] == 1


def test_a_switch_replayed_after_a_crash_is_logged_once(tmp_path):
    eng = make_engine(tmp_path, candidates=POOR_FIRST, selection=FAST, checkpoint_every=200)
    stream(eng, 0, 1500)
    expected = probe(eng)
    eng.log.close()  # a crash: the last checkpoint is older than the switch
    eng._selection.close()
    with make_engine(tmp_path, candidates=POOR_FIRST, selection=FAST,
                     checkpoint_every=200) as again:
        assert again.stats()["replayed_on_start"] > 0
        assert again.stats()["serving_learner"] == "squarecb"
        assert again.stats()["learner_switches"] == 1
        np.testing.assert_array_equal(probe(again), expected)


def test_candidates_that_follow_the_log_later_learn_what_inline_ones_learn(tmp_path):
    # fewer rewards than min_samples: no switch, so both engines serve the same decisions
    with make_engine(tmp_path / "inline", candidates=POOR_FIRST, selection=FAST) as inline:
        stream(inline, 0, 250)
        want, estimates = probe(inline), inline.stats()["candidates"]
    with make_engine(tmp_path / "later", candidates=POOR_FIRST, selection=FAST,
                     follow_every=0) as later:
        stream(later, 0, 250)
        assert later._selection.cursors["squarecb"] == 0  # off the reward's path entirely
        assert later.follow() == 250
        np.testing.assert_array_equal(probe(later), want)
        got = later.stats()["candidates"]
        for name, est in estimates.items():  # the same rows, folded in other batches
            known = {k: v for k, v in est.items() if v is not None}  # None: the serving one's
            assert {k for k, v in got[name].items() if v is None} == est.keys() - known.keys()
            assert {k: got[name][k] for k in known} == pytest.approx(known, rel=1e-9)


@pytest.mark.parametrize("options, match", [
    ({"candidates": []}, "candidates: expected a non-empty list"),
    ({"candidates": "squarecb"}, "candidates: expected a non-empty list"),
    ({"candidates": ["squarecb", "squarecb"]}, r"candidates\[1\].name: expected a name not used"),
    ({"candidates": ["thompson"]}, r"candidates\[0\]: expected a table or one of squarecb"),
    ({"candidates": [{"name": "Bad Name"}]}, r"candidates\[0\].name: expected lower-case"),
    ({"candidates": [{"name": "x", "gama_scale": 3}]}, r"candidates\[0\].gama_scale: unknown"),
    ({"candidates": [{"name": "x", "epsilon": 2.0}]}, r"candidates\[0\].epsilon"),
    ({"selection": {"min_sample": 5}}, "selection.min_sample: unknown setting"),
    ({"selection": {"confirm": 0}}, "selection.confirm: expected an integer >= 1"),
    ({"selection": {"agree": "yes"}}, "selection.agree: expected true or false"),
    ({"selection": {"anytime": 1}}, "selection.anytime: expected true or false"),
    ({"selection": {"estimator": "snips"}},
     "selection.estimator: expected one of 'ips', 'dr', 'dr_cv', got 'snips'"),
    ({"follow_every": -1}, "follow_every"),
    ({"number_bins": 1}, "number_bins: expected 0"),
    ({"reward_scale": "yes"}, "reward_scale: expected true or false"),
])
def test_bad_candidate_options_are_refused_naming_the_field(tmp_path, options, match):
    with pytest.raises(ConfigError, match=match):
        make_engine(tmp_path, **options)
    assert not (tmp_path / "checkpoint.json").exists()
