"""A suite world that hides context columns (``experiments.worlds.HIDING``) is its scenario's
world with those columns kept from the learners: the same customers, the same expected
rewards, the same context less the hidden columns, and the engine sees none of them."""

from __future__ import annotations

import numpy as np
import pytest

from experiments.errors import SpecError
from experiments.worlds import HIDING, make_world
from experiments.worlds.simulator_world import SimulatorWorld


def test_fatigue_unrecorded_is_fatigue_without_its_record_of_contacts():
    """Catches a hidden column still shown (to the policies or in the engine's contexts), a
    column dropped beside it, or a world that is not the scenario's (other rewards)."""
    assert HIDING["fatigue_unrecorded"] == ("fatigue", ("contact_pressure",))
    shown, full = (make_world(n, seed=0, horizon=300)
                   for n in ("fatigue_unrecorded", "fatigue"))
    assert shown.name == "fatigue_unrecorded"
    names = full.problem.context_names
    assert shown.problem.context_names == tuple(n for n in names if n != "contact_pressure")
    keep = [i for i, n in enumerate(names) if n != "contact_pressure"]
    while not full.done:
        a, b = shown.observe(), full.observe()
        np.testing.assert_array_equal(a.contexts, b.contexts[:, keep])
        np.testing.assert_array_equal(a.expected, b.expected)
        assert all("contact_pressure" not in c for c in shown.engine_contexts(a))
        assert all("contact_pressure" in c for c in full.engine_contexts(b))
        pick = np.zeros(a.refs.size, dtype=np.int64)
        shown.play(pick)
        full.play(pick)
    shown.close()
    full.close()


def test_hiding_a_column_the_scenario_lacks_is_refused_naming_it():
    with pytest.raises(SpecError, match=r"^hidden: .*'no_such_column'"):
        SimulatorWorld("fatigue", horizon=100, batch_size=100, seed=0,
                       hidden=("no_such_column",))
