"""Ridge regression on the joint features of a context and an action, shared by
:class:`~policies.epsilon_greedy.EpsilonGreedy`, :class:`~policies.linucb.LinUCB` and
:class:`~policies.linear_thompson.LinearThompson`.

The model: ``reward(x, a) ~ theta . vec([1, x] outer [1, z_a])`` where ``z_a`` is row ``a`` of the
problem's action features. One weight vector serves every action, so what is learned about a
message, a channel or a timing carries over to every action that shares it (about 200 actions are
~20 attributes, not 200 strangers). The constant columns keep a context-only term, an action-only
term (the "best fixed action" part) and a bias inside the same model.

Every product is computed batch-first from the Kronecker structure, never by building the
(n, K, D) joint features: a mean score is ``[1, x] @ Theta @ [1, z]^T`` and a variance is a
(d+1)(F+1)-sized contraction, O(n * D^2 + n * K * (F+1)^2) for n customers.

Example:
    >>> import numpy as np
    >>> from policies.joint_ridge import JointRidge
    >>> m = JointRidge(context_dim=1, action_features=np.eye(2), ridge=1e-6)
    >>> x = np.array([[1.0], [2.0], [1.0], [2.0]])
    >>> m.update(x, np.array([0, 0, 1, 1]), np.array([1.0, 2.0, 0.0, 0.0]))
    >>> np.round(m.means(np.array([[3.0]])), 3).tolist()
    [[3.0, 0.0]]
"""

from __future__ import annotations

import numpy as np

from policies.errors import PolicyConfigError

__all__ = ["MAX_DIM", "JointRidge"]

# Largest joint dimension (d+1)(F+1): two dense D x D float64 matrices of 4096 take 268 MB.
MAX_DIM = 4096
# Floats per temporary of a batched contraction (64 MB): rows are processed in blocks this fits.
_BLOCK_FLOATS = 8_000_000


