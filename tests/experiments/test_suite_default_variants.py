"""The suite's variants of the engine's own default (``ridge_fields``, ``joint_fields``,
``extra_candidates`` of the engine contestant): each setting lands on the candidates it names,
both field settings together compose (the second no longer replaces the first's candidates),
and extra candidates come after the default's own."""

from __future__ import annotations

from engine.catalog import Catalog, Message
from experiments.learning_suite.engine_contestant import _default_with

#: two messages of one theme beside one of its own: the actions share a category, so the
#: default is the joint ridge, the ridge and SquareCB
THEMED = Catalog.from_names([Message("m0", theme="t0"), Message("m1", theme="t0"),
                             Message("m2", theme="t1")], ["email"], ["now"], no_contact=False)


def _by_name(candidates: list) -> dict:
    return {c["name"] if isinstance(c, dict) else c: c for c in candidates}


def test_ridge_and_joint_fields_compose_on_the_defaults_candidates():
    got = _by_name(_default_with(THEMED, {"number_scale": "raw"},
                                 {"cross_identity": "unshared"}))
    assert got["joint"]["number_scale"] == "raw"
    assert got["joint"]["cross_identity"] == "unshared"
    assert got["ridge"]["number_scale"] == "raw" and "cross_identity" not in got["ridge"]
    assert got["squarecb"] == "squarecb"  # a VW candidate is left as the default names it


def test_joint_fields_alone_leave_the_ridge_candidate_as_it_was():
    got = _by_name(_default_with(THEMED, {}, {"cross_identity": "unshared"}))
    assert got["joint"]["cross_identity"] == "unshared"
    assert set(got["ridge"]) == {"name", "exploration"}


def test_extra_candidates_follow_the_defaults_own():
    extra = {"name": "regcbopt", "exploration": "regcbopt", "history": "left_out"}
    got = _default_with(THEMED, {}, {}, (extra,))
    assert [c["name"] if isinstance(c, dict) else c for c in got] == [
        "joint", "ridge", "squarecb", "regcbopt"]
    assert got[-1] == extra
