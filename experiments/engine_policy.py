"""The whole Engine (rules, features, SQLite log, VW learner) as a batch policy of the simulator.

What is validated offline is what serves: each simulated customer goes through
``Engine.choose`` one by one (the same call the HTTP service makes), on the simulator's clock,
and each decision's total reward goes to ``Engine.reward`` when the simulator reports it.

- Catalog: the simulator's messages (theme, offer, discount, margin), channels (cost, daily
  cap) and timings (``now``, ``at HH:MM``, ``next saturday HH:MM``), in the simulator's action
  order, so an engine action index is the simulator's index.
- Rules: by default only what the simulator itself enforces (consent, channel capacity); pass
  ``rules={...}`` (a ``[rules]`` table) to run the engine's frequency caps and quiet hours too.
- Clock: simulated hours from a UTC midnight, so the engine's capacity day is the simulator's;
  the engine runs on a :class:`~engine.clock.ManualClock` the policy moves to the simulated time
  of each call (the engine settles expired decisions on its clock, never a caller's).
- Contexts: observation rows as dicts (:func:`experiments.sim_problem.context_dicts`); each
  ``consent_<channel>`` says whether the simulator leaves the channel open to the customer
  (consent and the channel's remaining daily capacity), which is what a CRM knows.

- Rewards: each total as the simulator reports it (``rewards_at="due"``): a conversion's when
  it happens, a total without one when its conversion window ends, as a client that reports
  conversions as they come and lets the rest close. ``rewards_at="window_end"`` holds every
  total until its decision's conversion window has passed, as a client that reports each
  decision once it is final: every decision is then learned as late as the others, so the
  conversions of the actions chosen lately are not learned before their zeros (issue 12,
  stop 30: the favourites that held for thousands of decisions on ``baseline``).
  ``rewards_at="provisional"`` reports 0 for each decision ``provisional_after_h`` hours after
  it is made (0: as it is made) unless its total came first, and a total other than 0 that
  comes after its 0 as a correction (the engine in ``reward_mode="sum"``;
  :class:`experiments.provisional_zeros.ProvisionalZeros`), as a client that reports each
  send as 0 and its conversion when it comes: every decision is learned by then (issue 12,
  stop 32).

A message the simulator sends only from an hour on (``cold_start``) carries that hour as its
``available_from``, so the engine's rules never choose it before. A decision the simulator
still cannot serve is played as no contact by the cell and rewarded 0 here; the cell counts
them (``overrides``).

Example:
    >>> import tempfile
    >>> from simulator import CustomerBatchEnv
    >>> env = CustomerBatchEnv("small", batch_size=5, seed=0)
    >>> obs, info = env.reset(seed=0)
    >>> with tempfile.TemporaryDirectory() as d, EnginePolicy(env, state_dir=d, seed=0) as pol:
    ...     a, p = pol.act_customers(obs, info["eligible"], info["customer_ids"], 0.0,
    ...                              refs=np.arange(5))
    ...     pol.learn_refs(np.arange(5), np.zeros(5), 1.0)
    ...     pol.engine.stats()["rewards"]
    5
"""

from __future__ import annotations

import heapq
import os
from typing import Any, Self

import numpy as np

__all__ = ["ADAPTER_PARAMS", "REWARDS_AT", "T0", "EnginePolicy", "engine_catalog"]

#: When the adapter hands a total to ``Engine.reward`` (see the module docstring).
REWARDS_AT = ("due", "window_end", "provisional")
#: The engine policy's parameters that are the adapter's, not :class:`EngineOptions` fields.
ADAPTER_PARAMS = ("rules", "rewards_at", "provisional_after_h")

#: The simulator's hour 0: 2023-11-15 00:00 UTC (a UTC midnight, so capacity days line up).
T0 = 1_700_006_400.0


def engine_catalog(env: Any) -> Any:
    """The simulator's actions as an engine :class:`~engine.catalog.Catalog`, same index order.

    Example:
        >>> from simulator import CustomerBatchEnv
        >>> env = CustomerBatchEnv("small", batch_size=5)
        >>> cat = engine_catalog(env)
        >>> cat.n_actions == env.catalog.n_actions, cat.timings[1].rule
        (True, 'at 09:00')
    """
    from engine.catalog import Catalog, Channel, Message, TimingSlot

    sc = env.scenario
    # a message the simulator sends only from an hour on (cold_start) is a launch the engine
    # is told of, as a CRM knows its campaigns' dates (before stop 29 it was not, and picked it)
    msgs = tuple(Message(m.name, theme=m.theme, offer_type=m.offer, discount=m.discount,
                         margin=m.margin, available_from=_launch(m.available_from_hour))
                 for m in sc.messages)
    chans = tuple(Channel(c.name, cost=c.cost, daily_capacity=c.daily_cap or None)
                  for c in sc.channels)
    tims = tuple(TimingSlot(t.name, _rule(t.hour, t.weekend)) for t in sc.timings)
    return Catalog(msgs, chans, tims, no_contact=sc.allow_no_contact)


