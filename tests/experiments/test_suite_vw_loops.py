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
