"""``offerbandit drift``: the same figures as the engine's monitor, as tables or JSON, read-only."""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest

from engine.commands import drift as command
from engine.store import DecisionLog
from tests.engine.engine_world import CONSENT, T0, make_engine

SMALL = {"reference_size": 400, "window": 400, "block": 100, "reward_block": 50,
         "reward_warmup_blocks": 4, "lift_window": 200, "follow_every": 8,
         "response": True, "response_reference": 300}
REPO = Path(__file__).resolve().parents[2]


def traffic(eng, start: int, n: int, *, vip: float, pay: float) -> None:
    rng = np.random.default_rng(start)
    for i in range(start, start + n):
        ctx = {"segment": "vip" if rng.random() < vip else "regular", "consent": CONSENT}
        d = eng.choose(f"c{i}", ctx, now=T0 + i)
        eng.reward(d.decision_id, float(d.channel is not None and rng.random() < pay),
                   now=T0 + i + 0.5)


def parse(*argv: str) -> argparse.Namespace:
    return command.add_parser(argparse.ArgumentParser().add_subparsers()).parse_args(list(argv))


@pytest.fixture
def state(tmp_path):
    with make_engine(tmp_path, drift=SMALL, holdout_fraction=0.2) as eng:
        traffic(eng, 0, 1500, vip=0.1, pay=0.5)
        traffic(eng, 1500, 900, vip=0.6, pay=0.1)
        eng.drift.catch_up()
        stats = eng.stats()
    return tmp_path, stats


def test_tables_say_what_the_engine_found(state, capsys):
    path, stats = state
    with DecisionLog(path) as log:
        logged = log.drift_events(limit=20)
    before = (path / "drift.json").read_bytes()
    assert command.run(parse("--state-dir", str(path))) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("drift: ") and "(alert)" in out.splitlines()[0]
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert rows["segment"][2] == f"{stats['drift_psi']['segment']:.3f}"
    assert rows["treatment"][-4:-2] == ["drop", "from"]  # its last change, dated
    assert rows["holdout"][1] == "constant"  # the holdout gets no contact: it never pays
    for e in logged:
        assert e["message"] in out
    # the response streams: the payers' drop is a drop of the answer, for the same customers
    assert "answers given the context: " in out
    assert any(e["subject"].startswith("response/message=") and e["level"] == "alert"
               for e in logged)
    for stream, value in stats["drift_response_statistic"].items():
        assert rows[stream][-1] == f"{value:.2f}"
    # the default count test is labelled as one: answers, not the level test's spread and step
    assert "the count test" in out
    header = next(line for line in out.splitlines() if line.split()[:1] == ["stream"]
                  and "statistic" in line and "reference rewards" in line)
    assert "answers in it" in header and "residual sd" not in header
    assert (path / "drift.json").read_bytes() == before  # it wrote nothing
    with DecisionLog(path) as log:
        assert log.drift_events(limit=10_000)[0]["id"] == logged[0]["id"]


def test_json_holds_the_same(state, capsys):
    path, stats = state
    assert command.run(parse("--state-dir", str(path), "--json", "--events", "5")) == 0
    report = json.loads(capsys.readouterr().out)
    assert {f["name"]: f["psi"] for f in report["features"]} == pytest.approx(stats["drift_psi"])
    assert len(report["events"]) == 5 and report["snapshot"]["resumed"] == "checkpoint"


def test_without_a_log_it_says_so(tmp_path, capsys):
    assert command.run(parse("--state-dir", str(tmp_path))) == 2
    assert "--state-dir: expected a folder holding decisions.sqlite3" in capsys.readouterr().err


def test_declared_as_a_command_with_its_defaults_shown():
    group = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"][
        "offerbandit.commands"]
    assert group["drift"] == "engine.commands.drift"
    p = command.add_parser(argparse.ArgumentParser().add_subparsers())
    missing = [a.option_strings[-1] for a in p._actions if a.option_strings and not a.required
               and not isinstance(a, argparse._HelpAction) and "default" not in (a.help or "")]
    assert missing == []


def test_a_shared_log_is_read_with_store(tmp_path, postgres_url, capsys):
    with make_engine(tmp_path, drift=SMALL, store=postgres_url) as eng:
        traffic(eng, 0, 1500, vip=0.1, pay=0.5)
        traffic(eng, 1500, 900, vip=0.6, pay=0.1)
        psi = eng.stats()["drift_psi"]
    assert command.run(parse("--store", postgres_url, "--state-dir", str(tmp_path))) == 0
    out = capsys.readouterr().out
    assert "monitor state: checkpoint" in out and "segment moved: PSI" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert abs(float(rows["segment"][2]) - psi["segment"]) < 0.2  # read on to the log's end
    assert command.run(parse()) == 2
    assert "expected --state-dir or --store, got neither" in capsys.readouterr().err