def check_rewards_at(value: object) -> None:
    """Refuse a ``rewards_at`` that is not one of :data:`REWARDS_AT`, naming the field.

    Example:
        >>> check_rewards_at("at_once")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        experiments.errors.SpecError: rewards_at: expected one of due, ...; got 'at_once'
    """
    from experiments.errors import SpecError

    if value not in REWARDS_AT:
        raise SpecError(f"rewards_at: expected one of {', '.join(REWARDS_AT)}; got {value!r}")


def provisional_zeros(rewards_at: str, after_h: object, options: dict[str, Any]) -> Any:
    """The :class:`~experiments.provisional_zeros.ProvisionalZeros` of ``rewards_at =
    "provisional"`` (``options``' ``reward_mode`` set to ``"sum"`` where not given), else
    None; a ``provisional_after_h`` without it, or a bad one, is refused naming it. With any
    ``rewards_at`` but ``"due"``, ``options``' ``provisional_after`` is ``"off"`` where not
    given: the client's schedule replaces the engine's own zeros."""
    from experiments.errors import SpecError
    from experiments.provisional_zeros import ProvisionalZeros, check_after_h

    after = check_after_h(after_h)
    if rewards_at != "due":
        # the client's own schedule of reports stands in for the engine's zeros after 12 hours
        # (its default since stop 47), as when these schemes were measured
        options.setdefault("provisional_after", "off")
    if rewards_at != "provisional":
        if after:
            raise SpecError(f'provisional_after_h: only with rewards_at = "provisional", '
                            f"got rewards_at = {rewards_at!r}")
        return None
    check_provisional_mode(options.setdefault("reward_mode", "sum"))
    return ProvisionalZeros(after)


def check_provisional_mode(reward_mode: object) -> None:
    """``rewards_at="provisional"`` adds each total to the 0 reported at the decision, which
    the engine takes only with ``reward_mode="sum"``; refuse another, naming the field.

    Example:
        >>> check_provisional_mode("refuse")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        experiments.errors.SpecError: reward_mode: rewards_at = "provisional" adds each ...
    """
    from experiments.errors import SpecError

    if reward_mode != "sum":
        raise SpecError(f'reward_mode: rewards_at = "provisional" adds each total to the 0 '
                        f'reported at the decision, so it needs "sum"; got {reward_mode!r}')


def _launch(hour: float) -> float | None:
    """The engine's ``available_from`` (epoch seconds) of a message the simulator sends from
    ``hour`` on, or None for one it always sends.

    One second after the hour: the simulator's clock is a float sum of its steps, so at the
    launch's own step it can read a hair under the hour (40 steps of 8.4 hours sum to
    335.99999999999994) while the engine's epoch seconds round up to it; the engine must never
    take for launched what the simulator still holds back (its pick would be replaced by no
    contact), and a second's caution costs at most that one step.

    Example:
        >>> _launch(336.0) - T0, _launch(0.0)
        (1209601.0, None)
    """
    return T0 + hour * 3600.0 + 1.0 if hour > 0 else None


def _rule(hour: float, weekend: bool) -> str:
    if hour < 0:
        return "now"
    hh, mm = int(hour), round((hour % 1) * 60)
    return f"next saturday {hh:02d}:{mm:02d}" if weekend else f"at {hh:02d}:{mm:02d}"


