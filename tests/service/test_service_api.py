"""The HTTP surface around a real Engine (real VW, real SQLite), through FastAPI's TestClient."""

from __future__ import annotations

import re

import pytest

from engine.store import DecisionLog
from tests.service.service_world import AUTH, Scrape

CTX = {"age": 34, "segment": "vip", "days_since_purchase": 12}


def _choose(client, customer="c-1", **extra):
    r = client.post("/v1/choose", json={"customer_id": customer, "context": CTX, **extra},
                    headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


def test_choose_then_reward_is_logged_and_learned(client, engine):
    d = _choose(client)
    assert set(d) >= {"decision_id", "message", "channel", "timing", "send_at", "probability",
                      "holdout", "action_index", "reason"}
    assert 0 < d["probability"] <= 1
    assert engine.log.get_decision(d["decision_id"]).action_index == d["action_index"]
    r = client.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 1.0},
                    headers=AUTH)
    assert r.status_code == 200, r.text
    ack = r.json()
    assert ack["decision_id"] == d["decision_id"] and ack["seq"] == 1 and ack["total"] == 1.0
    assert engine.log.rewards_of(d["decision_id"])[0][1] == 1.0
    assert not d["holdout"] and ack["learned"]  # c-1 is outside the 20% holdout
    assert engine.stats()["learned_seq"] == 1


def test_choose_with_explanation(client):
    d = _choose(client, customer="c-explain")
    assert d["explanation"] is None
    r = client.post("/v1/choose?explain=true", json={"customer_id": "c-2", "context": CTX},
                    headers=AUTH)
    assert set(r.json()["explanation"]) >= {"top_actions", "features", "removed"}


def test_the_dashboard_explains_the_last_decision_as_explain_true_does(client):
    assert client.get("/v1/dashboard/latest-decision", headers=AUTH).json()["available"] is False
    r = client.post("/v1/choose?explain=true", json={"customer_id": "c-3", "context": CTX},
                    headers=AUTH).json()
    latest = client.get("/v1/dashboard/latest-decision", headers=AUTH).json()
    assert latest["decision"]["decision_id"] == r["decision_id"]
    text = r["explanation"]["text"]
    assert latest["decision"]["explanation"]["text"] == text
    assert text.splitlines()[0].startswith(("sent ", "chose no contact", "no contact"))
    assert r["explanation"]["action"] in [a["action"] for a in r["explanation"]["top_actions"]]


def test_a_bad_explain_flag_is_422_naming_it(client, engine):
    r = client.post("/v1/choose?explain=maybe", json={"customer_id": "c", "context": CTX},
                    headers=AUTH)
    assert r.status_code == 422 and "query.explain" in r.json()["detail"]
    assert engine.log.counts()["decisions"] == 0


def test_batch_answers_in_order_and_logs_all(client, engine):
    items = [{"customer_id": f"b-{i}", "context": CTX} for i in range(5)]
    r = client.post("/v1/choose/batch", json={"items": items}, headers=AUTH)
    assert r.status_code == 200, r.text
    out = r.json()["decisions"]
    assert [d["customer_id"] for d in out] == [f"b-{i}" for i in range(5)]
    assert engine.log.counts()["decisions"] == 5


def test_erasure_removes_the_customer_and_their_rewards(client, engine):
    d = _choose(client, customer="erase-me")
    _choose(client, customer="keep-me")
    client.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 1.0}, headers=AUTH)
    r = client.delete("/v1/customers/erase-me", headers=AUTH)
    assert r.status_code == 200 and r.json() == {"customer_id": "erase-me", "erased": 2}
    assert engine.log.counts()["decisions"] == 1
    gone = client.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 1.0},
                       headers=AUTH)
    assert gone.status_code == 404


def test_erasure_of_an_id_with_a_slash(client, engine):
    _choose(client, customer="crm/42")
    r = client.delete("/v1/customers/crm/42", headers=AUTH)
    assert r.json() == {"customer_id": "crm/42", "erased": 1}
    assert engine.log.counts()["decisions"] == 0


@pytest.mark.parametrize("method,path,body", [
    ("post", "/v1/choose", {"customer_id": "c", "context": {}}),
    ("post", "/v1/choose/batch", {"items": [{"customer_id": "c"}]}),
    ("post", "/v1/reward", {"decision_id": "d", "value": 1.0}),
    ("delete", "/v1/customers/c", None),
    ("get", "/v1/dashboard/summary", None),
    ("get", "/metrics", None),
])
@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-token-of-some-length"},
    {"Authorization": "Basic " + AUTH["Authorization"].split()[1]},
    {"Authorization": AUTH["Authorization"] + "x"},
])
def test_every_protected_route_refuses_without_the_token(client, engine, method, path, body,
                                                         headers):
    kwargs = {"json": body} if body is not None else {}
    r = getattr(client, method)(path, headers=headers, **kwargs)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert engine.log.counts()["decisions"] == 0


