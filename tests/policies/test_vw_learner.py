"""VWLearner and vw_format: the reused-example path equals VW's own text loop, checkpoints
resume exactly, the learner learns, bad input is refused."""

from __future__ import annotations

import math

import numpy as np
import pytest
from vowpalwabbit import Example, Workspace

from policies.errors import PolicyConfigError, PolicyInputError
from policies.vw_config import EXPLORATIONS, VWConfig
from policies.vw_format import (
    action_line,
    cb_label,
    cost_of,
    format_features,
    multi_example,
    shared_line,
)
from policies.vw_learner import VWLearner

K = 12
ACTIONS = [{"m": {"msg": f"m{a % 4}", "disc": (a % 3) / 10}, "n": {"ch": f"c{a % 3}"}}
           for a in range(K)]
CONFIG = VWConfig(interactions=("cm", "cn"))


def _world(n: int, seed: int = 0):
    """A tiny seeded world: the best action depends on the segment."""
    rng = np.random.default_rng(seed)
    seg = rng.integers(3, size=n)
    shared = [{"c": {"seg": f"s{s}", "x": float(rng.random())}} for s in seg]
    eligible = [np.sort(rng.choice(K, size=rng.integers(3, K + 1), replace=False))
                for _ in range(n)]
    return rng, seg, shared, eligible


def _reward(seg: int, action: int) -> float:
    return 1.0 if action % 3 == seg else 0.0


def _run(learner: VWLearner, lo: int, hi: int, world) -> list[np.ndarray]:
    _rng, seg, shared, eligible = world
    out = []
    for i in range(lo, hi):
        p = learner.probabilities(shared[i], eligible[i])
        out.append(p)
        j = int(np.random.default_rng(i).choice(len(p), p=p))
        a = int(eligible[i][j])
        learner.learn(shared[i], eligible[i], a, float(p[j]), _reward(seg[i], a))
    return out


@pytest.mark.parametrize("exploration", EXPLORATIONS)
def test_reused_examples_predict_exactly_like_the_text_loop(exploration):
    config = VWConfig(exploration=exploration, interactions=("cm", "cn"))
    world = _world(300)
    _, seg, shared, eligible = world
    ref = Workspace(arg_list=config.arguments(seed=3))
    with VWLearner(config, seed=3) as learner:
        learner.set_actions(ACTIONS)
        for i in range(300):
            acts = [ACTIONS[a] for a in eligible[i]]
            p_text = np.asarray(ref.predict(multi_example(shared[i], acts)))
            p = learner.probabilities(shared[i], eligible[i])
            # config.floor: VW's distribution normalised (and, for regcbopt, floored)
            np.testing.assert_allclose(p, config.floor(p_text), rtol=0, atol=1e-7)
            j = int(np.random.default_rng(i).choice(len(p), p=p))
            a = int(eligible[i][j])
            r = _reward(seg[i], a)
            ref.learn(multi_example(shared[i], acts, j, r, float(p[j])))
            learner.learn(shared[i], eligible[i], a, float(p[j]), r)
    ref.finish()


@pytest.mark.parametrize("exploration", EXPLORATIONS)
def test_a_saved_model_predicts_exactly_as_before_the_save(exploration, tmp_path):
    config = VWConfig(exploration=exploration, interactions=("cm", "cn"))
    world = _world(200, seed=1)
    probe = {"c": {"seg": "s1", "x": 0.5}}
    with VWLearner(config, seed=5) as first:
        first.set_actions(ACTIONS)
        _run(first, 0, 200, world)
        before = first.probabilities(probe)
        first.save(tmp_path / "model.vw")
    with VWLearner(config, seed=5, model_path=tmp_path / "model.vw") as resumed:
        resumed.set_actions(ACTIONS)
        np.testing.assert_array_equal(resumed.probabilities(probe), before)


