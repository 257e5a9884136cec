"""The report's verdicts: one sentence per comparison, worded by its paired 95% interval.

The analyst's question is "does the engine beat what we do today?", so per scenario the engine
(any ``engine`` policy; without one, the scenario's leader) is compared, paired by seed, with
every A/B-test baseline (best fixed action, segment rules) and with the best other learner. The
wording follows the interval of the paired difference and nothing else:

- **beats** / **trails**: the 95% interval lies above / below 0;
- **not distinguishable at N seeds**: it straddles 0; then the observed difference and its
  standard error give a rough size for a run that would separate them ("about M seeds would be
  needed", if the difference held at its observed size);
- a scenario has a **winner** only when the leader's paired interval excludes 0 against every
  other policy.

A baseline whose A/B test never ended played uniformly at random all along; its sentence says
so, since beating it is then beating random, not beating a finished test.

Example:
    >>> v = Verdict("s", "engine", "best fixed", "A/B-test baseline", seeds=4, diff=31.8,
    ...             lo=-49.4, hi=113.0, se=25.5)
    >>> v.word, v.seeds_needed
    ('not distinguishable', 13)
    >>> print(v.sentence("EUR per 1,000 customers"))  # doctest: +NORMALIZE_WHITESPACE
    engine and the A/B-test baseline best fixed are not distinguishable at 4 seeds: engine is
    ahead by 31.8 EUR per 1,000 customers (95% CI -49.4 to 113.0); about 13 seeds would be
    needed to separate them if the difference held.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from experiments import metrics

__all__ = ["AB_TEST_POLICIES", "ENGINE", "REFERENCE", "Verdict", "ab_test_note", "policy_names",
           "scenario_lead", "seeds_needed", "verdicts"]

#: Registry names of the A/B-test baselines: what a marketer does today without a model.
AB_TEST_POLICIES = ("best_fixed", "segment_rules")
#: The policy name of the whole Engine.
ENGINE = "engine"
#: The reference every scenario runs (not a contestant for the verdict).
REFERENCE = "random"
_NOT_LEARNERS = (*AB_TEST_POLICIES, REFERENCE, "oracle")
_MAX_SEEDS = 10_000


def _num(x: float) -> str:
    return f"{x:,.1f}"


def seeds_needed(diff: float, se: float, seeds: int, limit: int = _MAX_SEEDS) -> int | None:
    """Seeds a paired run would need for its 95% interval to exclude 0, if the difference and
    the per-seed spread stayed as observed; None when nothing was observed to separate (no
    difference, or fewer than 2 seeds); ``limit + 1`` when more than ``limit``.

    Example:
        >>> seeds_needed(31.8, 25.5, 4), seeds_needed(0.0, 25.5, 4), seeds_needed(1.0, 10.0, 1)
        (13, None, None)
    """
    if seeds < 2 or diff == 0 or not math.isfinite(se):
        return None
    sd = se * math.sqrt(seeds)
    for m in range(2, limit + 1):
        if metrics.t95(m - 1) * sd / math.sqrt(m) < abs(diff):
            return m
    return limit + 1


@dataclass(frozen=True)
class Verdict:
    """``policy`` against ``other`` in one scenario: the paired difference per 1,000 customers
    (``policy - other``), its 95% interval and standard error over ``seeds``.

    Attributes:
        role: what ``other`` is to the reader ("A/B-test baseline", "best learner").
        note: a clause about ``other`` (e.g. its test never finished); empty when none.
    """

    scenario: str
    policy: str
    other: str
    role: str
    seeds: int
    diff: float
    lo: float
    hi: float
    se: float
    note: str = ""

    @property
    def word(self) -> str:
        """``beats``, ``trails`` or ``not distinguishable``, by the interval alone."""
        if self.lo > 0:
            return "beats"
        if self.hi < 0:
            return "trails"
        return "not distinguishable"

    @property
    def seeds_needed(self) -> int | None:
        """See :func:`seeds_needed`; None unless the verdict is ``not distinguishable``."""
        if self.word != "not distinguishable":
            return None
        return seeds_needed(self.diff, self.se, self.seeds)

    def sentence(self, unit: str, mark: Callable[[str], str] = str) -> str:
        """The verdict in words; ``unit`` names the difference's unit ("EUR per 1,000
        customers"), ``mark`` wraps the verdict word (for emphasis). Plain text: the caller
        escapes it for HTML."""
        other = f"the {self.role} {self.other}"
        paired = f"paired over {self.seeds} seeds"
        if self.word == "beats":
            text = (f"{self.policy} {mark('beats')} {other} by {_num(self.diff)} {unit} "
                    f"(95% CI {_num(self.lo)} to {_num(self.hi)}, {paired})")
        elif self.word == "trails":
            text = (f"{self.policy} {mark('trails')} {other} by {_num(-self.diff)} {unit} "
                    f"(95% CI {_num(-self.hi)} to {_num(-self.lo)}, {paired})")
        else:
            text = (f"{self.policy} and {other} are {mark('not distinguishable')} at "
                    f"{self.seeds} seeds")
            text += self._gap(unit)
        return text + (f"; {self.note}" if self.note else "") + "."

    def _gap(self, unit: str) -> str:
        if self.seeds < 2:
            return ": an interval needs at least 2 seeds"
        if self.diff == 0:
            return ": no difference observed"
        ahead = self.diff > 0
        lo, hi = (self.lo, self.hi) if ahead else (-self.hi, -self.lo)
        text = (f": {self.policy} is {'ahead' if ahead else 'behind'} by {_num(abs(self.diff))} "
                f"{unit} (95% CI {_num(lo)} to {_num(hi)})")
        m = self.seeds_needed
        if m is None:
            return text
        if m > _MAX_SEEDS:
            return text + f"; more than {_MAX_SEEDS:,} seeds would be needed to separate them"
        return text + f"; about {m:,} seeds would be needed to separate them if the difference held"


def ab_test_note(progress: pd.DataFrame, scenario: str, policy: str) -> str:
    """A clause on how far ``policy``'s A/B test got in ``scenario`` (empty if it finished
    everywhere, or is not an A/B test). ``progress`` is :func:`metrics.ab_test_progress`.

    Example:
        >>> p = pd.DataFrame({"scenario": ["s"], "policy": "ab", "seeds": 4, "still_testing": 4,
        ...                   "never_finished": 4, "in_test_share": 1.0})
        >>> print(ab_test_note(p, "s", "ab"))  # doctest: +NORMALIZE_WHITESPACE
        ab never finished its A/B test (on any of 4 seeds), so it played uniformly at random
        throughout
    """
    row = progress[(progress["scenario"] == scenario) & (progress["policy"] == policy)]
    if row.empty:
        return ""
    r = row.iloc[0]
    seeds, never, still = int(r["seeds"]), int(r["never_finished"]), int(r["still_testing"])
    if never == seeds:
        return (f"{policy} never finished its A/B test (on any of {seeds} seeds), so it played "
                f"uniformly at random throughout")
    if never:
        return (f"{policy} never finished its A/B test on {never} of {seeds} seeds (it played "
                f"uniformly at random there)")
    if still:
        return (f"{policy} was still testing at the end on {still} of {seeds} seeds "
                f"({100 * r['in_test_share']:.0f}% of its decisions were test decisions)")
    return ""


def policy_names(rows: pd.DataFrame) -> dict[str, str]:
    """Report label -> registry name (the label itself for results without names)."""
    if "policy_name" not in rows.columns:
        return {p: p for p in rows["policy"].unique()}
    return dict(rows.groupby("policy", sort=False)["policy_name"].first())


def verdicts(rows: pd.DataFrame, board: pd.DataFrame,
             progress: pd.DataFrame | None = None) -> list[Verdict]:
    """Every verdict of the report, scenario by scenario: each engine policy (else the
    scenario's leader) against each A/B-test baseline, then against the best other learner.

    Args:
        rows: the results (:func:`experiments.results_io.read_results`).
        board: :func:`metrics.leaderboard` of the same rows (best first per scenario).
        progress: :func:`metrics.ab_test_progress` (default: computed from ``rows``).
    """
    names = policy_names(rows)
    progress = metrics.ab_test_progress(rows) if progress is None else progress
    out = []
    for scenario, b in board.groupby("scenario", sort=True):
        ranked = [str(p) for p in b.sort_values("value_per_1000", ascending=False)["policy"]]
        focus = [p for p in ranked if names.get(p) == ENGINE] or ranked[:1]
        baselines = [p for p in ranked if names.get(p) in AB_TEST_POLICIES]
        learners = [p for p in ranked if names.get(p) not in _NOT_LEARNERS]
        here = rows[rows["scenario"] == scenario]
        for f in focus:
            pairs = metrics.paired(here, f).set_index("other")
            best = next((p for p in learners if p != f and p not in focus), None)
            others = [(p, "A/B-test baseline") for p in baselines if p != f]
            if best is not None:
                others.append((best, "best learner"))
            for other, role in others:
                if other not in pairs.index:
                    continue
                d = pairs.loc[other]
                out.append(Verdict(str(scenario), f, other, role, int(d["seeds"]),
                                   float(d["diff_per_1000"]), float(d["diff_lo"]),
                                   float(d["diff_hi"]), float(d["diff_se"]),
                                   ab_test_note(progress, str(scenario), other)))
    return out


def scenario_lead(rows: pd.DataFrame, board: pd.DataFrame, scenario: str, unit: str) -> str:
    """The scenario's first sentence: "X wins" only when X's paired interval excludes 0 against
    every other policy; otherwise which policy leads and which it cannot be told apart from.

    Example:
        >>> rows = pd.DataFrame({"scenario": "s", "policy": ["a", "a", "b", "b"],
        ...     "seed": [0, 1, 0, 1], "n_treated": 100, "expected_treated": [50., 80., 40., 69.],
        ...     "oracle_treated": 100., "random_treated": 10.})
        >>> print(scenario_lead(rows, metrics.leaderboard(rows), "s", "EUR per 1,000 customers"))
        ... # doctest: +NORMALIZE_WHITESPACE
        a wins with 650.0 EUR per 1,000 customers: its paired 95% interval excludes 0 against
        every other policy (2 seeds).
    """
    b = board[board["scenario"] == scenario].sort_values("value_per_1000", ascending=False)
    lead = b.iloc[0]
    head = f"{lead.policy} wins with {_num(lead.value_per_1000)} {unit}"
    if len(b) == 1:
        return f"{lead.policy} is the only policy here ({_num(lead.value_per_1000)} {unit})."
    pairs = metrics.paired(rows[rows["scenario"] == scenario], str(lead.policy))
    tied = [str(p) for p, lo in zip(pairs["other"], pairs["diff_lo"], strict=True)
            if not lo > 0]
    seeds = int(pairs["seeds"].min()) if len(pairs) else int(lead.seeds)
    if not tied:
        return (f"{head}: its paired 95% interval excludes 0 against every other policy "
                f"({seeds} seeds).")
    return (f"No policy wins outright at {seeds} seeds: {lead.policy} has the highest value "
            f"({_num(lead.value_per_1000)} {unit}) but cannot be told apart from "
            f"{', '.join(tied)}.")
