"""Read Vowpal Wabbit DSJSON logs (what Azure Personalizer and its open successor write).

One JSON object per line. A decision line looks like::

    {"_label_cost": -1, "_label_probability": 0.8, "_label_Action": 2, "_labelIndex": 1,
     "Timestamp": "...", "Version": "1", "EventId": "...", "a": [2, 1, 3],
     "c": {"User": {"tier": "pro"}, "_multi": [{"i": {"id": "news"}}, ...]},
     "p": [0.8, 0.1, 0.1]}

``_labelIndex`` is the 0-based position of the chosen action in ``c._multi``; ``a`` lists the
1-based action ids in the logger's ranking (chosen first) and ``p`` their probabilities, so the
logger's full distribution is known. The cost is the negated reward (Personalizer's convention),
so ``reward = -_label_cost`` unless ``negate_cost=False``.

Conventions: action ``j`` is the ``j``-th entry of ``_multi`` in every line (true when the caller
sends its actions in a fixed order); its name is its ``_tag``, else an ``id`` feature, else
``action<j+1>``. Lines with no ``_label_cost`` (reward events, unjoined decisions) and lines with
``"_skipLearn": true`` (deferred activation never activated) are skipped and counted.

Example:
    >>> import json, tempfile, os
    >>> from ope.readers.dsjson_log import read_dsjson
    >>> line = {"_label_cost": -1.0, "_label_probability": 0.8, "_labelIndex": 1,
    ...         "a": [2, 1], "p": [0.8, 0.2], "EventId": "e1",
    ...         "c": {"U": {"age": 3}, "_multi": [{"_tag": "x"}, {"_tag": "y"}]}}
    >>> path = os.path.join(tempfile.mkdtemp(), "log.json")
    >>> _ = open(path, "w").write(json.dumps(line) + "\\n")
    >>> log = read_dsjson(path)
    >>> log.action_names, log.actions.tolist(), log.rewards.tolist(), log.logging_probs.tolist()
    (('x', 'y'), [1], [1.0], [[0.2, 0.8]])
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ope.errors import LogFormatError
from ope.readers.context_columns import context_matrix
from ope.readers.logged_decisions import LoggedDecisions

__all__ = ["parse_dsjson_lines", "read_dsjson"]


def _number(event: Mapping[str, Any], key: str, where: str) -> float:
    value = event.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        raise LogFormatError(f"{where}: {key} must be a finite number, got {value!r}")
    return float(value)


def _action_name(item: Mapping[str, Any], j: int) -> str:
    if isinstance(item.get("_tag"), str):
        return item["_tag"]
    for value in item.values():
        if isinstance(value, Mapping) and isinstance(value.get("id"), str | int):
            return str(value["id"])
    return f"action{j + 1}"


def _decision(event: Mapping[str, Any], where: str) -> dict[str, Any]:
    """The fields of one decision line, checked."""
    c = event.get("c")
    if not isinstance(c, Mapping) or not isinstance(c.get("_multi"), list) or not c["_multi"]:
        raise LogFormatError(f"{where}: c._multi must be a non-empty list of actions")
    multi = c["_multi"]
    k = len(multi)
    index = event.get("_labelIndex")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < k:
        raise LogFormatError(f"{where}: _labelIndex must be an int in [0, {k}), got {index!r}")
    prob = _number(event, "_label_probability", where)
    if not 0.0 < prob <= 1.0:
        raise LogFormatError(f"{where}: _label_probability must be in (0, 1], got {prob}")
    full = None
    ids, probs = event.get("a"), event.get("p")
    if ids is not None or probs is not None:
        if not (isinstance(ids, list) and isinstance(probs, list) and len(ids) == len(probs)
                and all(isinstance(i, int) and 1 <= i <= k for i in ids)):
            raise LogFormatError(
                f"{where}: a and p must be equal-length lists of 1-based action ids in [1, {k}] "
                f"and probabilities, got a={ids!r} p={probs!r}"
            )
        if ids and ids[0] != index + 1:
            raise LogFormatError(
                f"{where}: a[0] (the chosen action id) is {ids[0]} but _labelIndex + 1 is "
                f"{index + 1}"
            )
        full = np.zeros(k)
        full[np.asarray(ids) - 1] = np.asarray(probs, dtype=np.float64)
    shared = {key: value for key, value in c.items() if key != "_multi"}
    return {"multi": multi, "index": index, "prob": prob, "full": full, "shared": shared,
            "cost": _number(event, "_label_cost", where)}


def _events(lines: Iterator[str], source: str) -> Iterator[tuple[str, dict]]:
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source} line {lineno}"
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LogFormatError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") \
                from exc
        if not isinstance(event, dict):
            raise LogFormatError(f"{where}: expected a JSON object, got {type(event).__name__}")
        yield where, event


def parse_dsjson_lines(lines, source: str = "<lines>", negate_cost: bool = True
                       ) -> LoggedDecisions:
    """Logged decisions from an iterable of DSJSON lines (see the module docstring)."""
    rows: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for where, event in _events(iter(lines), source):
        if "_label_cost" not in event:
            skipped["no _label_cost (reward event or unjoined decision)"] += 1
        elif event.get("_skipLearn") is True:
            skipped["_skipLearn (never activated)"] += 1
        else:
            rows.append(_decision(event, where))
    if not rows:
        raise LogFormatError(
            f"{source}: no decision lines with _label_cost; skipped {dict(skipped)}")
    k = max(len(r["multi"]) for r in rows)
    widest = next(r["multi"] for r in rows if len(r["multi"]) == k)
    names = tuple(_action_name(item, j) for j, item in enumerate(widest))
    n = len(rows)
    eligible = np.zeros((n, k), dtype=bool)
    logging = np.zeros((n, k))
    has_full = all(r["full"] is not None for r in rows)
    for i, r in enumerate(rows):
        eligible[i, :len(r["multi"])] = True
        if has_full:
            logging[i, :len(r["full"])] = r["full"]
    contexts, context_names = context_matrix(r["shared"] for r in rows)
    feats, feat_names = context_matrix(widest)
    costs = np.array([r["cost"] for r in rows])
    return LoggedDecisions(
        contexts=contexts, context_names=context_names,
        actions=np.array([r["index"] for r in rows], dtype=np.int64),
        propensities=np.array([r["prob"] for r in rows]),
        rewards=-costs if negate_cost else costs, eligible=eligible, action_names=names,
        logging_probs=logging if has_full else None, skipped=tuple(sorted(skipped.items())),
        action_features=feats if feat_names else None, action_feature_names=feat_names,
    )


def read_dsjson(path: str | Path, negate_cost: bool = True) -> LoggedDecisions:
    """Logged decisions from a DSJSON file (one JSON object per line)."""
    path = Path(path)
    if not path.is_file():
        raise LogFormatError(f"DSJSON log {str(path)!r} does not exist or is not a file")
    with path.open(encoding="utf-8") as fh:
        return parse_dsjson_lines(fh, source=path.name, negate_cost=negate_cost)
