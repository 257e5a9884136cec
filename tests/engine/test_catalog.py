"""The action catalog: triples and their order, the version hash, TOML loading and its errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from importlib.resources import files
from pathlib import Path

import pytest

from engine.catalog import Catalog, Channel, Message, TimingSlot
from engine.config import load_config
from engine.contact_rules import RulesConfig
from engine.errors import CatalogError, ConfigError

EXAMPLE = files("engine") / "catalogs" / "example.toml"

GOOD = """
no_contact = true
[[messages]]
name = "m1"
theme = "welcome"
discount = 0.1
segments = ["new"]
[[messages]]
name = "m2"
[[channels]]
name = "email"
cost = 0.01
[[channels]]
name = "sms"
daily_capacity = 10
[[timings]]
name = "now"
rule = "now"
[[timings]]
name = "morning"
[rules]
max_per_day = 2
max_per_week = false
max_per_day_per_channel = { sms = 1 }
quiet_hours = [22, 7]
[engine]
reward_window = "1d"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_actions_are_triples_in_order_then_no_contact():
    cat = Catalog.from_names(["a", "b"], ["email", "sms", "push"], ["now", "evening"])
    assert cat.n_actions == 2 * 3 * 2 + 1
    for act in cat.actions[:-1]:
        m, c, t = act.message, act.channel, act.timing
        expected = (cat.messages.index(m) * 3 + cat.channels.index(c)) * 2 + cat.timings.index(t)
        assert act.index == expected
        assert cat.action_message[act.index] == cat.messages.index(m)
        assert cat.action_channel[act.index] == cat.channels.index(c)
        assert cat.action_timing[act.index] == cat.timings.index(t)
    last = cat.actions[-1]
    assert last.is_no_contact and last.name == "no_contact" and cat.no_contact_index == 12
    assert cat.action_channel[-1] == -1


def test_no_contact_can_be_left_out():
    cat = Catalog.from_names(["a"], ["email"], ["now"], no_contact=False)
    assert cat.n_actions == 1 and cat.no_contact_index is None
    assert not any(a.is_no_contact for a in cat.actions)


def test_index_arrays_are_read_only():
    cat = Catalog.from_names(["a"], ["email"], ["now"])
    with pytest.raises(ValueError, match="read-only"):
        cat.action_channel[0] = 3


def test_version_is_stable_and_content_sensitive():
    a = Catalog.from_names(["a", "b"], ["email"], ["now"])
    assert a.version == Catalog.from_names(["a", "b"], ["email"], ["now"]).version
    assert a.version != Catalog.from_names(["b", "a"], ["email"], ["now"]).version
    assert a.version != Catalog.from_names(["a", "b"], ["email"], ["now"], no_contact=False).version
    cheaper = Catalog((Message("a"), Message("b")), (Channel("email", cost=0.1),),
                      (TimingSlot("now", "now"),))
    assert a.version != cheaper.version
    assert len(a.version) == 16


def test_a_catalog_without_windows_keeps_the_version_it_had_before_they_existed():
    # measured at the commit before Message had available_from / available_until: a state
    # folder's checkpoints name their catalog's version, and a changed one is refused
    assert Catalog.from_toml(EXAMPLE).version == "9bd94bb27b55635a"
    assert Catalog.from_names(["a", "b"], ["email"], ["now"]).version == "9695df34d8013a6d"
    launched = Catalog.from_names([Message("a", available_from="2026-12-01"), "b"], ["email"],
                                  ["now"])
    assert launched.version != "9695df34d8013a6d"


def test_a_window_reads_any_clear_time_as_the_same_utc_instant(tmp_path):
    utc = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    for given in ("2026-12-01T09:00:00+01:00", "2026-12-01T08:00:00Z", utc.timestamp(),
                  datetime(2026, 12, 1, 9, 0, tzinfo=timezone(timedelta(hours=1)))):
        assert Message("m", available_from=given).available_from == utc
    assert Message("m", available_until=date(2026, 12, 25)).available_until == datetime(
        2026, 12, 25, tzinfo=UTC)
    text = GOOD.replace('name = "m2"', 'name = "m2"\navailable_from = 2026-12-01T09:00:00+01:00'
                        '\navailable_until = 2026-12-25')  # TOML's own datetime and date
    cat, _, _ = load_config(write(tmp_path, text))
    assert (cat.messages[1].available_from, cat.messages[1].available_until) == (
        utc, datetime(2026, 12, 25, tzinfo=UTC))
    naive = GOOD.replace('name = "m2"', 'name = "m2"\navailable_from = 2026-12-01T09:00:00')
    with pytest.raises(CatalogError, match=r"messages\[1\]: message 'm2'\.available_from: "
                       r"expected a time with its offset"):
        load_config(write(tmp_path, naive))


