"""Which learner a candidate's configuration builds: a Vowpal Wabbit learner for a
:class:`~policies.vw_config.VWConfig`, the closed-form ridge learner for a
:class:`~policies.ridge_learner.RidgeConfig` (``candidates = [..., "ridge"]``); and the refusal
for the places that need a VW model (the fleet's snapshots, replicas and learner loop).

Example:
    >>> from policies.ridge_learner import RidgeConfig
    >>> type(new_learner(RidgeConfig(dim=16))).__name__
    'RidgeLearner'
    >>> require_vw("ridge", RidgeConfig(), "a fleet snapshot")  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    engine.errors.UnsupportedCandidateError: candidates: 'ridge' is a ridge candidate; a fleet
        snapshot needs a Vowpal Wabbit candidate (serve it from an embedded Engine, or list a VW
        candidate first)
"""

from __future__ import annotations

import os

from engine.errors import UnsupportedCandidateError
from policies.ridge_learner import RidgeConfig, RidgeLearner
from policies.vw_config import VWConfig
from policies.vw_learner import VWLearner

__all__ = ["CandidateConfig", "CandidateLearner", "new_learner", "require_vw"]

CandidateConfig = VWConfig | RidgeConfig
CandidateLearner = VWLearner | RidgeLearner


def new_learner(config: CandidateConfig, *, seed: int = 0,
                model_path: str | os.PathLike | None = None) -> CandidateLearner:
    """The learner of ``config``, fresh or resumed from ``model_path`` (written by its
    ``save``)."""
    if isinstance(config, RidgeConfig):
        return RidgeLearner(config, seed=seed, model_path=model_path)
    return VWLearner(config, seed=seed, model_path=model_path)


def require_vw(name: str, config: CandidateConfig, where: str) -> VWConfig:
    """``config`` if it is a VW learner's, else a typed refusal naming candidate ``name``.

    Raises:
        UnsupportedCandidateError: ``config`` is not a :class:`VWConfig`.
    """
    if not isinstance(config, VWConfig):
        raise UnsupportedCandidateError(
            f"candidates: {name!r} is a {config.exploration} candidate; {where} needs a Vowpal "
            f"Wabbit candidate (serve it from an embedded Engine, or list a VW candidate first)")
    return config
