"""How the Vowpal Wabbit learner explores and learns: :class:`VWConfig`, validated, without VW.

Kept apart from :mod:`policies.vw_learner` so that reading or checking a configuration (a catalog's
``[engine]`` table, a checkpoint's fingerprint) does not load Vowpal Wabbit.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from policies.errors import PolicyConfigError
from policies.number_check import check_number

__all__ = ["CB_TYPES", "EXPLORATIONS", "VWConfig"]

EXPLORATIONS = ("epsilon", "squarecb", "bag")
CB_TYPES = ("mtr", "dm", "ips", "dr")


@dataclass(frozen=True)
class VWConfig:
    """How the VW learner explores and learns. Validated at construction.

    Attributes:
        exploration: ``"epsilon"`` (epsilon-greedy), ``"squarecb"`` or ``"bag"`` (bootstrap
            Thompson-like bagging). A saved model resumes epsilon and SquareCB exactly; bag
            resumes its weights but not the random stream of its bootstrap, so learning after a
            resume draws other bootstrap weights. ``--cover`` is left out on purpose: VW does
            not restore its state from a saved model, so a checkpoint would change the policy.
        epsilon: exploration floor for ``epsilon`` and ``bag``.
        gamma_scale: SquareCB's exploration scale (larger = greedier).
        bag_size: number of bootstrapped models for ``bag``.
        cb_type: how costs are estimated: ``mtr``, ``dm`` (direct regression, no importance
            weights: less variance with rare large rewards), ``ips`` or ``dr``.
        learning_rate: VW ``-l``.
        power_t: VW ``--power_t`` (learning-rate decay).
        l2: VW ``--l2`` regularisation.
        bits: VW ``-b``, log2 of the weight table size.
        interactions: namespace pairs/triples by first letter, e.g. ``("cm", "cn")``.

    Example:
        >>> VWConfig(exploration="bag", bag_size=3).arguments(seed=7)[:4]
        ['--cb_explore_adf', '--quiet', '--cb_type', 'mtr']
        >>> VWConfig(exploration="cover")  # doctest: +NORMALIZE_WHITESPACE
        Traceback (most recent call last):
        ...
        policies.errors.PolicyConfigError: exploration must be one of ('epsilon', 'squarecb',
            'bag'), got 'cover'
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
        else:
            args += ["--bag", str(self.bag_size), "--epsilon", repr(self.epsilon)]
        for term in self.interactions:
            args += ["--interactions", term]
        return args

    def fingerprint(self) -> str:
        """A stable text of every setting, stored beside checkpoints to refuse a mismatch.

        Example:
            >>> VWConfig().fingerprint() == VWConfig().fingerprint()
            True
            >>> VWConfig().fingerprint() == VWConfig(epsilon=0.1).fingerprint()
            False
        """
        return json.dumps(asdict(self), sort_keys=True)


def _check_range(name: str, value: float, lo: float, hi: float) -> None:
    check_number(name, value, low=lo, high=hi, error=PolicyConfigError)
