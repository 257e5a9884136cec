"""A catalog world whose shape is drawn by its seed: a held-out family, so that a default is
judged on worlds nobody tuned it to (each seed is a different world, not a different draw of one).

The seed draws the catalog (2-8 messages in 1-4 themes x 1-3 channels x 1-3 timings), the
context (2-20 numbers, of which 0-4 carry a noisy view of three hidden customer traits and the
rest are noise, some of them on a euro scale in the thousands and skewed; 1-3 categorical keys
of 2-6 levels, of which the first, ``segment``, moves the traits and the messages' appeal on 7
seeds of 10 and otherwise says nothing), the rewards (a conversion at a base rate of
0.7-15 %, worth 1, or on half the seeds an order of 10-200 euros (log-normal) less the channel's
cost) and their delays (none, or geometric with a mean of 20-300 decisions).

Example:
    >>> w = RandomCatalog(horizon=100, batch_size=50, seed=0)
    >>> b = w.observe()
    >>> b.expected.shape[1] == w.engine_setup().catalog.n_actions == w.problem.n_actions
    True
    >>> RandomCatalog(horizon=100, batch_size=50, seed=1).describe() != w.describe()
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments.worlds.world import EngineSetup, TabularWorld, engine_rules_open
from policies import Problem

__all__ = ["RandomCatalog"]

_TIMINGS = ("morning", "afternoon", "evening")
_TRAITS = 3


def _key_name(q: int) -> str:
    """The first key is the customer's ``segment`` (segment rules read it), the others ``k1``..."""
    return "segment" if q == 0 else f"k{q}"