class EnginePolicy:
    """A running :class:`~engine.Engine` behind the cell's by-ref batch protocol.

    Args:
        env: the simulator env (its scenario gives the catalog; its context names the dicts).
        state_dir: an empty folder for the engine's log and checkpoints.
        seed: the engine's seed.
        rules: the engine's ``[rules]`` table; default: consent and channel capacity only.
        rewards_at: ``"due"`` (each total when the simulator reports it), ``"window_end"``
            (each held until its decision's conversion window has passed; totals still held
            when the run ends are never learned, as a client's would not be) or
            ``"provisional"`` (0 at each decision, a total other than 0 added when reported;
            the engine's ``reward_mode`` must then be ``"sum"``, its default here).
        provisional_after_h: with ``"provisional"``, the hours after a decision its 0 waits
            for its total (0: reported as the decision is made).
        **options: :class:`~engine.options.EngineOptions` fields (``exploration``, ``learner``,
            ...); the reward window defaults to the simulator's conversion window plus two
            steps and a day (a total is never reported later than that).
    """


    def __init__(self, env: Any, state_dir: str | os.PathLike, seed: int = 0,
                 rules: dict[str, Any] | None = None, rewards_at: str = "due",
                 provisional_after_h: float = 0.0, **options: Any) -> None:
        from engine import Engine
        from engine.clock import ManualClock
        from engine.contact_rules import RulesConfig

        check_rewards_at(rewards_at)
        self._zeros = provisional_zeros(rewards_at, provisional_after_h, options)

        catalog = engine_catalog(env)
        rules_config = RulesConfig(max_per_day=None, max_per_week=None, quiet_hours=None) \
            if rules is None else RulesConfig.from_dict(rules, catalog)
        # a total is reported at the end of the step after it is due: up to two steps late
        window_h = env.scenario.conversion_window_hours + 2 * env.hours_per_step + 24.0
        options = {"reward_window": f"{window_h:g}h", "checkpoint_every": 10**9, **options}
        self.name = "engine"
        self.context_names = tuple(env.context_names)
        self._channel_of = np.asarray(env.catalog.channel_of)
        self._consent_keys = [f"consent_{c}" for c in env.catalog.channels]
        self._clock = ManualClock(T0)
        self.engine = Engine(catalog=catalog, rules=rules_config, state_dir=state_dir,
                             seed=seed, clock=self._clock, **options)
        self._window_s = float(self.engine.options.reward_window)
        # how long a total waits after its decision; 0: handed over as reported
        self._hold_s = (env.scenario.conversion_window_hours * 3600.0
                        if rewards_at == "window_end" else 0.0)
        #: totals held until their release time: (release, ref, decision id, decided, total);
        #: the ref (the order decided) breaks a tie, not the random decision id, so a run is
        #: the same each time
        self._held: list[tuple[float, int, str, float, float]] = []
        self._ids: dict[int, tuple[str, float]] = {}
        #: the decisions of the last ``act_customers`` call, in its rows' order (diagnostics
        #: read their explanations: benchmarks/exploration_cost.py)
        self.last_decisions: list[Any] = []

    def act_customers(self, contexts: np.ndarray, eligible: np.ndarray, customer_ids: np.ndarray,
                      clock_hours: float, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Choose for each customer through ``Engine.choose``; remember each decision by ref.

        Args:
            contexts: (n, d) observation rows.
            eligible: (n, K) bool; its open channels become the contexts' consent flags (the
                engine's own rules decide the rest).
            customer_ids: (n,) int ids.
            clock_hours: the simulator's clock.
            refs: (n,) the simulator's refs these decisions will get.

        Returns:
            actions (n,) int64 and their probabilities (n,).
        """
        from experiments.sim_problem import context_dicts

        now = T0 + clock_hours * 3600.0
        self._clock.set(now)
        self._report_zeros(now)
        if self.engine.options.provisional_after is not None:
            self.engine.expire_rewards()  # as the HTTP service's settler does, between requests
        ctxs = context_dicts(self.context_names, contexts)
        open_ = np.stack([eligible[:, self._channel_of == j].any(axis=1)
                          for j in range(len(self._consent_keys))], axis=1)
        for ctx, row in zip(ctxs, open_.tolist(), strict=True):
            ctx.update(zip(self._consent_keys, row, strict=True))
        n = len(ctxs)
        actions, probs = np.empty(n, dtype=np.int64), np.empty(n)
        self.last_decisions = []
        for i in range(n):  # the engine's public API is per customer; this is what we validate
            d = self.engine.choose(str(int(customer_ids[i])), ctxs[i], now=now)
            self.last_decisions.append(d)
            actions[i], probs[i] = d.action_index, d.probability
            self._ids[int(refs[i])] = (d.decision_id, now)
            if self._zeros is not None and self._zeros.decided(d.decision_id, now):
                self.engine.reward(d.decision_id, 0.0, now=now)
        return actions, probs

    def _report_zeros(self, now: float) -> None:
        if self._zeros is not None:
            self._zeros.report_due(self.engine, self._clock, now)

    def learn_refs(self, refs: np.ndarray, rewards: np.ndarray, clock_hours: float) -> None:
        """``Engine.reward`` for each matured decision (refs the cell gave at ``act_customers``)."""
        now = T0 + clock_hours * 3600.0
        for ref, value in zip(refs.tolist(), rewards.tolist(), strict=True):
            decision_id, decided = self._ids.pop(ref)
            if self._zeros is not None and not self._zeros.report(decision_id, value):
                continue  # its 0 was reported already
            if self._hold_s:
                heapq.heappush(self._held,
                               (decided + self._hold_s, ref, decision_id, decided, value))
            else:
                self._reward(decision_id, decided, value, now)
        while self._held and self._held[0][0] <= now:
            _, _, decision_id, decided, value = heapq.heappop(self._held)
            self._reward(decision_id, decided, value, now)
        self._report_zeros(now)

    def _reward(self, decision_id: str, decided: float, value: float, now: float) -> None:
        # the simulator reports totals at step ends (and all at flush); each came in time
        self._clock.set(min(now, decided + self._window_s - 1.0))
        self.engine.reward(decision_id, value)

    def close(self) -> None:
        """Close the engine (safe to call twice)."""
        self.engine.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
