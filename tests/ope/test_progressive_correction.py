"""A later reward replaces a row's reward in a progressive estimate (stop 48): the decision
counts once, at its new total, scored on the target it was scored on when first added."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ope.estimators.moments import Moments
from ope.estimators.paired import PairedDifference
from ope.estimators.progressive import CORRECTABLE_ROWS as CORRECTABLE
from ope.estimators.progressive import ProgressiveValue

K = 4


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)),
              elements=st.floats(-1e3, 1e3)),
       st.data())
def test_replacing_a_row_gives_the_moments_of_the_rows_with_it_replaced(x, data):
    i = data.draw(st.integers(0, x.shape[0] - 1))
    new = data.draw(arrays(np.float64, x.shape[1], elements=st.floats(-1e3, 1e3)))
    got = Moments.of(x).replaced(x[i], new)
    y = x.copy()
    y[i] = new
    want = Moments.of(y)
    assert got.n == want.n
    np.testing.assert_allclose(got.mean, want.mean, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(got.comoment, want.comoment, rtol=1e-7, atol=1e-3)


def _log(seed: int, n: int = 600):
    """A logger uniform over K actions; action a converts with probability (a + 1) / 10; the
    target's distributions vary by row."""
    rng = np.random.default_rng(seed)
    actions = rng.integers(0, K, n)
    rewards = (rng.random(n) < (actions + 1) / 10).astype(float)
    targets = rng.dirichlet(np.ones(K), n)
    return actions, rewards, targets


def _value(actions, rewards, targets, **kw) -> ProgressiveValue:
    v = ProgressiveValue(K, block_rows=100, **kw)
    for i, (a, r, t) in enumerate(zip(actions, rewards, targets, strict=True)):
        v.add(i + 1, int(a), 1.0 / K, float(r), t)
    return v


def test_ips_with_later_conversions_equals_ips_with_each_total_from_the_start():
    actions, rewards, targets = _log(0)
    late = np.flatnonzero(rewards)[::2]  # half the conversions come after a provisional 0
    first = rewards.copy()
    first[late] = 0.0
    v = _value(actions, first, targets)
    assert all(v.correct(int(i) + 1, 1.0) for i in late)
    got, want = v.results()["ips"], _value(actions, rewards, targets).results()["ips"]
    assert got.n == want.n == len(actions)  # each decision once, not once more per conversion
    assert got.value == pytest.approx(want.value, rel=1e-12)
    assert got.ci == pytest.approx(want.ci, rel=1e-9)
    assert v.results()["ips"].value > _value(actions, first, targets).results()["ips"].value


@pytest.mark.parametrize("estimator", ["dr", "dr_cv"])
def test_the_last_rows_correction_equals_that_row_added_with_its_total(estimator):
    # the reward model of later rows read the old reward, so only the last row compares exactly
    actions, rewards, targets = _log(1)
    rewards[-1] = 1.0
    first = rewards.copy()
    first[-1] = 0.0
    v = _value(actions, first, targets)
    assert v.correct(len(actions), 1.0)
    got, want = v.results()[estimator], _value(actions, rewards, targets).results()[estimator]
    assert (got.n, got.value) == (want.n, pytest.approx(want.value, rel=1e-9))
    assert got.ci == pytest.approx(want.ci, rel=1e-6)


def test_a_correction_stays_in_the_block_of_its_decision():
    actions, rewards, targets = _log(2)
    v = _value(actions, rewards * 0.0, targets)
    recent = v.results(since=501)["ips"]
    assert v.correct(10, 1.0)  # a decision of the first block
    assert v.results(since=501)["ips"] == recent
    assert v.results()["ips"].value > 0.0


def test_a_row_no_longer_kept_is_not_corrected_and_nothing_changes():
    actions, rewards, targets = _log(3, n=50)
    v = _value(actions, rewards * 0.0, targets, correctable_rows=20)
    before = v.results()
    assert not v.correct(5, 1.0)  # 45 rows ago: gone
    assert not v.correct(999, 1.0)  # never added
    assert v.results() == before
    assert v.correct(45, 1.0)  # 5 rows ago: kept


