"""Which decisions a client reports as 0 before their total comes (``rewards_at =
"provisional"``), and which totals it then reports: a conversion as a correction, a zero not
again.

Each decision is reported as 0 ``after_h`` hours after it was made (0: as it is made) unless
its total came first; a total that comes after its 0 is reported only when it is not 0 (the
engine, in ``reward_mode = "sum"``, adds it). So the engine learns every decision by
``after_h`` hours at the latest, its zero no later than anyone's conversion after that, where a
client that reports each total as it comes has it learn a conversion some 12 hours after its
send and a zero only when the 72-hour window ends (docs/engine.md, stops 30 and 32).

Example:
    >>> z = ProvisionalZeros(after_h=24.0)
    >>> z.decided("d1", at=0.0), z.decided("d2", at=0.0)  # both wait a day for their total
    (False, False)
    >>> z.report("d1", 5.0)  # d1's conversion came first: its first reward
    True
    >>> z.due(now=25 * 3600.0)  # a day on, d2 is reported as 0, at its time
    [('d2', 86400.0)]
    >>> z.report("d2", 0.0), z.report("d2", 3.0)  # its zero not again; a late conversion yes
    (False, True)
"""

from __future__ import annotations

import heapq
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine import Engine
    from engine.clock import ManualClock

__all__ = ["ProvisionalZeros", "check_after_h"]


def check_after_h(value: object) -> float:
    """``provisional_after_h`` as a float, or a :class:`SpecError` naming it.

    Example:
        >>> check_after_h(-1)
        Traceback (most recent call last):
        ...
        experiments.errors.SpecError: provisional_after_h: expected hours, a number >= 0; got -1
    """
    from experiments.errors import SpecError

    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or value < 0):
        raise SpecError(f"provisional_after_h: expected hours, a number >= 0; got {value!r}")
    return float(value)


class ProvisionalZeros:
    """The decisions waiting for their 0 and those reported so (see the module)."""

    def __init__(self, after_h: float = 0.0) -> None:
        self.after_s = check_after_h(after_h) * 3600.0
        # (when its 0 is due, the order decided, decision id): the order breaks ties, so the
        # zeros of one batch are reported in the order decided, not of their random ids
        self._waiting: list[tuple[float, int, str]] = []
        self._decided = 0
        self._open: set[str] = set()  # decided, nothing reported yet
        self._zeroed: set[str] = set()  # reported as 0, its total not yet come

    def decided(self, decision_id: str, at: float) -> bool:
        """A decision made at ``at`` (epoch s): whether to report its 0 now."""
        if self.after_s == 0.0:
            self._zeroed.add(decision_id)
            return True
        self._open.add(decision_id)
        heapq.heappush(self._waiting, (at + self.after_s, self._decided, decision_id))
        self._decided += 1
        return False

    def due(self, now: float) -> list[tuple[str, float]]:
        """The decisions to report as 0 by ``now`` (their time came, their total did not),
        each with the time its 0 was due, in that order."""
        out = []
        while self._waiting and self._waiting[0][0] <= now:
            at, _, did = heapq.heappop(self._waiting)
            if did in self._open:
                self._open.discard(did)
                self._zeroed.add(did)
                out.append((did, at))
        return out

    def report(self, decision_id: str, total: float) -> bool:
        """A decision's total came: whether to report it (its first reward, or a correction
        other than 0 to the 0 reported before)."""
        if decision_id in self._zeroed:
            self._zeroed.discard(decision_id)
            return total != 0.0
        self._open.discard(decision_id)
        return True

    def report_due(self, engine: Engine, clock: ManualClock, now: float) -> None:
        """Report to ``engine`` as 0 the decisions whose 0 is due by ``now``, each at the time
        it was due (the engine's ``clock`` set there, as the client's would have been), and
        leave the clock at ``now``."""
        for decision_id, at in self.due(now):
            clock.set(at)
            engine.reward(decision_id, 0.0, now=at)
        clock.set(now)