@pytest.mark.parametrize("path", ["/healthz", "/docs", "/dashboard", "/openapi.json"])
def test_open_routes_need_no_token(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path,body,field", [
    ("/v1/choose", {"context": CTX}, "body.customer_id"),
    ("/v1/choose", {"customer_id": "", "context": CTX}, "body.customer_id"),
    ("/v1/choose", {"customer_id": "c", "context": CTX, "contxt": {}}, "body.contxt"),
    ("/v1/choose", {"customer_id": "c", "context": "vip"}, "body.context"),
    ("/v1/choose/batch", {"items": []}, "body.items"),
    ("/v1/choose/batch", {"items": [{"customer_id": "c"}, {"context": {}}]},
     "body.items.1.customer_id"),
    ("/v1/reward", {"decision_id": "d"}, "body.value"),
    ("/v1/reward", {"decision_id": "d", "value": "much"}, "body.value"),
    ("/v1/reward", {"value": 1.0}, "body.decision_id"),
])
def test_validation_errors_are_422_naming_the_field(client, engine, path, body, field):
    r = client.post(path, json=body, headers=AUTH)
    assert r.status_code == 422
    out = r.json()
    assert out["error"] == "validation"
    assert field in [e["field"] for e in out["errors"]]
    assert field in out["detail"]
    assert engine.log.counts()["decisions"] == 0


def test_nan_reward_is_422_naming_value(client):
    d = _choose(client)
    r = client.post("/v1/reward", content=f'{{"decision_id": "{d["decision_id"]}", '
                    '"value": NaN}', headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 422 and "body.value" in r.json()["detail"]


@pytest.mark.parametrize("context,status,error,match", [
    ({"age": float("inf")}, 422, "ContextError", "age"),
    ({"consent": {"fax": True}}, 422, "ContextError", "fax"),
    ({"age": {"nested": 1}}, 422, "ContextError", "age"),
    ({"x" * 300: 1}, 422, "ContextError", "x"),
])
def test_engine_context_errors_are_4xx_with_their_message(client, engine, context, status, error,
                                                          match):
    r = client.post("/v1/choose", content=_json({"customer_id": "c", "context": context}),
                    headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == status, r.text
    assert r.json()["error"] == error and re.search(match, r.json()["detail"])
    assert engine.log.counts()["decisions"] == 0


def test_a_bad_batch_item_is_named_and_nothing_is_decided(client, engine):
    items = [{"customer_id": "ok", "context": CTX}, {"customer_id": "bad",
                                                     "context": {"consent": {"fax": True}}}]
    r = client.post("/v1/choose/batch", json={"items": items}, headers=AUTH)
    assert r.status_code == 422 and r.json()["error"] == "ContextError"
    assert "items[1]" in r.json()["detail"]
    assert engine.log.counts()["decisions"] == 0


def _json(obj) -> str:
    import json

    return json.dumps(obj)  # allows Infinity, as some clients send it


def test_reward_errors_map_to_their_status(client, engine):
    unknown = client.post("/v1/reward", json={"decision_id": "nope", "value": 1.0}, headers=AUTH)
    assert unknown.status_code == 404 and unknown.json()["error"] == "UnknownDecisionError"
    assert "nope" in unknown.json()["detail"]
    d = _choose(client)
    first = client.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 1.0},
                        headers=AUTH)
    again = client.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 0.0},
                        headers=AUTH)
    assert first.status_code == 200
    assert again.status_code == 409 and again.json()["error"] == "DuplicateRewardError"
    assert [r[1] for r in engine.log.rewards_of(d["decision_id"])] == [1.0]


@pytest.mark.parametrize("path", ["/v1/choose", "/v1/choose/batch", "/v1/reward"])
def test_oversized_bodies_are_413_before_parsing(client, engine, path):
    big = b'{"customer_id": "c", "context": {"x": "' + b"a" * (70 * 1024) + b'"}}'
    r = client.post(path, content=big, headers={**AUTH, "content-type": "application/json"})
    assert r.status_code == 413
    assert "65536" in r.json()["detail"]
    assert engine.log.counts()["decisions"] == 0


def test_oversized_chunked_body_is_413(client):
    def chunks():
        yield b'{"customer_id": "c", "context": {"x": "'
        for _ in range(80):
            yield b"a" * 1024
        yield b'"}}'

    r = client.post("/v1/choose", content=chunks(), headers={**AUTH,
                                                             "content-type": "application/json"})
    assert r.status_code == 413


