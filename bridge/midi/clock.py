"""A thread-safe :class:`~bridge.core.clock.MidiClock` that is also a :class:`~bridge.core.tempo.TempoSource`.

The MIDI worker thread feeds it; the daemon asks it for the tempo at trigger
time (``tempo_source = "midi-clock"``) and audio capture asks it for the last
bar line. The lock is held only for arithmetic, never for I/O.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from bridge.core.clock import SOURCE, ClockReading, MidiClock
from bridge.core.commands import TempoUpdate
from bridge.core.tempo import TempoInfo

__all__ = ["ClockTempoSource"]


class ClockTempoSource:
    name = SOURCE

    def __init__(self, clock: MidiClock | None = None) -> None:
        self._clock = clock or MidiClock()
        self._lock = threading.Lock()

    def feed(self, msg: Any, now: float) -> TempoUpdate | None:
        """A clock/start/stop/continue/songpos message that arrived at ``now`` (monotonic seconds)."""
        with self._lock:
            return self._clock.handle(msg, now)

    def current(self, timeout: float = 0.25) -> TempoInfo | None:
        # the clock is already here: there is nothing to wait for, so timeout is unused
        bpm = self.bpm()
        if bpm is None:
            return None
        # MIDI clock has no metre: beats_per_bar stays the sticky value
        return TempoInfo(bpm=round(bpm, 2), source=SOURCE)

    def bpm(self) -> float | None:
        with self._lock:
            return self._clock.bpm(time.monotonic())

    def last_bar_line_time(self, beats_per_bar: int = 4, now: float | None = None) -> float | None:
        with self._lock:
            return self._clock.last_bar_line_time(time.monotonic() if now is None else now, beats_per_bar)

    def reading(self, beats_per_bar: int = 4, now: float | None = None) -> ClockReading:
        with self._lock:
            return self._clock.reading(time.monotonic() if now is None else now, beats_per_bar)

    def close(self) -> None:
        """Nothing to release: the MIDI input owns the port."""
