"""Scenarios: every shipped one loads; overrides apply; bad input names the problem."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import pytest

from simulator import (
    ScenarioError,
    ScenarioFileError,
    SimulatorError,
    UnknownScenarioError,
    load_scenario,
    scenario_names,
)

SHIPPED = ("baseline", "cold_start", "drift", "fatigue", "capacity", "small", "mix_shift")


def test_every_named_scenario_ships_and_loads():
    assert set(SHIPPED) <= set(scenario_names())
    for name in SHIPPED:
        sc = load_scenario(name)
        assert sc.name == name
        assert len(sc.channels) * len(sc.messages) * len(sc.timings) == 200


def test_scenarios_differ_where_they_say():
    base = load_scenario("baseline")
    assert load_scenario("small").n_customers < base.n_customers
    assert load_scenario("drift").drift_at_hour > 0 == base.drift_at_hour
    mix = load_scenario("mix_shift")
    assert mix.mix_at_hour > 0 == base.mix_at_hour and mix.mix_share > 0 == base.mix_share
    assert mix.world == base.world and mix.drift_at_hour == 0  # who changes, not how they answer
    assert any(m.available_from_hour > 0 for m in load_scenario("cold_start").messages)
    assert any(c.daily_cap > 0 for c in load_scenario("capacity").channels)
    fat = load_scenario("fatigue")
    assert fat.world.fatigue_strength > base.world.fatigue_strength
    assert fat.contacts_per_customer_per_week > base.contacts_per_customer_per_week


def test_overrides_replace_fields_and_merge_tables():
    sc = load_scenario("baseline", n_customers=123, reward={"click_value": 0.25},
                       channel_overrides={"sms": {"daily_cap": 7}})
    assert sc.n_customers == 123
    assert sc.reward.click_value == 0.25 and sc.reward.revenue == 1.0
    assert {c.name: c.daily_cap for c in sc.channels}["sms"] == 7


def test_scenario_is_frozen():
    sc = load_scenario("small")
    with pytest.raises(FrozenInstanceError):
        sc.n_customers = 5


def test_a_toml_file_by_path_with_extends(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('extends = "baseline"\nname = "mine"\nn_customers = 42\n')
    sc = load_scenario(path)
    assert (sc.name, sc.n_customers, len(sc.messages)) == ("mine", 42, 10)


@pytest.mark.parametrize("overrides, err, match", [
    ({"n_customers": 0}, ScenarioError, r"n_customers must be an int >= 1, got 0"),
    ({"n_customers": 2.5}, ScenarioError, r"n_customers must be an int >= 1, got 2.5"),
    ({"contacts_per_customer_per_week": -1.0}, ScenarioError,
     r"contacts_per_customer_per_week must be a finite number > 0, got -1.0"),
    ({"conversion_window_hours": 0}, ScenarioError, r"conversion_window_hours"),
    ({"reward": {"revenue": float("nan")}}, ScenarioError, r"reward.revenue must be a finite"),
    ({"reward": {"bonus": 1.0}}, ScenarioFileError, r"unknown key\(s\) \['bonus'\]"),
    ({"world": {"fatigue_half_life_hours": 0.0}}, ScenarioError,
     r"world.fatigue_half_life_hours must be > 0, got 0.0"),
    ({"colour": "red"}, ScenarioFileError, r"unknown key\(s\) \['colour'\]"),
    ({"channel_overrides": {"fax": {"cost": 1.0}}}, ScenarioFileError,
     r"channel_overrides' names unknown channels \['fax'\]"),
    ({"channel_overrides": {"sms": {"deliver": 1.5}}}, ScenarioError,
     r"channel 'sms': deliver must be in \[0, 1\], got 1.5"),
    ({"channel_overrides": {"sms": {"daily_cap": -3}}}, ScenarioError,
     r"daily_cap must be an int >= 0"),
    ({"message_overrides": {"newin": {"discount": 1.0}}}, ScenarioError,
     r"message 'newin': discount must be in \[0, 1\), got 1.0"),
    ({"timing_overrides": {"morning": {"hour": 24}}}, ScenarioError,
     r"timing 'morning': hour must be in \[0, 24\) or -1"),
    ({"messages": []}, ScenarioError, r"messages must be a non-empty tuple"),
    ({"channels": "email"}, ScenarioFileError, r"'channels' must be an array of tables"),
    ({"mix_share": 1.5}, ScenarioError, r"mix_share must be in \[0, 1\], got 1.5"),
    ({"mix_at_hour": -1.0}, ScenarioError, r"mix_at_hour must be a finite number >= 0"),
    ({"mix_age": [0.5, 0.5]}, ScenarioError,
     r"mix_age must be empty or 5 probabilities summing to 1, got \[0.5, 0.5\]"),
    ({"mix_device": [0.5, 0.4, 0.3]}, ScenarioError,
     r"mix_device must be empty or 3 probabilities summing to 1"),
])
def test_bad_overrides_are_refused_naming_the_field(overrides, err, match):
    with pytest.raises(err, match=match):
        load_scenario("baseline", **overrides)


def test_duplicate_names_are_refused():
    sc = load_scenario("baseline")
    msgs = [{"name": "a", "theme": "x"}, {"name": "a", "theme": "y"}]
    with pytest.raises(ScenarioError, match=r"messages names must be unique, got \['a'\]"):
        load_scenario("baseline", messages=msgs)
    assert sc.messages[0].name == "welcome10"  # nothing shared was changed


@pytest.mark.parametrize("name", ["baseline2", "nope", "missing/file.toml"])
def test_unknown_scenario(name):
    with pytest.raises(UnknownScenarioError, match=repr(name)) as info:
        load_scenario(name)
    assert isinstance(info.value, KeyError) and isinstance(info.value, SimulatorError)


@pytest.mark.parametrize("text, match", [
    ("name = \n", r"not valid TOML"),
    ('name = "x"\n', r"'channels' must be an array of tables"),
    ('extends = 3\n', r"'extends' must be a string"),
    ('extends = "baseline"\n[[channels]]\nname = "email"\n', r"missing .* required"),
    ('extends = "baseline"\nname = "x"\nn_customers = "many"\n', r"n_customers must be an int"),
])
def test_malformed_scenario_files(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioFileError if "n_customers" not in match else ScenarioError,
                       match=match):
        load_scenario(path)


def test_extends_cycle_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioFileError, match="cycle"):
        load_scenario(tmp_path / "a.toml")
