"""The example catalog (``engine/catalogs/example.toml``: 4 messages x 3 channels x 4 timings
plus no contact, segment- and tenure-restricted messages, consent per channel) served as it is
through the Engine, with 0/1 rewards: a contact converts with probability 8-33 % (by segment x
message, age x channel and spend x timing), no contact with 4 %.

This is the live case of issue 12: a fresh engine that trusts its first handful of zeros ends up
preferring no contact. The Engine runs with the file's rules and ``[engine]`` table (holdout
set to 0, so every decision is the learner's); each decision is a new customer, in daytime, so
the frequency caps and quiet hours never bind (SMS's daily capacity can).

Example:
    >>> w = ExampleCatalog(horizon=100, batch_size=50, seed=0)
    >>> b = w.observe()
    >>> b.expected.shape, bool(b.eligible[:, -1].all()), float(b.expected[:, -1].max())
    ((50, 49), True, 0.04)
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import numpy as np

from experiments.worlds.world import T0, EngineSetup, TabularWorld
from policies import Problem

__all__ = ["ExampleCatalog"]

_SEGMENTS = ("new", "active", "vip", "lapsed")
_SEGMENT_SHARE = (0.3, 0.4, 0.1, 0.2)
_CONSENT_SHARE = (0.9, 0.6, 0.7)  # email, sms, push
_PER_DAY = 6000  # decisions a day, 6 s apart from 09:00 (so none falls in quiet hours)


def _config() -> tuple[Any, Any, dict[str, Any]]:
    from engine.config import load_config

    return load_config(files("engine") / "catalogs" / "example.toml")


class ExampleCatalog(TabularWorld):
    """The example catalog with 0/1 rewards (see the module docstring)."""

    name = "example_catalog"

    def _problem(self) -> Problem:
        self._catalog, self._rules, self._settings = _config()
        cat = self._catalog
        m, c, t = len(cat.messages), len(cat.channels), len(cat.timings)
        self._aff = (self.rng.normal(0.0, 1.2, (len(_SEGMENTS), m)),
                     self.rng.normal(0.0, 1.0, (3, c)), self.rng.normal(0.0, 0.8, (2, t)))
        k = cat.n_actions
        contact = np.arange(k) != cat.no_contact_index
        msg, ch, tm = cat.action_message, cat.action_channel, cat.action_timing
        feats = np.hstack([np.eye(m)[msg] * contact[:, None], np.eye(c)[ch] * contact[:, None],
                           np.eye(t)[tm] * contact[:, None], (~contact)[:, None].astype(float)])
        names = (*(f"msg={x.name}" for x in cat.messages), *(f"ch={x.name}" for x in cat.channels),
                 *(f"tm={x.name}" for x in cat.timings), "no_contact")
        ctx = (*(f"segment={s}" for s in _SEGMENTS), "tenure_days", "age", "spend",
               *(f"consent_{x.name}" for x in cat.channels))
        return Problem(context_names=ctx, action_names=tuple(a.name for a in cat.actions),
                       action_features=feats, action_feature_names=names,
                       no_contact_action=cat.no_contact_index)

    def clock(self, ref: int) -> float:
        day, i = divmod(int(ref), _PER_DAY)
        return T0 + day * 86_400.0 + i * 6.0

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        n, cat = refs.size, self._catalog
        seg = self.rng.choice(len(_SEGMENTS), size=n, p=_SEGMENT_SHARE)
        tenure = np.where(seg == 0, self.rng.integers(0, 60, n), self.rng.integers(60, 1500, n))
        age = self.rng.integers(18, 80, n).astype(float)
        spend = np.round(self.rng.lognormal(4.0, 0.8, n), 2)
        consent = self.rng.random((n, 3)) < _CONSENT_SHARE
        k, nc = cat.n_actions, cat.no_contact_index
        msg, ch, tm = (v[:nc] for v in (cat.action_message, cat.action_channel,
                                        cat.action_timing))
        seg_names = np.array(_SEGMENTS)[seg]
        msg_ok = np.stack([(np.isin(seg_names, m.segments) if m.segments else np.ones(n, bool))
                           & (tenure >= m.min_tenure_days) for m in cat.messages], axis=1)
        eligible = np.ones((n, k), dtype=bool)
        eligible[:, :nc] = msg_ok[:, msg] & consent[:, ch]
        age_b = (age >= 40).astype(int) + (age >= 60)
        spend_b = (spend >= np.exp(4.0)).astype(int)
        s_aff, c_aff, t_aff = self._aff
        logit = s_aff[seg][:, msg] + c_aff[age_b][:, ch] + t_aff[spend_b][:, tm]
        expected = np.full((n, k), 0.04)
        expected[:, :nc] = 0.08 + 0.25 / (1.0 + np.exp(-logit))
        realised = (self.rng.random((n, 1)) < expected).astype(np.float64)
        ctx = np.column_stack([np.eye(len(_SEGMENTS))[seg], tenure, age, spend, consent])
        return ctx, eligible, expected, realised

    def engine_setup(self) -> EngineSetup:
        options = {**self._settings, "holdout_fraction": 0.0}
        return EngineSetup(self._catalog, self._rules, options)
