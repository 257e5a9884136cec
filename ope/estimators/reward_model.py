"""Cross-fitted ridge reward models for DM and the DR family, closed form in numpy.

Rows are split into ``folds`` random folds; each fold's predictions come from a model fitted on
the other folds, so a row's own reward never informs its prediction (cross-fitting). That keeps
DR's per-row terms independent of the model and its normal interval honest.

Two feature maps:

* ``action_features`` an int K: one ridge per action on the context (plus intercept).
* ``action_features`` a (K, F) array: one ridge on ``[x, 1] (x) [f_a, 1]`` (the outer product of
  context and action attributes), so actions that share attributes share strength.

Both only need, per (fold, action), the Gram matrix of the contexts: one pass over the rows,
then small solves, so 1e6 rows cost a few matrix products.

Example:
    >>> import numpy as np
    >>> from ope.estimators.reward_model import fit_reward_model
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(2000, 2)); a = rng.integers(0, 3, 2000)
    >>> r = np.where(a == 1, 1.0 + x[:, 0], 0.0)
    >>> q = fit_reward_model(x, a, r, 3, folds=2, seed=0)
    >>> q.shape, bool(np.abs(q[:, 1] - (1.0 + x[:, 0])).max() < 0.05)
    ((2000, 3), True)
"""

from __future__ import annotations

import numpy as np

from ope.errors import OPEInputError

__all__ = ["fit_reward_model", "stack_reward_models"]


def _check(contexts, actions, rewards, action_features, folds: int, l2: float):
    x = np.asarray(contexts, dtype=np.float64)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise OPEInputError(f"contexts must have shape (n, d), got {x.shape}")
    r = np.asarray(rewards, dtype=np.float64)
    a = np.asarray(actions)
    n = x.shape[0]
    for name, arr in (("actions", a), ("rewards", r)):
        if arr.shape != (n,):
            raise OPEInputError(
                f"{name} must have shape ({n},) like contexts' rows, got {arr.shape}")
    for name, arr in (("contexts", x), ("rewards", r)):
        if not np.all(np.isfinite(arr)):
            raise OPEInputError(f"{name} must be finite, found NaN or inf")
    if isinstance(action_features, (int, np.integer)):
        k, feats = int(action_features), None
    else:
        feats = np.asarray(action_features, dtype=np.float64)
        if feats.ndim != 2 or not np.all(np.isfinite(feats)):
            raise OPEInputError(
                "action_features must be an int K or a finite (K, F) array, "
                f"got shape {feats.shape}")
        k = feats.shape[0]
    if k < 1:
        raise OPEInputError(f"action_features (K) must be >= 1, got {k}")
    if a.dtype.kind not in "iu" or (n and (a.min() < 0 or a.max() >= k)):
        raise OPEInputError(f"actions must be integers in [0, {k}), got dtype {a.dtype}")
    if not 1 <= folds <= max(n, 1):
        raise OPEInputError(f"folds must be in [1, n={n}], got {folds}")
    if not l2 > 0.0:
        raise OPEInputError(f"l2 must be > 0, got {l2}")
    return x, a.astype(np.int64), r, k, feats


def _group_sums(x1: np.ndarray, r: np.ndarray, group: np.ndarray, n_groups: int):
    """Per group: Gram ``sum x x'`` (G, d1, d1), ``sum x r`` (G, d1), count, ``sum r``."""
    order = np.argsort(group, kind="stable")
    xs, rs = x1[order], r[order]
    counts = np.bincount(group, minlength=n_groups)
    bounds = np.concatenate([[0], np.cumsum(counts)])
    d1 = x1.shape[1]
    gram = np.zeros((n_groups, d1, d1))
    xr = np.zeros((n_groups, d1))
    for g in np.flatnonzero(counts):  # a loop over (fold, action) groups, not over rows
        block = xs[bounds[g]:bounds[g + 1]]
        gram[g] = block.T @ block
        xr[g] = block.T @ rs[bounds[g]:bounds[g + 1]]
    rsum = np.bincount(group, weights=r, minlength=n_groups)
    return gram, xr, counts, rsum


def _per_action(gram, xr, l2: float) -> np.ndarray:
    """(K, d1) ridge coefficients, one model per action."""
    eye = np.eye(gram.shape[-1])
    return np.linalg.solve(gram + l2 * eye, xr[..., None])[..., 0]


def _bilinear(gram, xr, feats1: np.ndarray, l2: float) -> np.ndarray:
    """(d1, f1) coefficients of the model ``q(x, a) = [x, 1]' Theta [f_a, 1]``."""
    d1, f1 = gram.shape[-1], feats1.shape[1]
    k = feats1.shape[0]
    ff = np.einsum("ak,al->akl", feats1, feats1).reshape(k, f1 * f1)
    # sum_a kron(gram_a, ff_a) as one BLAS product over the K actions, then reordered
    big = (gram.reshape(k, d1 * d1).T @ ff).reshape(d1, d1, f1, f1)
    big = big.transpose(0, 2, 1, 3).reshape(d1 * f1, d1 * f1)
    rhs = (xr.T @ feats1).reshape(d1 * f1)
    return np.linalg.solve(big + l2 * np.eye(d1 * f1), rhs).reshape(d1, f1)