def test_a_paired_difference_corrects_both_distributions_as_scored():
    actions, rewards, targets = _log(4)
    reference = np.full(K, 1.0 / K)
    late = np.flatnonzero(rewards)[1::2]
    first = rewards.copy()
    first[late] = 0.0

    def paired(values):
        d = PairedDifference(K)
        for i, (a, r, t) in enumerate(zip(actions, values, targets, strict=True)):
            d.add(i + 1, int(a), 1.0 / K, float(r), t, reference)
        return d

    d = paired(first)
    assert all(d.correct(int(i) + 1, 1.0) for i in late)
    got, want = d.results()["ips"], paired(rewards).results()["ips"]
    assert (got.n, got.value) == (want.n, pytest.approx(want.value, rel=1e-12))


def test_kept_rows_grow_then_wrap_and_each_is_found_until_it_is_overwritten():
    actions, rewards, targets = _log(5, n=3000)
    v = _value(actions, rewards * 0.0, targets, correctable_rows=2500)
    v.results()  # rows are kept as they are folded in: a read folds the last 56 buffered
    assert v._kept.seq.size == 2500  # grown from 1024 by doubling, up to the size
    assert not v.correct(500, 1.0)  # overwritten by rows 2501..3000
    assert all(v.correct(seq, 1.0) for seq in (501, 1024, 1025, 2500, 2501, 3000))
    assert v.results()["ips"].n == 3000


def test_a_buffered_row_is_corrected_before_it_is_kept_and_kept_at_its_new_reward():
    actions, rewards, targets = _log(6, n=130)  # 64 rows folded, 64 more, 2 buffered
    rewards[-1] = 1.0
    first = rewards.copy()
    first[-1] = 0.0
    v = _value(actions, first, targets)
    assert v.correct(130, 1.0)  # in the buffer: no kept slot yet
    want = _value(actions, rewards, targets)
    assert v.results() == want.results()
    assert v.correct(130, 0.0) and want.correct(130, 0.0)  # kept at 1.0 once folded in
    assert v.results() == want.results()


@pytest.mark.parametrize("kept", [CORRECTABLE, 700])  # all rows kept; wrapped round
def test_kept_rows_saved_and_restored_correct_as_if_never_saved(kept):
    actions, rewards, targets = _log(7, n=1000)
    late = np.flatnonzero(rewards)
    first = rewards.copy()
    first[late] = 0.0
    whole = _value(actions[:900], first[:900], targets[:900], correctable_rows=kept)
    saved = ProgressiveValue.from_state(whole.to_state())
    saved.restore_kept_rows(whole.kept_rows())
    took = []
    for v in (whole, saved):  # 100 more rows after the restart, then every conversion
        for i in range(900, 1000):
            v.add(i + 1, int(actions[i]), 1.0 / K, float(first[i]), targets[i])
        took.append([v.correct(int(i) + 1, 1.0) for i in late])
    assert saved.n_kept == whole.n_kept == min(kept + 36, 1000)  # 36 rows still buffered
    assert took[0] == took[1]
    assert all(took[0]) == (kept == CORRECTABLE) and any(took[0])
    assert saved.results() == whole.results()


@pytest.mark.parametrize(("arrays", "match"), [
    ({"seq": [3, 2], "action": [0, 0], "terms": np.ones((2, 4)), "reward": [0, 0]},
     "increasing seq"),
    ({"seq": [1, 2], "action": [0], "terms": np.ones((2, 4)), "reward": [0, 0]},
     "increasing seq"),
    ({"seq": [1, 2], "action": [0, 0], "reward": [0, 0]}, "expected arrays seq"),
])
def test_malformed_kept_rows_are_refused_and_nothing_is_kept(arrays, match):
    from ope.errors import OPEInputError

    v = ProgressiveValue(K)
    with pytest.raises(OPEInputError, match=match):
        v.restore_kept_rows({k: np.asarray(a) for k, a in arrays.items()})
    assert v.n_kept == 0
    v.add(1, 0, 0.5, 0.0, np.full(K, 1.0 / K))
    with pytest.raises(OPEInputError, match="no row added"):
        v.restore_kept_rows(v.kept_rows())

