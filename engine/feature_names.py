"""The learner's feature names in the user's terms, for explanations read by people.

The learner names a feature by namespace and VW token (``c:days_since_purchase``,
``n:ch=email``, ``h:log_days_sms``) and an interaction by joining two with ``*``
(:mod:`engine.features` lists the namespaces). :func:`feature_label` turns such a name back into
the words the catalog and the context use: ``days_since_purchase x email``.

Example:
    >>> feature_label("c:days_since_purchase*n:ch=email")
    'days_since_purchase x email'
    >>> feature_label("c:segment=vip*m:theme=winback"), feature_label("h:log_days_sms")
    ('segment vip x theme winback', 'days since the last sms')
"""

from __future__ import annotations

__all__ = ["feature_label"]

# the action namespaces' own keys, as a person names them ("" = the value alone says it)
_ACTION_KEYS = {("m", "msg"): "", ("m", "theme"): "theme ", ("m", "offer"): "offer ",
                ("n", "ch"): "", ("t", "tm"): "", ("a", "id"): "action "}
_PLAIN = {"m:no_contact": "no contact", "m:discount": "the message's discount",
          "m:margin": "the message's margin", "n:cost": "the channel's cost",
          "h:contacts_1d": "contacts in the last day",
          "h:contacts_7d": "contacts in the last 7 days",
          "h:contacts_30d": "contacts in the last 30 days", "h:no_outcome": "no earlier outcome",
          "h:last_outcome": "the last outcome", "constant": "the baseline (constant)"}


def _one(term: str) -> str:
    if term in _PLAIN:
        return _PLAIN[term]
    ns, _, token = term.partition(":")
    key, eq, value = token.partition("=")
    if ns == "h" and key.startswith("log_days_"):
        return f"days since the last {key[len('log_days_'):]}"
    if ns == "h" and key.startswith("never_"):
        return f"never contacted by {key[len('never_'):]}"
    if eq and (ns, key) in _ACTION_KEYS:
        return f"{_ACTION_KEYS[(ns, key)]}{value}"
    return f"{key} {value}" if eq else key


def feature_label(name: str) -> str:
    """A learner feature name (``ns:token``, or two joined by ``*``) in the user's terms."""
    return " x ".join(_one(term) for term in name.split("*"))
