"""The catalog: layout of the action index, observable action features."""

from __future__ import annotations

import numpy as np

from simulator import Catalog, load_scenario


def test_baseline_catalog_layout():
    cat = Catalog.from_scenario(load_scenario("baseline"))
    n_m, n_c, n_t = len(cat.messages), len(cat.channels), len(cat.timings)
    assert cat.n_actions == n_m * n_c * n_t + 1 == 201
    assert cat.no_contact_action == 200 and cat.action_names[200] == "no_contact"
    k = (3 * n_c + 1) * n_t + 2  # message 3, channel 1, timing 2
    assert cat.action_names[k] == f"{cat.messages[3]}/{cat.channels[1]}/{cat.timings[2]}"
    assert (cat.message_of[k], cat.channel_of[k], cat.timing_of[k]) == (3, 1, 2)
    assert (cat.message_of[200], cat.channel_of[200], cat.timing_of[200]) == (-1, -1, -1)
    assert cat.channels == ("email", "sms", "push", "inapp")
    assert cat.channel_cost.tolist() == [0.002, 0.015, 0.0005, 0.0]  # baseline.toml's costs


def test_action_features_are_observable_attributes():
    cat = Catalog.from_scenario(load_scenario("baseline"))
    f = dict(zip(cat.action_feature_names, np.arange(len(cat.action_feature_names)), strict=True))
    feats = cat.action_features
    assert feats.shape == (201, len(cat.action_feature_names))
    contact = np.arange(200)
    for prefix in ("theme=", "offer=", "channel=", "timing="):
        cols = [j for n, j in f.items() if n.startswith(prefix)]
        assert (feats[contact][:, cols].sum(axis=1) == 1).all(), prefix
        assert feats[200, cols].sum() == 0
    assert feats[200, f["is_no_contact"]] == 1 and feats[contact, f["is_no_contact"]].sum() == 0
    k = cat.action_names.index("winback20/sms/evening")
    assert feats[k, f["discount"]] == 0.20 and feats[k, f["channel=sms"]] == 1
    assert not feats.flags.writeable


def test_catalog_without_no_contact():
    cat = Catalog.from_scenario(load_scenario("small", allow_no_contact=False))
    assert cat.no_contact_action is None and cat.n_actions == 200
    assert (cat.message_of >= 0).all()