# bag is left out: VW does not save the random stream of its bootstrap weights, so learning
# after a resume draws other weights (same model, other future); docs/engine.md says so.
@pytest.mark.parametrize("exploration", ["epsilon", "squarecb", "regcbopt"])
def test_a_saved_model_resumes_exactly_exploration_state_included(exploration, tmp_path):
    config = VWConfig(exploration=exploration, interactions=("cm", "cn"))
    world = _world(400, seed=1)
    with VWLearner(config, seed=5) as straight:
        straight.set_actions(ACTIONS)
        expected = _run(straight, 0, 400, world)[200:]
    with VWLearner(config, seed=5) as first:
        first.set_actions(ACTIONS)
        _run(first, 0, 200, world)
        first.save(tmp_path / "model.vw")
    with VWLearner(config, seed=5, model_path=tmp_path / "model.vw") as resumed:
        resumed.set_actions(ACTIONS)
        got = _run(resumed, 200, 400, world)
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(e, g)


@pytest.mark.parametrize("exploration", EXPLORATIONS)
def test_learner_beats_uniform_on_a_tiny_world(exploration):
    world = _world(1500, seed=2)
    _, seg, _shared, eligible = world
    with VWLearner(VWConfig(exploration=exploration, interactions=("cm", "cn")), seed=0) as vw:
        vw.set_actions(ACTIONS)
        probs = _run(vw, 0, 1500, world)
    tail = range(1000, 1500)
    got = np.mean([sum(p[j] * _reward(seg[i], int(eligible[i][j])) for j in range(len(p)))
                   for i, p in zip(tail, probs[1000:], strict=True)])
    uniform = np.mean([np.mean([_reward(seg[i], int(a)) for a in eligible[i]]) for i in tail])
    assert got > uniform + 0.3, (got, uniform)


def test_probabilities_are_aligned_with_eligible_and_sum_to_one():
    with VWLearner(CONFIG) as vw:
        vw.set_actions(ACTIONS)
        for _ in range(50):
            vw.learn({"c": {"seg": "s0"}}, [1, 5, 7], 7, 0.3, 1.0)
        p = vw.probabilities({"c": {"seg": "s0"}}, [7, 1, 5])
        assert p.shape == (3,) and math.isclose(p.sum(), 1.0)
        assert p.argmax() == 0  # action 7 is listed first and was rewarded


def test_weight_reports_a_learned_feature():
    with VWLearner(VWConfig(exploration="epsilon")) as vw:
        vw.set_actions(ACTIONS)
        assert vw.weight("m", "msg=m1") == 0.0
        for _ in range(20):
            vw.learn({"c": {"x": 1.0}}, None, 1, 0.5, 1.0)
        assert vw.weight("m", "msg=m1") < 0.0  # rewarded -> negative cost weight


def test_close_is_safe_twice_and_a_closed_learner_refuses_work():
    vw = VWLearner(CONFIG)
    vw.set_actions(ACTIONS)
    vw.close()
    vw.close()
    with pytest.raises(PolicyInputError, match="closed"):
        vw.probabilities({"c": {"x": 1}})


@pytest.mark.parametrize("kwargs, match", [
    ({"exploration": "cover"}, "exploration must be one of"),
    ({"cb_type": "xyz"}, "cb_type must be one of"),
    ({"cb_type": "dm"}, "cb_type must be .mtr. with squarecb"),
    ({"epsilon": 1.5}, r"epsilon: expected a number in \[0, 1\], got 1.5"),
    ({"epsilon": float("nan")}, r"epsilon: expected a number in \[0, 1\], got nan"),
    ({"bag_size": 1}, "bag_size must be an int"),
    ({"bits": 40}, "bits must be an int"),
    ({"interactions": ("c",)}, "interactions must be 2-3 namespace letters"),
    ({"interactions": ("c:m",)}, "interactions must be 2-3 namespace letters"),
    ({"cost_min": 1.0, "cost_max": 1.0},
     r"cost_max: expected a number above cost_min \(1.0\), got 1.0"),
    ({"cost_max": float("inf")}, "cost_max: expected a number"),
    ({"mellowness": 0.0}, "mellowness: expected a number"),
])
def test_bad_config_is_refused_at_construction(kwargs, match):
    with pytest.raises(PolicyConfigError, match=match):
        VWConfig(**kwargs)


