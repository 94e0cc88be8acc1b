"""Outages of a live session as kept in the store: two events per outage.

The signal lost at `start_s` is an event `signal_lost` (detail: why) written the moment the
loss is known, so a session that ends mid-outage (closed, crashed) still records it; its return
at `end_s` is an event `signal_back`. `outages_from_events` pairs them back into `Outage`s
(an unpaired loss lasts to `end_s`, or stays open), and `SignalSummary` counts them for the
CSV, the report and `fer-analyze`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from app.core.analysis.live_feed import Outage
from app.core.session.types import Event

SIGNAL_LOST, SIGNAL_BACK = "signal_lost", "signal_back"
SIGNAL_KINDS = (SIGNAL_LOST, SIGNAL_BACK)


def outage_events(outage: Outage, reason: str = "") -> list[Event]:
    """The events that keep `outage` (one while it lasts, two once it ended)."""
    events = [Event(outage.start_s, SIGNAL_LOST, reason)]
    if outage.end_s is not None:
        events.append(Event(outage.end_s, SIGNAL_BACK, f"{outage.duration():.1f} s"))
    return events


def outages_from_events(events: Iterable[Event], end_s: float | None = None) -> list[Outage]:
    """The outages in `events` (any order), in time order. A loss without its return lasts
    to `end_s` when given (the session's end), else stays open (`end_s=None`)."""
    out: list[Outage] = []
    open_start: float | None = None
    order = {SIGNAL_LOST: 0, SIGNAL_BACK: 1}
    for e in sorted((e for e in events if e.kind in order),
                    key=lambda e: (e.time_s, order[e.kind])):
        if e.kind == SIGNAL_LOST and open_start is None:
            open_start = e.time_s
        elif e.kind == SIGNAL_BACK and open_start is not None:
            out.append(Outage(open_start, max(e.time_s, open_start)))
            open_start = None
    if open_start is not None:
        out.append(Outage(open_start, max(end_s, open_start) if end_s is not None else None))
    return out


@dataclass(frozen=True)
class SignalSummary:
    """How often and how long a live session was without signal."""

    count: int
    seconds: float

    @classmethod
    def of(cls, outages: Sequence[Outage], now_s: float | None = None) -> SignalSummary:
        return cls(len(outages), sum(o.duration(now_s) for o in outages))

    def text(self) -> str:
        """`2 outages, 18.3 s without signal` (or `no outage`)."""
        if not self.count:
            return "no outage"
        return (f"{self.count} outage{'s' if self.count != 1 else ''}, "
                f"{self.seconds:.1f} s without signal")


def gaps_before(times: Sequence[float], outages: Sequence[Outage]) -> list[float | None]:
    """Per frame time, the seconds without signal that ended at that frame (an outage ends
    with the first frame after it), else None: the frames CSV's `no_signal_s` column."""
    out: list[float | None] = [None] * len(times)
    ends = sorted((o.end_s, o.duration()) for o in outages if o.end_s is not None)
    j, prev = 0, float("-inf")
    for i, t in enumerate(times):
        gap = 0.0
        while j < len(ends) and ends[j][0] <= t + 1e-9:
            if ends[j][0] > prev + 1e-9:
                gap += ends[j][1]
            j += 1
        out[i] = gap if gap > 0 else None
        prev = t
    return out
