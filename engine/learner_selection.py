"""Which candidate learner serves: every candidate learns the same logged decisions, each one's
value is estimated progressively on the live stream, and the serving one changes only on
evidence.

For every logged reward, each candidate, *before* it learns that decision, gives its
distribution over the decision's eligible actions; its probability of the logged action against
the logged propensity feeds IPS, DR and the control-variate DR
(:class:`ope.estimators.progressive.ProgressiveValue`).
Then it learns. So a candidate's value is out of sample on every row, and all candidates are
scored on the same rows.

The switch rule (checked every ``check_every`` rows), paired by default
(``SelectionSettings.rule``): every two candidates are also scored as a pair on the rows both
meet, each row adding the difference of their IPS, DR and control-variate DR terms under one
shared reward model (:class:`ope.estimators.paired.PairedDifference`), so that the noise the two
estimates share cancels; a challenger with at least ``min_samples`` paired rows whose difference
from the serving candidate (challenger minus serving, over the last ``window`` of those rows)
has its lower bound above 0, under the estimate the rule reads (``SelectionSettings.estimator``,
the control-variate DR by default) and under IPS (``agree``), wins the check. With
``rule="unpaired"`` it wins when its own lower bound beats the serving candidate's upper bound
on the same rows (two intervals, each carrying the shared noise in full: far more rows to the
same decision). It takes over after winning ``confirm`` checks in a row (hysteresis: a lucky
streak of one check does not switch, and a switch back needs the same evidence the other way).
Each switch is returned as a :class:`Switch` with its evidence, for the engine to log.

A pair is added to when the second of its two candidates meets a row: the first one's
distribution on that row is kept until then (the last :data:`KEPT_TARGETS` rows of each
candidate), so a candidate that learns off the reward's path, or a drift challenger replaying
the log since its change point, is paired on every row it meets within that reach of the
others. A row met by one candidate before a restart and by the other after it is not paired.

With ``SelectionSettings.trial_share`` a share of each decision's distribution is the leading
challenger's own (:meth:`LearnerSelection.probabilities`; the engine logs the mixture's
propensity), so a challenger that the serving candidate seldom imitates is estimated on
decisions it would make; a challenger the recent rows put behind leaves the trial.

Two later features plug in here without changing the rule: a drift challenger (issue 15) is
:meth:`LearnerSelection.add_candidate` with ``since`` = the change point (it is trained on the
log from there and compared with the serving one on the rows since then only); a fleet learner
(issue 16) is a process that drives :meth:`LearnerSelection.process` from the log and publishes
the serving candidate's model.

Rewards reach the learners divided by each candidate's own running scale (when
``reward_scale``: ``engine/reward_scale.py``); every candidate meets the rows in log order, so a
row's scale is the same for all, whenever they process it. A ridge candidate moves the rewards
it learned to each new scale; a Vowpal Wabbit candidate cannot (its weights carry per-weight
learning-rate state), so when its scale has moved by more than
``SelectionSettings.relearn_factor`` (:data:`RELEARN_FACTOR` by default) since
its rows were learned it is due to learn them again at the new scale (:attr:`relearn_due`,
:meth:`relearn`; the engine does it at once, from the log). Without it, a send's cost of
0.002 met before any order made the scale 0.002 and was learned as a loss of one whole
typical reward, which locked RegCB-opt onto no contact (docs/engine.md, stop 37).

Example:
    >>> from policies.vw_config import VWConfig
    >>> from policies.vw_learner import VWLearner
    >>> learners = {}
    >>> for name, eps in (("uniform", 1.0), ("greedy", 0.02)):
    ...     learners[name] = VWLearner(VWConfig(exploration="epsilon", epsilon=eps), seed=0)
    ...     learners[name].set_actions([{"m": {"x": "a"}}, {"m": {"x": "b"}}])
    >>> sel = LearnerSelection(learners, "uniform", SelectionSettings(min_samples=200,
    ...                        check_every=50, confirm=2), n_actions=2)
    >>> switches = []
    >>> for seq in range(1, 601):  # the uniform learner serves; action 1 pays 1, action 0 nothing
    ...     a = seq % 2
    ...     sel.process_all(LoggedRow(seq, {"c": {"k": 1}}, (0, 1), a, 0.5, float(a)))
    ...     switches.append(sel.check(seq, at=float(seq)))
    >>> [(s.from_learner, s.to_learner) for s in switches if s], sel.serving
    ([('uniform', 'greedy')], 'greedy')
    >>> sel.close()
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import NormalDist
from typing import Any

import numpy as np

from engine.candidate_learners import CandidateLearner
from engine.candidates import TRIAL_GROWTHS, SelectionSettings
from engine.errors import ConfigError
from engine.reward_scale import RewardScale
from ope.errors import OPEInputError
from ope.estimators.paired import PairedDifference
from ope.estimators.progressive import PROGRESSIVE_ESTIMATORS, ProgressiveValue
from ope.estimators.result import OPEResult
from ope.estimators.sequential import anytime_interval
from policies.hashed_ridge import HashedRidge
from policies.vw_format import FeatureSet

__all__ = ["KEPT_TARGETS", "RELEARN_FACTOR", "LearnerSelection", "LoggedRow", "Switch",
           "correction_target", "grown_share", "rows_taught", "start_share"]

#: The estimate that must agree with the one the rule reads (SelectionSettings.agree): IPS,
#: which needs no reward model, for every estimate but IPS itself, which DR checks.
_OTHER = {name: "dr" if name == "ips" else "ips" for name in PROGRESSIVE_ESTIMATORS}

#: Rows of each candidate's distributions kept for the candidates that meet those rows later
#: (a pair is scored on a row once both met it): K floats each, 1.6 MB a candidate at K = 200.
KEPT_TARGETS = 1024

#: The default of ``SelectionSettings.relearn_factor``: a Vowpal Wabbit candidate learns the
#: log again when its reward scale is more than this factor above or below the scale its rows
#: were learned at. Each time costs a pass over the log; a scale counted from many rewards
#: seldom moves that far (suite cells record ``relearned``: up to 4 a candidate on ``small``,
#: stop 38; once, when the first orders follow the first costs, in
#: tests/engine/test_relearn_on_rescale.py).
RELEARN_FACTOR = SelectionSettings.relearn_factor

_NORMAL = NormalDist()
_Z95 = _NORMAL.inv_cdf(0.975)


@dataclass(frozen=True)
class LoggedRow:
    """One logged reward as the candidates meet it.

    Attributes:
        seq: the reward's sequence number in the log.
        shared: the decision's shared features as logged; None when no learner learns the row
            (holdout, another catalog, nothing played).
        eligible: the decision's eligible action indices.
        action: the played action.
        probability: its logged propensity.
        reward: the decision's total reward so far, on the business scale.
        decided_at: when the decision was made (epoch s; a candidate may learn only decisions
            made from some time on, see :meth:`LearnerSelection.add_candidate`).
        previous: for a correction (a later reward, or one after the engine's provisional
            default), the decision's total before it, which the candidates learned already;
            None for a decision's first reward.
        served: the distribution over ``eligible`` that candidate ``served_by`` decided with,
            where the engine still held it (``engine/served_memory.py``); that candidate is
            scored on it instead of on its distribution now. None: every candidate is scored
            on its distribution when it meets the row.
        served_by: the candidate that ``served`` belongs to.
        trial: the distributions over ``eligible`` that the challengers on trial decided with
            (their parts of the distribution the action was drawn from), by name, where the
            engine still held them; each is scored on its own, as ``served_by`` is, instead
            of on its distribution when it meets the row. Why: its distribution when it
            meets the row was computed after the action, and can depend on it (through the
            action's consequences, a reading not traced), which IPS's weights must not; and
            it credits the challenger with what it learned since. On ``capacity`` (seeds
            3-8, 3,000 decisions) the rule's IPS of RegCB-opt minus the joint ridge on the
            exact expected rewards held the exact difference on 3 of 6 seeds scored then,
            on 6 of 6 scored on what it served (``benchmarks/rule_estimate_truth.py``;
            docs/engine.md, stop 50). None or absent: scored when it meets the row.
        taught_before: how many of the decision's earlier rows taught the candidates (its
            first, and each correction that changed its total); 0 for a first reward. A
            Vowpal Wabbit candidate needs it to learn a correction at the total
            (:func:`correction_target`).
        first_seq: for a correction, the sequence number of the decision's first reward, the
            row each candidate was scored on: the correction replaces that row's reward in
            the estimates (:meth:`~ope.estimators.progressive.ProgressiveValue.correct`), so
            a decision counts once, scored before the candidate learned it. None: the
            correction is scored as a row of its own (as before stop 48).
    """

    seq: int
    shared: FeatureSet | None
    eligible: Sequence[int] = ()
    action: int = -1
    probability: float = 1.0
    reward: float = 0.0
    decided_at: float = 0.0
    previous: float | None = None
    served: np.ndarray | None = None
    served_by: str | None = None
    taught_before: int = 0
    first_seq: int | None = None
    trial: Mapping[str, np.ndarray] | None = None

    def served_with(self, name: str) -> np.ndarray | None:
        """The distribution candidate ``name`` decided with, where the engine held it (it
        served the decision, or was on trial for it); None otherwise."""
        if self.served_by == name and self.served is not None:
            return self.served
        return None if self.trial is None else self.trial.get(name)

    @property
    def teaches(self) -> bool:
        """Whether a candidate learns anything from the row: False for one no learner learns
        and for a correction that leaves the decision's total as it was."""
        return self.shared is not None and self.previous != self.reward


