"""How the Vowpal Wabbit learner explores and learns: :class:`VWConfig`, validated, without VW.

Kept apart from :mod:`policies.vw_learner` so that reading or checking a configuration (a catalog's
``[engine]`` table, a checkpoint's fingerprint) does not load Vowpal Wabbit.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from policies.errors import PolicyConfigError
from policies.number_check import check_number

if TYPE_CHECKING:
    from policies.vw_format import FeatureSet

__all__ = ["CB_TYPES", "EXPLORATIONS", "HISTORY", "VWConfig"]

EXPLORATIONS = ("epsilon", "squarecb", "bag", "regcbopt")
#: ``VWConfig.history``'s values.
HISTORY = ("kept", "left_out")
#: The fields only ``regcbopt`` reads: left out of other configurations' fingerprints, so that
#: checkpoints written before they existed still match.
_REGCB_FIELDS = ("cost_min", "cost_max", "mellowness")
CB_TYPES = ("mtr", "dm", "ips", "dr")


@dataclass(frozen=True)
class VWConfig:
    """How the VW learner explores and learns. Validated at construction.

    Attributes:
        exploration: ``"epsilon"`` (epsilon-greedy), ``"squarecb"``, ``"bag"`` (bootstrap
            Thompson-like bagging) or ``"regcbopt"`` (RegCB-opt: the action whose cost's
            lower confidence bound is least, VW's ``--regcbopt``). A saved model resumes
            epsilon, SquareCB and RegCB-opt exactly; bag resumes its weights but not the
            random stream of its bootstrap, so learning after a resume draws other bootstrap
            weights. ``--cover`` is left out on purpose: VW does not restore its state from a
            saved model, so a checkpoint would change the policy.
        epsilon: exploration floor for ``epsilon``, ``bag`` and ``regcbopt`` (VW's RegCB-opt
            plays one action with probability 1; the learner mixes ``epsilon`` uniform over
            the eligible actions in, so that every action keeps a logged propensity above 0
            and the log can be evaluated off-policy: :meth:`floor`).
        gamma_scale: SquareCB's exploration scale (larger = greedier).
        bag_size: number of bootstrapped models for ``bag``.
        cb_type: how costs are estimated: ``mtr``, ``dm`` (direct regression, no importance
            weights: less variance with rare large rewards), ``ips`` or ``dr``.
        learning_rate: VW ``-l``.
        power_t: VW ``--power_t`` (learning-rate decay).
        l2: VW ``--l2`` regularisation.
        bits: VW ``-b``, log2 of the weight table size.
        interactions: namespace pairs/triples by first letter, e.g. ``("cm", "cn")``.
        cost_min, cost_max: the range of costs (minus the rewards the learner sees) that
            ``regcbopt`` bounds its confidence intervals with (VW's ``--cb_min_cost``,
            ``--cb_max_cost``; VW's own default, 0 to 1, cannot hold a reward above 0). The
            engine gives its learners rewards on one scale, a typical reward above 0 counting
            about 1 (``engine/reward_scale.py``), so the default range is in that unit.
        mellowness: RegCB's confidence width (VW's ``--mellowness``; smaller = greedier).
        history: what the learner does with the contact history the engine keeps (the shared
            namespace ``h``) (:data:`HISTORY`): ``"kept"`` (the default) learns from it as
            from the context; ``"left_out"`` never shows it to VW (the contact rules still
            read it), as the joint ridge's ``history = "left_out"`` does.

    Example:
        >>> VWConfig(exploration="bag", bag_size=3).arguments(seed=7)[:4]
        ['--cb_explore_adf', '--quiet', '--cb_type', 'mtr']
        >>> VWConfig(exploration="cover")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        policies.errors.PolicyConfigError: exploration must be one of ('epsilon', 'squarecb',
            'bag', 'regcbopt'), got 'cover'
    """

    exploration: str = "squarecb"
    epsilon: float = 0.05
    gamma_scale: float = 10.0
    bag_size: int = 5
    cb_type: str = "mtr"
    learning_rate: float = 0.5
    power_t: float = 0.5
    l2: float = 0.0
    bits: int = 18
    interactions: tuple[str, ...] = field(default=())
    cost_min: float = -4.0
    cost_max: float = 1.0
    mellowness: float = 0.1
    history: str = "kept"

    def __post_init__(self) -> None:
        if self.exploration not in EXPLORATIONS:
            raise PolicyConfigError(
                f"exploration must be one of {EXPLORATIONS}, got {self.exploration!r}"
            )
        if self.cb_type not in CB_TYPES:
            raise PolicyConfigError(f"cb_type must be one of {CB_TYPES}, got {self.cb_type!r}")
        if self.exploration == "squarecb" and self.cb_type != "mtr":
            raise PolicyConfigError(f"cb_type must be 'mtr' with squarecb (VW allows no other), "
                                    f"got {self.cb_type!r}")
        _check_range("epsilon", self.epsilon, 0.0, 1.0)
        _check_range("gamma_scale", self.gamma_scale, 1e-9, 1e9)
        _check_range("learning_rate", self.learning_rate, 1e-9, 1e3)
        _check_range("power_t", self.power_t, 0.0, 1.0)
        _check_range("l2", self.l2, 0.0, 1.0)
        _check_range("cost_min", self.cost_min, -1e6, 1e6)
        _check_range("cost_max", self.cost_max, -1e6, 1e6)
        if not self.cost_min < self.cost_max:
            raise PolicyConfigError(f"cost_max: expected a number above cost_min "
                                    f"({self.cost_min!r}), got {self.cost_max!r}")
        _check_range("mellowness", self.mellowness, 1e-9, 1e3)
        if self.history not in HISTORY:
            raise PolicyConfigError(f"history: expected one of {', '.join(HISTORY)}, got "
                                    f"{self.history!r}")
        if not isinstance(self.bag_size, int) or not 2 <= self.bag_size <= 64:
            raise PolicyConfigError(f"bag_size must be an int in [2, 64], got {self.bag_size!r}")
        if not isinstance(self.bits, int) or not 10 <= self.bits <= 28:
            raise PolicyConfigError(f"bits must be an int in [10, 28], got {self.bits!r}")
        inter = tuple(self.interactions)
        for term in inter:
            if not isinstance(term, str) or not 2 <= len(term) <= 3 or not term.isalpha():
                raise PolicyConfigError(
                    "interactions must be 2-3 namespace letters each, e.g. 'cm', got "
                    f"{term!r}"
                )
        object.__setattr__(self, "interactions", inter)

    def arguments(self, seed: int) -> list[str]:
        """The VW command line of this configuration."""
        args = ["--cb_explore_adf", "--quiet", "--cb_type", self.cb_type,
                "-b", str(self.bits), "-l", repr(self.learning_rate),
                "--power_t", repr(self.power_t), "--random_seed", str(int(seed))]
        if self.l2:
            args += ["--l2", repr(self.l2)]
        if self.exploration == "epsilon":
            args += ["--epsilon", repr(self.epsilon)]
        elif self.exploration == "squarecb":
            args += ["--squarecb", "--gamma_scale", repr(self.gamma_scale)]
        elif self.exploration == "bag":
            args += ["--bag", str(self.bag_size), "--epsilon", repr(self.epsilon)]
        else:
            args += ["--regcbopt", "--mellowness", repr(self.mellowness),
                     "--cb_min_cost", repr(self.cost_min), "--cb_max_cost", repr(self.cost_max)]
        for term in self.interactions:
            args += ["--interactions", term]
        return args

    def floor(self, probabilities: np.ndarray) -> np.ndarray:
        """VW's distribution over the eligible actions as the learner serves it: ``regcbopt``
        mixes ``epsilon`` uniform in (VW gives it no floor); the others are VW's own.

        Example:
            >>> VWConfig(exploration="regcbopt", epsilon=0.1).floor(np.array([1.0, 0.0]))
            array([0.95, 0.05])
        """
        p = np.asarray(probabilities, dtype=np.float64)
        p = p / p.sum()  # VW's float32 sum can be off by an ulp; RegCB gives ties 1 each
        if self.exploration != "regcbopt" or p.size == 0:
            return p
        return (1.0 - self.epsilon) * p + self.epsilon / p.size

    def shared(self, shared: FeatureSet) -> FeatureSet:
        """The part of a shared feature set this learner reads: without the contact history
        ``h`` when ``history`` is ``"left_out"``.

        Example:
            >>> VWConfig(history="left_out").shared({"c": {"x": 1}, "h": {"contacts_1d": 2}})
            {'c': {'x': 1}}
        """
        if self.history == "kept":
            return shared
        return {ns: v for ns, v in shared.items() if ns[:1] != "h"}

    def fingerprint(self) -> str:
        """A stable text of every setting, stored beside checkpoints to refuse a mismatch.

        Example:
            >>> VWConfig().fingerprint() == VWConfig().fingerprint()
            True
            >>> VWConfig().fingerprint() == VWConfig(epsilon=0.1).fingerprint()
            False
        """
        fields = asdict(self)
        if self.exploration != "regcbopt":
            for name in _REGCB_FIELDS:
                del fields[name]
        if self.history == "kept":
            del fields["history"]
        return json.dumps(fields, sort_keys=True)


def _check_range(name: str, value: float, lo: float, hi: float) -> None:
    check_number(name, value, low=lo, high=hi, error=PolicyConfigError)
