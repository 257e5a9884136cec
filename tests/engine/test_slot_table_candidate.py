"""Candidates whose features take table slots (``slots = "table"``), and a joint candidate under
Thompson sampling (``thompson``), in the engine: the table and the pool are in the checkpoint,
so a restart and a crash's replay resume bit for bit; a snapshot serves the same estimates in
batch."""

from __future__ import annotations

import numpy as np

from tests.engine.engine_world import PROBES, make_engine, probe
from tests.engine.test_joint_candidate import _stream

TABLE_FIRST = [{"name": "joint", "exploration": "joint", "slots": "table"},
               {"name": "ridge", "exploration": "ridge", "slots": "table"}, "squarecb"]


def test_table_candidates_resume_after_a_restart_and_after_a_crash(tmp_path):
    """Catches a table missing from the checkpoint (the reopened model would give the slots
    again in another order, or none, and its estimates would differ)."""
    with make_engine(tmp_path / "clean", candidates=TABLE_FIRST) as eng:
        _stream(eng, 0, 300)
        tables = {n: eng._selection.learners[n].slot_table() for n in ("joint", "ridge")}
        before = probe(eng)
    assert len(tables["joint"]) > 3 and tables["joint"] == tables["ridge"]
    with make_engine(tmp_path / "clean", candidates=TABLE_FIRST) as again:
        assert again.stats()["replayed_on_start"] == 0
        assert again._selection.learners["joint"].slot_table() == tables["joint"]
        np.testing.assert_array_equal(probe(again), before)
    eng = make_engine(tmp_path / "crash", candidates=TABLE_FIRST, checkpoint_every=100)
    _stream(eng, 0, 350)
    expected = probe(eng)
    eng.log.close()  # a crash: 50 rewards after the last checkpoint
    eng._selection.close()
    with make_engine(tmp_path / "crash", candidates=TABLE_FIRST, checkpoint_every=100) as again:
        assert again.stats()["replayed_on_start"] == 50
        np.testing.assert_array_equal(probe(again), expected)


def test_a_snapshot_of_a_table_candidate_serves_its_estimates_in_batch(tmp_path):
    from engine.candidate_learners import batch_scorer
    from engine.snapshots import learner_from, snapshot_of

    with make_engine(tmp_path, candidates=TABLE_FIRST) as eng:
        _stream(eng, 0, 200)
        joint = eng._selection.learners["joint"]
        spec = eng.options.candidate("joint")
        snap = snapshot_of(joint, eng.catalog, spec.config, learned_seq=200, learner_name="joint")
        want = np.array([joint.estimates(p) for p in PROBES])
        with learner_from(snap, eng.catalog) as served:
            assert served.slot_table() == joint.slot_table()
            np.testing.assert_array_equal([served.estimates(p) for p in PROBES], want)
            np.testing.assert_allclose(batch_scorer(served).scores(PROBES), want, rtol=0,
                                       atol=1e-12)


THOMPSON_FIRST = [{"name": "joint", "exploration": "joint", "thompson": 0.5}, "ridge",
                  "squarecb"]


def test_a_thompson_candidate_resumes_after_a_restart_and_after_a_crash(tmp_path):
    """Catches a pool that the checkpoint does not hold, or that a replay draws otherwise:
    the engine's probabilities after reopening equal the uninterrupted ones."""
    with make_engine(tmp_path / "clean", candidates=THOMPSON_FIRST) as eng:
        _stream(eng, 0, 230)
        before = probe(eng)
    with make_engine(tmp_path / "clean", candidates=THOMPSON_FIRST) as again:
        assert again.stats()["serving_learner"] == "joint"
        np.testing.assert_array_equal(probe(again), before)
    eng = make_engine(tmp_path / "crash", candidates=THOMPSON_FIRST, checkpoint_every=100)
    _stream(eng, 0, 250)  # a pool drawn at 200, after the last checkpoint
    expected = probe(eng)
    eng.log.close()
    eng._selection.close()
    with make_engine(tmp_path / "crash", candidates=THOMPSON_FIRST,
                     checkpoint_every=100) as again:
        assert again.stats()["replayed_on_start"] == 50
        np.testing.assert_array_equal(probe(again), expected)