@dataclass(frozen=True)
class Switch:
    """One change of the serving candidate, with the estimates that justified it."""

    seq: int
    at: float
    from_learner: str
    to_learner: str
    evidence: dict[str, Any] = field(default_factory=dict)


class LearnerSelection:
    """The candidates, which one serves, their progressive values, and the switch rule.

    Args:
        learners: candidate name -> its learner (actions set), in the order of the candidates.
        serving: the serving candidate's name.
        settings: the switch rule.
        n_actions: K, the catalog's actions.
        reward_scale: divide rewards by each candidate's running scale before it learns.
        unscaled: candidates that learn rewards on the business scale all the same
            (``scale_rewards = false`` in their table).
        units: candidate name -> what a typical reward counts as for it (its
            ``reward_unit``; 1 for a candidate not named).
        state: what :meth:`state` returned (from a checkpoint), or None for fresh learners.
    """

    def __init__(self, learners: Mapping[str, CandidateLearner], serving: str,
                 settings: SelectionSettings, n_actions: int, reward_scale: bool = False,
                 state: Mapping[str, Any] | None = None, unscaled: Collection[str] = (),
                 units: Mapping[str, float] | None = None) -> None:
        if serving not in learners:
            raise ConfigError(f"serving: expected one of {', '.join(learners)}, got {serving!r}")
        self.learners = dict(learners)
        self.serving = serving
        self.settings = settings
        self.n_actions = n_actions
        self.reward_scale = reward_scale
        self.unscaled = frozenset(unscaled)
        s: Mapping[str, Any] = state or {}

        def per(key: str, default: int) -> dict[str, int]:
            saved = s.get(key, {})
            return {n: int(saved.get(n, default)) for n in learners}

        self.cursors, self.since, self._streak = per("cursors", 0), per("since", 0), per(
            "streak", 0)
        values, scales = s.get("values", {}), s.get("scales", {})
        self.values = {n: ProgressiveValue.from_state(values[n]) if n in values
                       else ProgressiveValue(n_actions) for n in learners}
        unit = {n: float((units or {}).get(n, 1.0)) for n in learners}
        self.scales = {n: RewardScale.from_state(scales[n], unit[n]) if n in scales
                       else RewardScale(unit=unit[n]) for n in learners}
        # per Vowpal Wabbit candidate, the scale its learned rows were divided by (none before
        # a reward other than 0); whether it is due to learn them again follows from it
        self.learned_at: dict[str, float] = {
            n: float(v) for n, v in s.get("learned_at", {}).items() if n in learners}
        self._next_check = int(s.get("next_check", settings.check_every))
        # per candidate that learns only decisions made from a time on (a drift challenger)
        self.decided_from: dict[str, float] = {
            n: float(t) for n, t in s.get("decided_from", {}).items() if n in learners}
        # candidates fed by someone else until they are level with the log (a drift challenger
        # catching up, engine/drift/recovery.py): passed by here, and not yet in the switch rule
        self.held: set[str] = set()
        # the paired estimates, (first, second) by name -> second minus first; a
        # checkpoint written before the paired rule has none: its pairs start empty
        self.pairs: dict[tuple[str, str], PairedDifference] = {
            (a, b): PairedDifference.from_state(v) for a, b, v in s.get("pairs", ())
            if a in learners and b in learners}
        self._targets: dict[str, OrderedDict[int, np.ndarray]] = {
            n: OrderedDict() for n in learners}
        # challengers the recent rows put behind the serving one: off trial while they do
        self.off_trial: set[str] = {n for n in s.get("off_trial", ()) if n in learners}
        # the challenger the last check put closest to winning: the trial's whole share goes
        # to it (None before a check has an estimate: the share split between all)
        leader = s.get("trial_leader")
        self.trial_leader: str | None = leader if leader in learners else None
        # the share of each decision the challengers on trial draw (settings.trial_share, or
        # more with settings.trial_share_max while the evidence puts the leader ahead)
        saved = float(s.get("trial_weight", start_share(settings)))
        self.trial_weight = _within(saved, settings.trial_share, settings.trial_share_max)

    # -- serving -------------------------------------------------------------------------------
    @property
    def learner(self) -> CandidateLearner:
        """The serving candidate's learner."""
        return self.learners[self.serving]

    @property
    def trial_share(self) -> float:
        """``settings.trial_share`` where a challenger can be on trial; 0 with one candidate
        (a fleet's replica holds the published learner alone), where none can."""
        return self.settings.trial_share if len(self.learners) > 1 else 0.0

    def on_trial(self) -> list[str]:
        """The challengers that serve a share of decisions (``settings.trial_share``): the
        leading one (the highest estimated difference from the serving candidate at the last
        check), or before any estimate every candidate but the serving one; never a held one
        or one the rule put behind the serving one."""
        if self.settings.trial_share <= 0.0:
            return []
        open_ = [n for n in self.learners
                 if n != self.serving and n not in self.held and n not in self.off_trial]
        return [self.trial_leader] if self.trial_leader in open_ else open_

    def probabilities(self, shared: FeatureSet, eligible: np.ndarray) -> np.ndarray:
        """The distribution a decision is drawn from, over ``eligible``: the serving
        candidate's, with ``settings.trial_share`` of it given to the challengers on trial in
        equal parts (their own distributions), so each is estimated on decisions it would
        have made."""
        return self.served_parts(shared, eligible)[0]

    def served_parts(self, shared: FeatureSet, eligible: np.ndarray
                     ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """:meth:`probabilities`, and each part of it by name: the serving candidate's own
        distribution (the same array as the first when no challenger is on trial) and each
        challenger's on trial; none is to be changed. The engine holds the parts until the
        decision's reward, and scores each candidate on the one it served with
        (:attr:`LoggedRow.served`, :attr:`LoggedRow.trial`)."""
        probs = self.learner.probabilities(shared, eligible)
        trial = self.on_trial()
        if not trial:
            return probs, {self.serving: probs}
        share = self.trial_weight
        mixed = (1.0 - share) * probs
        parts = {self.serving: probs}
        for name in trial:
            parts[name] = self.learners[name].probabilities(shared, eligible)
            mixed += (share / len(trial)) * parts[name]
        return mixed / mixed.sum(), parts  # the parts' rounding aside, it sums to 1 already

    @property
    def serving_scale(self) -> float:
        """The serving candidate's reward scale (1 when rewards are not scaled)."""
        return self.scale_of(self.serving)

    def scale_of(self, name: str) -> float:
        """Candidate ``name``'s reward scale (1 when it learns unscaled rewards)."""
        return self.scales[name].value if self.scaled(name) else 1.0

    def scaled(self, name: str) -> bool:
        """Whether candidate ``name`` learns rewards divided by its running scale."""
        return self.reward_scale and name not in self.unscaled

    def lagging(self, seq: int) -> list[str]:
        """Candidates that have not yet met every row up to ``seq`` (held ones aside)."""
        return [n for n, c in self.cursors.items() if c < seq and n not in self.held]

    @property
    def oldest_cursor(self) -> int:
        """The lowest cursor: rows after it are still to be met by someone (held ones aside)."""
        return min(c for n, c in self.cursors.items() if n not in self.held)

    # -- learning ------------------------------------------------------------------------------
    def process(self, name: str, row: LoggedRow) -> None:
        """Candidate ``name`` meets ``row``: scored on it, then taught it (rows at or below its
        cursor were met before and are skipped)."""
        if row.seq <= self.cursors[name]:
            return
        if row.teaches and row.shared is not None and row.decided_at >= self.decided_from.get(
                name, -np.inf):
            learner = self.learners[name]
            idx = np.asarray(row.eligible, dtype=np.int64)
            if not self._rescore(name, row):
                target = np.zeros(self.n_actions)
                held = row.served_with(name)
                target[idx] = (held if held is not None
                               else learner.probabilities(row.shared, idx))
                self.values[name].add(row.seq, row.action, row.probability, row.reward, target)
                self._pair(name, row, target)
            if row.previous is not None and isinstance(learner, HashedRidge):
                self._correct(name, learner, row, idx)
            else:  # a Vowpal Wabbit candidate learns a correction as one more example
                reward = row.reward
                if self.scaled(name):
                    reward = self._normalise(name, learner, reward)
                reward = self._example_reward(name, row, reward)
                if not self._due(name):  # else relearn() learns it with the rest
                    learner.learn(row.shared, idx, row.action, row.probability, reward)
        self.cursors[name] = row.seq

    def _rescore(self, name: str, row: LoggedRow) -> bool:
        """For a correction, give the decision's scored row its new total in candidate
        ``name``'s estimate and in each of its pairs (setting a total twice changes nothing, so
        both candidates of a pair may do it); False, changing nothing, for a first reward or
        a row no longer kept (the correction is then scored as a row of its own).

        Why: scored as a row of its own, a conversion after the engine's provisional 0 made
        the decision count twice (once at 0), and was scored on the candidate's distribution
        after it had learned that 0 for the same customer and action."""
        if row.previous is None or row.first_seq is None:
            return False
        if not self.values[name].correct(row.first_seq, row.reward):
            return False
        for (first, second), pair in self.pairs.items():
            if name in (first, second):
                pair.correct(row.first_seq, row.reward)
        return True

    def _correct(self, name: str, learner: HashedRidge, row: LoggedRow,
                 idx: np.ndarray) -> None:
        """A ridge candidate replaces the reward it learned for ``row``'s decision
        (``row.previous``) by the total now (:meth:`HashedRidge.correct`), the scale counting
        the new total in place of the old."""
        assert row.shared is not None and row.previous is not None
        previous, reward = row.previous, row.reward
        if self.scaled(name):
            scale = self.scales[name]
            before = scale.value
            scale.replace(previous, reward)
            if scale.value != before:
                learner.rescale_rewards(before / scale.value)
            previous, reward = scale.normalise(previous), scale.normalise(reward)
        learner.correct(row.shared, idx, row.action, row.probability, previous, reward)

    def _normalise(self, name: str, learner: CandidateLearner, reward: float) -> float:
        """``reward`` on candidate ``name``'s scale, after counting it into the scale; a ridge
        candidate's rewards learned so far are moved to the new scale with it, so that all its
        rows share one unit (:meth:`~policies.hashed_ridge.HashedRidge.rescale_rewards`). A
        Vowpal Wabbit candidate keeps its earlier rows in the scale they were learned at: its
        weights carry per-weight learning-rate state that a multiplication would not keep
        consistent."""
        scale = self.scales[name]
        before = scale.value
        scale.observe(reward)
        if isinstance(learner, HashedRidge):
            if scale.value != before:
                learner.rescale_rewards(before / scale.value)
        elif reward != 0.0 and name not in self.decided_from:
            self.learned_at.setdefault(name, scale.value)
        return scale.normalise(reward)

    def _example_reward(self, name: str, row: LoggedRow, total: float) -> float:
        """The reward of the example a Vowpal Wabbit candidate learns for ``row``, whose
        decision's total is ``total`` on the candidate's scale: the total, or for a
        correction with ``settings.correction = "total"`` the reward at which the decision's
        examples average to it (:func:`correction_target`)."""
        if row.previous is None or self.settings.correction != "total":
            return total
        previous = (self.scales[name].normalise(row.previous) if self.scaled(name)
                    else row.previous)
        return correction_target(total, previous, row.taught_before)

    def _due(self, name: str) -> bool:
        """Whether candidate ``name``'s scale has moved more than
        ``settings.relearn_factor`` from the one its rows were learned at."""
        at, factor = self.learned_at.get(name), self.settings.relearn_factor
        return at is not None and factor > 0.0 and not (
            1.0 / factor <= self.scales[name].value / at <= factor)

    @property
    def relearn_due(self) -> list[str]:
        """The candidates due to learn their rows again (:meth:`relearn`), derived from the
        scales and ``learned_at``, so a restart between the two cannot lose one."""
        return [n for n in self.learned_at if self._due(n)]

    def relearn(self, name: str, learner: CandidateLearner, rows: Iterable[LoggedRow]) -> int:
        """Replace candidate ``name``'s learner by ``learner`` (fresh, actions set) after it has
        learned ``rows`` (the log's rewards up to the candidate's cursor, in order) at its scale
        now; return how many it learned. Nothing is scored again: the candidate's estimates
        are of the choices it made before it learned each row, which stay as they were."""
        scale = self.scales[name]
        n = 0
        for row in rows:
            if row.seq > self.cursors[name]:
                break
            if row.teaches and row.shared is not None:
                idx = np.asarray(row.eligible, dtype=np.int64)
                reward = self._example_reward(name, row, scale.normalise(row.reward))
                learner.learn(row.shared, idx, row.action, row.probability, reward)
                n += 1
        old, self.learners[name] = self.learners[name], learner
        old.close()
        self.learned_at[name] = scale.value
        return n

    def _pair(self, name: str, row: LoggedRow, target: np.ndarray) -> None:
        """Add ``row`` to every pair of ``name`` whose other candidate met it already, and keep
        ``target`` for those that meet it later."""
        for other, kept in self._targets.items():
            theirs = kept.get(row.seq) if other != name else None
            if theirs is None:
                continue
            first, second = sorted((name, other))
            pair = self.pairs.get((first, second))
            if pair is None:
                pair = self.pairs[first, second] = PairedDifference(self.n_actions)
            mine = {name: target, other: theirs}
            pair.add(row.seq, row.action, row.probability, row.reward, mine[second],
                     mine[first])
        kept = self._targets[name]
        kept[row.seq] = target
        if len(kept) > KEPT_TARGETS:
            kept.popitem(last=False)

    def difference(self, name: str, reference: str, since: int = 0
                   ) -> dict[str, OPEResult] | None:
        """``{"ips": OPEResult, "dr": OPEResult}`` of candidate ``name`` minus ``reference``,
        paired on the rows both were scored on from ``since`` on; None before any."""
        flip = name < reference
        pair = self.pairs.get((name, reference) if flip else (reference, name))
        out = None if pair is None else pair.results(since)
        if out is None or not flip:
            return out
        return {k: replace(r, value=-r.value, ci=(-r.ci[1], -r.ci[0])) for k, r in out.items()}

    def process_all(self, row: LoggedRow) -> None:
        """Every candidate meets ``row`` (the inline mode), held ones aside."""
        for name in self.learners:
            if name not in self.held:
                self.process(name, row)

    # -- the switch rule -----------------------------------------------------------------------
    def estimates(self, name: str, since: int = 0) -> dict[str, Any] | None:
        """``{"ips": OPEResult, "dr": OPEResult}`` of candidate ``name`` over the rows from
        ``since`` on; None before any."""
        return self.values[name].results(since)

    def check(self, seq: int, at: float) -> Switch | None:
        """Run the switch rule if a check is due at ``seq`` and every candidate has met the
        rows up to it; return the switch it made, if any."""
        if seq < self._next_check or self.lagging(seq):
            return None
        self._next_check = seq + self.settings.check_every
        est = self.settings.estimator
        best, best_low, evidence = None, -np.inf, {}
        lead, lead_value, lead_share = None, -np.inf, start_share(self.settings)
        for name in self.learners:
            if name == self.serving or name in self.held:
                continue
            since = self._rule_since(name, seq)
            mine, theirs = self.estimates(name, since), self.estimates(self.serving, since)
            paired = self.settings.rule == "paired"
            diff = self.difference(name, self.serving, since) if paired else None
            if (diff is None) if paired else (mine is None or theirs is None):
                continue
            low, wins = self._wins(mine, theirs, diff)
            self._streak[name] = self._streak[name] + 1 if wins else 0
            if self.settings.trial_share > 0.0:  # off trial while the recent rows say behind
                if self._behind(name, since, seq, paired):
                    self.off_trial.add(name)
                else:
                    self.off_trial.discard(name)
                    ahead = self._ahead_by(mine, diff)
                    if ahead > lead_value:
                        lead, lead_value, lead_share = name, ahead, self._share_of(diff)
            if self._streak[name] >= self.settings.confirm and low > best_low:
                best, best_low = name, low
                both = f" (and {_OTHER[est]})"
                bound = "anytime 95 % lower bound" if self.settings.anytime else "lower bound"
                rule = (f"paired {est}{both if self.settings.agree else ''}: {bound} of "
                        f"{name} - {self.serving} above 0"
                        if paired else f"{est} {bound} of {name} above the {est} upper "
                        f"bound of {self.serving}")
                evidence = {"rule": f"{rule}, {self._streak[name]} checks in a row",
                            "since_seq": since,
                            name: _dicts(mine), self.serving: _dicts(theirs)}
                if diff is not None:
                    evidence["difference"] = _dicts(diff)
        if self.settings.trial_share > 0.0:
            self.trial_leader, self.trial_weight = lead, lead_share
        if best is None:
            return None
        switch = Switch(seq, at, self.serving, best, evidence)
        self.serving = best
        self._streak = dict.fromkeys(self._streak, 0)
        self.off_trial.clear()  # behind the old serving one says nothing of the new
        self.trial_leader, self.trial_weight = None, start_share(self.settings)
        return switch

    def _rule_since(self, name: str, seq: int) -> int:
        """The first row the rule compares challenger ``name`` with the serving candidate on,
        at row ``seq``: both met it, and within ``settings.window`` of ``seq``."""
        window = self.settings.window
        return max(self.since[name], self.since[self.serving], seq - window if window else 0)

    def _wins(self, mine: dict[str, OPEResult] | None, theirs: dict[str, OPEResult] | None,
              diff: dict[str, OPEResult] | None) -> tuple[float, bool]:
        """(the challenger's lower bound the rule reads, whether it wins this check)."""
        est, need = self.settings.estimator, self.settings.min_samples
        if diff is not None:
            if est not in diff or _OTHER[est] not in diff:  # pairs kept before dr_cv was
                return -np.inf, False
            d = diff[est]
            low = self._bounds(d)[0]
            other = diff[_OTHER[est]]
            agreed = not self.settings.agree or self._bounds(other)[0] > 0.0
            return low, d.n >= need and low > 0.0 and agreed
        assert mine is not None and theirs is not None
        if est not in mine or est not in theirs:
            return -np.inf, False
        low = self._bounds(mine[est])[0]
        return low, mine[est].n >= need and low > self._bounds(theirs[est])[1]

    def _ahead_by(self, mine: dict[str, OPEResult] | None,
                  diff: dict[str, OPEResult] | None) -> float:
        """The challenger's standing for the trial: its estimated difference from the serving
        candidate (paired), or its own estimate (unpaired); -inf without one."""
        est = self.settings.estimator
        got = diff if diff is not None else mine
        return got[est].value if got is not None and est in got else -np.inf

    def _share_of(self, diff: dict[str, OPEResult] | None) -> float:
        """The leading challenger's share of each decision: ``settings.trial_share``, or with
        ``settings.trial_share_max`` the probability that its paired difference from the
        serving candidate is above 0 (a normal approximation of the estimate the rule reads,
        and of IPS's with ``agree``: the lower), mapped by ``settings.trial_growth`` and
        kept between the two settings; :func:`start_share` until the difference has
        ``min_samples`` rows. ``"even"`` growth reads the rule's estimate alone."""
        est = self.settings.estimator
        if not self.settings.trial_share_max or diff is None or est not in diff:
            return start_share(self.settings)
        if diff[est].n < self.settings.min_samples:
            return start_share(self.settings)
        lower_of_two = self.settings.agree and self.settings.trial_growth != "even"
        reads = [est, _OTHER[est]] if lower_of_two and _OTHER[est] in diff else [est]
        p = min(_p_above_zero(diff[k]) for k in reads)
        s = self.settings
        return grown_share(p, s.trial_share, s.trial_share_max, s.trial_growth)

    def _behind(self, name: str, since: int, seq: int, paired: bool) -> bool:
        """Whether the estimate the rule reads puts challenger ``name`` behind the serving
        candidate on the recent rows (the last ``2 * min_samples``, at least ``min_samples``
        of them): the upper bound of its paired difference below 0 (``rule="paired"``), or
        its own upper bound below the serving one's lower bound. Recent rows only: a
        challenger that learns slower than the serving one starts behind it, and a trial that
        ended on its first rows would never see it catch up."""
        est, need = self.settings.estimator, self.settings.min_samples
        since = max(since, seq - 2 * need)
        if paired:
            diff = self.difference(name, self.serving, since)
            if diff is None:
                return False
            d = diff.get(est)
            return d is not None and d.n >= need and self._bounds(d)[1] < 0.0
        mine, theirs = self.estimates(name, since), self.estimates(self.serving, since)
        if mine is None or theirs is None or est not in mine or est not in theirs:
            return False
        return (mine[est].n >= need
                and self._bounds(mine[est])[1] < self._bounds(theirs[est])[0])

    def _bounds(self, result: OPEResult) -> tuple[float, float]:
        """The interval the rule reads: the confidence sequence tightest at ``min_samples``
        rows (``settings.anytime``), else the estimate's own fixed interval."""
        if self.settings.anytime:
            return anytime_interval(result, tight_at=self.settings.min_samples)
        return result.ci

    # -- candidates joining later (drift recovery, issue 15) -----------------------------------
    def add_candidate(self, name: str, learner: CandidateLearner, since: int,
                      decided_from: float | None = None) -> None:
        """A new candidate, to be trained on the log's rows after ``since`` (the caller replays
        them through :meth:`process`) and compared with the serving one on those rows only;
        with ``decided_from``, it learns (and is scored on) only the rows of decisions made
        from that time on (epoch s), however late their rewards come."""
        if name in self.learners:
            raise ConfigError(f"candidates: {name!r} is already a candidate")
        self.learners[name] = learner
        self.cursors[name] = self.since[name] = since
        self.values[name] = ProgressiveValue(self.n_actions)
        self.scales[name] = RewardScale()
        self._streak[name] = 0
        self._targets[name] = OrderedDict()
        if decided_from is not None:
            self.decided_from[name] = float(decided_from)

    # -- state ---------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything but the models, JSON-ready (the checkpoint's sidecar holds it)."""
        return {"serving": self.serving, "cursors": dict(self.cursors),
                "since": dict(self.since), "streak": dict(self._streak),
                "next_check": self._next_check, "decided_from": dict(self.decided_from),
                "off_trial": sorted(self.off_trial), "trial_leader": self.trial_leader,
                "trial_weight": self.trial_weight,
                "values": {n: v.to_state() for n, v in self.values.items()},
                "pairs": [[a, b, p.to_state()] for (a, b), p in self.pairs.items()],
                "scales": {n: v.to_state() for n, v in self.scales.items()},
                "learned_at": dict(self.learned_at)}

    def kept_rows(self) -> dict[str, np.ndarray]:
        """Every estimate's rows that a correction can still replace, as arrays for the
        checkpoint's ``rows`` file: ``index`` (one ``[kind, name, other]`` row per estimate,
        kind ``value`` or ``pair``) and ``e<i>.<field>`` for the i-th
        (:meth:`ProgressiveValue.kept_rows`). Without them a conversion after a restart
        counts its decision twice in the estimates (stop 48's fallback)."""
        owners = [("value", n, "", v) for n, v in self.values.items()] + [
            ("pair", a, b, p) for (a, b), p in self.pairs.items()]
        out: dict[str, np.ndarray] = {
            "index": np.array([[k, a, b] for k, a, b, _ in owners], dtype=str).reshape(-1, 3)}
        for i, (*_, est) in enumerate(owners):
            out.update({f"e{i}.{k}": v for k, v in est.kept_rows().items()})
        return out

    def restore_kept_rows(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Keep the rows :meth:`kept_rows` saved in the estimates restored with them
        (estimates no longer here are passed over).

        Raises:
            OPEInputError: the arrays are not what :meth:`kept_rows` writes.
        """
        index = np.asarray(arrays.get("index", np.empty((0, 3), dtype=str)))
        if index.ndim != 2 or index.shape[1] != 3:
            raise OPEInputError(f"kept rows: expected an (n, 3) index, got {index.shape}")
        for i, (kind, a, b) in enumerate(index.tolist()):
            est: ProgressiveValue | PairedDifference | None = (
                self.values.get(a) if kind == "value" else self.pairs.get((a, b)))
            if est is None:
                continue
            try:
                rows = {k: arrays[f"e{i}.{k}"] for k in ("seq", "action", "terms", "reward")}
            except KeyError as exc:
                raise OPEInputError(f"kept rows: expected {exc.args[0]!r} for the {kind} of "
                                    f"{a!r}") from exc
            est.restore_kept_rows(rows)

    def summary(self) -> dict[str, dict[str, Any]]:
        """Per candidate: serving or not, on trial or not, the share of each decision drawn
        from its distribution, its cursor, decisions scored, IPS and DR with intervals, and for a
        challenger its paired difference from the serving one (:meth:`_standing`)."""
        out: dict[str, dict[str, Any]] = {}
        trial = self.on_trial()
        for name in self.learners:
            est = self.estimates(name)
            row: dict[str, Any] = {"serving": name == self.serving,
                                   "on_trial": name in trial,
                                   "share": self._share_drawn(name, trial),
                                   "learned_seq": self.cursors[name],
                                   "n": 0 if est is None else est["ips"].n}
            for k in PROGRESSIVE_ESTIMATORS:
                r = None if est is None else est.get(k)
                row[k] = None if r is None else r.value
                row[f"{k}_low"] = None if r is None else r.ci[0]
                row[f"{k}_high"] = None if r is None else r.ci[1]
            row.update(self._standing(name))
            out[name] = row
        return out

    def _share_drawn(self, name: str, trial: list[str]) -> float:
        """The share of each decision drawn from candidate ``name``'s distribution, given the
        challengers on ``trial`` (:meth:`probabilities`)."""
        if name in trial:
            return self.trial_weight / len(trial)
        if name != self.serving:
            return 0.0
        return 1.0 - self.trial_weight if trial else 1.0

    def _standing(self, name: str) -> dict[str, Any]:
        """A challenger's paired difference from the serving candidate on the rows the switch
        rule reads now (``difference``, ``difference_low``, ``difference_high`` of the rule's
        estimate, and ``difference_n`` rows): how far it is from winning a check. None for the
        serving one, under the unpaired rule, and before a paired row."""
        keys = ("difference", "difference_low", "difference_high", "difference_n")
        if name == self.serving or self.settings.rule != "paired":
            return dict.fromkeys(keys)
        diff = self.difference(name, self.serving, self._rule_since(name, self.cursors[name]))
        d = None if diff is None else diff.get(self.settings.estimator)
        if d is None:
            return dict.fromkeys(keys)
        low, high = self._bounds(d)
        return dict(zip(keys, (d.value, low, high, d.n), strict=True))

    def close(self) -> None:
        """Release every learner (safe to call twice)."""
        for learner in self.learners.values():
            learner.close()


def correction_target(total: float, previous: float, taught_before: int) -> float:
    """The reward of one more example at which a decision's examples average to ``total``,
    when ``taught_before`` examples (at least one) averaged to ``previous``: under squared
    loss the ``k + 1`` examples then weigh as ``k + 1`` examples at ``total``, where adding
    one at ``total`` would leave the decision at the mean of the two (a conversion after a
    provisional 0 counted as half a conversion).

    Example (a provisional 0, then a conversion worth 1; then 2 more in ``"sum"`` mode):
        >>> correction_target(1.0, 0.0, 1)
        2.0
        >>> (0.0 + 2.0 + correction_target(3.0, 1.0, 2)) / 3
        3.0
    """
    k = max(int(taught_before), 1)
    return (k + 1) * total - k * previous


def rows_taught(values: Sequence[float]) -> int:
    """How many of a decision's logged rewards ``values`` (in order) taught the candidates:
    the first, and each later one that changed the total (:attr:`LoggedRow.teaches`; a
    correction of 0 teaches nothing).

    Example:
        >>> rows_taught([0.0, 0.0, 1.0]), rows_taught([])
        (2, 0)
    """
    return 1 + sum(1 for v in values[1:] if v != 0.0) if values else 0


def start_share(settings: SelectionSettings) -> float:
    """The leading challenger's share before its paired difference has ``min_samples`` rows,
    and after a switch: ``trial_share``, or with ``trial_growth = "even"`` and a cap the
    midpoint of ``trial_share`` and ``trial_share_max`` (a half at the shared default's 0.1
    and 0.9), so that the first candidate named is not favoured by serving first.

    Example:
        >>> start_share(SelectionSettings(trial_share=0.1, trial_share_max=0.9))
        0.1
        >>> start_share(SelectionSettings(trial_share=0.1, trial_share_max=0.9,
        ...                               trial_growth="even"))
        0.5
    """
    if settings.trial_growth == "even" and settings.trial_share_max:
        return (settings.trial_share + settings.trial_share_max) / 2.0
    return settings.trial_share


def grown_share(p: float, floor: float, cap: float, growth: str = "matching") -> float:
    """The leading challenger's share of each decision when ``p`` is the probability that it
    is ahead of the serving candidate (``SelectionSettings.trial_growth``): ``p`` itself
    (``"matching"``, and ``"even"``, which differs in what ``p`` reads and where the share
    starts: :func:`start_share`) or ``floor + (cap - floor) * max(0, 2p - 1)``
    (``"margin"``), kept between ``floor`` and ``cap``.

    Example:
        >>> grown_share(0.4, 0.1, 0.9), grown_share(0.4, 0.1, 0.9, "margin")
        (0.4, 0.1)
        >>> round(grown_share(0.75, 0.1, 0.9, "margin"), 6)
        0.5
    """
    if growth not in TRIAL_GROWTHS:  # the one list the settings check too
        raise ValueError(f"growth: expected one of {TRIAL_GROWTHS}, got {growth!r}")
    share = floor + (cap - floor) * max(0.0, 2.0 * p - 1.0) if growth == "margin" else p
    return _within(share, floor, cap)


def _within(share: float, floor: float, cap: float) -> float:
    """``share`` kept between the trial's floor and its cap (the floor alone with no cap)."""
    return float(np.clip(share, floor, max(floor, cap)))


def _p_above_zero(result: OPEResult) -> float:
    """P(value > 0) under the normal approximation behind ``result``'s 95 % interval."""
    se = (result.ci[1] - result.ci[0]) / (2.0 * _Z95)
    if not se > 0.0:
        return 1.0 if result.value > 0.0 else 0.0
    return _NORMAL.cdf(result.value / se)


def _dicts(results: Mapping[str, OPEResult] | None) -> dict[str, Any] | None:
    return None if results is None else {k: r.to_dict() for k, r in results.items()}
