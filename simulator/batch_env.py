"""The vectorized world: each step presents a batch of N customers and answers N decisions.

Simulated time advances by ``N / decisions_per_hour`` hours per step, so a run of D decisions
covers the same simulated time whatever the batch size; each customer of the batch is met at its
own moment inside the step (that moment sets their local hour for the *now* slot).

Two modes for the channels' daily caps (``daily_cap``, the ``capacity`` scenario):

- ``"stream"`` (default): customers come one after another; when a cap runs short, the room left
  goes to rows drawn at random and the others see the channel as ineligible, so no choice of
  actions can exceed a cap.
- ``"campaign"``: a step is a campaign, by default one whole day of customers decided at once
  (``batch_size`` = one day's decisions). Every channel the customer consented to is eligible;
  ``info["capacity_left"]`` (C,) says how many sends each channel has left today (``inf``: no
  cap), ``info["budget_left"]`` what is left of the day's budget (``daily_budget``, channel cost
  of the sends) and ``info["arrival_order"]`` the order in which a stream would have met the
  customers. ``step`` refuses actions that exceed a cap or the budget
  (:class:`CapacityExceededError`), or with ``ineligible="no_contact"`` sends nothing to the
  customers who arrive after the room ran out. Allocating the room is the policy's job: by price
  or first come, first served, compared on the same customers with their exact expected values.

Example:
    >>> import numpy as np
    >>> from simulator.scenario import load_scenario
    >>> env = CustomerBatchEnv(load_scenario("small"), batch_size=50, seed=0)
    >>> obs, info = env.reset(seed=0)
    >>> obs.shape == (50, len(env.context_names)), info["eligible"].shape
    (True, (50, 201))
    >>> R = env.expected_rewards()
    >>> best = np.where(info["eligible"], R, -np.inf).argmax(axis=1)
    >>> obs, reward, terminated, truncated, info = env.step(best)
    >>> reward.shape, info["refs"][:3]
    ((50,), array([0, 1, 2]))
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from simulator.catalog import Catalog
from simulator.errors import (
    ActionNotEligibleError,
    ActionOutOfRangeError,
    CapacityExceededError,
    EpisodeEndedError,
    EpisodeNotStartedError,
    ScenarioError,
)
from simulator.pending import PendingRewards
from simulator.population import Population
from simulator.response import BatchState, Physics, chosen_probabilities, expected_rewards_into
from simulator.row_threads import default_threads
from simulator.scenario import Scenario, load_scenario

__all__ = ["DRAWS", "CustomerBatchEnv"]

#: How the world orders its random draws (:class:`CustomerBatchEnv`'s ``draws``).
DRAWS = ("sequence", "common")

_PRESSURE_SCALE = 5.0  # contact pressure is shown to the policy as min(pressure / 5, 1)


def _pattern_codes(ok: np.ndarray) -> np.ndarray:
    """(N,) code of each row of the (N, C) bool channel flags: bit j is channel j.

    Built one column at a time in the smallest integer type that holds 2**C codes: ~2x cheaper
    than an integer matmul and ~6x cheaper than np.packbits at N = 100,000, C = 4."""
    dtype = np.dtype(np.uint8 if ok.shape[1] <= 8 else np.intp)
    code = ok[:, 0].astype(dtype)
    for j in range(1, ok.shape[1]):
        code |= ok[:, j].astype(dtype) << dtype.type(j)
    return code


def _check_mode(mode: str, batch_size: int | None, daily_budget: float | None, day: int
                ) -> int | None:
    """The batch size the mode implies (``day``: one day of decisions), checked."""
    if mode not in ("stream", "campaign"):
        raise ScenarioError(f"mode must be 'stream' or 'campaign', got {mode!r}")
    if daily_budget is not None and (mode != "campaign" or not isinstance(
            daily_budget, (int, float)) or not daily_budget >= 0 or math.isnan(daily_budget)):
        raise ScenarioError(f"daily_budget must be None or a number >= 0 in campaign mode, got "
                            f"{daily_budget!r} in {mode} mode")
    if batch_size is None:
        return day if mode == "campaign" else 1000
    if mode == "campaign" and isinstance(batch_size, (int, np.integer)) and batch_size > day:
        raise ScenarioError(f"batch_size must be at most one day of decisions ({day}) in "
                            f"campaign mode, got {batch_size}")
    return batch_size


class CustomerBatchEnv:
    """A world of customers answering messages, stepped a batch of N customers at a time.

    Args:
        scenario: a :class:`Scenario` or the name/path of one.
        batch_size: N, customers per step (at most the population size).
        seed: seed of the first ``reset`` when it is given none.
        ineligible: what to do with an action the customer may not receive: ``"raise"``
            (:class:`ActionNotEligibleError`) or ``"no_contact"`` (send nothing instead).
        max_steps: truncate the episode after this many steps (None: only the scenario's
            ``horizon_hours``).
        mode: ``"stream"`` or ``"campaign"`` (see the module docstring); in campaign mode
            ``batch_size`` defaults to one day of decisions and may not exceed it.
        daily_budget: campaign mode: the most channel cost spent per day (None: no budget).
        draws: ``"sequence"`` (the default: every draw from the one generator in turn) or
            ``"common"`` (common random numbers): the draws whose number follows the actions
            played (which rows get a channel's last room of the day, the newcomers who replace
            churned customers) come from generators of their own, so every step takes the
            same draws from the main one whatever was played. Two policies run on one seed
            then meet the same customers at the same moments with the same dice for each row
            until their own actions change the customers' state. That narrows a paired
            difference only where the world's dice make its spread; on ``capacity`` the
            learners' own paths did, and it did not (docs/engine.md, stop 54). The same seed
            gives other worlds in the two modes.

    Observation: (N, d) float64, columns :attr:`context_names`, all within [-1, 1].
    Action: (N,) int indices into :attr:`catalog` actions; each must be eligible.
    Reward: (N,) float64, the part known at once (minus the channel cost and guardrail penalties);
    the total of each decision comes later in ``info["matured_refs"]`` /
    ``info["matured_rewards"]``, exactly once per decision.
    """

    def __init__(self, scenario: Scenario | str, batch_size: int | None = None,
                 seed: int | None = None, *, ineligible: Literal["raise", "no_contact"] = "raise",
                 max_steps: int | None = None, mode: Literal["stream", "campaign"] = "stream",
                 daily_budget: float | None = None,
                 draws: Literal["sequence", "common"] = "sequence") -> None:
        sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        # rounded up: a step of at least 24 h starts a new day (and its caps) every time
        day = max(1, min(sc.n_customers, math.ceil(24 * sc.decisions_per_hour)))
        batch_size = _check_mode(mode, batch_size, daily_budget, day)
        if not isinstance(batch_size, (int, np.integer)) or not 1 <= batch_size <= sc.n_customers:
            raise ScenarioError(
                f"batch_size must be an int in [1, n_customers={sc.n_customers}], got "
                f"{batch_size!r}")
        if not sc.allow_no_contact:
            raise ScenarioError(
                "allow_no_contact must be true to run the world: a customer who lost every "
                "consent (or whose channels are capped) has no other action")
        if ineligible not in ("raise", "no_contact"):
            raise ScenarioError(f"ineligible must be 'raise' or 'no_contact', got {ineligible!r}")
        if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
            raise ScenarioError(f"max_steps must be None or an int >= 1, got {max_steps!r}")
        self.scenario = sc
        self.catalog = Catalog.from_scenario(sc)
        no_contact = self.catalog.no_contact_action
        assert no_contact is not None  # allow_no_contact was required above
        self._no_contact = no_contact
        self.batch_size = int(batch_size)
        self.ineligible = ineligible
        self.max_steps = max_steps
        self.mode = mode
        if draws not in DRAWS:
            raise ScenarioError(f"draws must be one of {', '.join(DRAWS)}, got {draws!r}")
        self.draws = draws
        self.daily_budget = math.inf if daily_budget is None else float(daily_budget)
        self._physics = Physics.build(sc, self.catalog)
        self._rng = np.random.default_rng(seed)  # the first reset draws from it unless reseeded
        self._started = False
        self._scratch: dict = {}
        probe = Population.draw(np.random.default_rng(0), 1, self.catalog, sc)
        self._n_static = len(probe.static_names)
        self.context_names: tuple[str, ...] = probe.static_names + tuple(
            [f"consent_{c}" for c in self.catalog.channels]
            + ["contact_pressure", "local_hour_sin", "local_hour_cos", "active_now"])
        self._last_active = [self.context_names.index("last_active_hour_sin"),
                             self.context_names.index("last_active_hour_cos")]
        self.hours_per_step = self.batch_size / sc.decisions_per_hour
        self._consent_cols = slice(self._n_static, self._n_static + len(self.catalog.channels))

    # ----------------------------------------------------------------------------- episode
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None,
              rng: np.random.Generator | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start an episode: draw the population and present the first batch.

        Args:
            seed: reseed the world's generator; None continues it (or uses the constructor's
                seed on the first reset).
            options: unused; accepted for the gymnasium contract.
            rng: draw from this generator from now on (a gymnasium wrapper passes its
                ``np_random``); overrides ``seed``.

        Returns:
            obs (N, d) float64 and info with ``eligible`` (N, K) bool, ``customer_ids`` (N,)
            int64, ``step`` and ``clock_hours``.
        """
        if rng is not None:
            self._rng = rng
        elif seed is not None:
            self._rng = np.random.default_rng(seed)
        sc, rng = self.scenario, self._rng
        self._room_rng, self._fresh_rng = self._side_generators()
        self._pop = Population.draw(rng, sc.n_customers, self.catalog, sc)
        self._table = self._context_table(self._pop)
        # a contiguous copy of the two last-active columns: reading them out of the (N, d)
        # rows of obs is a strided, cache-missing walk
        self._last_active_sc = self._table[:, self._last_active].T.copy()   # (2, population)
        self._ids = np.arange(sc.n_customers, dtype=np.int64)
        self._next_id = sc.n_customers
        self._pressure = np.zeros(sc.n_customers)
        self._pressure_at = np.zeros(sc.n_customers)
        self._clock = 0.0
        self._step = 0
        self._next_ref = 0
        self._ledger = PendingRewards()
        # eligibility per pattern of open channels, for the messages available now
        self._available = self.catalog.available_from_hour <= self._clock
        self._pattern_table = self._build_pattern_table(self._available)
        self._day = -1
        self._sent_today = np.zeros(len(self.catalog.channels), dtype=np.int64)
        self._spent_today = 0.0
        self._ended = False
        self._mixed = False  # the new acquisition mix has not arrived (scenario.mix_at_hour)
        self._started = True
        self._present()
        return self._obs, self._batch_info()

    def _context_table(self, pop: Population) -> np.ndarray:
        """Static context and consent flags, plus room for the dynamic columns, one row per
        population slot. Consent changes only on the rare unsubscribe or churn, so it is kept
        up to date here (``_update_state``) and comes with the row gather of ``_present``
        instead of a (N, C) bool-to-float write per step."""
        table = np.zeros((pop.n, len(self.context_names)))
        table[:, : self._n_static] = pop.static_context
        table[:, self._consent_cols] = pop.consent
        return table

    def _present(self) -> None:
        """Pick the next N customers, their decision moments, state, eligibility and context."""
        sc, rng, n = self.scenario, self._rng, self.batch_size
        # sorted: the order inside a batch means nothing, and sorted gathers run much faster
        slots = np.sort(rng.choice(sc.n_customers, size=n, replace=False))
        at = self._clock + rng.random(n) * self.hours_per_step
        local = (at + self._pop.utc_offset[slots]) % 24
        half_life = sc.world.fatigue_half_life_hours
        pressure = self._pressure[slots] * np.exp2(-(at - self._pressure_at[slots]) / half_life)
        self._slots, self._at, self._cur_pressure = slots, at, pressure
        self._local_hour = local
        self._eligible = self._eligibility(slots)
        obs = self._table.take(slots, axis=0)
        c0 = self._n_static
        n_c = len(self.catalog.channels)
        # float32 trigonometry is twice as fast and exact enough for an hour of the day
        ang = (local * (2 * np.pi / 24)).astype(np.float32)
        sin_cos = np.empty((2, n))
        np.sin(ang, out=sin_cos[0])
        np.cos(ang, out=sin_cos[1])
        self._local_sin_cos = sin_cos
        sin, cos = sin_cos
        # consent came with the table rows; the other dynamic columns are written straight
        # into obs (no (N, C+4) staging array)
        np.minimum(pressure / _PRESSURE_SCALE, 1.0, out=obs[:, c0 + n_c])
        obs[:, c0 + n_c + 1] = sin
        obs[:, c0 + n_c + 2] = cos
        # how close "now" is to the customer's usual active hour: what any CRM can compute
        # (clipped: float32 sin/cos can put the dot product a hair outside [-1, 1])
        last_sin, last_cos = self._last_active_sc.take(slots, axis=1)
        active = sin * last_sin
        active += cos * last_cos
        np.clip(active, -1.0, 1.0, out=obs[:, c0 + n_c + 3])
        self._obs = obs

    def _channel_ok(self, slots: np.ndarray) -> np.ndarray:
        """(N, C) bool: consent, and room under each channel's daily cap (rows drawn at random
        get the remaining room, so no choice of actions can exceed a cap)."""
        ok = self._pop.consent.take(slots, axis=0)  # row take: cheaper than fancy indexing
        day = math.floor(self._clock / 24)
        if day != self._day:
            self._day, self._sent_today[:] = day, 0
            self._spent_today = 0.0
        if self.mode == "campaign":
            return ok  # the policy allocates the room; step checks it
        for j, ch in enumerate(self.scenario.channels):
            room = ch.daily_cap - int(self._sent_today[j])
            if ch.daily_cap and room < len(slots):
                allowed = np.zeros(len(slots), dtype=bool)
                allowed[self._room_rng.choice(len(slots), size=max(room, 0),
                                              replace=False)] = True
                ok[:, j] &= allowed
        return ok

    def _eligibility(self, slots: np.ndarray) -> np.ndarray:
        """(N, K) bool. A row depends only on which channels are open to the customer (one of
        2**C patterns) and which messages are available, so rows are gathered from a small
        per-pattern table instead of broadcast customer by customer."""
        cat = self.catalog
        self._chan_ok = self._channel_ok(slots)
        available = cat.available_from_hour <= self._clock
        # the table changes only when a message becomes available: rebuild it only then
        if not np.array_equal(available, self._available):
            self._available = available
            self._pattern_table = self._build_pattern_table(available)
        self._pattern_codes = _pattern_codes(self._chan_ok)
        return self._pattern_table.take(self._pattern_codes, axis=0)

    def _build_pattern_table(self, available: np.ndarray) -> np.ndarray:
        """(2**C, K) bool: eligibility of each action under each pattern of open channels."""
        cat = self.catalog
        n_c = len(cat.channels)
        patterns = (np.arange(2 ** n_c)[:, None] >> np.arange(n_c)) & 1 == 1   # (2**C, C)
        contact = cat.channel_of >= 0
        table = np.ones((2 ** n_c, cat.n_actions), dtype=bool)
        table[:, contact] = (patterns[:, cat.channel_of[contact]]
                             & available[cat.message_of[contact]])
        return table

    def _batch_info(self) -> dict[str, Any]:
        info = {"eligible": self._eligible, "customer_ids": self._ids[self._slots],
                "step": self._step, "clock_hours": self._clock}
        if self.mode == "campaign":
            info.update(capacity_left=self.capacity_left(), budget_left=self.budget_left(),
                        arrival_order=np.argsort(self._at, kind="stable"))
        return info

    # ----------------------------------------------------------------------------- campaign
    @property
    def action_costs(self) -> np.ndarray:
        """(K,) the channel cost of each action (0 for no contact): what the budget counts."""
        ch = self.catalog.channel_of
        return np.where(ch >= 0, self._physics.cost[np.maximum(ch, 0)], 0.0)

    def capacity_left(self) -> np.ndarray:
        """(C,) sends each channel has left today (``inf`` for a channel without a cap)."""
        caps = np.array([ch.daily_cap or math.inf for ch in self.scenario.channels], dtype=float)
        return np.where(np.isfinite(caps), caps - self._sent_today, math.inf)

    def budget_left(self) -> float:
        """What is left of today's budget (``inf`` without one)."""
        return self.daily_budget - self._spent_today

    def _batch_state(self) -> BatchState:
        drift = self.scenario.drift_at_hour
        return BatchState(slots=self._slots, local_hour=self._local_hour,
                          pressure=self._cur_pressure, drifted=bool(drift and self._clock >= drift),
                          local_sin_cos=self._local_sin_cos)

    # ----------------------------------------------------------------------------- oracle
    def expected_rewards(self, dtype: type = np.float64, out: np.ndarray | None = None,
                         threads: int | None = None) -> np.ndarray:
        """Ground truth: the expected total reward of every action for the current batch.

        Total = conversion revenue (including late conversions) minus discount cost minus
        channel cost (as weighted by the scenario's reward spec); 0 for no contact. Ineligible
        actions get their value too; mask them with ``info["eligible"]``.

        Args:
            dtype: np.float64 (default) or np.float32.
            out: optional (N, K) array of that dtype to fill, to avoid an allocation per step.
            threads: threads for a large batch (blocks of 8,192+ customers); None = as many as
                BLAS would use (``OMP_NUM_THREADS``, else the cores available). The values do
                not depend on it.

        Returns:
            (N, K) array of expected total rewards.
        """
        self._require_started()
        shape = (self.batch_size, self.catalog.n_actions)
        if out is None:
            out = np.empty(shape, dtype=dtype)
        elif out.shape != shape or out.dtype not in (np.float32, np.float64):
            raise ScenarioError(
                f"out must be a float32/float64 array of shape {shape}, got {out.dtype} "
                f"{out.shape}")
        if threads is None:
            threads = default_threads()
        elif not isinstance(threads, int) or isinstance(threads, bool) or threads < 1:
            raise ScenarioError(f"threads must be a positive integer or None, got {threads!r}")
        expected_rewards_into(out, self._physics, self._pop, self._batch_state(), self._scratch,
                              threads)
        return out

    # ----------------------------------------------------------------------------- step
    def step(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool, bool,
                                                 dict[str, Any]]:
        """Send the chosen actions to the current batch, advance time, present the next batch.

        Args:
            actions: (N,) int action index per customer of the current batch.

        Returns:
            obs (N, d) of the next batch, reward (N,) known at once, terminated (always False:
            the world goes on), truncated (the horizon was reached), info with ``refs`` (N,)
            int64, ``played`` (N,) the actions sent (ineligible or cut ones as no contact),
            ``matured_refs`` (M,) int64, ``matured_rewards`` (M,) float64, ``delivered``,
            ``opened``, ``clicked``, ``converted``, ``unsubscribed``, ``churned`` (N,) bool of
            these decisions, and ``eligible``, ``customer_ids``, ``step``, ``clock_hours`` of
            the next batch.

        Raises:
            EpisodeNotStartedError: before ``reset``.
            EpisodeEndedError: after truncation.
            ActionOutOfRangeError: wrong shape, non-integer, or an index outside [0, K).
            ActionNotEligibleError: an action the customer may not receive (``ineligible``).
            CapacityExceededError: campaign mode, more sends than a cap or the budget allows.
        """
        self._require_started()
        if self._ended:
            raise EpisodeEndedError(
                f"step() called after the episode was truncated at step {self._step} "
                f"(clock {self._clock:.1f} h); call reset() to start a new episode")
        a = self._checked_actions(actions)
        outcome, reward, total, due = self._answer(a)
        refs = np.arange(self._next_ref, self._next_ref + len(a), dtype=np.int64)
        self._next_ref += len(a)
        self._ledger.add(refs, due, total)
        self._clock += self.hours_per_step
        self._step += 1
        mix_at = self.scenario.mix_at_hour
        if mix_at and not self._mixed and self._clock >= mix_at:
            self._arrive_new_mix()
        matured_refs, matured = self._ledger.pop_due(self._clock)
        horizon = self.scenario.horizon_hours
        truncated = bool((horizon and self._clock >= horizon)
                         or (self.max_steps is not None and self._step >= self.max_steps))
        self._ended = truncated
        self._present()
        info = {"refs": refs, "played": a, "matured_refs": matured_refs,
                "matured_rewards": matured, **outcome, **self._batch_info()}
        return self._obs, reward, False, truncated, info

    def flush(self) -> tuple[np.ndarray, np.ndarray]:
        """End of run: the final total reward of every decision still pending.

        Returns:
            refs (P,) int64 and totals (P,) float64; each decision is reported once in all.
        """
        self._require_started()
        return self._ledger.flush()

    def _side_generators(self) -> tuple[np.random.Generator, np.random.Generator]:
        """The generators of the room's and the newcomers' draws: the main one in
        ``"sequence"``, two of their own seeded from it in ``"common"`` (two draws at reset,
        the same for every policy)."""
        if self.draws == "sequence":
            return self._rng, self._rng
        room, fresh = self._rng.integers(0, 2**63, size=2)
        return np.random.default_rng(int(room)), np.random.default_rng(int(fresh))

    def _require_started(self) -> None:
        if not self._started:
            raise EpisodeNotStartedError("call reset() before step(), expected_rewards() or "
                                         "flush()")

    def _checked_actions(self, actions: np.ndarray) -> np.ndarray:
        a = np.asarray(actions)
        k, n = self.catalog.n_actions, self.batch_size
        if a.shape != (n,):
            raise ActionOutOfRangeError(f"actions must have shape ({n},), got {a.shape}")
        if a.dtype.kind not in "iu":
            raise ActionOutOfRangeError(f"actions must be integers, got dtype {a.dtype}")
        bad = np.flatnonzero((a < 0) | (a >= k))
        if bad.size:
            raise ActionOutOfRangeError(
                f"actions[{bad[0]}] = {a[bad[0]]} is out of range; expected an index in "
                f"[0, {k}) ({bad.size} such rows)")
        a = a.astype(np.int64, copy=False)
        ok = self._pattern_table[self._pattern_codes, a]  # same as eligible[row, a], cheaper
        if not ok.all():
            if self.ineligible != "no_contact":
                row = int(np.flatnonzero(~ok)[0])
                raise ActionNotEligibleError(
                    f"actions[{row}] = {a[row]} ({self.catalog.action_names[a[row]]!r}) is not "
                    f"eligible for customer {self._ids[self._slots[row]]}: "
                    f"{self._why_not(row, a[row])}; {int((~ok).sum())} ineligible rows in all "
                    f"(see info['eligible'])")
            a = np.where(ok, a, self._no_contact)
        return self._within_capacity(a) if self.mode == "campaign" else a

    def _within_capacity(self, a: np.ndarray) -> np.ndarray:
        """Campaign mode: ``a`` if it fits every cap and the budget; else refused, or (with
        ``ineligible="no_contact"``) cut in arrival order where the room ran out."""
        order = np.argsort(self._at, kind="stable")
        ch = self.catalog.channel_of[a[order]]
        cost = self.action_costs[a[order]]
        fits = np.cumsum(cost) <= self.budget_left() * (1 + 1e-12)
        room = self.capacity_left()
        for j in range(len(room)):
            if np.isfinite(room[j]):
                fits &= (ch != j) | (np.cumsum(ch == j) <= room[j])
        if fits.all():
            return a
        if self.ineligible == "no_contact":
            cut = np.ones(len(a), dtype=bool)
            cut[order] = ~fits
            return self._within_capacity(np.where(cut, self._no_contact, a))
        sends = np.bincount(ch[ch >= 0], minlength=len(room))
        over = [f"{self.catalog.channels[j]!r}: {sends[j]} sends, {room[j]:g} left"
                for j in range(len(room)) if sends[j] > room[j]]
        spend = float(cost.sum())
        if spend > self.budget_left() * (1 + 1e-12):
            over.append(f"budget: {spend:g} spent, {self.budget_left():g} left")
        raise CapacityExceededError(f"actions exceed today's capacity ({'; '.join(over)}); "
                                    f"allocate within info['capacity_left'] and "
                                    f"info['budget_left']")

    def _why_not(self, row: int, action: int) -> str:
        cat = self.catalog
        m, c = cat.message_of[action], cat.channel_of[action]
        if not self._available[m]:
            return (f"message {cat.messages[m]!r} is available from hour "
                    f"{cat.available_from_hour[m]:g}, now is {self._clock:.1f}")
        if not self._pop.consent[self._slots[row], c]:
            return f"no consent on channel {cat.channels[c]!r}"
        return f"channel {cat.channels[c]!r} reached its daily cap"

    def _answer(self, a: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray,
                                              np.ndarray]:
        """Draw the funnel for the chosen actions and update the customers' state.

        Every row is computed (a no-contact row reads channel -1, and its draws are masked off):
        whole-batch arrays are cheaper than gathering and scattering the contacted rows.
        """
        cat, sc, rng, n = self.catalog, self.scenario, self._rng, self.batch_size
        rw = sc.reward
        nc = cat.no_contact_action
        contact = a != nc if nc is not None else np.ones(n, dtype=bool)
        m, c, t = cat.message_of[a], cat.channel_of[a], cat.timing_of[a]
        p = chosen_probabilities(self._physics, self._pop, self._batch_state(), m, c, t)
        u = rng.random((7, n), dtype=np.float32)  # float32 halves the cost
        delivered = contact & (u[0] < p["deliver"])
        opened = delivered & (u[1] < p["open"])
        clicked = opened & (u[2] < p["click"])
        converted = clicked & (u[3] < p["convert"])
        unsub = delivered & (u[4] < p["unsubscribe"])
        churned = delivered & (u[5] < p["churn"])
        window, mean = sc.conversion_window_hours, sc.conversion_delay_hours
        # exponential delay conditioned on arriving within the window (inverse CDF)
        delay = -mean * np.log1p(-u[6] * -np.expm1(-window / mean))

        reward = np.where(contact, self._physics.cost[c] * -rw.channel_cost, 0.0)
        if rw.unsubscribe_penalty or rw.churn_penalty:
            reward -= rw.unsubscribe_penalty * unsub + rw.churn_penalty * churned
        total = reward + p["value"] * converted
        if rw.open_value or rw.click_value:
            total += rw.open_value * opened + rw.click_value * clicked
        due = self._at + np.where(contact, np.where(converted, delay, window), 0.0)
        outcome = {"delivered": delivered, "opened": opened, "clicked": clicked,
                   "converted": converted, "unsubscribed": unsub, "churned": churned}
        self._update_state(c, contact, delivered, unsub, churned)
        return outcome, reward, total, due

    def _update_state(self, c: np.ndarray, contact: np.ndarray, delivered: np.ndarray,
                      unsub: np.ndarray, churned: np.ndarray) -> None:
        """Contact pressure, daily cap counters, lost consent, churned customers replaced."""
        slots = self._slots
        d = np.flatnonzero(delivered)
        self._pressure[slots[d]] = self._cur_pressure[d] + self._physics.pressure[c[d]]
        self._pressure_at[slots[d]] = self._at[d]
        self._sent_today += np.bincount(c[contact], minlength=len(self._sent_today))
        self._spent_today += float(np.where(contact, self._physics.cost[c], 0.0).sum())
        self._pop.consent[slots[unsub], c[unsub]] = False
        self._table[slots[unsub], self._n_static + c[unsub]] = 0.0
        gone = slots[churned]
        if gone.size:
            self._replace(gone)

    def _replace(self, gone: np.ndarray) -> None:
        """New customers (new ids, no history) in the population slots ``gone``: from the new
        acquisition mix once it has arrived."""
        fresh = Population.draw(self._fresh_rng, gone.size, self.catalog, self.scenario,
                                newcomers=True, new_mix=self._mixed)
        self._pop.overwrite(gone, fresh)
        self._table[gone, : self._n_static] = fresh.static_context
        self._table[gone, self._consent_cols] = fresh.consent
        self._last_active_sc[:, gone] = fresh.static_context[:, self._last_active].T
        self._ids[gone] = np.arange(self._next_id, self._next_id + gone.size)
        self._next_id += gone.size
        self._pressure[gone] = 0.0
        self._pressure_at[gone] = self._clock

    def _arrive_new_mix(self) -> None:
        """``mix_share`` of the population, picked at random, replaced by newcomers of the new
        mix (scenario ``mix_at_hour``): who the customers are changes, not how they answer."""
        self._mixed = True
        n = round(self.scenario.mix_share * self.scenario.n_customers)
        if n:
            self._replace(np.sort(self._rng.choice(self.scenario.n_customers, size=n,
                                                   replace=False)))
