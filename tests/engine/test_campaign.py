"""Campaigns end to end on a real engine, log and VW model: one inactive decision per customer
within capacity and budget, the rules of choose, honest probabilities, activation from a sent
file, never-activated decisions never learned, bad input refused with nothing written, Ray."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine import Engine
from engine.campaign.activation import activate_sent
from engine.campaign.plan import CampaignPlan
from engine.campaign.runner import METADATA_KEY, score_campaign, sidecar_model
from engine.clock import ManualClock
from engine.config import load_config
from engine.contact_rules import ContactRules
from engine.errors import CampaignError, InactiveDecisionError
from engine.store import DecisionLog, DecisionRecord
from policies.allocation import explore_distribution
from tests.engine.campaign_world import (
    AT,
    customers_table,
    train_engine,
    write_catalog,
    write_customers,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A trained engine's state folder and catalog, kept pristine (tests copy it)."""
    root = tmp_path_factory.mktemp("campaign")
    catalog = write_catalog(root)
    train_engine(root / "state", catalog)
    return root, catalog


@pytest.fixture()
def world(trained, tmp_path):
    root, catalog = trained
    state = tmp_path / "state"
    shutil.copytree(root / "state", state)
    return tmp_path, catalog, state


def _score(world, n=1500, plan=None, **kwargs):
    folder, catalog, state = world
    customers = write_customers(folder / "customers.parquet", n)
    out = folder / "decisions.parquet"
    plan = plan or CampaignPlan(at=AT, budget=30.0, capacity={"sms": 250})
    summary = score_campaign(customers, catalog, state, out, plan, progress=False,
                             **{"workers": 0, **kwargs})
    return summary, out


def test_one_inactive_decision_per_customer_within_capacity_and_budget(world):
    summary, out = _score(world)
    _, _catalog, state = world
    table = pq.read_table(out).to_pandas()
    assert len(table) == 1500 and table["decision_id"].notna().all()
    assert table["customer_id"].is_unique
    assert summary.totals.sends["sms"] <= 250 and summary.totals.spent <= 30.0
    assert summary.prices["sms"] > 0 or summary.prices["budget"] > 0  # something binds
    assert (table["channel"] == "sms").sum() == summary.totals.sends["sms"]
    assert math.isclose(table["cost"].sum(), summary.totals.spent, rel_tol=1e-9)
    with DecisionLog(state) as log:
        rows = log._read("SELECT decision_id, probability, active, created_at, holdout, "
                         "action_index FROM decisions WHERE created_at = ?", (AT,))
    assert len(rows) == 1500 and not any(r[2] for r in rows)  # every one inactive
    logged = {r[0]: r for r in rows}
    for rec in table.itertuples():
        assert logged[rec.decision_id][1] == pytest.approx(rec.probability)
    held = table[table["holdout"]]
    assert 0.05 < len(held) / len(table) < 0.15
    assert (held["probability"] == 1.0).all() and held["channel"].isna().all()  # control
    meta = json.loads(pq.read_schema(out).metadata[METADATA_KEY])
    assert meta["prices"]["sms"] == summary.prices["sms"]
    assert sidecar_model(out).is_file()


def test_the_rules_hold_exactly_as_in_choose(world):
    _folder, catalog, state = world
    cat, rules_config, _settings = load_config(catalog)
    ctxs = customers_table(60).drop_columns(["customer_id"]).to_pylist()
    with DecisionLog(state) as log:  # c0..c9 got an email an hour ago
        log.write_decisions([DecisionRecord(f"old{i}", f"c{i}", AT - 3600, 0, 1.0, False, "{}",
                                            "{}", (0,), AT - 3600, True, cat.version,
                                            "newsletter", "email", "now") for i in range(10)])
    plan = CampaignPlan(at=AT, capacity={"sms": 10_000})
    _, out = _score(world, n=60, plan=plan)
    rules = ContactRules(cat, rules_config)
    table = pq.read_table(out).to_pandas()
    with DecisionLog(state) as log:
        for i, rec in enumerate(table.itertuples()):
            ctx = {k: v for k, v in ctxs[i].items() if v is not None}
            ctx["consent"] = {k: v for k, v in ctx["consent"].items() if v is not None}
            # the history as it was before the campaign's own decisions (made at AT)
            history = log.history(rec.customer_id, AT - 1e-3, [c.name for c in cat.channels])
            one = rules.apply(ctx, history, AT, {}, log.profile(rec.customer_id))
            logged = log.get_decision(rec.decision_id)
            if logged.holdout:
                continue
            assert set(logged.eligible) == set(np.flatnonzero(one.allowed).tolist())
            assert (rec.reason if isinstance(rec.reason, str) else None) == one.reason
            if i < 10:  # the cap of one contact a day holds
                assert rec.action_name == "no_contact" and "max_per_day" in rec.reason


