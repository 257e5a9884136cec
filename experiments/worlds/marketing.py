"""A 54-action marketing world: 6 messages x 3 channels x 3 timings, customers with 4 hidden
traits (price sensitivity, email and mobile affinity, evening habit) seen only through 6 noisy
numbers and a segment. A conversion is worth the message's margin less its discount; each send
costs its channel's cost, so the expected reward of a triple can be negative.

Example:
    >>> w = Marketing(horizon=100, batch_size=50, seed=0)
    >>> b = w.observe()
    >>> b.expected.shape, w.engine_setup().catalog.n_actions
    ((50, 54), 54)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments.worlds.world import EngineSetup, TabularWorld, engine_rules_open
from policies import Problem

__all__ = ["Marketing"]

# name, theme, offer type, discount, margin
_MESSAGES = (("welcome10", "welcome", "discount", 0.10, 18.0),
             ("winback20", "winback", "discount", 0.20, 22.0),
             ("vip_access", "loyalty", "early_access", 0.0, 30.0),
             ("new_arrivals", "news", "none", 0.0, 14.0),
             ("flash_sale", "sale", "discount", 0.30, 26.0),
             ("free_ship", "service", "free_shipping", 0.05, 16.0))
_CHANNELS = (("email", 0.01), ("sms", 0.08), ("push", 0.0))
_TIMINGS = ("morning", "afternoon", "evening")
_SEGMENTS = ("bargain", "loyal", "mobile", "dormant")


class Marketing(TabularWorld):
    """P(convert) = sigmoid(-4 + base + traits . (message + channel + timing affinities))."""

    name = "marketing54"
    n_traits = 4
    n_numbers = 6

    def _problem(self) -> Problem:
        r = self.n_traits
        m, c, t = len(_MESSAGES), len(_CHANNELS), len(_TIMINGS)
        self._aff = [self.rng.normal(0.0, 0.6, (n, r)) for n in (m, c, t)]
        self._base = [self.rng.normal(0.0, 0.3, n) for n in (m, c, t)]
        self._mix = self.rng.normal(0.0, 1.0, (r, self.n_numbers))
        grid = np.indices((m, c, t)).reshape(3, -1)
        self._idx = grid  # (3, 54): message, channel, timing of each action
        self._value = np.array([mg * (1 - d) for _, _, _, d, mg in _MESSAGES])[grid[0]]
        self._cost = np.array([cost for _, cost in _CHANNELS])[grid[1]]
        feats = np.hstack([np.eye(m)[grid[0]], np.eye(c)[grid[1]], np.eye(t)[grid[2]]])
        names = (*(f"msg={x[0]}" for x in _MESSAGES), *(f"ch={x[0]}" for x in _CHANNELS),
                 *(f"tm={x}" for x in _TIMINGS))
        actions = tuple(f"{_MESSAGES[i][0]}/{_CHANNELS[j][0]}/{_TIMINGS[k]}"
                        for i, j, k in grid.T)
        ctx = (*(f"x{j}" for j in range(self.n_numbers)), *(f"segment={s}" for s in _SEGMENTS))
        return Problem(context_names=ctx, action_names=actions, action_features=feats,
                       action_feature_names=names)

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n = refs.size
        z = self.rng.standard_normal((n, self.n_traits))
        x = z @ self._mix + self.rng.normal(0.0, 1.0, (n, self.n_numbers))
        seg = (z[:, 0] > 0).astype(int) + 2 * (z[:, 1] > 0)
        logit = np.full((n, self._idx.shape[1]), -4.0)
        for part, aff, base in zip(self._idx, self._aff, self._base, strict=True):
            logit += (z @ aff.T + base)[:, part]
        p = 1.0 / (1.0 + np.exp(-logit))
        convert = self.rng.random((n, 1)) < p
        realised = convert * self._value - self._cost
        expected = p * self._value - self._cost
        ctx = np.hstack([x, np.eye(len(_SEGMENTS))[seg]])
        return ctx, np.ones(p.shape, dtype=bool), expected, realised

    def engine_setup(self) -> EngineSetup:
        from engine.catalog import Catalog, Channel, Message

        msgs = [Message(n, theme=th, offer_type=o, discount=d, margin=mg)
                for n, th, o, d, mg in _MESSAGES]
        chans = [Channel(n, cost=cost) for n, cost in _CHANNELS]
        catalog = Catalog.from_names(msgs, chans, list(_TIMINGS), no_contact=False)
        return EngineSetup(catalog, engine_rules_open(), self.engine_options())

    def action_feature_dicts(self) -> list[dict[str, Any]]:
        out = []
        for a, (i, j, k) in enumerate(self._idx.T):
            n, th, o, d, mg = _MESSAGES[i]
            out.append({"id": self.problem.action_names[a], "msg": n, "theme": th, "offer": o,
                        "discount": d, "margin": mg, "ch": _CHANNELS[j][0],
                        "cost": _CHANNELS[j][1], "tm": _TIMINGS[k]})
        return out
