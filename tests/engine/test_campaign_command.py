"""``offerbandit campaign score | activate | estimate`` through the command's own parser."""

from __future__ import annotations

import argparse
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.commands import campaign
from engine.store import DecisionLog
from tests.engine.campaign_world import AT, train_engine, write_catalog, write_customers

ISO_AT = "2023-11-17T08:13:20+00:00"  # AT


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="offerbandit")
    campaign.add_parser(parser.add_subparsers())
    args = parser.parse_args(["campaign", *argv])
    return args.func(args)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("campaign_cli")
    catalog = write_catalog(root)
    train_engine(root / "state", catalog, n=300)
    write_customers(root / "customers.parquet", 800)
    return root, catalog


def test_score_activate_estimate(world, capsys):
    root, catalog = world
    out = root / "decisions.parquet"
    assert _run(["score", "--customers", str(root / "customers.parquet"), "--catalog",
                 str(catalog), "--state-dir", str(root / "state"), "--out", str(out),
                 "--capacity", "sms=100", "--budget", "15", "--at", ISO_AT, "--workers", "0",
                 "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "800 decisions written inactive" in printed and "sms" in printed
    table = pq.read_table(out)
    assert table.num_rows == 800
    assert pq.read_table(out).column("send_at").drop_null().to_pylist()[0] >= AT
    sent = table.filter(pa.compute.is_valid(table.column("channel"))).select(["decision_id"])
    pq.write_table(sent, root / "sent.parquet")
    assert _run(["activate", "--sent", str(root / "sent.parquet"), "--state-dir",
                 str(root / "state"), "--at", ISO_AT]) == 0
    assert f"{sent.num_rows:,} decisions activated" in capsys.readouterr().out
    assert _run(["estimate", "--campaign", str(out), "--catalog", str(catalog), "--state-dir",
                 str(root / "state"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["customers"] == 800 and report["campaign"]["estimator"] == "dr"
    assert report["campaign"]["ci_low"] <= report["campaign"]["value"] <= \
        report["campaign"]["ci_high"]
    assert report["logging"]["n"] > 100 and report["sends"]["sms"] <= 100
    assert _run(["estimate", "--campaign", str(out), "--catalog", str(catalog), "--state-dir",
                 str(root / "state")]) == 0
    text = capsys.readouterr().out
    assert "this campaign (doubly robust)" in text and "holdout" in text


@pytest.mark.parametrize("argv, message", [
    (["score", "--customers", "missing.parquet"], "customers: cannot read"),
    (["activate", "--sent", "missing.parquet"], "sent: cannot read"),
    (["estimate", "--campaign", "missing.parquet"], "campaign: cannot read"),
])
def test_bad_input_exits_2_naming_it(world, argv, message, capsys):
    root, catalog = world
    extra = {"score": ["--catalog", str(catalog), "--out", str(root / "x.parquet"),
                       "--workers", "0"],
             "activate": [], "estimate": ["--catalog", str(catalog)]}[argv[0]]
    assert _run([*argv, "--state-dir", str(root / "state"), *extra]) == 2
    assert message in capsys.readouterr().err
    with DecisionLog(root / "state") as log:
        assert log.counts()["decisions"] > 0


def test_capacity_flag_is_checked():
    with pytest.raises(argparse.ArgumentTypeError, match="expected CHANNEL=N"):
        campaign.parse_capacity("sms:10")


@pytest.mark.parametrize("verb", ["score", "activate", "estimate"])
def test_every_flag_shows_its_default(verb):
    parser = argparse.ArgumentParser(prog="offerbandit")
    sub = campaign.add_parser(parser.add_subparsers())
    verbs = next(a for a in sub._actions if isinstance(a, argparse._SubParsersAction))
    missing = [a.option_strings[-1] for a in verbs.choices[verb]._actions
               if a.option_strings and not a.required
               and not isinstance(a, argparse._HelpAction) and "default" not in (a.help or "")]
    assert missing == []
