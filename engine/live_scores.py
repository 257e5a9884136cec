"""Every action's estimated reward from the serving learner, for priced live ``choose``.

VW's ``--cb_explore_adf`` returns probabilities, not scores, so priced ``choose`` reads the
scores from the weights with the campaign's batch scorer
(:class:`policies.vw_batch_scorer.VWBatchScorer`). The scorer caches one column per shared
feature; it is rebuilt when the serving learner changes and every ``rescore_every`` learned
rewards, so a priced score lags the model by fewer learns than that (a column first met after a
rebuild reads the weights as they are then). The ridge candidate gives its estimates directly.
Scores are on the business scale (the serving learner's reward scale multiplied back), where the
prices are.

Example:
    >>> from policies.vw_config import VWConfig
    >>> from policies.vw_learner import VWLearner
    >>> with VWLearner(VWConfig(interactions=("cm",)), seed=0) as vw:
    ...     vw.set_actions([{"m": {"msg": "a"}}, {"m": {"msg": "b"}}])
    ...     vw.learn({"c": {"x": 1.0}}, [0, 1], chosen=1, probability=0.5, reward=1.0)
    ...     live = LiveScores(rescore_every=100)
    ...     s = live.scores(vw, 1.0, learned_seq=1, shared=[{"c": {"x": 1.0}}])
    ...     s.shape, bool(s[0, 1] > s[0, 0]), live.rebuilds
    ((1, 2), True, 1)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engine.candidate_learners import CandidateLearner
from engine.day_forecast import ForecastRows
from policies.joint_ridge_learner import JointRidgeLearner
from policies.ridge_learner import RidgeLearner
from policies.vw_batch_scorer import VWBatchScorer
from policies.vw_format import FeatureSet
from policies.vw_learner import VWLearner

__all__ = ["LiveScores"]


class LiveScores:
    """The serving learner's scores, with a VW weight-column cache per model version.

    Args:
        rescore_every: learned rewards after which the VW scorer is rebuilt.
    """

    def __init__(self, rescore_every: int) -> None:
        self.rescore_every = rescore_every
        self.rebuilds = 0  # how many times the VW scorer was (re)built
        self._scorer: VWBatchScorer | None = None
        self._learner: CandidateLearner | None = None
        self._built_seq = 0
        self._designs: tuple[object, tuple] | None = None  # (the forecast's rows, its design)

    def scores(self, learner: CandidateLearner, scale: float, learned_seq: int,
               shared: Sequence[FeatureSet]) -> np.ndarray:
        """(n, K) float64: every action's estimated reward for each shared feature set.

        Args:
            learner: the serving learner (its actions set).
            scale: its reward scale (scores are multiplied by it).
            learned_seq: how far the engine has learned (the model's version).
            shared: the customers' shared feature sets.
        """
        if isinstance(learner, RidgeLearner | JointRidgeLearner):
            return scale * np.stack([learner.estimates(s) for s in shared]) if shared \
                else np.zeros((0, learner.n_actions))
        scorer = self._vw(learner, learned_seq)
        if len(shared) == 1:  # one customer's choose: no matrix set-up
            return scale * scorer.score_one(shared[0])[None, :]
        return scale * scorer.scores(shared)

    def forecast_scores(self, learner: CandidateLearner, scale: float, learned_seq: int,
                        rows: ForecastRows) -> np.ndarray:
        """(m, K): :meth:`scores` of a day's forecast; for VW its feature matrix is built once
        per forecast and kept (the rows do not change within the day, the weights do)."""
        if isinstance(learner, RidgeLearner | JointRidgeLearner) or not rows.shared:
            return self.scores(learner, scale, learned_seq, rows.shared)
        scorer = self._vw(learner, learned_seq)
        if self._designs is None or self._designs[0] is not rows:
            self._designs = (rows, scorer.design(rows.shared))
        return scale * scorer.scores_of(*self._designs[1])

    def _vw(self, learner: VWLearner, learned_seq: int) -> VWBatchScorer:
        """The VW scorer, rebuilt for a new learner and every ``rescore_every`` learns."""
        if (self._scorer is None or learner is not self._learner
                or learned_seq - self._built_seq >= self.rescore_every
                or learned_seq < self._built_seq):
            self._scorer = VWBatchScorer(learner)
            self._learner, self._built_seq = learner, learned_seq
            self.rebuilds += 1
        return self._scorer
