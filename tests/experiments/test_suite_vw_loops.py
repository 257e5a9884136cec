"""The suite's plain VW loops: RegCB-opt learns only with the cost range declared (stop 30)."""

from __future__ import annotations

from experiments.learning_suite.contestants import learner
from experiments.learning_suite.suite_cell import SuiteCell, run_suite_cell


def test_regcb_opt_learns_with_the_cost_range_declared_and_not_with_vws_default():
    # measured on per_action_linear, 3,000 decisions, seeds 0-2 (docs/engine.md, stop 30):
    # declared 0.87, VW's default range [0, 1] 0.18 (the suite's costs are at most 0)
    declared = run_suite_cell(SuiteCell("per_action_linear", learner(
        "vw regcb-opt costs declared"), seed=0, horizon=3000))
    default = run_suite_cell(SuiteCell("per_action_linear", learner("vw regcb-opt"), seed=0,
                                       horizon=3000))
    assert declared["capture"] > 0.7, declared
    assert default["capture"] < 0.4, default


def test_the_loop_on_the_engines_features_reads_the_engines_namespaces_and_learns():
    # stop 45: the loop beside the Engine's RegCB-opt on the Engine's own feature sets, which
    # must be what the Engine's candidates read (action_feature_sets), crossed by the arguments
    import pytest

    from engine.features import action_feature_sets
    from experiments.errors import SpecError
    from experiments.learning_suite.vw_loop import VWLoop
    from experiments.worlds import make_world
    from policies.vw_format import action_line

    world = make_world("per_action_linear", seed=0, horizon=3000)
    spec = learner("vw regcb-opt costs declared engine features")
    with VWLoop(world, spec.params["args"], seed=0, features="engine") as loop:
        setup = world.engine_setup()
        assert loop._lines == [action_line(s) for s in action_feature_sets(
            setup.catalog, bool(setup.options.get("prune_features", False)))]
        assert loop._shared_ns == "c"
    with pytest.raises(SpecError, match="features: expected one of suite, engine"):
        VWLoop(world, spec.params["args"], seed=0, features="engines")
    # measured 0.74, 0.88, 0.94 on seeds 0-2 (the suite's own features: 0.88, 0.84, 0.87)
    cell = run_suite_cell(SuiteCell("per_action_linear", spec, seed=0, horizon=3000))
    assert cell["capture"] > 0.6, cell