class RandomCatalog(TabularWorld):
    """P(convert) = sigmoid(base + traits . (message + channel + timing affinities) + key's
    appeal of the message); the traits are hidden, seen through noisy numbers and the key."""

    name = "random_catalog"

    def _problem(self) -> Problem:
        g = self.rng
        m, c, t = int(g.integers(2, 9)), int(g.integers(1, 4)), int(g.integers(1, 4))
        if m * c * t < 4:  # a bandit of two or three arms says little about a catalog
            m = 4
        self._sizes = (m, c, t)
        self._theme = g.integers(0, int(g.integers(1, 5)), m)
        theme_aff = g.normal(0.0, 0.5, (self._theme.max() + 1, _TRAITS))
        self._aff = [theme_aff[self._theme] + g.normal(0.0, 0.4, (m, _TRAITS)),
                     *(g.normal(0.0, 0.5, (n, _TRAITS)) for n in (c, t))]
        self._base = [g.normal(0.0, 0.3, n) for n in (m, c, t)]
        self._logit0 = float(np.log(rate := g.uniform(0.007, 0.15)) - np.log1p(-rate))
        self._numbers(g)
        self._keys(g, m)
        self._revenue = bool(g.random() < 0.5)
        self._value = g.uniform(10.0, 200.0, m) if self._revenue else np.ones(m)
        self._cost = (g.uniform(0.0, 0.02, c) * self._value.mean() if self._revenue
                      else np.zeros(c))
        self._mean_delay = 0.0 if g.random() < 0.5 else float(g.uniform(20.0, 300.0))
        self._idx = np.indices((m, c, t)).reshape(3, -1)  # message, channel, timing per action
        feats = np.hstack([np.eye(n)[part] for n, part in zip((m, c, t), self._idx, strict=True)])
        names = (*(f"msg=m{i}" for i in range(m)), *(f"ch=c{j}" for j in range(c)),
                 *(f"tm={x}" for x in self._timing_names()))
        ctx = (*(f"n{j}" for j in range(self._mix.shape[1])),
               *(f"{_key_name(q)}=v{v}" for q, n in enumerate(self._levels) for v in range(n)))
        return Problem(context_names=ctx, action_names=tuple(self._action_names()),
                       action_features=feats, action_feature_names=names)

    def _numbers(self, g: np.random.Generator) -> None:
        """Numbers: a few noisy views of the traits, the rest noise; some on a euro scale."""
        d = int(g.integers(2, 21))
        informative = g.permutation(d)[:int(g.integers(0, min(4, d) + 1))]
        self._mix = np.zeros((_TRAITS, d))
        self._mix[:, informative] = g.normal(0.0, 1.0, (_TRAITS, informative.size))
        self._euros = np.where(g.random(d) < 0.3, 10.0 ** g.uniform(1.0, 3.0, d), 0.0)

    def _keys(self, g: np.random.Generator, m: int) -> None:
        """Categorical keys; the first moves the traits and the messages' appeal, or nothing."""
        self._levels = g.integers(2, 7, int(g.integers(1, 4)))
        self._key_matters = bool(g.random() < 0.7)
        scale = 1.0 if self._key_matters else 0.0
        self._key_shift = scale * g.normal(0.0, 1.0, (self._levels[0], _TRAITS))
        self._key_appeal = scale * g.normal(0.0, 0.8, (self._levels[0], m))

    def _timing_names(self) -> tuple[str, ...]:
        return ("now",) if self._sizes[2] == 1 else _TIMINGS[:self._sizes[2]]

    def _action_names(self) -> list[str]:
        tm = self._timing_names()
        return [f"m{i}/c{j}/{tm[k]}" for i, j, k in self._idx.T]

    def describe(self) -> dict[str, Any]:
        """The world this seed drew, in words a table can print."""
        m, c, t = self._sizes
        return {"actions": m * c * t, "messages": m, "channels": c, "timings": t,
                "numbers": self._mix.shape[1],
                "informative_numbers": int((self._mix != 0).any(axis=0).sum()),
                "euro_numbers": int((self._euros > 0).sum()),
                "keys": self._levels.tolist(), "key_matters": self._key_matters,
                "base_rate": round(float(1.0 / (1.0 + np.exp(-self._logit0))), 4),
                "revenue": self._revenue, "mean_delay": round(self._mean_delay, 1)}

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        g, n = self.rng, refs.size
        levels = [g.integers(0, q, n) for q in self._levels]
        z = g.standard_normal((n, _TRAITS)) + self._key_shift[levels[0]]
        raw = z @ self._mix + g.normal(0.0, 1.0, (n, self._mix.shape[1]))
        numbers = np.where(self._euros > 0, self._euros * np.exp(0.5 * raw), raw)
        logit = np.full((n, self._idx.shape[1]), self._logit0)
        for part, aff, base in zip(self._idx, self._aff, self._base, strict=True):
            logit += (z @ aff.T + base)[:, part]
        logit += self._key_appeal[levels[0]][:, self._idx[0]]
        p = 1.0 / (1.0 + np.exp(-logit))
        value, cost = self._value[self._idx[0]], self._cost[self._idx[1]]
        # an order's size is log-normal around its message's value (sigma 0.5: mean kept)
        size = (np.exp(g.normal(-0.125, 0.5, p.shape)) if self._revenue else 1.0)
        realised = (g.random(p.shape) < p) * value * size - cost
        onehots = [np.eye(q)[lv] for q, lv in zip(self._levels, levels, strict=True)]
        ctx = np.hstack([numbers, *onehots])
        return ctx, np.ones(p.shape, dtype=bool), p * value - cost, realised

    def _delays(self, refs: np.ndarray) -> np.ndarray:
        if not self._mean_delay:
            return np.zeros(refs.size, dtype=np.int64)
        return self.rng.geometric(1.0 / self._mean_delay, refs.size).astype(np.int64)

    def engine_setup(self) -> EngineSetup:
        from engine.catalog import Catalog, Channel, Message

        m, c, _ = self._sizes
        msgs = [Message(f"m{i}", theme=f"theme{int(self._theme[i])}",
                        margin=float(self._value[i]) if self._revenue else 0.0)
                for i in range(m)]
        chans = [Channel(f"c{j}", cost=float(self._cost[j])) for j in range(c)]
        catalog = Catalog.from_names(msgs, chans, list(self._timing_names()), no_contact=False)
        return EngineSetup(catalog, engine_rules_open(), self.engine_options())

    def action_feature_dicts(self) -> list[dict[str, Any]]:
        tm = self._timing_names()
        return [{"id": name, "msg": f"m{i}", "theme": f"theme{int(self._theme[i])}",
                 "ch": f"c{j}", "tm": tm[k]}
                for name, (i, j, k) in zip(self._action_names(), self._idx.T, strict=True)]
