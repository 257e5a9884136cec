"""The worlds of the learning suite (``benchmarks/learning_suite.py``), one per module, by name.

A world is built inside a Ray worker from plain data: :func:`make_world` (name, seed, horizon).
Each name has a full and a quick horizon (:data:`HORIZONS`); classification worlds always run
their three passes.

Example:
    >>> w = make_world("iris", seed=0)
    >>> w.name, w.horizon
    ('iris', 450)
    >>> make_world("mnist", seed=0)  # doctest: +NORMALIZE_WHITESPACE, +ELLIPSIS
    Traceback (most recent call last):
    ...
    experiments.errors.SpecError: world: expected one of digits, wine, breast_cancer, iris,
        multiclass60, ..., fatigue_unrecorded; got 'mnist'
"""

from __future__ import annotations

from collections.abc import Callable

from experiments.errors import SpecError
from experiments.worlds.classification import DATASETS, Classification
from experiments.worlds.example_catalog import ExampleCatalog
from experiments.worlds.low_rank import LowRank
from experiments.worlds.marketing import Marketing
from experiments.worlds.multiclass import Multiclass
from experiments.worlds.per_action_linear import PerActionLinear
from experiments.worlds.random_catalog import RandomCatalog
from experiments.worlds.shift import Shift
from experiments.worlds.simulator_world import SimulatorWorld
from experiments.worlds.sparse_categories import SparseCategories
from experiments.worlds.sparse_delayed import SparseDelayed
from experiments.worlds.thresholds import Thresholds
from experiments.worlds.world import Batch, EngineSetup, Matured, World

__all__ = ["HIDING", "HORIZONS", "SCENARIOS", "WORLDS", "Batch", "EngineSetup", "Matured", "World",
           "make_world"]

#: Simulator scenarios in the suite (every one shipped in simulator/scenarios).
SCENARIOS = ("baseline", "capacity", "cold_start", "drift", "fatigue", "small")
#: Scenarios with context columns kept from the learners: world -> (scenario, hidden columns).
#: ``fatigue_unrecorded``: ``fatigue`` without ``contact_pressure`` (the simulator's record of
#: recent contacts), so a learner's only memory of past contacts is its own.
HIDING: dict[str, tuple[str, tuple[str, ...]]] = {
    "fatigue_unrecorded": ("fatigue", ("contact_pressure",))}

_TABULAR: dict[str, type] = {
    "multiclass60": Multiclass, "per_action_linear": PerActionLinear, "low_rank": LowRank,
    "sparse_categories": SparseCategories, "thresholds": Thresholds,
    "sparse_delayed": SparseDelayed, "shift": Shift, "marketing54": Marketing,
    "example_catalog": ExampleCatalog, "random_catalog": RandomCatalog,
}
#: Every world name, in the order of the suite's table.
WORLDS: tuple[str, ...] = (*DATASETS, *_TABULAR, *SCENARIOS, *HIDING)

#: (full, quick) horizon of each world; None: the data set's three passes. Sized so that the
#: whole suite runs in a few hours on 2 shared cores (the engine and the VW loops decide one
#: customer at a time); the simulator's long horizon is measured apart (docs/engine.md).
HORIZONS: dict[str, tuple[int | None, int | None]] = {
    **dict.fromkeys(DATASETS, (None, None)),
    "multiclass60": (10_000, 5_000), "per_action_linear": (6_000, 3_000),
    "low_rank": (6_000, 4_000), "sparse_categories": (10_000, 6_000),
    "thresholds": (6_000, 4_000), "sparse_delayed": (15_000, 10_000),
    "shift": (10_000, 6_000), "marketing54": (10_000, 4_000), "example_catalog": (6_000, 3_000),
    "random_catalog": (8_000, 4_000),
    **dict.fromkeys((*SCENARIOS, *HIDING), (10_000, 6_000)),
}


def _batch_size(name: str) -> int:
    """Decisions per batch: per decision in spirit (cbify), but LinTS redraws its posterior
    (a Cholesky of D x D) after each batch, so worlds with many context x action features
    learn in larger batches; the simulator steps 100 customers at a time as in the benchmarks."""
    if name in SCENARIOS or name in HIDING:
        return 100
    return {"sparse_categories": 50, "multiclass60": 20}.get(name, 10)


def make_world(name: str, seed: int, horizon: int | None = None, quick: bool = False,
               draws: str = "sequence") -> World:
    """Build world ``name`` for one seed.

    Args:
        name: one of :data:`WORLDS`.
        seed: seeds every draw of the world.
        horizon: decisions (default: the world's full or quick horizon, :data:`HORIZONS`).
        quick: use the quick horizon when ``horizon`` is None.
        draws: ``"sequence"`` or ``"common"``, for the simulator's worlds
            (:class:`SimulatorWorld`). The other worlds take the same draws a batch whatever
            is played (their rows' contexts and rewards are drawn before the actions are
            known), so their draws are common already and the same either way.

    Raises:
        SpecError: an unknown name or ``draws``, or a horizon that is not a multiple of the
            batch size.
    """
    if name not in WORLDS:
        raise SpecError(f"world: expected one of {', '.join(WORLDS)}; got {name!r}")
    from simulator.batch_env import DRAWS

    if draws not in DRAWS:
        raise SpecError(f"draws: expected one of {', '.join(DRAWS)}, got {draws!r}")
    n = horizon or HORIZONS[name][1 if quick else 0]
    batch = _batch_size(name)
    if name in DATASETS:
        return Classification(name, seed=seed, batch_size=batch, horizon=n)
    if name in SCENARIOS:
        return SimulatorWorld(name, horizon=n, batch_size=batch, seed=seed, draws=draws)
    if name in HIDING:
        scenario, hidden = HIDING[name]
        return SimulatorWorld(scenario, horizon=n, batch_size=batch, seed=seed, hidden=hidden,
                              name=name, draws=draws)
    builder: Callable[..., World] = _TABULAR[name]
    return builder(horizon=n, batch_size=batch, seed=seed)