def fit_reward_model(contexts, actions, rewards, action_features, folds: int = 5, seed: int = 0,
                     l2: float = 1.0) -> np.ndarray:
    """Predict every action's reward on every logged row, cross-fitted over ``folds`` folds.

    Args:
        contexts: (n, d) float contexts of the logged decisions (d may be 0).
        actions: (n,) logged action indices.
        rewards: (n,) observed rewards.
        action_features: K (one ridge per action) or a (K, F) array of action attributes (one
            ridge on context x action-attribute products).
        folds: number of cross-fitting folds; 1 fits and predicts in-sample (not for DR intervals).
        seed: seed of the random fold assignment.
        l2: ridge penalty (the models fit rewards centred on the training mean, so the penalty
            shrinks rarely logged actions towards the average reward, not towards 0).

    Returns:
        (n, K) float array ``reward_hat``.

    Raises:
        OPEInputError: naming the malformed argument.
    """
    x, a, r, k, feats = _check(contexts, actions, rewards, action_features, folds, l2)
    n = x.shape[0]
    x1 = np.column_stack([x, np.ones(n)])
    fold = np.random.default_rng(seed).permutation(n) % folds
    gram, xr, counts, rsum = _group_sums(x1, r, fold * k + a, folds * k)
    gram = gram.reshape(folds, k, *gram.shape[1:])
    xr, counts, rsum = xr.reshape(folds, k, -1), counts.reshape(folds, k), rsum.reshape(folds, k)
    # Predict fold by fold on contiguous rows (sorted by fold), then put rows back in log order
    # with one scatter: boolean-mask writes of (n_f, K) blocks cost more than the products.
    order = np.argsort(fold, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(fold, minlength=folds))])
    xs = x1[order]
    feats1 = None if feats is None else np.column_stack([feats, np.ones(k)])
    pred = np.empty((n, k))
    for f in range(folds):
        train = np.arange(folds) != f if folds > 1 else np.ones(1, dtype=bool)
        g, b = gram[train].sum(axis=0), xr[train].sum(axis=0)
        mean_r = rsum[train].sum() / max(counts[train].sum(), 1)
        # Centre on the training mean: sum x (r - m) = sum x r - m sum x,
        # and sum x = gram[:, :, -1].
        b = b - mean_r * g[:, :, -1]
        coef = (_per_action(g, b, l2).T if feats1 is None
                else _bilinear(g, b, feats1, l2) @ feats1.T)  # (d1, K)
        block = slice(bounds[f], bounds[f + 1])
        np.matmul(xs[block], coef, out=pred[block])
        pred[block] += mean_r
    out = np.empty((n, k))
    out[order] = pred
    return out


def stack_reward_models(predictions, actions, rewards, folds: int = 5, seed: int = 0,
                        l2: float = 1e-6) -> np.ndarray:
    """Combine (n, K) reward predictions into one, by a cross-fitted linear fit on the log.

    Each fold's weights ``r ~ c0 + sum_j c_j pred_j(x, a)`` are fitted on the other folds'
    logged actions, then applied to every action of the fold's rows. Use it to bring a model
    that was not fitted on the log's rewards (a policy's own scores, typically) onto the
    rewards' scale, next to :func:`fit_reward_model`: a doubly robust estimate leans on the
    reward model wherever the log rarely played the target's actions, and a contexts-only
    ridge can be far off there while the policy's scores are not.

    Args:
        predictions: a sequence of (n, K) arrays (at least one).
        actions: (n,) logged action indices. rewards: (n,) observed rewards.
        folds, seed: the cross-fitting folds (as :func:`fit_reward_model`'s).
        l2: a small ridge on the weights, for collinear predictions.

    Returns:
        (n, K) float array ``reward_hat``.

    Raises:
        OPEInputError: naming the malformed argument.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> truth = rng.normal(size=(3000, 4)); a = rng.integers(0, 4, 3000)
        >>> r = truth[np.arange(3000), a] + rng.normal(0, 0.1, 3000)
        >>> q = stack_reward_models([2 * truth + 1], a, r, folds=3)
        >>> bool(np.abs(q - truth).max() < 0.05)
        True
    """
    preds = [np.asarray(p, dtype=np.float64) for p in predictions]
    if not preds or any(p.ndim != 2 or p.shape != preds[0].shape for p in preds):
        raise OPEInputError(f"predictions must be one or more (n, K) arrays of one shape, got "
                            f"{[p.shape for p in preds]}")
    n, k = preds[0].shape
    _, a, r, _, _ = _check(np.zeros((n, 0)), actions, rewards, k, folds, 1.0)
    if not all(np.isfinite(p).all() for p in preds):
        raise OPEInputError("predictions must be finite, found NaN or inf")
    rows = np.arange(n)
    design = np.column_stack([np.ones(n)] + [p[rows, a] for p in preds])  # (n, 1 + m)
    fold = np.random.default_rng(seed).permutation(n) % folds
    out = np.empty((n, k))
    for f in range(folds):
        train = fold != f if folds > 1 else np.ones(n, dtype=bool)
        d = design[train]
        coef = np.linalg.solve(d.T @ d + l2 * np.eye(d.shape[1]), d.T @ r[train])
        held = fold == f
        out[held] = coef[0] + sum(c * p[held] for c, p in zip(coef[1:], preds, strict=True))
    return out