def test_logged_probabilities_are_the_campaigns_distribution(world):
    """Without binding resources every draw is (1 - eps) greedy + eps uniform over the rules'
    actions, on the model's batch scores: the logged probability is exactly that one."""
    _folder, catalog, state = world
    from engine.campaign.runner import current_model
    from engine.campaign.scoring import CustomerScorer, ScoringSetup
    from engine.options import EngineOptions

    cat, _, settings = load_config(catalog)
    with DecisionLog(state) as log:
        model = current_model(log, state, cat, EngineOptions.from_dict(settings))
    assert model.snapshot is not None and model.snapshot.version == 0  # the checkpoint
    setup = ScoringSetup(catalog.read_text(), "catalog.toml", f"sqlite:///{state}",
                         model.snapshot, AT, model.reward_scale)
    with CustomerScorer(setup) as scorer:  # the customers as a worker sees them
        scored = scorer(customers_table(300))
    _, out = _score(world, n=300, plan=CampaignPlan(at=AT, epsilon=0.2))
    table = pq.read_table(out).to_pandas()
    p = explore_distribution(scored["scores"], scored["allowed"], 0.2)
    treated = ~table["holdout"].to_numpy()
    a = table["action_index"].to_numpy()
    rows = np.flatnonzero(treated & (a >= 0))
    np.testing.assert_allclose(table["probability"].to_numpy()[rows], p[rows, a[rows]],
                               rtol=1e-9)


def test_activation_from_a_sent_file_and_inactive_decisions_never_learned(world):
    folder, catalog, state = world
    _, out = _score(world, n=400, plan=CampaignPlan(at=AT))
    table = pq.read_table(out).to_pandas()
    contacts = table[table["channel"].notna()]
    sent, unsent = contacts.iloc[:50], contacts.iloc[50:]
    pq.write_table(pa.table({"decision_id": sent["decision_id"].tolist(),
                             "sent_at": np.full(50, AT + 600.0)}), folder / "sent.parquet")
    with DecisionLog(state) as log:
        assert activate_sent(log, folder / "sent.parquet", default_at=AT + 900) == 50
        assert activate_sent(log, folder / "sent.parquet", default_at=AT + 900) == 0
        assert log.get_decision(sent["decision_id"].iloc[0]).activated_at == AT + 600
    clock = ManualClock(AT + 700)
    with Engine.from_catalog(catalog, state_dir=state, clock=clock) as eng:
        before = eng.stats()
        with pytest.raises(InactiveDecisionError, match="was never activated"):
            eng.reward(unsent["decision_id"].iloc[0], 1.0)
        ack = eng.reward(sent["decision_id"].iloc[0], 1.0)
        assert ack.learned or sent["holdout"].iloc[0]
        # the window passes: only the 49 activated unrewarded decisions get their default
        clock.set(AT + 30 * 86400)
        assert eng.expire_rewards() == 49
        after = eng.stats()
    assert after["rewards"] - before["rewards"] == 50
    with DecisionLog(state) as log:
        n = log._read("SELECT COUNT(*) FROM rewards r JOIN decisions d ON d.decision_id = "
                      "r.decision_id WHERE d.active = 0")[0][0]
    assert n == 0


def test_an_unknown_id_in_the_sent_file_activates_nothing(world):
    folder, _catalog, state = world
    _, out = _score(world, n=100, plan=CampaignPlan(at=AT))
    ids = [*pq.read_table(out).column("decision_id").to_pylist()[:5], "nope"]
    pq.write_table(pa.table({"decision_id": ids}), folder / "sent.parquet")
    with DecisionLog(state) as log:
        with pytest.raises(CampaignError, match=r"row 5: 'nope' is not in the log"):
            activate_sent(log, folder / "sent.parquet", default_at=AT)
        assert log.counts()["active_decisions"] == log._read(
            "SELECT COUNT(*) FROM decisions WHERE created_at < ?", (AT,))[0][0]


def _bad(table: pa.Table, column: str, values: list) -> pa.Table:
    """``table`` with its first values of ``column`` replaced (the column added if missing)."""
    i = table.schema.get_field_index(column)
    rest = table.column(column).to_pylist() if i >= 0 else [values[0]] * table.num_rows
    arr = pa.array(values + rest[len(values):])
    return table.set_column(i, column, arr) if i >= 0 else table.append_column(column, arr)