def test_metrics_count_decisions_rewards_and_errors(client, engine):
    d = _choose(client)
    client.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 1.0}, headers=AUTH)
    client.post("/v1/reward", json={"decision_id": "missing", "value": 1.0}, headers=AUTH)
    r = client.get("/metrics", headers=AUTH)
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    s = Scrape(r.text)
    group = "holdout" if d["holdout"] else "treatment"
    assert s.value("offerbandit_decisions_total", group=group) == 1
    channel = d["channel"] or "no_contact"
    assert s.value("offerbandit_decisions_by_channel_total", channel=channel) == 1
    assert s.value("offerbandit_rewards_total") == 1
    assert s.value("offerbandit_default_rewards_total") == 0
    assert s.value("offerbandit_errors_total", type="UnknownDecisionError") == 1
    assert s.value("offerbandit_choose_latency_seconds_count") == 1
    assert s.value("offerbandit_reward_delay_seconds_count") == 1
    # The engine's own figures, read from its stats when scraped.
    stats = engine.stats()
    assert s.value("offerbandit_logged_reward_seq") == stats["last_seq"] == 1
    assert s.value("offerbandit_learned_reward_seq") == stats["learned_seq"] == 1
    assert s.value("offerbandit_exploration_rate") == stats["exploration_rate"]


def test_docs_page_loads_nothing_from_another_host(client):
    html = client.get("/docs").text
    urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", html)
    assert urls, html
    for url in urls:
        assert url.startswith("/"), f"/docs references {url}"
        assert client.get(url).status_code == 200, url
    assert client.get("/openapi.json").json()["paths"].keys() >= {"/v1/choose", "/v1/reward"}


def test_dashboard_summary_reflects_the_log(client, engine):
    for i in range(40):
        d = _choose(client, customer=f"s-{i}")
        client.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 1.0},
                    headers=AUTH)
    s = client.get("/v1/dashboard/summary", headers=AUTH).json()
    assert s["decisions"]["treatment"] + s["decisions"]["holdout"] == 40
    assert s["decisions"]["holdout"] == engine.stats()["holdout_decisions"]
    assert s["rewarded_decisions"] == 40 and s["default_rewards"] == 0
    for axis in ("message", "channel", "timing"):  # treatment decisions, no contact included
        assert sum(s["action_mix"][axis].values()) == s["decisions"]["treatment"]
    assert s["scope"]["decisions"] == "whole log" and s["as_of"] > 0
    assert 0 < s["latency"]["p50"] <= s["latency"]["p99"]
    assert s["exploration_rate"] == engine.stats()["exploration_rate"]
    lift = s["lift"]
    assert lift["treatment_n"] + lift["holdout_n"] == 40
    rate = client.get("/v1/dashboard/reward-rate", headers=AUTH).json()
    assert sum(b["decisions"] for g in ("treatment", "holdout") for b in rate[g]) == 40


def test_log_is_durable_when_the_answer_arrives(client, engine, tmp_path):
    d = _choose(client)
    client.post("/v1/reward", json={"decision_id": d["decision_id"], "value": 1.0}, headers=AUTH)
    with DecisionLog(tmp_path / "state") as other:  # a second connection sees it committed
        assert other.rewards_of(d["decision_id"])[0][1] == 1.0


def test_default_rewards_are_learned_on_time_without_traffic(tmp_path):
    import time

    from fastapi.testclient import TestClient

    from engine import Engine
    from engine.http import create_app
    from tests.service.service_world import CATALOG, TOKEN

    with Engine.from_catalog(CATALOG, state_dir=tmp_path / "s", reward_window=0.5) as eng:
        app = create_app(eng, token=TOKEN, settle_every_s=0.2)
        with TestClient(app) as client:
            _choose(client, customer="silent-1")
            _choose(client, customer="silent-2")
            deadline = time.monotonic() + 20
            while eng.log.counts()["default_rewards"] < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert eng.log.counts()["default_rewards"] == 2
            scrape = Scrape(client.get("/metrics", headers=AUTH).text)
            assert scrape.value("offerbandit_default_rewards_total") == 2


def test_a_reward_after_the_settlers_provisional_default_replaces_it_and_a_second_is_409(
        tmp_path):
    # provisional_after in the default reward mode: the service's settler writes the default,
    # the client's one reward comes after it as a correction, a second is refused
    import time

    from fastapi.testclient import TestClient

    from engine import Engine
    from engine.http import create_app
    from tests.service.service_world import CATALOG, TOKEN

    eng = Engine.from_catalog(CATALOG, state_dir=tmp_path / "s", reward_window=60.0,
                              provisional_after=0.3, holdout_fraction=0.0)
    with eng, TestClient(create_app(eng, token=TOKEN, settle_every_s=0.1)) as client:
        did = _choose(client, customer="late-1")["decision_id"]
        deadline = time.monotonic() + 20
        while eng.log.counts()["default_rewards"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        first = client.post("/v1/reward", json={"decision_id": did, "value": 1.0}, headers=AUTH)
        again = client.post("/v1/reward", json={"decision_id": did, "value": 1.0}, headers=AUTH)
    assert first.status_code == 200, first.text
    assert (first.json()["kind"], first.json()["total"]) == ("correction", 1.0)
    assert again.status_code == 409 and again.json()["error"] == "DuplicateRewardError"
    with DecisionLog(tmp_path / "s") as log:
        assert [(r[1], r[3]) for r in log.rewards_of(did)] == [(0.0, "default"),
                                                               (1.0, "correction")]