def test_missing_model_path_is_refused(tmp_path):
    with pytest.raises(PolicyConfigError, match="model_path must be an existing file"):
        VWLearner(CONFIG, model_path=tmp_path / "nope.vw")


@pytest.mark.parametrize("call, match", [
    (lambda vw: vw.probabilities({"c": {"x": 1}}, [0, K]),
     r"eligible indices must lie in \[0, 12\)"),
    (lambda vw: vw.probabilities({"c": {"x": 1}}, []), "eligible must be a non-empty"),
    (lambda vw: vw.probabilities({"c": {"x": 1}}, [0.5]), "eligible must hold integers"),
    (lambda vw: vw.probabilities({"c": {"x": float("nan")}}), r"feature c.x must be a finite"),
    (lambda vw: vw.probabilities({"c": {"x": {"a": 1}}}), "feature c.x must be a number"),
    (lambda vw: vw.probabilities({"c": {"x": [1, 2]}}), "feature c.x must be a list of strings"),
    (lambda vw: vw.learn({"c": {"x": 1}}, [0, 1], 2, 0.5, 1.0), "chosen must be one of"),
    (lambda vw: vw.learn({"c": {"x": 1}}, [0, 1], 1, 0.0, 1.0),
     r"probability must lie in \(0, 1\]"),
    (lambda vw: vw.learn({"c": {"x": 1}}, [0, 1], 1, 0.5, float("inf")), "cost must be finite"),
])
def test_bad_input_is_refused_and_nothing_is_learned(call, match):
    with VWLearner(CONFIG) as vw:
        vw.set_actions(ACTIONS)
        probe = {"c": {"seg": "s1", "x": 0.3}}
        vw.learn(probe, None, 2, 0.5, 1.0)
        before = vw.probabilities(probe)
        with pytest.raises(PolicyInputError, match=match):
            call(vw)
        np.testing.assert_array_equal(vw.probabilities(probe), before)


def test_no_actions_is_refused():
    with VWLearner(CONFIG) as vw:
        with pytest.raises(PolicyInputError, match="set_actions"):
            vw.probabilities({"c": {"x": 1}})
        with pytest.raises(PolicyInputError, match="at least one action"):
            vw.set_actions([])


def test_format_cleans_separators_and_drops_zeros():
    line = format_features({"c": {"a b": 1, "z": 0, "seg": "v|i:p", "tags": ["x y", "z"],
                                  "on": True, "off": False}})
    assert line == "|c a_b:1 seg=v_i_p tags=x_y tags=z on"
    assert shared_line({}) == "shared |"
    assert action_line({}) == "|"
    assert cost_of(0.25) == -0.25
    assert cb_label(-0.25, 1.0) == "0:-0.25:1"


def test_multi_example_requires_reward_and_probability_with_chosen():
    with pytest.raises(PolicyInputError, match="reward and probability must be given"):
        multi_example({}, [{}], chosen=0)


def test_explain_recomputes_vws_own_score():
    """The explanation's score equals the score VW's cb_adf regressor predicts (cost, negated).

    The learner's workspace is swapped for a plain ``--cb_adf`` one (same regressor, no
    exploration on top), whose prediction is the per-action score itself.
    """
    config = VWConfig(exploration="epsilon", interactions=("cm", "cn"))
    world = _world(200, seed=4)
    _, seg, shared, eligible = world
    with VWLearner(config, seed=0) as vw:
        vw._vw.finish()
        vw._vw = Workspace(arg_list=["--cb_adf", "--quiet", "--cb_type", "mtr",
                                     "--interactions", "cm", "--interactions", "cn"])
        vw.set_actions(ACTIONS)
        rng = np.random.default_rng(0)
        for i in range(200):
            a = int(rng.choice(eligible[i]))
            vw.learn(shared[i], eligible[i], a, 1 / len(eligible[i]), _reward(seg[i], a))
        probe = {"c": {"seg": "s2", "x": 0.4}}
        costs = np.asarray(vw._vw.predict([Example(vw._vw, shared_line(probe)),
                                           *vw._examples]))
        scores = np.array([vw.explain(probe, a)[0] for a in range(K)])
        np.testing.assert_allclose(scores, -costs, atol=1e-5)
        assert int(np.argmax(scores)) % 3 == 2  # the rewarded family for segment s2
        _, heavy = vw.explain(probe, int(np.argmax(scores)), top=3)
        assert len(heavy) == 3 and any("*" in name for name, _ in heavy)