BAD = [
    (lambda t: t.drop_columns(["customer_id"]), r"customers: expected a column 'customer_id'"),
    (lambda t: _bad(t, "customer_id", ["c0", None]), r"customers\.customer_id: row 1"),
    (lambda t: _bad(t, "customer_id", ["c0", "c1", "a/../b"]),  # the engine's id rule
     r"customers\.customer_id: row 2: expected 1 to 256 characters without control"),
    (lambda t: _bad(t, "customer_id", ["c0", "tab\there"]),
     r"customers\.customer_id: row 1: expected 1 to 256 characters without control"),
    (lambda t: _bad(t, "age", [30.0, 40.0, math.nan]), r"customers\.age: row 2: expected a finite"),
    (lambda t: _bad(t, "timezone", ["UTC", "Mars/Base"]), r"customers\.timezone: row 1: expected "
                                                          r"an IANA timezone"),
    (lambda t: _bad(t, "segment", ["x" * 300]), r"customers\.segment: row 0: expected a string of "
                                                r"at most 256"),
    (lambda t: _bad(t, "consent_sms", [1, 2]),
     r"customers\.consent_sms: row 1: expected true/false"),
    (lambda t: t.set_column(t.schema.get_field_index("tenure_days"), "tenure_days",
                            pa.array(["long"] * t.num_rows)),
     r"customers\.tenure_days: expected numbers"),
    (lambda t: t.append_column("when", pa.array([1] * t.num_rows).cast(pa.timestamp("s"))),
     r"customers\.when: expected numbers, bools, strings or lists of strings"),
    (lambda t: t.set_column(t.schema.get_field_index("consent"), "consent",
                            pa.StructArray.from_arrays([pa.array([True] * t.num_rows)],
                                                       names=["fax"])),
     r"customers\.consent: field 'fax'"),
    (lambda t: _bad(t, "customer_id", ["c1", "c1"]), r"'c1' twice"),
]


@pytest.mark.parametrize("spoil, match", BAD)
def test_bad_customers_are_refused_naming_column_and_row_and_nothing_is_written(world, spoil,
                                                                              match):
    folder, catalog, state = world
    pq.write_table(spoil(customers_table(50)), folder / "bad.parquet")
    with DecisionLog(state) as log:
        before = log.counts()
    with pytest.raises(CampaignError, match=match):
        score_campaign(folder / "bad.parquet", catalog, state, folder / "out.parquet",
                       CampaignPlan(at=AT), workers=0, progress=False)
    with DecisionLog(state) as log:
        assert log.counts() == before
    assert not (folder / "out.parquet").exists()


def test_bad_plans_are_refused(world):
    with pytest.raises(CampaignError, match=r"capacity\.fax: expected a channel of the catalog"):
        _score(world, n=10, plan=CampaignPlan(at=AT, capacity={"fax": 3}))
    with pytest.raises(CampaignError, match="budget: expected"):
        CampaignPlan(at=AT, budget=-1.0)
    with pytest.raises(CampaignError, match="epsilon: expected"):
        CampaignPlan(at=AT, epsilon=2.0)


def test_scoring_the_same_campaign_twice_is_refused(world):
    _score(world, n=50, plan=CampaignPlan(at=AT))
    with pytest.raises(CampaignError, match="already decided at that time"):
        _score(world, n=50, plan=CampaignPlan(at=AT))


@pytest.mark.parametrize("workers", [1, 2])
def test_on_ray_every_customer_is_decided_within_capacity(world, workers):
    summary, out = _score(world, n=3000, workers=workers,
                          plan=CampaignPlan(at=AT, capacity={"sms": 200}, budget=20.0,
                                            batch_size=500, sample_size=1000))
    table = pq.read_table(out).to_pandas()
    assert len(table) == 3000 and table["customer_id"].is_unique
    assert table["decision_id"].notna().all()
    assert (table["channel"] == "sms").sum() <= 200 and table["cost"].sum() <= 20.0
    assert 850 <= summary.sampled <= 1150 and max(summary.prices.values()) > 0


@pytest.mark.parametrize("value", ["c1", "a.b", "..x", "a/.b/c", ".", "..", "x/./y", "a/..",
                                   "tab\there", "line\u2028sep", "del\x7f", "c\x85", "é/ü"])
def test_the_files_id_check_agrees_with_the_engines(tmp_path, value):
    """The file's vectorised check refuses exactly the ids ``engine.ids.check_id`` refuses."""
    from engine.campaign.customers import check_customers
    from engine.ids import check_id

    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"customer_id": [value]}), path)
    try:
        check_id("customer_id", value)
        engine_ok = True
    except ValueError:
        engine_ok = False
    try:
        check_customers(path, ["email"])
        file_ok = True
    except CampaignError:
        file_ok = False
    assert file_ok == engine_ok
