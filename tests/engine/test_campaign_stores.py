"""Campaigns on a shared log, real SQLite and real PostgreSQL: scoring with the snapshot the
fleet's learner published, and a batch written while other processes decide for the same
customers and channels (caps re-checked under the customers' lock, sends counted against the
channels' daily capacity)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

from engine.campaign.allocation_writer import CHANGED, CampaignWriter
from engine.campaign.plan import CampaignPlan, campaign_resources
from engine.campaign.runner import METADATA_KEY, score_campaign
from engine.campaign.scoring import CustomerScorer, ScoringSetup
from engine.config import load_config
from engine.decision_store import day_start
from engine.reward_scale import scale_of_log
from engine.store import DecisionRecord
from engine.store_url import open_store
from policies.allocation import Prices
from tests.engine.campaign_world import (
    AT,
    customers_table,
    train_engine,
    write_catalog,
    write_customers,
)

ISO_AT = "2023-11-17T08:13:20+00:00"  # AT


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log'}"
    return request.getfixturevalue("postgres_url")


def _contact(did: str, customer: str, channel: str, at: float = AT - 60.0) -> DecisionRecord:
    return DecisionRecord(did, customer, at, 0, 1.0, False, "{}", "{}", (0,), at, True, "v",
                          message="newsletter", channel=channel, timing="now")


def test_scoring_on_a_store_url_uses_the_snapshot_the_learner_published(store_url, tmp_path):
    catalog = write_catalog(tmp_path)
    snap = train_engine(tmp_path / "engine", catalog, n=200, store=store_url)
    with open_store(store_url) as log:
        version = log.publish_snapshot(snap)
        before = log.counts()["decisions"]
        with CustomerScorer(ScoringSetup(catalog.read_text(), "catalog.toml", store_url,
                                         log.latest_snapshot(), AT)) as scorer:
            raw = scorer(customers_table(300))["scores"]  # before the campaign writes
        # the learner's scale as the fleet's learner reads it: SMS pays 5, email 1
        scale = scale_of_log(log, load_config(catalog)[0], snap.learned_seq).value
    assert scale > 1.5
    expected = raw * scale  # on the business scale, as the prices' costs are
    customers = write_customers(tmp_path / "customers.parquet", 300)
    out = tmp_path / "decisions.parquet"
    summary = score_campaign(customers, catalog, None, out, CampaignPlan(at=AT, epsilon=0.0),
                             store=store_url, workers=0, progress=False)
    assert summary.model_source == f"snapshot {version}"
    assert summary.learned_seq == snap.learned_seq > 0
    with open_store(store_url) as log:  # every decision went to the shared log, inactive
        counts = log.counts()
        assert counts["decisions"] - before == 300
        assert counts["active_decisions"] == before
    table = pq.read_table(out)
    a = np.asarray(table.column("action_index"))
    score = table.column("score").to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(a >= 0)
    np.testing.assert_allclose(score[rows], expected[rows, a[rows]], rtol=1e-9)
    with open_store(store_url) as log:  # each decision names the snapshot, as a replica's do
        did = table.column("decision_id")[0].as_py()
        assert log.get_decision(did).model_version == version
    meta = json.loads(pq.read_schema(out).metadata[METADATA_KEY])
    assert meta["learner_config"] == snap.learner_config


def _scored(store_url: str, catalog, n: int) -> dict:
    with CustomerScorer(ScoringSetup(catalog.read_text(), "catalog.toml", store_url, None,
                                     AT)) as scorer:
        return scorer(customers_table(n))


def _writer(log, catalog_path) -> CampaignWriter:
    catalog, _, _ = load_config(catalog_path)
    resources = campaign_resources(catalog, CampaignPlan(at=AT),
                                   log.capacity_used(day_start(AT)))
    return CampaignWriter(catalog, log, resources, Prices.zero(resources), epsilon=0.0,
                          seed=0, at=AT, control=catalog.no_contact_index or -1)


def test_a_customer_contacted_since_scoring_is_refused_not_decided(store_url, tmp_path):
    catalog = write_catalog(tmp_path)
    with open_store(store_url) as log:
        scored = _scored(store_url, catalog, 40)  # the worker read c3's history: no contact
        assert scored["allowed"][3].sum() > 1
        with open_store(store_url) as other:  # then another process contacts c3
            other.write_decision(_contact("x1", "c3", "email"))
        table = _writer(log, catalog).write(scored)
        errors = table.column("error").to_pylist()
        assert errors[3] == CHANGED and table.column("decision_id")[3].as_py() is None
        assert sum(e is not None for e in errors) == 1
        assert log.histories(["c3"], AT, ["email"])[0].contacts_1d == 1  # x1 only


def test_sends_another_process_took_meanwhile_are_counted(store_url, tmp_path):
    catalog = write_catalog(tmp_path)  # sms: daily_capacity 400
    cat, _, _ = load_config(catalog)
    sms = cat.action_channel == [c.name for c in cat.channels].index("sms")
    with open_store(store_url) as log:
        scored = _scored(store_url, catalog, 300)
        scored["scores"] = np.where(sms, 1.0, 0.0) * np.ones((300, 1))  # everyone wants SMS
        writer = _writer(log, catalog)  # it believes 400 SMS are left today
        assert writer.room.capacity[int(cat.action_channel[sms][0])] == 400
        with open_store(store_url) as other:  # a live engine sends 390 SMS meanwhile
            for i in range(390):
                other.write_decision(_contact(f"x{i}", f"live{i}", "sms"), capacity=400)
        table = writer.write(scored)
        sent = sum(ch == "sms" for ch in table.column("channel").to_pylist())
        assert 0 < sent <= 10  # it reallocated within what was left
        assert log.capacity_used(day_start(AT))["sms"] <= 400
        with pytest.raises(Exception, match="capacity"):  # and the counter agrees
            for i in range(11):
                log.write_decision(_contact(f"y{i}", f"late{i}", "sms"), capacity=400)


def test_the_commands_take_a_store_url(store_url, tmp_path, capsys):
    import argparse

    import pyarrow as pa

    from engine.commands import campaign

    def run(argv: list[str]) -> int:
        parser = argparse.ArgumentParser(prog="offerbandit")
        campaign.add_parser(parser.add_subparsers())
        args = parser.parse_args(["campaign", *argv])
        return args.func(args)

    catalog = write_catalog(tmp_path)
    snap = train_engine(tmp_path / "engine", catalog, n=300, store=store_url)
    with open_store(store_url) as log:
        version = log.publish_snapshot(snap)
    customers = write_customers(tmp_path / "customers.parquet", 400)
    out = tmp_path / "decisions.parquet"
    assert run(["score", "--customers", str(customers), "--catalog", str(catalog), "--store",
                store_url, "--out", str(out), "--capacity", "sms=50", "--at", ISO_AT,
                "--workers", "0", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "400 decisions written inactive" in printed and f"snapshot {version}" in printed
    table = pq.read_table(out)
    sent = table.filter(pa.compute.is_valid(table.column("channel"))).select(["decision_id"])
    pq.write_table(sent, tmp_path / "sent.parquet")
    assert run(["activate", "--sent", str(tmp_path / "sent.parquet"), "--store", store_url,
                "--at", ISO_AT]) == 0
    assert f"{sent.num_rows:,} decisions activated" in capsys.readouterr().out
    assert run(["estimate", "--campaign", str(out), "--catalog", str(catalog), "--store",
                store_url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["customers"] == 400 and report["sends"]["sms"] <= 50
    with pytest.raises(SystemExit):  # neither --store nor --state-dir
        run(["activate", "--sent", str(tmp_path / "sent.parquet")])