def test_channel_lookup():
    cat = Catalog.from_names(["a"], ["email", "sms"], ["now"])
    assert cat.channel("sms") is cat.channels[1]
    with pytest.raises(CatalogError, match=r"channel: expected one of email, sms, got 'fax'"):
        cat.channel("fax")


def test_from_names_takes_rules_as_timing_names():
    cat = Catalog.from_names(["a"], ["email"], ["in 90m", "at 07:30", TimingSlot("x", "now")])
    assert [t.name for t in cat.timings] == ["in_90m", "at_07_30", "x"]


def test_example_catalog_loads():
    cat, rules, settings = load_config(EXAMPLE)
    assert [m.name for m in cat.messages][:2] == ["welcome10", "winback20"]
    assert cat.channel("sms").daily_capacity == 5000
    assert rules.max_per_day_per_channel == {"sms": 1}
    assert settings == {"reward_window": "7d", "default_reward": 0.0, "holdout_fraction": 0.05}
    assert Catalog.from_toml(EXAMPLE) == cat


def test_toml_loads_every_section(tmp_path):
    cat, rules, settings = load_config(write(tmp_path, GOOD))
    assert cat.messages[0] == Message("m1", theme="welcome", discount=0.1, segments=("new",))
    assert cat.timings[1] == TimingSlot("morning", "at 09:00")
    assert rules == RulesConfig(max_per_day=2, max_per_week=None,
                                max_per_day_per_channel={"sms": 1}, quiet_hours=(22, 7))
    assert settings == {"reward_window": "1d"}


BAD_TOML = [
    ("messages = [", r"catalog\.toml: not valid TOML"),
    ("colour = 1\n" + GOOD, r"catalog\.toml: unknown key 'colour'"),
    (GOOD.replace('theme = "welcome"', 'thme = "welcome"'),
     r"catalog\.toml: messages\[0\]: unknown key 'thme'"),
    (GOOD.replace('name = "m2"', 'theme = "x"'),
     r"catalog\.toml: messages\[1\]: missing key 'name'"),
    (GOOD.replace('name = "m2"', 'name = "m1"'), r"catalog\.toml: messages: duplicate name 'm1'"),
    (GOOD.replace('name = "sms"', 'name = "email"'),
     r"catalog\.toml: channels: duplicate name 'email'"),
    (GOOD.replace("cost = 0.01", "cost = -1"),
     r"catalog\.toml: channels\[0\]: channel 'email'\.cost: expected a number >= 0, got -1"),
    (GOOD.replace("daily_capacity = 10", "daily_capacity = -5"),
     r"channels\[1\]: channel 'sms'\.daily_capacity: expected an integer >= 0 or none, got -5"),
    (GOOD.replace("daily_capacity = 10", "daily_capacity = 2.5"), r"daily_capacity"),
    (GOOD.replace('rule = "now"', 'rule = "tomorrow-ish"'),
     r"timings\[0\]: timing 'now': timing rule 'tomorrow-ish': expected one of"),
    (GOOD.replace('rule = "now"', 'rule = "at 9:75"'), r"timing rule 'at 9:75'"),
    (GOOD.replace('rule = "now"', 'rule = "next funday 10:00"'), r"expected a weekday name"),
    (GOOD.replace('name = "morning"', 'name = "dawn"'), r"timings\[1\]: missing key 'rule'"),
    (GOOD.replace("quiet_hours = [22, 7]", "quiet_hours = [22, 24]"),
     r"catalog\.toml: \[rules\] quiet_hours: expected \(start, end\) hours in 0\.\.23"),
    (GOOD.replace("quiet_hours = [22, 7]", "quiet_hours = [5, 5]"), r"quiet_hours"),
    (GOOD.replace("quiet_hours = [22, 7]", "quiet_hours = [22]"), r"quiet_hours"),
    (GOOD.replace("max_per_day = 2", "max_per_day = -1"), r"\[rules\] max_per_day: expected"),
    (GOOD.replace("max_per_day = 2", "max_per_dya = 2"), r"\[rules\] unknown key 'max_per_dya'"),
    (GOOD.replace("sms = 1 }", "fax = 1 }"), r"\[rules\] channel: expected one of email, sms"),
    (GOOD.replace("discount = 0.1", 'discount = "ten"'),
     r"message 'm1'\.discount: expected a number >= 0, got 'ten'"),
    (GOOD.replace('name = "m2"', 'name = "m 2"'), r"message\.name: expected letters"),
    (GOOD.replace('segments = ["new"]', 'segments = "new"'), r"segments: expected a list"),
    (GOOD.replace("no_contact = true", "no_contact = 1"), r"no_contact: expected true or false"),
    ("engine = 3\n" + GOOD.replace('[engine]\nreward_window = "1d"', ""),
     r"\[engine\]: expected a table"),
    (GOOD.replace('reward_window = "1d"', 'reward_windw = "1d"'),
     r"catalog\.toml: \[engine\] reward_windw: unknown engine option"),
    (GOOD.replace('reward_window = "1d"', 'holdout_fraction = 2'),
     r"catalog\.toml: \[engine\] holdout_fraction: expected a number in \[0, 1\], got 2"),
    ("[[channels]]\nname='e'\n[[timings]]\nname='now'\n", r"\[\[messages\]\]: expected an array"),
]


