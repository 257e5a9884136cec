"""A saved engine model (its latest checkpoint) as the target policy, replayed on a log.

The engine's export keeps, per decision, the shared features its learner saw (``features``), so
the checkpointed Vowpal Wabbit model can say what it would have played on every logged row. Only
the checkpoint is read (nothing in ``state_dir`` is written, so a serving engine's folder is safe)
and rewards logged after it are not replayed: the target is the model as saved.

Example:
    >>> from experiments.ope.engine_model import engine_model_probabilities
    >>> engine_model_probabilities.__name__
    'engine_model_probabilities'
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ope.errors import OPEInputError
from ope.readers.logged_decisions import LoggedDecisions

__all__ = ["engine_model_probabilities"]


def engine_model_probabilities(log: LoggedDecisions, catalog: str | Path,
                               state_dir: str | Path, **options: Any) -> np.ndarray:
    """(n, K) distribution of the engine model checkpointed in ``state_dir`` on each logged row.

    Args:
        log: logged decisions read from the engine's export (with ``learner_features``).
        catalog: the catalog TOML the engine runs with (its actions and ``[engine]`` options).
        state_dir: the engine's state folder (only its checkpoint is read).
        **options: overrides of the catalog's ``[engine]`` options, as for ``Engine``.

    Raises:
        OPEInputError: no features in the log, no or a mismatched checkpoint, or a catalog whose
            size differs from the log's.
    """
    from engine.config import load_config
    from engine.checkpoint import CheckpointStore
    from engine.engine import FEATURES_VERSION
    from engine.errors import EngineError
    from engine.features import action_feature_sets
    from engine.options import EngineOptions
    from policies.vw_learner import VWLearner

    if log.learner_features is None:
        raise OPEInputError("the log has no learner features (the engine export's features "
                            "column); a saved engine model can only be replayed on its export")
    try:
        cat, _, settings = load_config(catalog)
        config = EngineOptions.from_dict({**settings, **options}).learner
        store = CheckpointStore(state_dir)
        info = store.latest()
        if info is None:
            raise OPEInputError(f"no engine checkpoint in {str(state_dir)!r}")
        store.check(info, config.fingerprint(), cat.version, FEATURES_VERSION)
    except EngineError as exc:
        raise OPEInputError(f"saved engine model: {exc}") from exc
    k = len(cat.actions)
    if k != log.n_actions:
        raise OPEInputError(f"the catalog has {k} actions but the log has {log.n_actions}; "
                            "read the export with n_actions equal to the catalog's size")
    probs = np.zeros((log.n, k))
    with VWLearner(config, seed=0, model_path=store.model_path(info)) as learner:
        learner.set_actions(action_feature_sets(cat))
        for i, shared in enumerate(log.learner_features):  # VW predicts one example at a time
            eligible = np.flatnonzero(log.eligible[i])
            probs[i, eligible] = (1.0 if eligible.size == 1 else
                                  learner.probabilities(json.loads(shared), eligible))
    return probs
