"""The one place that turns feature dicts into Vowpal Wabbit text and rewards into costs.

A *feature set* maps a namespace name to its features; a feature is a name and a value:

- a number (int, float, bool) becomes ``name:value`` (zero is left out, as VW ignores it, and so
  is a magnitude below :data:`FLOAT32_TINY`: see :func:`vw_number`);
- a string is a category and becomes the indicator ``name=value``;
- a list or tuple of strings becomes one indicator per item (``tags=a tags=b``).

VW keys interactions on the first letter of a namespace name, so callers pick namespace names
whose first letters differ. VW minimises cost; our rewards are "more is better", so
``cost = -reward`` (:func:`cost_of`), and nowhere else in the project negates a reward.

Example:
    >>> shared_line({"c": {"age": 34, "segment": "vip"}, "h": {"contacts_7d": 2}})
    'shared |c age:34 segment=vip |h contacts_7d:2'
    >>> action_line({"m": {"msg": "welcome 10"}, "n": {"ch": "email"}})
    '|m msg=welcome_10 |n ch=email'
    >>> action_line({"m": {"msg": "winback"}}, label=cb_label(cost_of(1.0), 0.25))
    '0:-1:0.25 |m msg=winback'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache

from policies.errors import PolicyInputError

__all__ = [
    "FLOAT32_TINY",
    "FeatureSet",
    "FeatureValue",
    "Namespace",
    "action_line",
    "cb_label",
    "clean_token",
    "cost_of",
    "feature_items",
    "format_features",
    "multi_example",
    "shared_line",
    "vw_number",
]

FeatureValue = float | int | bool | str | Sequence[str]
Namespace = Mapping[str, FeatureValue]
FeatureSet = Mapping[str, Namespace]

# Characters that carry meaning in VW's text format: a name holding one would split a feature
# or open a namespace, so they are replaced, never passed through.
_SPECIAL = str.maketrans({" ": "_", "\t": "_", "\n": "_", "\r": "_", "|": "_", ":": "_"})

#: float32's smallest normal magnitude. VW keeps float32, so a smaller number could only be a
#: denormal or zero there; and VW's text parser turns a label's cost written as ``-4.78e-161``
#: into NaN, which spreads to every weight (measured: costs of exponent -127 and below do).
FLOAT32_TINY = 1.1754943508222875e-38


def vw_number(value: float) -> float:
    """``value`` as VW text carries it: magnitudes below :data:`FLOAT32_TINY` become 0.

    Example:
        >>> vw_number(-4.78e-161), vw_number(0.25)
        (0.0, 0.25)
    """
    return 0.0 if abs(value) < FLOAT32_TINY else value


@lru_cache(maxsize=1 << 16)  # names and category values repeat from customer to customer
def clean_token(token: str) -> str:
    """``token`` with VW's separators (space, tab, newline, ``|``, ``:``) replaced by ``_``.

    Example:
        >>> clean_token("a b|c:d")
        'a_b_c_d'
    """
    return token.translate(_SPECIAL)


def _number(ns: str, name: str, value: float) -> str | None:
    if not math.isfinite(value):
        raise PolicyInputError(
            f"feature {ns}.{name} must be a finite number, got {value!r}"
        )
    if vw_number(value) == 0:
        return None
    return f"{name}:{value:.7g}"  # VW stores float32: 7 significant digits keep every bit


def _strings(ns: str, name: str, value: Sequence) -> Sequence[str]:
    for item in value:
        if not isinstance(item, str):
            raise PolicyInputError(
                f"feature {ns}.{name} must be a list of strings, got an item of type "
                f"{type(item).__name__}: {item!r}"
            )
    return value


def _tokens(ns: str, features: Namespace) -> list[str]:
    out: list[str] = []
    for raw_name, value in features.items():
        name = clean_token(str(raw_name))
        if isinstance(value, bool):
            if value:
                out.append(name)
        elif isinstance(value, (int, float)):
            tok = _number(ns, name, float(value))
            if tok is not None:
                out.append(tok)
        elif isinstance(value, str):
            out.append(f"{name}={clean_token(value)}")
        elif isinstance(value, (list, tuple)):
            out.extend(f"{name}={clean_token(item)}" for item in _strings(ns, name, value))
        else:
            raise PolicyInputError(
                f"feature {ns}.{name} must be a number, bool, string or list of strings, got "
                f"{type(value).__name__}"
            )
    return out


def feature_items(features: FeatureSet) -> list[tuple[str, str, float]]:
    """``(namespace, feature name, value)`` of every feature exactly as VW sees it in the text.

    A category ``seg: "vip"`` is the feature ``seg=vip`` with value 1; zeros are left out; a
    number is the value its text (7 significant digits) reads back as. The same tokens as
    :func:`format_features` writes, without writing and splitting the text (batch prediction
    calls this for every customer).

    Example:
        >>> feature_items({"c": {"age": 34, "seg": "vip", "off": 0}})
        [('c', 'age', 34.0), ('c', 'seg=vip', 1.0)]
    """
    out: list[tuple[str, str, float]] = []
    for ns, feats in features.items():
        ns_token = clean_token(ns)
        for raw_name, value in feats.items():
            name = clean_token(str(raw_name))
            if isinstance(value, bool):
                if value:
                    out.append((ns_token, name, 1.0))
            elif isinstance(value, (int, float)):
                tok = _number(ns, name, float(value))
                if tok is not None:
                    out.append((ns_token, name, float(tok[len(name) + 1:])))
            elif isinstance(value, str):
                out.append((ns_token, f"{name}={clean_token(value)}", 1.0))
            elif isinstance(value, (list, tuple)):
                out.extend((ns_token, f"{name}={clean_token(item)}", 1.0)
                           for item in _strings(ns, name, value))
            else:
                raise PolicyInputError(
                    f"feature {ns}.{name} must be a number, bool, string or list of strings, "
                    f"got {type(value).__name__}"
                )
    return out


def format_features(features: FeatureSet) -> str:
    """The namespaces of ``features`` as VW text (``|ns f:1 g=x |ns2 ...``), no label.

    A namespace with no feature left (all zero, or empty) is left out.

    Example:
        >>> format_features({"c": {"age": 0, "vip": True}, "h": {}})
        '|c vip'
    """
    parts = []
    for ns, feats in features.items():
        toks = _tokens(ns, feats)
        if toks:
            parts.append(f"|{clean_token(ns)} " + " ".join(toks))
    return " ".join(parts)


def shared_line(features: FeatureSet) -> str:
    """The shared (context) line of a multi-line ``--cb_adf`` example.

    Example:
        >>> shared_line({"c": {"x": 1.5}})
        'shared |c x:1.5'
    """
    body = format_features(features)
    return f"shared {body}" if body else "shared |"


def action_line(features: FeatureSet, label: str = "") -> str:
    """One action line of a multi-line example, optionally led by a label (see :func:`cb_label`).

    Example:
        >>> action_line({"m": {"msg": "a"}}, label="0:0.5:0.2")
        '0:0.5:0.2 |m msg=a'
    """
    body = format_features(features) or "|"
    return f"{label} {body}" if label else body


def cost_of(reward: float) -> float:
    """The VW cost of a reward: VW minimises cost, we maximise reward.

    Example:
        >>> cost_of(2.0), cost_of(0.0)
        (-2.0, -0.0)
    """
    return -float(reward)


def cb_label(cost: float, probability: float) -> str:
    """The contextual-bandit label ``0:cost:probability`` of the action that was played.

    Args:
        cost: the VW cost (use :func:`cost_of` on a reward).
        probability: the logged probability of the played action, in (0, 1].

    Example:
        >>> cb_label(-1.0, 0.5)
        '0:-1:0.5'
        >>> cb_label(float("nan"), 0.5)
        Traceback (most recent call last):
        ...
        policies.errors.PolicyInputError: cost must be finite, got nan
    """
    if not math.isfinite(cost):
        raise PolicyInputError(f"cost must be finite, got {cost!r}")
    if not 0.0 < probability <= 1.0:
        raise PolicyInputError(f"probability must lie in (0, 1], got {probability!r}")
    return f"0:{vw_number(cost):.9g}:{probability:.9g}"


def multi_example(shared: FeatureSet, actions: Sequence[FeatureSet], chosen: int | None = None,
                  reward: float | None = None, probability: float | None = None) -> list[str]:
    """A whole multi-line example: the shared line, then one line per action.

    With ``chosen``, ``reward`` and ``probability`` given, the chosen action carries the label
    (for learning); without them the example is for prediction.

    Example:
        >>> multi_example({"c": {"x": 1}}, [{"m": {"a": 1}}, {"m": {"b": 1}}], 1, 1.0, 0.5)
        ['shared |c x:1', '|m a:1', '0:-1:0.5 |m b:1']
    """
    lines = [shared_line(shared)]
    for i, act in enumerate(actions):
        label = ""
        if chosen is not None and i == chosen:
            if reward is None or probability is None:
                raise PolicyInputError("reward and probability must be given with chosen")
            label = cb_label(cost_of(reward), probability)
        lines.append(action_line(act, label))
    return lines
