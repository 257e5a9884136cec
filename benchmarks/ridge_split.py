"""Where the disjoint ridge loses to LinUCB on a world: its model or its exploration.

The engine's ridge learner (``policies/ridge_learner.py``, on the shared features the engine
builds for a fresh customer: the context numbers raw, the contact-history constants) and LinUCB
(``policies/linucb.py``) each play a quick-horizon world batch by batch, as in the learning
suite; over the tail the script prints each one's capture twice: of what it played (the
distribution's exact expected reward) and of its greedy choice (the argmax of its reward
estimates, which nobody played). Greedy minus played is what the exploration costs; the greedy
captures compare the two models on the contexts each met.

Run: ``python benchmarks/ridge_split.py --world multiclass60 --seeds 0,1,2``
(``--gamma-scale``, ``--l2``, ``--dim`` set the ridge's, ``--alpha`` LinUCB's; ``--ucb A``
runs the ridge's inverse gap weighting over optimistic estimates, a prototype of directed
exploration for the ridge; seconds per seed).
"""

from __future__ import annotations

import argparse

import numpy as np

from engine.features import context_namespace, history_namespace, shared_features
from experiments.sim_problem import context_dicts
from experiments.worlds import make_world
from policies import LinUCB
from policies.ridge_learner import RidgeConfig, RidgeLearner


def _capture(value: np.ndarray, expected: np.ndarray) -> float:
    random, oracle = expected.mean(axis=1), expected.max(axis=1)
    return float((value - random).sum() / (oracle - random).sum())


def _igw(scores: np.ndarray, gamma: float) -> np.ndarray:
    """SquareCB's inverse gap weighting (the ridge learner's rule) over (n, K) scores."""
    k = scores.shape[1]
    best = scores.argmax(axis=1)
    p = 1.0 / (k + gamma * (scores.max(axis=1, keepdims=True) - scores))
    rows = np.arange(scores.shape[0])
    p[rows, best] = 0.0
    p[rows, best] = 1.0 - p.sum(axis=1)
    return p


def _ridge_step(ridge: RidgeLearner, names, rng, ucb: float):
    """The ridge learner; with ``ucb > 0`` its inverse gap weighting runs over optimistic
    estimates ``estimate + ucb * sd(rewards) * sqrt(x' A_a^-1 x)``, ``A_a^-1`` kept here beside
    the learner by the same Sherman-Morrison updates (a prototype, not the engine's learner)."""
    hist = history_namespace(None, ["web"])
    k, width = ridge.n_actions, ridge.config.dim + 1
    ainv = np.broadcast_to(np.eye(width) / ridge.config.l2, (k, width, width)).copy()
    seen = [0.0, 0.0, 0]  # sum, sum of squares, count of rewards

    def act(b):
        shared = [shared_features(context_namespace(c), hist) for c in context_dicts(names,
                                                                                    b.contexts)]
        est = np.stack([ridge.estimates(s) for s in shared])
        greedy = est.argmax(axis=1)
        if ucb > 0:
            x = np.stack([ridge.features(s) for s in shared])
            var = np.einsum("nd,kde,ne->nk", x, ainv, x)
            n = max(seen[2], 1)
            sd = np.sqrt(max(seen[1] / n - (seen[0] / n) ** 2, 0.0)) if seen[2] > 1 else 1.0
            probs = _igw(est + ucb * sd * np.sqrt(var), ridge.gamma())
        else:
            probs = np.stack([ridge.probabilities(s) for s in shared])
        chosen = np.array([rng.choice(k, p=p) for p in probs])

        def learn(m):
            pos = {int(r): i for i, r in enumerate(b.refs)}
            for r, rew in zip(m.refs.tolist(), m.rewards.tolist(), strict=True):
                i, a = pos[r], int(chosen[pos[r]])
                ridge.learn(shared[i], None, a, float(probs[i, a]), rew)
                x = ridge.features(shared[i])
                u = ainv[a] @ x
                ainv[a] -= np.outer(u, u) / (1.0 + x @ u)
                seen[0], seen[1], seen[2] = seen[0] + rew, seen[1] + rew * rew, seen[2] + 1
        return chosen, probs, greedy, learn
    return act


def _linucb_step(lin: LinUCB):
    def act(b):
        probs = lin.action_probabilities(b.contexts, b.eligible)
        greedy = lin.model.means(b.contexts).argmax(axis=1)
        chosen, p = lin.act(b.contexts, b.eligible)

        def learn(m):
            i = m.refs - b.refs[0]
            lin.learn(b.contexts[i], chosen[i], p[i], m.rewards)
        return chosen, probs, greedy, learn
    return act


def _play(world, act) -> tuple[float, float]:
    """Tail captures (played, greedy) of one learner over one world."""
    played, greedy_v, exp = [], [], []
    while not world.done:
        b = world.observe()
        chosen, probs, greedy, learn = act(b)
        played.append((probs * b.expected).sum(axis=1))
        greedy_v.append(b.expected[np.arange(greedy.size), greedy])
        exp.append(b.expected)
        learn(world.play(chosen))
    tail = slice(world.horizon - round(world.horizon * world.tail_fraction), world.horizon)
    e = np.concatenate(exp)[tail]
    return (_capture(np.concatenate(played)[tail], e),
            _capture(np.concatenate(greedy_v)[tail], e))


def run(world_name: str, seed: int, config: RidgeConfig, alpha: float = 0.3,
        ucb: float = 0.0) -> dict[str, float]:
    """Tail captures (played, greedy) of the ridge and of LinUCB on one seed (two copies of the
    world: the same contexts and labels, common random numbers)."""
    w = make_world(world_name, seed, None, True)
    ridge = RidgeLearner(config)
    ridge.set_actions([{"a": {"id": str(a)}} for a in range(w.problem.n_actions)])
    rp, rg = _play(w, _ridge_step(ridge, w.problem.context_names, np.random.default_rng(seed),
                                     ucb))
    w2 = make_world(world_name, seed, None, True)
    lp, lg = _play(w2, _linucb_step(LinUCB(w2.problem, seed, alpha=alpha)))
    return {"rp": rp, "rg": rg, "lp": lp, "lg": lg}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--world", default="multiclass60")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--gamma-scale", type=float, default=10.0)
    p.add_argument("--l2", type=float, default=1.0)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--alpha", type=float, default=0.3, help="LinUCB's (its default 0.3)")
    p.add_argument("--ucb", type=float, default=0.0,
                   help="the ridge's optimism in reward sds (0: the ridge learner as it is)")
    args = p.parse_args()
    cfg = RidgeConfig(dim=args.dim, l2=args.l2, gamma_scale=args.gamma_scale)
    print(f"{args.world}, quick horizon, tail capture; ridge {cfg}; LinUCB alpha {args.alpha}; "
          f"ridge optimism {args.ucb}")
    print("seed  ridge played  ridge greedy  linucb played  linucb greedy")
    for seed in (int(s) for s in args.seeds.split(",")):
        r = run(args.world, seed, cfg, args.alpha, args.ucb)
        print(f"{seed:4d}  {r['rp']:12.3f}  {r['rg']:12.3f}  {r['lp']:13.3f}  {r['lg']:13.3f}")


if __name__ == "__main__":
    main()
