"""Where the tempo (and metre, and key) of a take comes from at trigger time.

The sticky OSC values are the fallback. A :class:`TempoSource` (MIDI clock,
AbletonOSC, REAPER's OSC feedback) is asked once per trigger; ``None`` or a
field left ``None`` means "use the sticky value".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bridge.core.music import Key

__all__ = ["TempoInfo", "TempoSource"]


@dataclass(frozen=True, slots=True)
class TempoInfo:
    bpm: float | None = None
    beats_per_bar: int | None = None
    key: Key | None = None
    source: str = "sticky"


class TempoSource(Protocol):
    name: str

    def current(self, timeout: float = 0.25) -> TempoInfo | None:
        """The host's tempo now, or ``None`` when the host did not answer in time."""
        ...

    def close(self) -> None: ...
