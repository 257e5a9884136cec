"""Low-rank customer x action: a customer is 3 hidden tastes, an action 3 hidden appeals, and
the chance of a conversion is a logistic of their product. The context shows the tastes only
through 10 noisy mixtures; actions come in 6 themes (their appeals cluster by theme), and the
theme is an attribute every learner sees (the Engine as the message's ``theme``).

Example:
    >>> w = LowRank(horizon=100, batch_size=50, seed=0)
    >>> b = w.observe()
    >>> b.expected.shape, bool(((b.expected > 0) & (b.expected < 1)).all())
    ((50, 30), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments.worlds.world import EngineSetup, TabularWorld, engine_rules_open
from policies import Problem

__all__ = ["LowRank"]


class LowRank(TabularWorld):
    """30 actions in 6 themes; P(convert) = sigmoid(-1.5 + 1.5 u.v_a); 1 per conversion."""

    name = "low_rank"
    rank = 3
    n_themes = 6
    per_theme = 5
    n_features = 10

    def _problem(self) -> Problem:
        r, t = self.rank, self.n_themes
        centres = self.rng.normal(0.0, 1.0, (t, r))
        self._theme = np.repeat(np.arange(t), self.per_theme)
        self._v = centres[self._theme] + self.rng.normal(0.0, 0.3, (self._theme.size, r))
        self._mix = self.rng.normal(0.0, 1.0, (r, self.n_features))
        k = self._theme.size
        feats = np.hstack([np.eye(t)[self._theme], np.eye(k)])
        names = (*(f"theme{j}" for j in range(t)), *(f"is_a{a}" for a in range(k)))
        return Problem(context_names=tuple(f"x{j}" for j in range(self.n_features)),
                       action_names=tuple(f"t{self._theme[a]}_a{a}" for a in range(k)),
                       action_features=feats, action_feature_names=names)

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = refs.size
        u = self.rng.standard_normal((n, self.rank))
        x = u @ self._mix + self.rng.normal(0.0, 0.7, (n, self.n_features))
        p = 1.0 / (1.0 + np.exp(1.5 - 1.5 * (u @ self._v.T)))
        realised = (self.rng.random((n, 1)) < p).astype(np.float64)
        return x, np.ones(p.shape, dtype=bool), p, realised

    def engine_setup(self) -> EngineSetup:
        from engine.catalog import Catalog, Message

        msgs = [Message(name, theme=f"theme{self._theme[a]}")
                for a, name in enumerate(self.problem.action_names)]
        return EngineSetup(Catalog.from_names(msgs, ["web"], ["now"], no_contact=False),
                           engine_rules_open(), self.engine_options())

    def action_feature_dicts(self) -> list[dict[str, Any]]:
        return [{"id": name, "theme": f"theme{self._theme[a]}"}
                for a, name in enumerate(self.problem.action_names)]
