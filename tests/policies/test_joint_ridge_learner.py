"""The joint ridge learner (policies/joint_ridge_learner.py): it learns an attribute's effect from
the actions that share it, its Sherman-Morrison state is the ridge solve, a save resumes it
exactly, the batch scorer reads it, and settings or catalogs it cannot hold are refused naming
the field."""

from __future__ import annotations

import numpy as np
import pytest

from policies.errors import PolicyConfigError, PolicyInputError
from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner, action_columns
from policies.ridge_batch_scorer import RidgeBatchScorer
from policies.ridge_learner import RidgeConfig, RidgeLearner

MESSAGES, CHANNELS = ("m0", "m1", "m2"), ("email", "sms")
#: 3 messages x 2 channels, each with its id (as the engine's action sets carry one)
ACTIONS = [{"m": {"msg": m}, "n": {"ch": c}, "a": {"id": f"{m}/{c}"}}
           for m in MESSAGES for c in CHANNELS]
NEVER_PLAYED = {4, 5}  # message m2 on either channel


def _truth(seg: str, action: int) -> float:
    """Segment a answers sms, segment b email; message m1 adds a little everywhere."""
    channel = CHANNELS[action % 2]
    return (1.0 if (seg == "a") == (channel == "sms") else 0.0) + 0.2 * (action // 2 == 1)


def _teach(learner, rng: np.random.Generator, n: int = 400) -> None:
    played = [a for a in range(len(ACTIONS)) if a not in NEVER_PLAYED]
    for _ in range(n):
        seg = str(rng.choice(["a", "b"]))
        a = int(rng.choice(played))
        learner.learn({"c": {"seg": seg}}, None, a, 0.25, _truth(seg, a) + 0.1 * rng.normal())


def _channel_gap(learner) -> tuple[float, float]:
    """For message m2 (never played): sms minus email, in segment a and in segment b."""
    ea, eb = (learner.estimates({"c": {"seg": s}}) for s in "ab")
    return float(ea[5] - ea[4]), float(eb[5] - eb[4])


def test_a_channels_effect_is_learned_from_the_actions_that_share_it():
    """Catches a learner that does not share what it learns across actions (the disjoint ridge
    scores the never-played message 0 on both channels) or does not cross the channel with
    the context (the same gap in both segments)."""
    with JointRidgeLearner(JointRidgeConfig(dim=8)) as j:
        j.set_actions(ACTIONS)
        _teach(j, np.random.default_rng(0))
        gap_a, gap_b = _channel_gap(j)
    assert gap_a > 0.5 and gap_b < -0.5  # truth: +1 and -1 (the ids take a share: ridge)
    with RidgeLearner(RidgeConfig(dim=8)) as r:  # the same rows, one regression per action
        r.set_actions(ACTIONS)
        _teach(r, np.random.default_rng(0))
        assert max(map(abs, _channel_gap(r))) < 1e-12


def test_with_the_sharing_removed_nothing_carries_over():
    """The test above can fail: actions described by their ids alone share no column, and the
    joint learner then knows nothing of the never-played message's channels."""
    ids_only = [{"a": {"id": s["a"]["id"]}} for s in ACTIONS]
    with JointRidgeLearner(JointRidgeConfig(dim=8)) as j:
        j.set_actions(ids_only)
        _teach(j, np.random.default_rng(0))
        assert max(map(abs, _channel_gap(j))) < 1e-9


#: each action one message (classification as a bandit): the ids are all there is, crossed
ONE_EACH = [{"m": {"msg": f"d{a}"}, "a": {"id": f"d{a}"}} for a in range(6)]


def _random_row(rng: np.random.Generator) -> tuple[dict, int, float]:
    """A context (a number and a segment), one of the six actions, a reward."""
    shared = {"c": {"x": float(rng.normal()), "seg": str(rng.choice(["a", "b"]))}}
    return shared, int(rng.integers(6)), float(rng.normal())


def _dense_phi(j: JointRidgeLearner, shared: dict, a: int) -> np.ndarray:
    """Action ``a``'s joint features in this context, as a dense ``(D,)`` vector."""
    nz, val = j._phi(j.features(shared), a)
    phi = np.zeros(j.joint_dim)
    phi[nz] = val
    return phi


def _teach_beside_the_solve(j: JointRidgeLearner, rng: np.random.Generator, prior: np.ndarray,
                            forget: float = 1.0, rows: int = 300
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Teach ``j`` ``rows`` random rows and return the exact ``(A, b)`` it should hold: the
    prior, every update discounted by ``forget``, the prior's spent share put back once half
    of it is gone (as ``HashedRidge._forget`` documents)."""
    a_mat, b, left = prior.copy(), np.zeros(j.joint_dim), 1.0
    for _ in range(rows):
        shared, a, r = _random_row(rng)
        left *= forget
        a_mat, b = forget * a_mat, forget * b
        if left <= 0.5:
            a_mat += (1.0 - left) * prior
            left = 1.0
        phi = _dense_phi(j, shared, a)
        a_mat += np.outer(phi, phi)
        b += r * phi
        j.learn(shared, None, a, 0.5, r)
    return a_mat, b


@pytest.mark.parametrize("actions, dim", [(ACTIONS, 9 * 6 + 6), (ONE_EACH, 9 * 7)])
def test_the_sherman_morrison_state_is_the_ridge_solve(actions, dim):
    """Catches a wrong rank-one update of the inverse or of the weights (drift from the exact
    solve of l2 I + sum phi phi^T against sum r phi), and a layout that is not the documented
    one (shared columns crossed, ids of described actions as constants, other ids crossed)."""
    cfg = JointRidgeConfig(dim=8, l2=0.5)
    rng = np.random.default_rng(1)
    with JointRidgeLearner(cfg) as j:
        j.set_actions(actions)
        assert j.joint_dim == dim
        a_mat, b = _teach_beside_the_solve(j, rng, cfg.l2 * np.eye(j.joint_dim))
        np.testing.assert_allclose(j._theta, np.linalg.solve(a_mat, b), rtol=0, atol=1e-9)
        np.testing.assert_allclose(j._ainv, np.linalg.inv(a_mat), rtol=0, atol=1e-9)


def test_forgetting_weights_each_reward_forget_to_its_age_and_resumes(tmp_path):
    """At forget 0.98 (a temporary 0.9 for the first 40 updates) the state is the solve with
    each reward weighted by the product of the factors after it and the penalty ``l2`` times
    the product since it was last put back (once it fell to half). Catches the discount left
    out, applied to ``b`` and not ``A^-1`` (or the reverse), the penalty never put back or
    put back whole, the weights not recomputed after it, or a save losing the temporary
    factor or the penalty left."""
    cfg = JointRidgeConfig(dim=8, l2=0.5, forget=0.98)
    rng = np.random.default_rng(4)
    j = JointRidgeLearner(cfg)
    j.set_actions(ACTIONS)
    j.forget_for(0.9, 40)
    a_mat, b, left = cfg.l2 * np.eye(j.joint_dim), np.zeros(j.joint_dim), 1.0
    for i in range(300):
        shared, a, r = _random_row(rng)
        f = 0.9 if i < 40 else 0.98
        left *= f
        a_mat, b = f * a_mat, f * b
        if left <= 0.5:
            a_mat += (1.0 - left) * cfg.l2 * np.eye(j.joint_dim)
            left = 1.0
        phi = _dense_phi(j, shared, a)
        a_mat += np.outer(phi, phi)
        b += r * phi
        j.learn(shared, None, a, 0.5, r)
        if i == 20:
            j.save(tmp_path / "m")
            j = JointRidgeLearner(cfg, model_path=tmp_path / "m")
            j.set_actions(ACTIONS)
            assert j.forget == 0.9 and j.forget_updates_left == 19
    assert j.forget == 0.98 and 0.5 < left < 1.0
    np.testing.assert_allclose(j._theta, np.linalg.solve(a_mat, b), rtol=0, atol=1e-9)
    np.testing.assert_allclose(j._ainv, np.linalg.inv(a_mat), rtol=0, atol=1e-8)
    assert "forget" not in JointRidgeConfig().fingerprint()
    with pytest.raises(PolicyConfigError, match=r"^forget:"):
        JointRidgeConfig(forget=0.0)


def test_a_saved_model_resumes_with_identical_probabilities(tmp_path):
    """Catches state left out of the file (inverse, weights, reward count: gamma) or a model
    loaded for other actions or settings."""
    with JointRidgeLearner(JointRidgeConfig(dim=8)) as j:
        j.set_actions(ACTIONS)
        _teach(j, np.random.default_rng(2), n=150)
        j.save(tmp_path / "m")
        probes = [{"c": {"seg": s}} for s in "ab"]
        before = [j.probabilities(p) for p in probes]
        j.learn(probes[0], None, 1, 0.5, 1.0)
        after_one = j.probabilities(probes[0])
    with JointRidgeLearner(JointRidgeConfig(dim=8), model_path=tmp_path / "m") as again:
        again.set_actions(ACTIONS)
        assert again.rewards_learned == 150
        for p, want in zip(probes, before, strict=True):
            np.testing.assert_array_equal(again.probabilities(p), want)
        again.learn(probes[0], None, 1, 0.5, 1.0)
        np.testing.assert_array_equal(again.probabilities(probes[0]), after_one)
    with pytest.raises(PolicyInputError, match=r"^actions"):
        JointRidgeLearner(JointRidgeConfig(dim=8), model_path=tmp_path / "m").set_actions(
            ACTIONS[:4])
    with pytest.raises(PolicyConfigError, match=r"^model_path"):
        JointRidgeLearner(JointRidgeConfig(dim=16), model_path=tmp_path / "m")


@pytest.mark.parametrize("actions", [ACTIONS, ONE_EACH])
def test_the_batch_scorer_equals_the_learners_estimates(actions):
    """Catches effective weights that differ from the learner's own estimates (a column, the
    per-action constants, or the context's constant misplaced)."""
    rng = np.random.default_rng(3)
    with JointRidgeLearner(JointRidgeConfig(dim=8)) as j:
        j.set_actions(actions)
        for _ in range(200):
            shared = {"c": {"x": float(rng.normal()), "seg": str(rng.choice(["a", "b", "c"]))}}
            a = int(rng.integers(6))
            j.learn(shared, None, a, 0.5, float(rng.normal()) + a * shared["c"]["x"])
        batch = [{"c": {"x": float(rng.normal()), "seg": str(rng.choice(["a", "b", "c"]))}}
                 for _ in range(100)] + [{}]
        own = np.array([j.estimates(s) for s in batch])
        assert own.std(axis=0).min() > 0.05  # it learned something per customer
        np.testing.assert_allclose(RidgeBatchScorer(j).scores(batch), own, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kwargs, field", [
    ({"dim": 12}, "dim"), ({"dim": 512}, "dim"), ({"l2": 0.0}, "l2"),
    ({"gamma_scale": -1.0}, "gamma_scale"), ({"gamma_exponent": 2.0}, "gamma_exponent"),
    ({"max_dim": 10}, "max_dim"), ({"dim": True}, "dim"),
    ({"numbers_describe": 1}, "numbers_describe"), ({"cross_identity": "every"}, "cross_identity"),
    ({"cross_identity": None}, "cross_identity"),
])
def test_bad_settings_are_refused_naming_the_field(kwargs, field):
    with pytest.raises(PolicyConfigError, match=f"^{field}:"):
        JointRidgeConfig(**kwargs)


def test_a_catalog_too_large_for_max_dim_is_refused_naming_it():
    """Catches a model sized past its cap (a D x D inverse that does not fit)."""
    many = [{"m": {"msg": f"m{i}"}} for i in range(80)]  # 80 ids, each crossed: 17 x 81
    with JointRidgeLearner(JointRidgeConfig(dim=16, max_dim=2048)) as j:
        j.set_actions(many)
        assert j.joint_dim == 17 * 81
    with pytest.raises(PolicyConfigError, match=r"^max_dim: .* = 1377 to be at most 1024"):
        JointRidgeLearner(JointRidgeConfig(dim=16, max_dim=1024)).set_actions(many)


def test_columns_that_split_the_actions_alike_are_kept_once():
    names, z = action_columns([{"m": {"msg": "a"}, "a": {"id": "a/web"}, "n": {"ch": "web"}},
                               {"m": {"msg": "b"}, "a": {"id": "b/web"}, "n": {"ch": "web"}}])
    assert names == ["m:msg=a", "m:msg=b"]  # the id repeats the message, the channel is constant
    assert z.tolist() == [[1.0, 0.0], [0.0, 1.0]]


def _own_weights(j: JointRidgeLearner, actions: list) -> np.ndarray:
    """The weights a context does not enter: those an empty context's features reach (the
    context's constant crossed with each column, and the actions' constants)."""
    own = np.zeros(j.joint_dim, dtype=bool)
    for a in range(len(actions)):
        own |= _dense_phi(j, {}, a) != 0
    return own


@pytest.mark.parametrize("forget", [1.0, 0.98])
def test_a_penalty_on_the_own_effects_is_the_ridge_solve_with_that_prior(forget):
    """``own_l2`` puts its penalty on the actions' own effects and ``l2`` on the rest, from the
    start and each time forgetting puts the prior back. Catches the penalty on other weights,
    a scalar prior put back by forgetting, or a vector solve that is not ``(A + diag(c))^-1``."""
    cfg = JointRidgeConfig(dim=8, l2=0.5, own_l2=3.0, forget=forget)
    rng = np.random.default_rng(7)
    with JointRidgeLearner(cfg) as j:
        j.set_actions(ACTIONS)
        own = _own_weights(j, ACTIONS)
        assert 0 < own.sum() < j.joint_dim
        prior = np.diag(np.where(own, cfg.own_l2, cfg.l2))
        a_mat, b = _teach_beside_the_solve(j, rng, prior, forget)
        np.testing.assert_allclose(j._theta, np.linalg.solve(a_mat, b), rtol=0, atol=1e-9)
        np.testing.assert_allclose(j._ainv, np.linalg.inv(a_mat), rtol=0, atol=1e-8)
    assert "own_l2" not in JointRidgeConfig().fingerprint()  # folders made before it open
    assert '"own_l2": 3.0' in cfg.fingerprint()
    with pytest.raises(PolicyConfigError, match=r"^own_l2:"):
        JointRidgeConfig(own_l2=-1.0)


def _priced(unit: float) -> list[dict]:
    """ACTIONS with each message's margin in a unit (1: euros, 100: cents)."""
    margins = {"m0": 12.0, "m1": 20.0, "m2": 30.0}
    return [{**a, "m": {**a["m"], "margin": margins[a["m"]["msg"]] * unit}} for a in ACTIONS]


@pytest.mark.parametrize("scale, same", [("max", True), ("raw", False)])
def test_scaled_attributes_give_the_same_estimates_in_any_unit(scale, same):
    """``attribute_scale = "max"``: a margin in cents learns what one in euros does. Catches a
    numeric attribute that enters at its raw size (then the penalty is per cent, and the
    estimates move with the unit: the ``raw`` case, which shows the test can fail)."""
    est = []
    for unit in (1.0, 100.0):
        with JointRidgeLearner(JointRidgeConfig(dim=8, l2=1.0, attribute_scale=scale)) as j:
            j.set_actions(_priced(unit))
            _teach(j, np.random.default_rng(3), n=200)
            est.append(np.array([j.estimates({"c": {"seg": s}}) for s in "ab"]))
    assert np.allclose(est[0], est[1], rtol=0, atol=1e-9) == same
    assert np.abs(est[0]).max() > 0.3  # it learned something


def test_without_action_constants_an_action_is_the_sum_of_its_attributes():
    """``action_constants = False``: no action has a constant of its own, so a channel's gap is
    the same for every message. Catches a constant left in (with it, the rows learn the
    channel gap of m0 apart from m1's: the default case below)."""
    gaps = []
    for constants in (False, True):
        with JointRidgeLearner(JointRidgeConfig(dim=8, action_constants=constants)) as j:
            j.set_actions(ACTIONS)
            rng = np.random.default_rng(5)
            for _ in range(300):  # sms pays for m0 only: an interaction of message and channel
                a = int(rng.integers(4))
                j.learn({}, None, a, 0.25, float(a == 1) + 0.05 * rng.normal())
            e = j.estimates({})
            gaps.append((e[1] - e[0], e[3] - e[2], j.joint_dim))
    (m0, m1, small), (c0, c1, large) = gaps
    assert abs(m0 - m1) < 1e-9 and large - small == len(ACTIONS)
    assert c0 - c1 > 0.3
    assert "action_constants" not in JointRidgeConfig().fingerprint()
    with pytest.raises(PolicyConfigError, match=r"^action_constants:"):
        JointRidgeConfig(action_constants=1)  # type: ignore[arg-type]
    with pytest.raises(PolicyConfigError, match=r"^attribute_scale:"):
        JointRidgeConfig(attribute_scale="cents")


#: One message per action, each with a margin (a number every action carries): the margins
#: are not in the order of what the messages pay to either kind of customer.
MARGINS = [{"m": {"msg": m, "margin": margin}, "a": {"id": f"{m}/web"}}
           for m, margin in (("m0", 10.0), ("m1", 20.0), ("m2", 30.0), ("m3", 40.0))]


def _margins_teach(learner, rng: np.random.Generator, n: int = 800) -> None:
    """Customers with x = 1 answer m0 and m2, those with x = 0 answer m1 and m3."""
    for _ in range(n):
        x, a = float(rng.integers(0, 2)), int(rng.integers(0, 4))
        pays = (a % 2 == 0) == (x == 1.0)
        learner.learn({"c": {"x": x}}, None, a, 0.25, float(pays) + 0.1 * rng.normal())


def test_a_shared_number_leaves_each_message_its_own_response_to_the_context():
    """Catches a layout that counts a margin as describing the messages: each message then
    answers the context only through its margin (one slope per slot times the margin), which
    cannot rank m0 and m2 first for one customer and m1 and m3 for the other."""
    with JointRidgeLearner(JointRidgeConfig(dim=8)) as j:
        j.set_actions(MARGINS)
        _margins_teach(j, np.random.default_rng(0))
        one, zero = (j.estimates({"c": {"x": x}}) for x in (1.0, 0.0))
    assert set(np.argsort(one)[-2:]) == {0, 2} and set(np.argsort(zero)[-2:]) == {1, 3}
    assert min(one[[0, 2]]) > max(one[[1, 3]]) + 0.5


def test_a_model_saved_under_the_earlier_layout_still_opens(tmp_path, monkeypatch):
    """A checkpoint written before stop 21 (the margin counted as describing the messages)
    resumes with its own layout and estimates; a fresh model takes the new one."""
    from dataclasses import replace

    import policies.joint_ridge_learner as jrl

    layout = jrl._layout

    def earlier(names, z, config):  # what set_actions computed before stop 21, unasked
        return layout(names, z, replace(config, numbers_describe=True))

    with monkeypatch.context() as m:
        m.setattr(jrl, "_layout", earlier)
        with JointRidgeLearner(JointRidgeConfig(dim=8)) as old:
            old.set_actions(MARGINS)
            _margins_teach(old, np.random.default_rng(1), n=100)
            old.save(tmp_path / "old")
            want, old_dim = old.estimates({"c": {"x": 1.0}}), old.joint_dim
    with JointRidgeLearner(JointRidgeConfig(dim=8), model_path=tmp_path / "old") as again:
        again.set_actions(MARGINS)
        np.testing.assert_array_equal(again.estimates({"c": {"x": 1.0}}), want)
        assert again.joint_dim == old_dim
    with JointRidgeLearner(JointRidgeConfig(dim=8)) as fresh:
        fresh.set_actions(MARGINS)
        assert fresh.joint_dim > old_dim  # each message's own column crossed now
    with JointRidgeLearner(JointRidgeConfig(dim=8, numbers_describe=True)) as asked:
        asked.set_actions(MARGINS)  # the earlier layout, asked for
        assert asked.joint_dim == old_dim


#: One message per action, two themes of two messages each (one channel, one timing).
THEMES = [{"m": {"msg": m, "theme": t}, "n": {"ch": "web"}, "a": {"id": f"{m}/web"}}
          for m, t in (("m0", "t0"), ("m1", "t0"), ("m2", "t1"), ("m3", "t1"))]


def _themes_teach(learner, rng: np.random.Generator, n: int = 800) -> None:
    """Within each theme, customers with x = 1 answer the first message, those with x = 0 the
    second: a theme says nothing of whom its messages suit."""
    for _ in range(n):
        x, a = float(rng.integers(0, 2)), int(rng.integers(0, 4))
        pays = (a % 2 == 0) == (x == 1.0)
        learner.learn({"c": {"x": x}}, None, a, 0.25, float(pays) + 0.1 * rng.normal())


@pytest.mark.parametrize("cross_identity, told", [("untold", True), ("unshared", False)])
def test_messages_that_share_a_theme_keep_their_own_response_to_the_context(cross_identity,
                                                                            told):
    """Catches the layout before stop 23: two messages of one theme, each its own action,
    had only their theme's response to the context (and a constant each), so neither
    customer could be told which message of a theme suits them."""
    with JointRidgeLearner(JointRidgeConfig(dim=8, cross_identity=cross_identity)) as j:
        j.set_actions(THEMES)
        _themes_teach(j, np.random.default_rng(0))
        one, zero = (j.estimates({"c": {"x": x}}) for x in (1.0, 0.0))
        crossed = [c for c in j._columns if not c.endswith("(constant)")]
    right = bool(min(one[[0, 2]]) > max(one[[1, 3]]) + 0.5
                 and min(zero[[1, 3]]) > max(zero[[0, 2]]) + 0.5)
    assert right is told
    assert ("m:msg=m0" in crossed) is told


def test_actions_their_shared_categories_tell_apart_keep_a_constant_only():
    """Catches identities crossed where the message, channel and timing already tell each
    action apart (the disjoint model, at a dimension growing with the actions); an action
    that shares nothing is crossed whatever the setting."""
    for setting in ("untold", "unshared"):
        with JointRidgeLearner(JointRidgeConfig(dim=8, cross_identity=setting)) as j:
            j.set_actions(ACTIONS)  # 3 messages x 2 channels
            assert j.joint_dim == 9 * (5 + 1) + 6
    mixed = [*THEMES[:3], {"m": {"msg": "m9"}, "n": {"ch": "sms"}, "a": {"id": "m9/sms"}}]
    with JointRidgeLearner(JointRidgeConfig(dim=8)) as j:
        j.set_actions(mixed)  # m2, the one web message outside t0, is told apart
        constants = [c for c in j._columns if c.endswith("(constant)")]
    assert constants == ["m:msg=m2 (constant)"]  # its id repeats the message


def test_identities_whose_crosses_pass_max_dim_stay_constants():
    """Catches a catalog refused (or a model past its cap) because the identities' crosses
    do not fit: 60 messages in 2 themes at dim 16 would be 17 x 63 = 1071 weights."""
    many = [{"m": {"msg": f"m{i}", "theme": f"t{i % 2}"}} for i in range(60)]
    with JointRidgeLearner(JointRidgeConfig(dim=16, max_dim=1024)) as j:
        j.set_actions(many)
        assert j.joint_dim == 17 * 3 + 60
    with JointRidgeLearner(JointRidgeConfig(dim=16, max_dim=2048)) as j:
        j.set_actions(many)
        assert j.joint_dim == 17 * 63


def test_a_model_saved_before_stop_23_opens_with_its_layout(tmp_path):
    """A checkpoint written under the layout of stops 21-22 (its fingerprint without
    ``cross_identity``) resumes with its own columns and estimates; a fresh model takes the
    new layout."""
    default = JointRidgeConfig(dim=8)
    with JointRidgeLearner(JointRidgeConfig(dim=8, cross_identity="unshared")) as old:
        old.set_actions(THEMES)
        _themes_teach(old, np.random.default_rng(1), n=100)
        old.save(tmp_path / "old")
        want, old_dim = old.estimates({"c": {"x": 1.0}}), old.joint_dim
    with np.load(tmp_path / "old", allow_pickle=False) as z:
        files = {k: z[k] for k in z.files}
    files["config"] = np.array(default.fingerprint())  # as written then
    with open(tmp_path / "before", "wb") as f:
        np.savez(f, **files)
    with JointRidgeLearner(default, model_path=tmp_path / "before") as again:
        again.set_actions(THEMES)
        np.testing.assert_array_equal(again.estimates({"c": {"x": 1.0}}), want)
        assert again.joint_dim == old_dim
    with JointRidgeLearner(default) as fresh:
        fresh.set_actions(THEMES)
        assert fresh.joint_dim > old_dim
    assert "cross_identity" not in default.fingerprint()


#: Two messages x two channels whose pairs answer the context differently: customers with
#: x = 1 answer m0 by email and m1 by sms, those with x = 0 the other two pairs.
CROSSED_PAIRS = [{"m": {"msg": m}, "n": {"ch": c}, "a": {"id": f"{m}/{c}"}}
                 for m in ("m0", "m1") for c in ("email", "sms")]


def _pairs_teach(learner, rng: np.random.Generator, n: int = 1200) -> None:
    for _ in range(n):
        x, a = float(rng.integers(0, 2)), int(rng.integers(0, 4))
        pays = (a in (0, 3)) == (x == 1.0)  # m0/email and m1/sms for x = 1
        learner.learn({"c": {"x": x}}, None, a, 0.25, float(pays) + 0.1 * rng.normal())


@pytest.mark.parametrize("cross_identity, learns", [("always", True), ("untold", False)])
def test_every_identity_crossed_learns_a_response_its_attributes_do_not_add_up_to(
        cross_identity, learns):
    """Under ``"always"`` each action's own column is crossed with the context, so a response
    that the message's and the channel's crosses cannot sum to (here an exclusive or) is
    learned; under the default's layout it cannot be."""
    with JointRidgeLearner(JointRidgeConfig(dim=8, cross_identity=cross_identity)) as j:
        j.set_actions(CROSSED_PAIRS)
        _pairs_teach(j, np.random.default_rng(0))
        one, zero = (j.estimates({"c": {"x": x}}) for x in (1.0, 0.0))
    right = bool(min(one[[0, 3]]) > max(one[[1, 2]]) + 0.5
                 and min(zero[[1, 2]]) > max(zero[[0, 3]]) + 0.5)
    assert right is learns


def test_every_identity_crossed_falls_back_to_the_default_layout_past_max_dim():
    """Catches ``"always"`` refusing a catalog (or passing its cap) where the identities'
    crosses do not fit: it keeps the default's layout there."""
    with JointRidgeLearner(JointRidgeConfig(dim=8, cross_identity="always")) as j:
        j.set_actions(ACTIONS)  # 3 messages x 2 channels: 5 categories and 6 identities
        assert j.joint_dim == 9 * (5 + 6 + 1)
    with JointRidgeLearner(JointRidgeConfig(dim=8, cross_identity="always", max_dim=64)) as j:
        j.set_actions(ACTIONS)
        assert j.joint_dim == 9 * (5 + 1) + 6