class JointRidge:
    """Bayesian ridge regression over ``vec([1, x] outer [1, z_a])``.

    Keeps the precision ``A = ridge * I + sum phi phi^T`` and ``b = sum r phi``; the inverse of A
    (updated by Woodbury for small batches, recomputed exactly for large ones and periodically, so
    rounding never drifts far) and the mean ``theta = A^-1 b`` are derived lazily.

    Args:
        context_dim: d.
        action_features: (K, F) attributes of the actions.
        ridge: prior precision (L2 penalty); larger = more shrinkage toward zero.
    """

    def __init__(self, context_dim: int, action_features: np.ndarray, ridge: float) -> None:
        z = np.asarray(action_features, dtype=np.float64)
        self.z = np.hstack([np.ones((z.shape[0], 1)), z])          # (K, F+1)
        self.shape = (context_dim + 1, self.z.shape[1])             # (d+1, F+1)
        self.dim = self.shape[0] * self.shape[1]                    # D
        if self.dim > MAX_DIM:
            raise PolicyConfigError(
                f"joint features (context_dim + 1) x (action features + 1) = {self.shape[0]} x "
                f"{self.shape[1]} = {self.dim} exceed {MAX_DIM}; use fewer context columns or "
                "action attributes (not one-hot action ids), or a VW policy, which hashes"
            )
        self.precision = ridge * np.eye(self.dim)
        self.b = np.zeros(self.dim)
        self.n_seen = 0
        self._reward_sum = 0.0
        self._reward_sq = 0.0
        self.version = 0  # bumps on every update; caches derived from the model key on it
        self._covariance: np.ndarray | None = np.eye(self.dim) / ridge   # A^-1, None = stale
        self._theta: np.ndarray | None = np.zeros(self.dim)             # None = stale
        self._since_exact = 0

    @property
    def covariance(self) -> np.ndarray:
        """(D, D) ``A^-1``, recomputed only when an update left it stale."""
        if self._covariance is None:
            return self._exact_inverse()
        return self._covariance

    @property
    def theta(self) -> np.ndarray:
        """(D,) posterior mean ``A^-1 b``; a solve (not an inverse) when the inverse is stale."""
        if self._theta is None:
            if self._covariance is None:
                self._theta = np.linalg.solve(self.precision, self.b)
            else:
                self._theta = self._covariance @ self.b
        return self._theta

    @property
    def reward_std(self) -> float:
        """Standard deviation of the rewards seen so far (1 before two of them).

        Exploration widths are multiples of it, so that ``alpha`` or ``scale`` mean the same on
        0/1 conversions and on order values in currency.
        """
        if self.n_seen < 2:
            return 1.0
        mean = self._reward_sum / self.n_seen
        var = max(self._reward_sq / self.n_seen - mean * mean, 0.0)
        return float(np.sqrt(var * self.n_seen / (self.n_seen - 1))) or 1.0

    def _augment(self, contexts: np.ndarray) -> np.ndarray:
        return np.hstack([np.ones((contexts.shape[0], 1)), contexts])

    def features(self, contexts: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """(n, D) joint features of each row's context and its action."""
        x = self._augment(contexts)
        return (x[:, :, None] * self.z[actions][:, None, :]).reshape(len(x), self.dim)

    def update(self, contexts: np.ndarray, actions: np.ndarray, rewards: np.ndarray) -> None:
        """Add n observations (contexts (n, d), actions (n,), rewards (n,)).

        A small batch updates a fresh inverse by Woodbury, O(n D^2); a large one (or a stale
        inverse) leaves it stale, so a learner that never needs it (epsilon-greedy) pays only a
        solve, and one that does pays one inverse per batch, not per row.
        """
        phi = self.features(contexts, actions)
        self.precision += phi.T @ phi
        self.b += phi.T @ rewards
        self._reward_sum += float(rewards.sum())
        self._reward_sq += float(rewards @ rewards)
        self._since_exact += len(phi)
        small = len(phi) * 4 < self.dim and self._since_exact < 20 * self.dim
        if self._covariance is not None and small:
            u = self._covariance @ phi.T                             # (D, n)
            inner = np.eye(len(phi)) + phi @ u
            self._covariance -= u @ np.linalg.solve(inner, u.T)
        else:
            self._covariance = None
        self._theta = None
        self.n_seen += len(phi)
        self.version += 1

    def _exact_inverse(self) -> np.ndarray:
        cov = np.linalg.inv(self.precision)
        self._covariance = (cov + cov.T) / 2.0
        self._since_exact = 0
        return self._covariance

    def means(self, contexts: np.ndarray) -> np.ndarray:
        """(n, K) posterior mean reward of every action."""
        theta = self.theta.reshape(self.shape)
        return self._augment(contexts) @ theta @ self.z.T

    def variances(self, contexts: np.ndarray) -> np.ndarray:
        """(n, K) ``phi^T A^-1 phi``: the posterior variance (up to the noise scale)."""
        x = self._augment(contexts)
        p, q = self.shape
        cov = self.covariance.reshape(p, q * p * q)
        out = np.empty((x.shape[0], self.z.shape[0]))
        block = max(1, _BLOCK_FLOATS // (self.dim * q))
        for start in range(0, x.shape[0], block):
            xb = x[start:start + block]
            # t[n, j, l] = sum_{i,k} x[n,i] cov[(i,j),(k,l)] x[n,k]
            t = np.einsum("njkl,nk->njl", (xb @ cov).reshape(len(xb), q, p, q), xb)
            out[start:start + block] = np.einsum("nja,aj->na", t @ self.z.T, self.z)
        return np.maximum(out, 0.0)

    def sample_thetas(self, n_samples: int, scale: float,
                      rng: np.random.Generator) -> np.ndarray:
        """(n_samples, d+1, F+1) draws from ``N(theta, scale^2 A^-1)``."""
        try:
            root = np.linalg.cholesky(self.covariance)
        except np.linalg.LinAlgError:  # rounding made it indefinite: recompute, then jitter
            self._exact_inverse()
            root = np.linalg.cholesky(self.covariance + 1e-10 * np.eye(self.dim))
        noise = rng.standard_normal((n_samples, self.dim)) @ root.T
        return (self.theta + scale * noise).reshape(n_samples, *self.shape)

    def sampled_winners(self, contexts: np.ndarray, eligible: np.ndarray,
                        thetas: np.ndarray) -> np.ndarray:
        """(n, m): for each row and each sampled theta, the best eligible action."""
        x = self._augment(contexts)
        m, k = thetas.shape[0], self.z.shape[0]
        # Project every draw on the actions once: (d+1, m * K), then one matrix product per block.
        per_action = (thetas @ self.z.T).transpose(1, 0, 2).reshape(self.shape[0], m * k)
        out = np.empty((x.shape[0], m), dtype=np.int64)
        block = max(1, _BLOCK_FLOATS // (m * k))
        for start in range(0, x.shape[0], block):
            scores = (x[start:start + block] @ per_action).reshape(-1, m, k)
            scores[~eligible[start:start + block, None, :].repeat(m, axis=1)] = -np.inf
            out[start:start + block] = scores.argmax(axis=2)
        return out
