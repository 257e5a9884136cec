"""A saved engine model (its latest checkpoint) as the target policy, replayed on a log.

The engine's export keeps, per decision, the shared features its learner saw (``features``), so
the checkpointed Vowpal Wabbit model can say what it would have played on every logged row. Only
the checkpoint is read (nothing in ``state_dir`` is written, so a serving engine's folder is safe)
and rewards logged after it are not replayed: the target is the model as saved.

The models are opened by :func:`engine.checkpoint.load_models`, from the same checkpoint the
engine starts from, and replayed as the engine decides with them: the serving candidate's
distribution, with the challengers on trial mixed in at their saved share when the engine runs a
trial (``selection.trial_share``), so what is evaluated is what decided.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> from engine import Engine
    >>> from ope import read_parquet_log
    >>> tmp = tempfile.TemporaryDirectory()
    >>> catalog, state = Path(tmp.name) / "catalog.toml", Path(tmp.name) / "state"
    >>> _ = catalog.write_text('[[messages]]\\nname = "a"\\n[[channels]]\\nname = "email"\\n'
    ...                        '[[timings]]\\nname = "now"\\nrule = "now"\\n[rules]\\n'
    ...                        'consent_required = false\\nquiet_hours = false\\n')
    >>> with Engine.from_catalog(catalog, state_dir=state) as eng:  # checkpoints on close
    ...     for i in range(40):  # the email pays, no contact does not
    ...         d = eng.choose(f"c{i}", {"x": i % 3})
    ...         _ = eng.reward(d.decision_id, float(d.is_contact))
    ...     _ = eng.export_parquet(Path(tmp.name) / "log.parquet")
    >>> log = read_parquet_log(Path(tmp.name) / "log.parquet", n_actions=2)
    >>> probs = engine_model_probabilities(log, catalog, state)  # columns: email, no contact
    >>> probs.shape, round(float(probs[:, 0].min()), 3)  # the saved model learned to send
    ((40, 2), 0.998)
    >>> tmp.cleanup()
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from engine.checkpoint import load_models
from engine.config import load_config
from engine.errors import EngineError
from engine.options import EngineOptions
from ope import LoggedDecisions, OPEInputError

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
    if log.learner_features is None:
        raise OPEInputError("the log has no learner features (the engine export's features "
                            "column); a saved engine model can only be replayed on its export")
    try:
        cat, _, settings = load_config(catalog)
        saved = load_models(state_dir, cat, EngineOptions.from_dict({**settings, **options}),
                            required=True)
    except EngineError as exc:
        raise OPEInputError(f"saved engine model: {exc}") from exc
    k = len(cat.actions)
    try:
        if k != log.n_actions:
            raise OPEInputError(f"the catalog has {k} actions but the log has {log.n_actions};"
                                " read the export with n_actions equal to the catalog's size")
        selection = saved.selection()
        probs = np.zeros((log.n, k))
        for i, shared in enumerate(log.learner_features):  # VW predicts one example at a time
            eligible = np.flatnonzero(log.eligible[i])
            probs[i, eligible] = (1.0 if eligible.size == 1 else
                                  selection.probabilities(json.loads(shared), eligible))
    finally:
        saved.close()
    return probs
