"""The gymnasium faces: check_env on every scenario, determinism, masks, late rewards."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import simulator
from simulator import ENV_ID, ActionOutOfRangeError, CustomerEnv, CustomerVectorEnv


@pytest.mark.parametrize("scenario", simulator.scenario_names())
def test_check_env_passes_for_every_scenario(scenario):
    env = gym.make(ENV_ID, scenario=scenario, n_customers=300)
    check_env(env.unwrapped, skip_render_check=True)


def _trajectory(seed, steps=200):
    env = CustomerEnv("small")
    obs, info = env.reset(seed=seed)
    env.action_space.seed(seed)
    out = [obs]
    for _ in range(steps):
        obs, reward, _, _, info = env.step(int(env.action_space.sample(
            mask=info["action_mask"])))
        out.append(np.r_[obs, reward, info["customer_id"], len(info["matured"])])
    return np.concatenate(out)


def test_same_seed_identical_trajectories():
    assert np.array_equal(_trajectory(3), _trajectory(3))
    assert not np.array_equal(_trajectory(3), _trajectory(4))


def test_mask_invalid_action_and_late_rewards():
    env = CustomerEnv("small", seed=0)
    obs, info = env.reset()
    assert env.observation_space.contains(obs)
    mask = info["action_mask"]
    assert mask.dtype == np.int8 and mask[env.no_contact_action] == 1
    banned = int(np.flatnonzero(mask == 0)[0])  # this first customer lacks a consent
    refs, matured = [], {}
    for i in range(400):
        mask = info["action_mask"]
        action = int(np.flatnonzero(mask)[i % mask.sum()])
        obs, reward, terminated, truncated, info = env.step(action)
        assert not terminated and not truncated and not info["invalid_action"]
        refs.append(info["ref"])
        assert not set(info["matured"]) & set(matured)  # each ref once
        matured.update(info["matured"])
    matured.update(env.flush())
    assert sorted(matured) == refs == list(range(400))
    env.reset(seed=0)
    _, reward, _, _, info = env.step(banned)
    assert info["invalid_action"] and reward == 0.0 and not info["delivered"]


@pytest.mark.parametrize("action, match", [
    (-1, r"action -1 is out of range; expected an index in \[0, 201\)"),
    (201, r"action 201 is out of range"),
    (1.5, r"action must be an int, got 1.5"),
    (True, r"action must be an int, got True"),
])
def test_bad_actions(action, match):
    env = CustomerEnv("small", seed=0)
    env.reset()
    with pytest.raises(ActionOutOfRangeError, match=match):
        env.step(action)


def test_raise_mode_refuses_ineligible_actions():
    env = CustomerEnv("baseline", seed=0, ineligible="raise", n_customers=200)
    _, info = env.reset()
    while (info["action_mask"] == 1).all():
        _, _, _, _, info = env.step(env.no_contact_action)
    with pytest.raises(simulator.ActionNotEligibleError, match="is not eligible for customer"):
        env.step(int(np.flatnonzero(info["action_mask"] == 0)[0]))


def test_vector_form_through_make_vec_with_next_step_autoreset():
    envs = gym.make_vec(ENV_ID, num_envs=32, scenario="small", max_steps=2)
    assert isinstance(envs, CustomerVectorEnv)
    obs, info = envs.reset(seed=0)
    assert obs.shape == (32, len(envs.world.context_names))
    nc = np.full(32, envs.world.catalog.no_contact_action)
    _, r, term, trunc, _ = envs.step(nc)
    assert r.shape == term.shape == trunc.shape == (32,) and not trunc.any()
    _, _, _, trunc, _ = envs.step(nc)
    assert trunc.all()
    _, r, _, trunc, info = envs.step(nc)  # the autoreset step
    assert not trunc.any() and (r == 0).all() and info["step"] == 0
