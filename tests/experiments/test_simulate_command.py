"""``offerbandit simulate``: prints funnel, reward, guardrails and the oracle's value."""

from __future__ import annotations

import pytest

from engine.cli import main
from experiments.commands.simulate import simulate


def test_random_run_prints_every_section(capsys):
    assert main(["simulate", "--scenario", "small", "--policy", "random", "--steps", "3000",
                 "--batch-size", "250", "--quiet"]) == 0
    out = capsys.readouterr().out
    for text in ("3,000 decisions", "email", "sms", "push", "inapp", "open%", "conv/click%",
                 "mean reward per decision", "oracle value per decision", "guardrails:",
                 "unsubscribes", "churned"):
        assert text in out, text


def test_progress_bar_goes_to_stderr(capsys):
    assert main(["simulate", "--scenario", "small", "--steps", "500", "--batch-size",
                 "100"]) == 0
    assert "simulate small / random" in capsys.readouterr().err


def test_oracle_has_no_regret_and_beats_random():
    oracle = simulate("small", "oracle", 4000, 500, seed=1, progress=False)
    random = simulate("small", "random", 4000, 500, seed=1, progress=False)
    assert oracle.regret == pytest.approx(0.0, abs=1e-12)
    assert oracle.policy_value > 2 * random.policy_value
    assert random.regret > 0


def test_a_registered_policy_runs_through_the_bridge():
    s = simulate("small", "epsilon_greedy", 2000, 250, seed=0, progress=False)
    random = simulate("small", "random", 2000, 250, seed=0, progress=False)
    assert s.decisions == 2000
    # the registered policy, not the built-in random branch, chose the actions (the old check,
    # policy value <= oracle value, held by construction)
    assert s.policy_value != pytest.approx(random.policy_value, rel=0.05)
    assert s == simulate("small", "epsilon_greedy", 2000, 250, seed=0, progress=False)


@pytest.mark.parametrize("argv, match", [
    (["--scenario", "nowhere"], "unknown scenario 'nowhere'"),
    (["--policy", "psychic"], "unknown policy 'psychic'"),
])
def test_bad_input_is_a_one_line_error(capsys, argv, match):
    assert main(["simulate", "--steps", "10", "--quiet", *argv]) == 2
    assert match in capsys.readouterr().err


def test_bad_steps_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--steps", "0"])
    assert "expected an integer >= 1" in capsys.readouterr().err
