"""The numpy batch scorer reproduces VW's own per-action predictions from the weights."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vowpalwabbit import Example, Workspace

from policies.errors import PolicyConfigError
from policies.vw_batch_scorer import VWBatchScorer
from policies.vw_config import VWConfig
from policies.vw_format import feature_items, format_features, shared_line
from policies.vw_learner import VWLearner

# the engine's layout: shared c (context) and h (history); actions m, n, t, a
INTERACTIONS = ("cm", "cn", "ct", "hm", "hn", "ht", "mn", "nt", "ca")
ACTIONS = [{"m": {"msg": f"m{m}", "theme": f"t{m % 2}", "discount": 0.1 * m, "margin": 0.3},
            "n": {"ch": ch, "cost": cost}, "t": {"tm": tm}, "a": {"id": f"m{m}/{ch}/{tm}"}}
           for m in range(3) for ch, cost in (("email", 0.0), ("sms", 0.05))
           for tm in ("now", "evening")] + [{"m": {"no_contact": True}, "a": {"id": "no_contact"}}]
K = len(ACTIONS)


def _shared(rng: np.random.Generator) -> dict:
    return {"c": {"age": int(rng.integers(18, 80)), "segment": f"s{rng.integers(3)}",
                  "spend": float(rng.random() * 50), "vip": bool(rng.random() < 0.3),
                  "tags": ["a", "b"][: int(rng.integers(0, 3))]},
            "h": {"contacts_7d": int(rng.integers(0, 3)), "never_email": True,
                  "log_days_sms": float(rng.random())}}


def _trained(workspace_args: list[str]) -> VWLearner:
    """A learner trained on 300 random decisions, its workspace a plain --cb_adf one whose
    prediction is the per-action cost itself (the same regressor, no exploration on top)."""
    vw = VWLearner(VWConfig(interactions=INTERACTIONS), seed=0)
    vw._vw.finish()
    vw._vw = Workspace(arg_list=workspace_args)
    vw.set_actions(ACTIONS)
    rng = np.random.default_rng(0)
    for _ in range(300):
        s = _shared(rng)
        a = int(rng.integers(K))
        reward = float(a % 3 == int(s["c"]["segment"][1])) + 0.01 * s["c"]["age"]
        vw.learn(s, list(range(K)), a, 1 / K, reward)
    return vw


@pytest.mark.parametrize("cb_type", ["dm", "mtr"])
def test_batch_scores_equal_vws_own_predictions(cb_type):
    args = ["--cb_adf", "--quiet", "--cb_type", cb_type, "-b", "18"]
    args += [x for t in INTERACTIONS for x in ("--interactions", t)]
    vw = _trained(args)
    try:
        rng = np.random.default_rng(1)
        probes = [_shared(rng) for _ in range(40)]
        scores = VWBatchScorer(vw).scores(probes)
        costs = np.array([vw._vw.predict([Example(vw._vw, shared_line(p)), *vw._examples])
                          for p in probes])
        assert np.abs(scores).max() > 0.1  # the model learned something to reproduce
        np.testing.assert_allclose(scores, -costs, atol=2e-5 * max(1.0, np.abs(costs).max()))
        explained = np.array([vw.explain(probes[0], a)[0] for a in range(K)])
        np.testing.assert_allclose(scores[0], explained, atol=1e-5)
    finally:
        vw.close()


def test_a_fresh_model_scores_zero_and_an_empty_batch_is_empty():
    with VWLearner(VWConfig(interactions=INTERACTIONS), seed=0) as vw:
        vw.set_actions(ACTIONS)
        scorer = VWBatchScorer(vw)
        assert (scorer.scores([_shared(np.random.default_rng(0))]) == 0).all()
        assert scorer.scores([]).shape == (0, K)


@pytest.mark.parametrize("interactions, match", [
    (("cmn",), "batch scoring supports pairs only"),
    (("ch",), "shared x shared 'ch'"),
])
def test_interactions_it_cannot_split_are_refused(interactions, match):
    with VWLearner(VWConfig(interactions=interactions), seed=0) as vw:
        vw.set_actions(ACTIONS)
        with pytest.raises(PolicyConfigError, match=match):
            VWBatchScorer(vw)


_CHARS = "abcXYZ019 |:_-=.\t"  # VW's separators among them


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["c", "h", "a b"]), st.dictionaries(
    st.text(_CHARS, min_size=1, max_size=6), st.one_of(
        st.booleans(), st.integers(-10**6, 10**6), st.floats(-1e9, 1e9),
        st.text(_CHARS, max_size=6), st.lists(st.text(_CHARS, max_size=4), max_size=3)),
    max_size=5), max_size=3))
def test_feature_items_are_the_tokens_of_the_text(features):
    """feature_items (batch prediction's path) reads exactly what format_features writes."""
    from_text = []
    for part in format_features(features).split("|")[1:]:
        ns, *tokens = part.strip().split(" ")
        for tok in tokens:
            name, sep, value = tok.rpartition(":")
            from_text.append((ns, name, float(value)) if sep else (ns, tok, 1.0))
    assert feature_items(features) == from_text


def test_a_learner_with_the_history_left_out_scores_without_it():
    """The scorer reads what the learner read: with ``history = "left_out"`` the contact
    history of a shared set changes no score."""
    vw = VWLearner(VWConfig(interactions=INTERACTIONS, history="left_out"), seed=0)
    try:
        vw.set_actions(ACTIONS)
        rng = np.random.default_rng(0)
        for _ in range(200):
            s = _shared(rng)
            a = int(rng.integers(K))
            vw.learn(s, list(range(K)), a, 1 / K, float(a % 3 == int(s["c"]["segment"][1])))
        probe = _shared(np.random.default_rng(2))
        bare = {"c": probe["c"]}
        scorer = VWBatchScorer(vw)
        np.testing.assert_array_equal(scorer.scores([probe]), scorer.scores([bare]))
        np.testing.assert_array_equal(scorer.score_one(probe), scorer.score_one(bare))
        assert np.abs(scorer.scores([bare])).max() > 0.05  # it learned something
    finally:
        vw.close()
