"""Which learner a candidate's configuration builds, and which batch scorer reads it: a Vowpal
Wabbit learner (:class:`~policies.vw_batch_scorer.VWBatchScorer`) for a
:class:`~policies.vw_config.VWConfig`, the closed-form ridge learner
(:class:`~policies.ridge_batch_scorer.RidgeBatchScorer`) for a
:class:`~policies.ridge_learner.RidgeConfig` (``candidates = [..., "ridge"]``), the joint ridge
learner (:class:`~policies.joint_ridge_learner.JointRidgeConfig`, ``"joint"``; the same batch
scorer, over its effective per-action weights). Every place that
opens a saved engine model (checkpoints, fleet snapshots, campaigns) goes through here, so each
serves either kind.

Example:
    >>> from policies.ridge_learner import RidgeConfig
    >>> with new_learner(RidgeConfig(dim=16)) as ridge:
    ...     ridge.set_actions([{"m": {"msg": "a"}}, {"m": {"msg": "b"}}])
    ...     type(ridge).__name__, type(batch_scorer(ridge)).__name__
    ('RidgeLearner', 'RidgeBatchScorer')
"""

from __future__ import annotations

import os

from policies.joint_ridge_learner import JointRidgeConfig, JointRidgeLearner
from policies.ridge_batch_scorer import RidgeBatchScorer
from policies.ridge_learner import RidgeConfig, RidgeLearner
from policies.vw_batch_scorer import VWBatchScorer
from policies.vw_config import VWConfig
from policies.vw_learner import VWLearner

__all__ = ["BatchScorer", "CandidateConfig", "CandidateLearner", "batch_scorer", "new_learner"]

CandidateConfig = VWConfig | RidgeConfig | JointRidgeConfig
CandidateLearner = VWLearner | RidgeLearner | JointRidgeLearner
BatchScorer = VWBatchScorer | RidgeBatchScorer


def new_learner(config: CandidateConfig, *, seed: int = 0,
                model_path: str | os.PathLike | None = None) -> CandidateLearner:
    """The learner of ``config``, fresh or resumed from ``model_path`` (written by its
    ``save``)."""
    if isinstance(config, RidgeConfig):
        return RidgeLearner(config, seed=seed, model_path=model_path)
    if isinstance(config, JointRidgeConfig):
        return JointRidgeLearner(config, seed=seed, model_path=model_path)
    return VWLearner(config, seed=seed, model_path=model_path)


def batch_scorer(learner: CandidateLearner) -> BatchScorer:
    """Batch prediction of ``learner`` (actions set): ``scores(shared_sets)`` gives the
    ``(n, K)`` estimated rewards on the scale it learned, one matrix product per batch.

    Raises:
        PolicyConfigError: the learner has no actions set, or (VW) an interaction the batch
            scorer cannot split.
    """
    if isinstance(learner, RidgeLearner | JointRidgeLearner):
        return RidgeBatchScorer(learner)
    return VWBatchScorer(learner)
