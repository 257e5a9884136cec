"""The action catalog: every (message, channel, timing) triple, plus *no contact*.

Action ``k`` for message ``m``, channel ``c`` and timing ``t`` is ``k = (m * C + c) * T + t``;
the no-contact action, when allowed, is the last one. This layout lets the world compute the
whole (N, K) reward matrix as an (N, M, C, T) broadcast without any gather.

Example:
    >>> from simulator.scenario import load_scenario
    >>> cat = Catalog.from_scenario(load_scenario("baseline"))
    >>> cat.n_actions, cat.action_names[0], cat.action_names[cat.no_contact_action]
    (201, 'welcome10/email/now', 'no_contact')
    >>> cat.action_features.shape == (cat.n_actions, len(cat.action_feature_names))
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.scenario import Scenario

__all__ = ["NO_CONTACT", "Catalog"]

NO_CONTACT = "no_contact"


def _unique(values: list[str]) -> tuple[str, ...]:
    """Distinct values in order of first appearance."""
    return tuple(dict.fromkeys(values))


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Catalog:
    """What can be sent: names, observable action features and per-part lookups.

    Attributes:
        messages, channels, timings: names of the parts, in order.
        themes, offers: distinct message themes and offer types, in order.
        action_names: (K,) ``"message/channel/timing"`` names (as the engine names actions), plus
            ``"no_contact"``.
        action_features: (K, F) float64 observable attributes of each action.
        action_feature_names: (F,) their names.
        message_of, channel_of, timing_of: (K,) int64 part index of each action; -1 for no contact.
        no_contact_action: index of the no-contact action, or None.
        channel_cost: (C,) cost per send of each channel.
        theme_of_message, offer_of_message: (M,) int64 indices into themes / offers.
        discount, margin: (M,) float64 per message.
        available_from_hour: (M,) float64 hour from which each message may be sent.
    """

    messages: tuple[str, ...]
    channels: tuple[str, ...]
    timings: tuple[str, ...]
    themes: tuple[str, ...]
    offers: tuple[str, ...]
    action_names: tuple[str, ...]
    action_features: np.ndarray
    action_feature_names: tuple[str, ...]
    message_of: np.ndarray
    channel_of: np.ndarray
    timing_of: np.ndarray
    no_contact_action: int | None
    channel_cost: np.ndarray
    theme_of_message: np.ndarray
    offer_of_message: np.ndarray
    discount: np.ndarray
    margin: np.ndarray
    available_from_hour: np.ndarray

    @property
    def n_actions(self) -> int:
        """K, the number of actions."""
        return len(self.action_names)

    @property
    def n_contact_actions(self) -> int:
        """M * C * T, the number of actions that send something."""
        return len(self.messages) * len(self.channels) * len(self.timings)

    @classmethod
    def from_scenario(cls, sc: Scenario) -> Catalog:
        """Build the catalog of a scenario.

        Args:
            sc: the scenario.

        Returns:
            The catalog (arrays are read-only).
        """
        msgs, chans, tims = sc.messages, sc.channels, sc.timings
        n_m, n_c, n_t = len(msgs), len(chans), len(tims)
        themes = _unique([m.theme for m in msgs])
        offers = _unique([m.offer for m in msgs])
        mm, cc, tt = (a.ravel() for a in np.meshgrid(np.arange(n_m), np.arange(n_c),
                                                     np.arange(n_t), indexing="ij"))
        names = [f"{msgs[m].name}/{chans[c].name}/{tims[t].name}"
                 for m, c, t in zip(mm, cc, tt, strict=True)]
        nc = None
        if sc.allow_no_contact:
            nc = len(names)
            names.append(NO_CONTACT)
            mm, cc, tt = (np.append(a, -1) for a in (mm, cc, tt))
        theme_of = np.array([themes.index(m.theme) for m in msgs], dtype=np.int64)
        offer_of = np.array([offers.index(m.offer) for m in msgs], dtype=np.int64)
        discount = np.array([m.discount for m in msgs], dtype=np.float64)
        margin = np.array([m.margin for m in msgs], dtype=np.float64)
        feats, feat_names = _action_features(mm, cc, tt, theme_of, offer_of, discount, margin,
                                             themes, offers, [c.name for c in chans],
                                             [t.name for t in tims])
        return cls(
            messages=tuple(m.name for m in msgs), channels=tuple(c.name for c in chans),
            timings=tuple(t.name for t in tims), themes=themes, offers=offers,
            action_names=tuple(names), action_features=_readonly(feats),
            action_feature_names=feat_names, message_of=_readonly(mm.astype(np.int64)),
            channel_of=_readonly(cc.astype(np.int64)), timing_of=_readonly(tt.astype(np.int64)),
            no_contact_action=nc,
            channel_cost=_readonly(np.array([c.cost for c in chans], dtype=np.float64)),
            theme_of_message=_readonly(theme_of), offer_of_message=_readonly(offer_of),
            discount=_readonly(discount), margin=_readonly(margin),
            available_from_hour=_readonly(
                np.array([m.available_from_hour for m in msgs], dtype=np.float64)),
        )


def _action_features(mm: np.ndarray, cc: np.ndarray, tt: np.ndarray, theme_of: np.ndarray,
                     offer_of: np.ndarray, discount: np.ndarray, margin: np.ndarray,
                     themes: tuple[str, ...], offers: tuple[str, ...], channels: list[str],
                     timings: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    """The (K, F) observable attributes: one-hots of theme, offer, channel and timing, the
    discount and margin, and an is-no-contact flag."""
    contact = mm >= 0
    m = np.where(contact, mm, 0)
    blocks = [
        _one_hot(np.where(contact, theme_of[m], -1), len(themes)),
        _one_hot(np.where(contact, offer_of[m], -1), len(offers)),
        np.where(contact, discount[m], 0.0)[:, None],
        np.where(contact, margin[m], 0.0)[:, None],
        _one_hot(cc, len(channels)),
        _one_hot(tt, len(timings)),
        (~contact).astype(np.float64)[:, None],
    ]
    names = ([f"theme={t}" for t in themes] + [f"offer={o}" for o in offers]
             + ["discount", "margin"] + [f"channel={c}" for c in channels]
             + [f"timing={t}" for t in timings] + ["is_no_contact"])
    return np.hstack(blocks), tuple(names)


def _one_hot(index: np.ndarray, n: int) -> np.ndarray:
    """(len(index), n) one-hot rows; an index of -1 gives a row of zeros."""
    out = np.zeros((len(index), n), dtype=np.float64)
    rows = np.flatnonzero(index >= 0)
    out[rows, index[rows]] = 1.0
    return out
