"""Classification turned bandit (the cbify protocol of VW and of the contextual-bandit bake-off),
on every dataset that ships inside scikit-learn: ``digits``, ``wine``, ``breast_cancer``,
``iris``.

One action per class (one message per class, one channel, timing ``now``: see
:meth:`TabularWorld.engine_setup`); the reward is 1 for the true class and 0 otherwise. The
data set is shown three times, each pass in a new random order, and the suite scores the last
pass (progressive reward over the last third). Features are the data set's own columns, raw, as
a new user would send them (digits: pixel intensities 0-16; breast cancer: areas in the
thousands next to ratios below 1).

Example:
    >>> import numpy as np
    >>> w = Classification("iris", seed=0)
    >>> w.horizon, w.problem.n_actions, w.problem.context_dim
    (450, 3, 4)
    >>> b = w.observe()
    >>> bool((b.expected.sum(axis=1) == 1).all())
    True
"""

from __future__ import annotations

import numpy as np

from experiments.errors import SpecError
from experiments.worlds.world import TabularWorld
from policies import Problem

__all__ = ["DATASETS", "Classification"]

#: Data sets shipped inside scikit-learn (no download), by suite name.
DATASETS = ("digits", "wine", "breast_cancer", "iris")
_PASSES = 3


def _load(dataset: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    from sklearn import datasets  # a lab dependency: only this world needs it

    if dataset not in DATASETS:
        raise SpecError(f"dataset: expected one of {', '.join(DATASETS)}, got {dataset!r}")
    bunch = getattr(datasets, f"load_{dataset}")()
    names = tuple(f"f{j}" for j in range(bunch.data.shape[1]))
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target), names


class Classification(TabularWorld):
    """A scikit-learn data set as a bandit: three shuffled passes, 1 for the right class.

    Args:
        dataset: one of :data:`DATASETS`.
        seed: seeds the order of each pass.
        batch_size: decisions per batch.
        horizon: ignored unless smaller than three passes (then the run is cut short).
    """

    tail_fraction = 1.0 / 3.0

    def __init__(self, dataset: str, seed: int, batch_size: int = 10,
                 horizon: int | None = None) -> None:
        self.dataset = dataset
        self.name = dataset
        self._x, self._y, self._names = _load(dataset)
        n = self._x.shape[0]
        full = _PASSES * n // batch_size * batch_size
        super().__init__(min(full, horizon or full), batch_size, seed)
        self._order = np.concatenate([self.rng.permutation(n) for _ in range(_PASSES)])

    def _problem(self) -> Problem:
        k = int(self._y.max()) + 1
        return Problem(context_names=self._names,
                       action_names=tuple(f"class{a}" for a in range(k)),
                       action_features=np.eye(k),
                       action_feature_names=tuple(f"is_class{a}" for a in range(k)))

    def _draw(self, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        rows = self._order[refs]
        k = self.problem.n_actions
        expected = (self._y[rows, None] == np.arange(k)).astype(np.float64)
        return self._x[rows], np.ones((refs.size, k), dtype=bool), expected, expected