@pytest.mark.parametrize(("text", "match"), BAD_TOML)
def test_malformed_toml_names_file_and_key(tmp_path, text, match):
    with pytest.raises(CatalogError, match=match):
        load_config(write(tmp_path, text))


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(CatalogError, match=r"nowhere\.toml: cannot read"):
        Catalog.from_toml(tmp_path / "nowhere.toml")


BAD_OBJECTS = [
    (lambda: Message(""), r"message\.name"),
    (lambda: Message("m", discount=float("nan")), r"discount: expected a number >= 0, got nan"),
    (lambda: Message("m", min_tenure_days=-1), r"min_tenure_days: expected a number >= 0, got -1"),
    (lambda: Message("m", theme="a|b"), r"theme: expected letters"),
    (lambda: Channel("c", cost=True), r"cost: expected a number >= 0, got True"),
    (lambda: TimingSlot("t", "in 400d"), r"at most 366 days"),
    (lambda: TimingSlot("t", 9), r"expected a string"),
    (lambda: Catalog((), (Channel("c"),), (TimingSlot("t", "now"),)),
     r"messages: expected at least one"),
    (lambda: Catalog(("m",), (Channel("c"),), (TimingSlot("t", "now"),)),
     r"messages: expected Message objects"),
    (lambda: Catalog.from_names(["m"], ["c"], ["someday"]), r"timings: expected one of now"),
    (lambda: Message("m", available_from="2026-11-27T09:00"),
     r"message 'm'\.available_from: expected a time with its offset"),
    (lambda: Message("m", available_until="soon"), r"available_until: expected a time"),
    (lambda: Message("m", available_until=float("inf")), r"available_until: expected a time"),
    (lambda: Message("m", available_until=1e20), r"available_until: expected a time"),
    (lambda: Message("m", available_from=True), r"available_from: expected a time"),
    (lambda: Message("m", available_from="2026-12-01", available_until="2026-12-01"),
     r"available_until: expected a time after available_from \(2026-12-01T00:00:00\+00:00\)"),
]


@pytest.mark.parametrize(("build", "match"), BAD_OBJECTS)
def test_bad_objects_raise_catalog_error(build, match):
    with pytest.raises(CatalogError, match=match):
        build()


def test_catalog_error_is_a_config_and_value_error():
    assert issubclass(CatalogError, ConfigError) and issubclass(CatalogError, ValueError)
