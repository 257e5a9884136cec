"""The engine's candidate learners: named Vowpal Wabbit configurations that all learn from the
same logged decisions, one of which serves (``engine/learner_selection.py`` picks it), and the
settings of that choice. Configuration only: nothing here loads Vowpal Wabbit.

``[engine] candidates`` lists them, each a table with a ``name`` and :class:`VWConfig` fields
over the engine's base learner (``learner``/``exploration``); the first one serves until the
selection finds a better one. A candidate may also be given by the name of a built-in
(:data:`BUILT_IN`). Without ``candidates`` the engine runs :func:`default_candidates` of its
catalog: :data:`SHARED_DEFAULT_CANDIDATES` (the joint ridge serving first, RegCB-opt beside
it on a trial that grows with the evidence: :data:`SHARED_DEFAULT_SELECTION`) when the actions
share attributes, else :data:`DEFAULT_CANDIDATES` (the optimistic ridge learner
serving first, SquareCB beside it); chosen by the learning suite, docs/engine.md.
A table with ``exploration = "ridge"`` (or the built-in ``"ridge"``) is the closed-form ridge
learner instead (:class:`~policies.ridge_learner.RidgeConfig` fields: ``dim``, ``l2``,
``gamma_scale``, ``gamma_exponent``, ``forget``, ``ucb``, ``slots``, ``number_scale``), and
``exploration = "joint"`` (or the built-in ``"joint"``) the joint ridge learner, one
regression over the context crossed with the actions' attributes
(:class:`~policies.joint_ridge_learner.JointRidgeConfig` fields: ``dim``, ``l2``,
``gamma_scale``, ``gamma_exponent``, ``max_dim``, ``ucb``, ``forget``, ``own_l2``, ``slots``,
``thompson``, ``thompson_final``, ``thompson_halfway``, ``thompson_counts``, ``draws``,
``redraw``, ``thompson_l2``, ``thompson_l2_on``, ``thompson_mix``, ``pool``, ``redraw_share``,
``attribute_scale``, ``action_constants``, ``context_keys``, ``numbers_describe``,
``number_scale``, ``cross_identity``, ``history``).

Example:
    >>> base = VWConfig(exploration="epsilon", cb_type="dm")
    >>> [c.name for c in parse_candidates(["squarecb", {"name": "eps10", "epsilon": 0.1}], base)]
    ['squarecb', 'eps10']
    >>> parse_candidates(["squarecb", {"name": "r64", "exploration": "ridge", "dim": 64}],
    ...                  base)[1].config.dim
    64
    >>> parse_candidates([{"name": "raw", "exploration": "regcbopt", "cost_min": -100.0,
    ...                    "cost_max": 0.1, "scale_rewards": False}], base)[0].scale_rewards
    False
    >>> SelectionSettings(trial_share=0.3).trial_share
    0.3
    >>> parse_candidates([{"name": "r", "exploration": "ridge", "dim": 100}], base)
    Traceback (most recent call last):
    ...
    engine.errors.ConfigError: candidates[0].dim: expected a power of two in [8, 512], got 100
    >>> parse_candidates([{"name": "x", "gama_scale": 3}], base)
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    engine.errors.ConfigError: candidates[0].gama_scale: unknown learner field; expected one of
        exploration, epsilon, gamma_scale, bag_size, cb_type, learning_rate, power_t, l2, bits,
        interactions, cost_min, cost_max, mellowness, history
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

from engine.errors import ConfigError
from ope.estimators.progressive import PROGRESSIVE_ESTIMATORS
from policies.errors import PolicyConfigError
from policies.joint_ridge_learner import JointRidgeConfig, joint_dimension, shares_attributes
from policies.ridge_learner import RidgeConfig
from policies.vw_config import VWConfig

__all__ = ["BUILT_IN", "CORRECTIONS", "DEFAULT_CANDIDATES", "EARLIER_DEFAULTS", "JOINT_RIDGE",
           "JOINT_RIDGE_SQUARECB", "OPTIMISTIC_RIDGE", "REGCB_OPT", "SHARED_DEFAULT_CANDIDATES",
           "SHARED_DEFAULT_SELECTION", "TRIAL_GROWTHS", "CandidateSpec", "SelectionSettings",
           "default_candidates", "parse_candidates"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_FIELDS = tuple(f.name for f in fields(VWConfig))
_RIDGE_FIELDS = tuple(f.name for f in fields(RidgeConfig))
_JOINT_FIELDS = tuple(f.name for f in fields(JointRidgeConfig))


@dataclass(frozen=True)
class CandidateSpec:
    """One candidate: a name (``[a-z][a-z0-9_]*``, at most 32 characters) and its learner;
    ``scale_rewards`` False (a table's ``scale_rewards = false``) has it learn rewards on the
    business scale even when the engine's ``reward_scale`` divides them for the others (a
    learner whose cost range is declared in business units, as the plain VW RegCB-opt loop's
    is). ``reward_unit`` (a positive number, 1 by default) is what a typical reward counts as
    for this candidate when rewards are scaled: VW's RegCB-opt (its confidence width and its
    steps) does not behave alike on rewards of 1 and of 64, so a candidate tuned on rewards
    of a size gets rewards of that size on every world, whatever the business counts in."""

    name: str
    config: VWConfig | RidgeConfig | JointRidgeConfig
    scale_rewards: bool = True
    reward_unit: float = 1.0


#: Built-in candidates by name: VWConfig fields over the engine's base learner.
BUILT_IN: dict[str, dict[str, Any]] = {
    "squarecb": {"exploration": "squarecb", "cb_type": "mtr"},
    "epsilon": {"exploration": "epsilon"},
    "bag": {"exploration": "bag"},
    "regcbopt": {"exploration": "regcbopt"},  # on mtr, as every table naming it (_one)
    "ridge": {"exploration": "ridge"},  # the closed-form ridge learner (RidgeConfig defaults)
    "joint": {"exploration": "joint"},  # the joint ridge learner (JointRidgeConfig defaults)
}

#: The optimistic ridge: inverse gap weighting over ``estimate + 1 sd * width`` at
#: ``gamma_scale`` 100, each action weighting its rewards ``0.999 ** age`` (docs/engine.md,
#: "The optimistic ridge" and "The optimistic ridge that forgets").
OPTIMISTIC_RIDGE: Mapping[str, Any] = {"name": "ridge", "exploration": "ridge", "ucb": 1.0,
                                       "gamma_scale": 100.0, "forget": 0.999}
#: What the engine runs without ``candidates`` (chosen by the learning suite's best worst-case
#: ratio over the worlds measured, docs/engine.md) on a catalog whose actions share no
#: attribute (one message per action: classification as a bandit).
DEFAULT_CANDIDATES: tuple[str | Mapping[str, Any], ...] = (OPTIMISTIC_RIDGE, "squarecb")
#: The joint ridge, for a catalog whose actions share attributes (messages x channels x
#: timings), at a penalty of 100 (its weights are many against rewards whose
#: spread is many times their mean; a stronger one locked in on a small noiseless world:
#: docs/engine.md, "The joint ridge candidate" and "The joint ridge's penalty"), under Thompson
#: sampling at 0.5 with a twentieth of inverse gap weighting (at gamma_scale 30) mixed in: the
#: suite's best worst-case ratio over its nine shared-attribute worlds, 0.56 against 0.34 for
#: inverse gap weighting alone, without Thompson sampling's lock-in on that small world
#: (docs/engine.md, "Thompson sampling with inverse gap weighting mixed in"); its pool
#: perturbed (each draw follows every reward by a rank-one update), drawn afresh every 300
#: rewards: level with the pool redrawn every 100 on the nine worlds at 20 seeds, no tiny-world
#: lock-in in 40 seeds against 1, a learn 95 us against 127 at 54 actions (docs/engine.md,
#: "The perturbed pool"); the contact history's features left out of its model since stop 28
#: (the contact rules still read the history): on the nine worlds the better worst ratio of
#: the two (the history left out or crossed: 0.64 against 0.40 on seeds 0-9, 0.78 against
#: 0.50 on held-out seeds), ahead of the history crossed at 40,000 decisions on `baseline`
#: and `capacity` with separated intervals, ahead of segment rules on `capacity` (separated)
#: and not separated from them on `baseline`, no tiny-world lock-in in 160 seeds against 4,
#: not separated on 100 fresh catalogs (+0.003 [-0.007, +0.013]) (docs/engine.md, "The
#: contact history left out of the joint ridge"). It trailed on `cold_start` only while the
#: engine was not told of that world's launch: told, it leads every learner there over 20
#: seeds, separated (docs/engine.md, stop 29).
JOINT_RIDGE: Mapping[str, Any] = {
    "name": "joint", "exploration": "joint", "gamma_scale": 30.0, "l2": 100.0,
    "thompson": 0.5, "thompson_mix": 0.05, "pool": "perturbed", "redraw": 300,
    "history": "left_out"}
#: The shared-attribute default of stops 28-42: the joint ridge serving first, the ridge and
#: SquareCB beside it, no trial. Named, not found by its place in :data:`EARLIER_DEFAULTS`
#: (which moves each time a default is added), for what pins it: the suite's variants and
#: the tests that check both kinds of ridge candidate.
JOINT_RIDGE_SQUARECB: tuple[str | Mapping[str, Any], ...] = (JOINT_RIDGE, "ridge", "squarecb")
#: The defaults before today's, newest first: a state folder whose checkpoint was made under
#: one of them resumes with it (:func:`engine.checkpoint.options_for_state`), so an upgrade
#: never refuses its models. The first is the shared-attribute default of stops 28-42 (the
#: joint ridge serving first, the ridge and SquareCB beside it; its state resumes without the
#: trial, as it ran); the next four
#: are the shared-attribute defaults of stops 15-27
#: (the contact history crossed with every attribute), of stop 14 (Thompson sampling's pool
#: redrawn every 100 rewards), of stops 7-13 (the joint ridge at penalty 100 under inverse gap
#: weighting at gamma_scale 30) and before stop 7 (penalty 1).
EARLIER_DEFAULTS: tuple[tuple[str | Mapping[str, Any], ...], ...] = (
    JOINT_RIDGE_SQUARECB,
    ({"name": "joint", "exploration": "joint", "gamma_scale": 30.0, "l2": 100.0,
      "thompson": 0.5, "thompson_mix": 0.05, "pool": "perturbed", "redraw": 300}, "ridge",
     "squarecb"),
    ({"name": "joint", "exploration": "joint", "gamma_scale": 30.0, "l2": 100.0,
      "thompson": 0.5, "thompson_mix": 0.05}, "ridge", "squarecb"),
    ({"name": "joint", "exploration": "joint", "gamma_scale": 30.0, "l2": 100.0}, "ridge",
     "squarecb"),
    ({"name": "joint", "exploration": "joint", "gamma_scale": 30.0}, "ridge", "squarecb"),
    ({"name": "ridge", "exploration": "ridge", "ucb": 1.0, "gamma_scale": 100.0}, "squarecb"),
    ("ridge", "squarecb"), ("squarecb", "epsilon"))
#: VW's RegCB-opt (optimistic regression oracle, Foster et al. 2018) on mtr, its cost range
#: wide on the engine's reward scale (``[-100, 0.1]``, a typical reward counting 1), 5 %
#: uniform mixed in (with none it never explores: docs/engine.md, stop 41), the context
#: crossed with each attribute and the action's id, the contact history left out.
REGCB_OPT: Mapping[str, Any] = {
    "name": "regcb", "exploration": "regcbopt", "cb_type": "mtr", "cost_min": -100.0,
    "cost_max": 0.1, "epsilon": 0.05, "interactions": ("cm", "cn", "ct", "ca"),
    "history": "left_out"}
#: Since stop 43, on a catalog whose actions share attributes, the joint ridge serves first
#: and RegCB-opt is its one challenger, on a trial (:data:`SHARED_DEFAULT_SELECTION`): a
#: share of each decision is RegCB-opt's own, growing with the evidence that it is ahead.
#: Where no trial runs (a fleet's replicas, a campaign's runner, the priced live path) the
#: joint ridge serves alone, as under the default of stops 28-42. By the suite's rule (the
#: best worst-case ratio) it ranks first of the three configurations run on the eleven
#: shared-attribute worlds, seeds 10-19: 0.90 (`example_catalog`) against 0.45 (`small`) for
#: the default of stops 28-42 and 0.59 for RegCB-opt serving first (0.72, still first of the
#: seventeen labels, against most of the field, the worst on `fatigue`: stops 44-45; on
#: held-out seeds at or above 0.9 of each world's best on nine of the eleven, `fatigue` 0.66:
#: stop 45); ahead on
#: `small` (+0.139, separated), behind on `example_catalog` (-0.066, separated), the other
#: nine not separated (docs/engine.md, stop 43). The ridge and SquareCB, beside the joint
#: ridge in stops 28-42, served at the end of 2 of its 110 cells there; without them the
#: trial's share goes to RegCB-opt alone (with them, stop 38's grown trial often went to one
#: of them, on noise by stop 38's reading). On one-message
#: catalogs :data:`DEFAULT_CANDIDATES` stay: RegCB-opt loses `digits` by 0.28 (separated,
#: stop 40).
SHARED_DEFAULT_CANDIDATES: tuple[str | Mapping[str, Any], ...] = (JOINT_RIDGE, REGCB_OPT)
#: The switch rule's settings that go with :data:`SHARED_DEFAULT_CANDIDATES` (unless
#: ``selection`` names ``trial_share``, ``trial_share_max`` or ``rule``): a tenth of each
#: decision drawn from the challenger, growing to nine tenths with the probability that it is
#: ahead (docs/engine.md, "A trial that grows with the evidence"). With a floor of 0.3 it
#: kept less of RegCB-opt's lead on `small` (+0.073 [-0.025, +0.170] against +0.139, stop 43).
SHARED_DEFAULT_SELECTION: Mapping[str, float] = {"trial_share": 0.1, "trial_share_max": 0.9}


def default_candidates(action_sets: Sequence[Mapping[str, Any]]) -> tuple[
        str | Mapping[str, Any], ...]:
    """The default candidates for a catalog's action feature sets: :data:`SHARED_DEFAULT_
    CANDIDATES` when some attribute value is carried by two actions or more and the joint
    model fits its ``max_dim``, else :data:`DEFAULT_CANDIDATES`.

    Example:
        >>> grid = [{"m": {"msg": m}, "n": {"ch": c}} for m in "ab" for c in ("email", "sms")]
        >>> one = [{"m": {"msg": "a"}}]
        >>> default_candidates(grid)[0]["name"], default_candidates(one)[0]["name"]
        ('joint', 'ridge')
        >>> default_candidates(one)[0]["forget"]
        0.999
    """
    if not shares_attributes(action_sets):
        return DEFAULT_CANDIDATES
    try:
        joint_dimension(action_sets, JointRidgeConfig(
            **{k: v for k, v in JOINT_RIDGE.items() if k not in ("name", "exploration")}))
    except PolicyConfigError:  # past max_dim: the disjoint default
        return DEFAULT_CANDIDATES
    return SHARED_DEFAULT_CANDIDATES


def parse_candidates(value: Sequence[str | Mapping[str, Any]], base: VWConfig
                     ) -> tuple[CandidateSpec, ...]:
    """The candidates of an ``[engine] candidates`` list, over ``base``.

    Raises:
        ConfigError: not a list, a bad or repeated name, an unknown field or a bad value
            (the message names ``candidates[i].<field>``).
    """
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
        raise ConfigError(f"candidates: expected a non-empty list of names or tables, got "
                          f"{value!r:.80}")
    out: list[CandidateSpec] = []
    for i, item in enumerate(value):
        spec = _one(i, item, base)
        if spec.name in {c.name for c in out}:
            raise ConfigError(f"candidates[{i}].name: expected a name not used before, got "
                              f"{spec.name!r}")
        out.append(spec)
    return tuple(out)


def _one(i: int, item: str | Mapping[str, Any], base: VWConfig) -> CandidateSpec:
    if isinstance(item, str):
        if item not in BUILT_IN:
            raise ConfigError(f"candidates[{i}]: expected a table or one of "
                              f"{', '.join(BUILT_IN)}, got {item!r}")
        item = {"name": item, **BUILT_IN[item]}
    if not isinstance(item, Mapping):
        raise ConfigError(f"candidates[{i}]: expected a table or a name, got {item!r:.80}")
    values = dict(item)
    name = values.pop("name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"candidates[{i}].name: expected lower-case letters, digits or '_' "
                          f"(at most 32, a letter first), got {name!r}")
    scaled = values.pop("scale_rewards", True)
    if not isinstance(scaled, bool):
        raise ConfigError(f"candidates[{i}].scale_rewards: expected true or false, got "
                          f"{scaled!r:.80}")
    unit = values.pop("reward_unit", 1.0)
    if (isinstance(unit, bool) or not isinstance(unit, (int, float))
            or not 1e-6 <= unit <= 1e6):
        raise ConfigError(f"candidates[{i}].reward_unit: expected a number in [1e-06, 1e+06], "
                          f"got {unit!r:.80}")
    return replace(_learner(i, values, base, name), scale_rewards=scaled,
                   reward_unit=float(unit))


def _learner(i: int, values: dict[str, Any], base: VWConfig, name: str) -> CandidateSpec:
    if values.get("exploration") == "ridge":
        return CandidateSpec(name, _ridge(i, values, RidgeConfig, _RIDGE_FIELDS))
    if values.get("exploration") == "joint":
        return CandidateSpec(name, _ridge(i, values, JointRidgeConfig, _JOINT_FIELDS))
    for key in values:
        if key not in _FIELDS:
            raise ConfigError(f"candidates[{i}].{key}: unknown learner field; expected one of "
                              f"{', '.join(_FIELDS)}")
    if "interactions" in values:
        values["interactions"] = tuple(values["interactions"])
    if values.get("exploration") in ("squarecb", "regcbopt"):
        # VW runs SquareCB on mtr only; RegCB-opt on mtr is the suite's plain loop
        values.setdefault("cb_type", "mtr")
    try:
        return CandidateSpec(name, replace(base, **values))
    except PolicyConfigError as exc:
        raise ConfigError(f"candidates[{i}].{exc}") from None


def _ridge(i: int, values: dict[str, Any], kind: type[RidgeConfig] | type[JointRidgeConfig],
           known: tuple[str, ...]) -> RidgeConfig | JointRidgeConfig:
    values = {k: v for k, v in values.items() if k != "exploration"}
    for key in values:
        if key not in known:
            raise ConfigError(f"candidates[{i}].{key}: unknown {kind().exploration} field; "
                              f"expected one of exploration, {', '.join(known)}")
    try:
        return kind(**values)
    except PolicyConfigError as exc:
        raise ConfigError(f"candidates[{i}].{exc}") from None


#: How the leading challenger's share grows with the probability that it is ahead
#: (``SelectionSettings.trial_growth``).
TRIAL_GROWTHS = ("matching", "margin", "even")
#: How a Vowpal Wabbit candidate learns a correction (``SelectionSettings.correction``).
CORRECTIONS = ("added", "total")


@dataclass(frozen=True)
class SelectionSettings:
    """The switch rule's settings (``[engine] selection = {...}``).

    Attributes:
        min_samples: rows a challenger's estimate needs before it may win a check.
        check_every: rows between two checks.
        confirm: checks in a row a challenger must win to take over.
        estimator: the estimate the rule reads: ``"dr_cv"`` (the default since stop 20: DR
            with its reward model's weight fitted for the least variance,
            :mod:`ope.estimators.dr_cv`), ``"dr"`` or ``"ips"``. On many actions DR's
            per-action reward model made its intervals 5-310x IPS's, so the rule could not
            move; ``dr_cv``'s were never wider than either on the pairs measured. At the long
            horizon the two rules' cells differed on `baseline` only (4 of 20 seeds with a
            segment candidate, 4 of 10 with a greedier one), each a gain, none separated
            (docs/engine.md, "The switch rule reads the control-variate DR").
        window: the rule compares the candidates over the last ``window`` rows only (to the
            granularity of 1,000-row blocks), so that what a candidate was worth while it was
            still learning does not weigh forever; 0 compares over every row.
        rule: ``"paired"`` (the default): a challenger wins a check when the lower bound of
            its per-row DR (or IPS) term minus the serving one's, on the same rows, is above 0
            (:class:`ope.estimators.paired.PairedDifference`: the noise the two estimates
            share cancels); ``"unpaired"``: when its own lower bound is above the serving
            one's upper bound (each interval alone, as before the paired rule).
        agree: the paired rule also needs the other estimate (IPS when ``estimator`` is DR,
            and the reverse) to put the challenger ahead, its lower bound above 0 too. Both
            are unbiased on the same rows; on a few rows of heavy importance weights their
            normal intervals were seen to exclude 0 in opposite directions (docs/engine.md,
            "Two estimates must agree"), and a switch away from the serving candidate is hard
            to undo (the others' estimates are then off-policy). ``False``: the one estimate.
        anytime: the rule reads a confidence sequence (valid at every check at once:
            :mod:`ope.estimators.sequential`, tightest at ``min_samples`` rows) instead of the
            fixed 95 % interval, which, read at every check, lets noise through more often
            than 5 % of the time. Off by default: it halved the false switches between equal
            candidates on a heavy-weight log, but took 1.5-2x the rows to reach a better
            candidate and kept a drift challenger that the fixed interval let take over
            within 1,500 customers from serving within 8,000 (``benchmarks/drift_takeover.py``;
            docs/engine.md, "Two estimates must agree").
        trial_share: the share of decisions served by the challengers on trial (split
            equally between them), so that each challenger's estimate rests on decisions it
            would have made and not only on the serving candidate's exploration: a nearly
            deterministic challenger whose best actions the serving one rarely plays is
            otherwise estimated on a few rows of heavy weights, and the rule cannot move
            (docs/engine.md, "Challengers on trial"). A challenger is off trial while the
            rule's estimate over the recent rows (the last ``2 * min_samples``) puts it
            behind the serving candidate (the upper bound of its difference below 0), and
            every one returns to it after a switch. The logged propensity is the mixture's,
            so every estimate stays unbiased. 0 (the default): the serving candidate alone
            decides.
        trial_share_max: above ``trial_share``, the leading challenger's share grows with the
            evidence that it is ahead: the probability, under the paired estimate the rule
            reads over its ``min_samples`` or more rows (the lower of it and IPS's with
            ``agree``), that its difference from the serving candidate is above 0, kept
            between ``trial_share`` and this (probability matching between the two, as
            Thompson sampling does between actions). The switch rule needs a lower bound above
            0, which a world of rare, large rewards may not give within its horizon even to
            a challenger far ahead; this lets such a challenger decide most decisions before
            it wins (docs/engine.md, stop 38). 0 (the default): the share stays
            ``trial_share``; the paired rule only.
        trial_growth: how that probability ``p`` sets the share between ``trial_share`` and
            ``trial_share_max``: ``"matching"`` (the default) is ``p`` itself; ``"margin"``
            is ``trial_share + (trial_share_max - trial_share) * max(0, 2p - 1)``, the
            floor until the challenger is more likely ahead than behind, then growing with
            how much more (docs/engine.md, stop 44); ``"even"`` is ``p`` read from the
            rule's estimate alone (not the lower of it and IPS's), and the midpoint of the two
            settings before ``min_samples`` paired rows and after a switch, so that neither
            candidate is favoured by which one serves first (docs/engine.md, stop 52).
        relearn_factor: a Vowpal Wabbit candidate learns its rows again when its reward scale
            has moved more than this factor above or below the scale they were learned at
            (``engine/learner_selection.py``, stop 37); 0 never (a learner then keeps what it
            learned at the first scale, which locked RegCB-opt onto no contact on ``small``).
        correction: how a Vowpal Wabbit candidate learns a correction (a decision's later
            reward in ``reward_mode = "sum"``, or one after the engine's provisional default,
            ``provisional_after``), one more example of the decision either way (it cannot
            take one back): ``"added"`` (the default) gives that example the total, so that
            the decision's examples say the mean of its totals (a conversion after a
            provisional 0, half a conversion); ``"total"`` (stop 46) the reward at which they
            average to the total now (under squared loss, ``k`` examples at the total). A
            ridge candidate replaces the decision's reward exactly either way. ``"total"``
            was measured no better (docs/engine.md, stop 46: on the default with zeros after
            12 hours, means lower on ``small`` and ``capacity``, not separated), so the
            default stays as before.
    """

    min_samples: int = 1000
    check_every: int = 100
    confirm: int = 3
    estimator: str = "dr_cv"
    window: int = 0
    rule: str = "paired"
    agree: bool = True
    anytime: bool = False
    trial_share: float = 0.0
    trial_share_max: float = 0.0
    trial_growth: str = "matching"
    relearn_factor: float = 2.0
    correction: str = "added"

    def __post_init__(self) -> None:
        if isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 0:
            raise ConfigError(f"selection.window: expected an integer >= 0, got {self.window!r}")
        for name in ("min_samples", "check_every", "confirm"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ConfigError(f"selection.{name}: expected an integer >= 1, got {v!r}")
        if self.estimator not in PROGRESSIVE_ESTIMATORS:
            names = ", ".join(repr(n) for n in PROGRESSIVE_ESTIMATORS)
            raise ConfigError(f"selection.estimator: expected one of {names}, got "
                              f"{self.estimator!r}")
        for flag in ("agree", "anytime"):
            if not isinstance(getattr(self, flag), bool):
                raise ConfigError(f"selection.{flag}: expected true or false, got "
                                  f"{getattr(self, flag)!r}")
        if self.rule not in ("paired", "unpaired"):
            raise ConfigError(f"selection.rule: expected 'paired' or 'unpaired', got "
                              f"{self.rule!r}")
        share = self.trial_share
        if (isinstance(share, bool) or not isinstance(share, int | float)
                or not 0.0 <= share <= 0.5):  # NaN fails the comparison too
            raise ConfigError(f"selection.trial_share: expected a number in [0, 0.5], got "
                              f"{share!r}")
        object.__setattr__(self, "trial_share", float(share))
        top = self.trial_share_max
        if (isinstance(top, bool) or not isinstance(top, int | float)
                or not (top == 0.0 or 0.0 < share < top <= 0.95)):  # NaN fails them too
            raise ConfigError(f"selection.trial_share_max: expected 0, or with trial_share "
                              f"above 0 a number above it ({share:g}) and at most 0.95, got "
                              f"{top!r}")
        if top and self.rule != "paired":
            raise ConfigError("selection.trial_share_max: needs rule = 'paired' (the share "
                              "reads the paired difference)")
        object.__setattr__(self, "trial_share_max", float(top))
        if self.trial_growth not in TRIAL_GROWTHS:
            names = ", ".join(repr(n) for n in TRIAL_GROWTHS)
            raise ConfigError(f"selection.trial_growth: expected one of {names}, got "
                              f"{self.trial_growth!r}")
        factor = self.relearn_factor
        if (isinstance(factor, bool) or not isinstance(factor, int | float)
                or not (factor == 0.0 or 1.0 < factor <= 1e6)):  # NaN fails them too
            raise ConfigError(f"selection.relearn_factor: expected 0 (never) or a number above "
                              f"1 and at most 1e6, got {factor!r}")
        object.__setattr__(self, "relearn_factor", float(factor))
        if self.correction not in CORRECTIONS:
            names = ", ".join(repr(n) for n in CORRECTIONS)
            raise ConfigError(f"selection.correction: expected one of {names}, got "
                              f"{self.correction!r}")