def test_regcbopt_keeps_a_floor_under_every_eligible_action():
    config = VWConfig(exploration="regcbopt", epsilon=0.04, interactions=("cm", "cn"))
    world = _world(600, seed=3)
    with VWLearner(config, seed=0) as vw:
        vw.set_actions(ACTIONS)
        probs = _run(vw, 0, 600, world)
    late = probs[-1]
    assert late.max() > 0.9  # it does commit ...
    for p in probs:  # ... yet never below the floor, so the log stays evaluable off-policy
        assert p.min() >= 0.04 / len(p) - 1e-12


def test_regcbopt_learns_only_with_a_cost_range_that_holds_the_rewards():
    """VW's own range (costs 0 to 1) cannot hold a reward of 1 (cost -1): RegCB-opt then
    learns nothing; the declared range is what makes it learn."""
    world = _world(1500, seed=2)
    _, seg, _shared, eligible = world
    tail = range(1000, 1500)

    def tail_reward(**rng: float) -> float:
        config = VWConfig(exploration="regcbopt", interactions=("cm", "cn"), **rng)
        with VWLearner(config, seed=0) as vw:
            vw.set_actions(ACTIONS)
            probs = _run(vw, 0, 1500, world)
        return float(np.mean([sum(p[j] * _reward(seg[i], int(eligible[i][j]))
                                  for j in range(len(p)))
                              for i, p in zip(tail, probs[1000:], strict=True)]))

    declared, vw_default = tail_reward(), tail_reward(cost_min=0.0, cost_max=1.0)
    assert declared > vw_default + 0.3, (declared, vw_default)


def test_regcb_fields_stay_out_of_other_explorations_fingerprints():
    # checkpoints written before RegCB-opt existed carry fingerprints without these fields
    for exploration in ("epsilon", "squarecb", "bag"):
        assert "cost_min" not in VWConfig(exploration=exploration).fingerprint()
    regcb = VWConfig(exploration="regcbopt")
    assert regcb.fingerprint() != VWConfig(exploration="regcbopt", cost_min=-2.0).fingerprint()


def test_a_learner_with_the_history_left_out_never_reads_it():
    """Catches the contact history ``h`` reaching VW (in learning, in predicting or in the
    explanation) when ``history = "left_out"``: the learner then acts the same whatever
    ``h`` holds, where one that keeps it does not."""
    rng, seg, shared, eligible = _world(300, seed=4)
    with_h = [{**s, "h": {"contacts_7d": float(i % 5)}} for i, s in enumerate(shared)]
    probe = {"c": {"seg": "s1", "x": 0.5}, "h": {"contacts_7d": 4.0}}

    def run(history: str, sets: list[dict]) -> list[np.ndarray]:
        with VWLearner(VWConfig(interactions=("cm", "hm"), history=history), seed=0) as vw:
            vw.set_actions(ACTIONS)
            return [*_run(vw, 0, 300, (rng, seg, sets, eligible)),
                    np.array([vw.explain(probe, 0)[0]])]

    for a, b in zip(run("left_out", with_h), run("left_out", shared), strict=True):
        np.testing.assert_array_equal(a, b)
    kept = zip(run("kept", with_h), run("kept", shared), strict=True)
    assert any(not np.array_equal(a, b) for a, b in kept)


def test_the_history_setting_stays_out_of_the_default_fingerprint():
    assert "history" not in VWConfig().fingerprint()
    assert '"history": "left_out"' in VWConfig(history="left_out").fingerprint()
    with pytest.raises(PolicyConfigError, match="history: expected one of kept, left_out"):
        VWConfig(history="dropped")
