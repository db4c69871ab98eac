"""MIDI clock to tempo and bar phase: a pure estimator fed with timestamped events.

MIDI clock is 24 ticks (0xF8) per quarter note; Start (0xFA) means "the next
tick is the downbeat of bar 1", Continue (0xFB) resumes from the current song
position, Stop (0xFC) freezes it, and Song Position Pointer (0xF2) sets it in
sixteenth notes (6 ticks each). The clock carries no metre: bar lines are
computed for the ``beats_per_bar`` the caller passes.

Tempo is the slope of a least-squares line through the tick times of the last
``window_ticks`` ticks (two bars at 4/4 by default). A single tick's timestamp is
jittered by whoever delivers it (JACK hands MIDI over once per period: 256
frames at 48 kHz quantise times to 5.3 ms, a quarter of a tick at 120 BPM), but
the line through 96 ticks averages that down to a few hundredths of a BPM. Ticks
whose residual is far outside the median absolute residual (a late wake-up)
are dropped and the line is fitted again. When the tempo jumps, the last beat's
average interval disagrees with the line by more than a few percent for half a
beat running (a stall's burst of late ticks is shorter) and the window restarts
from the last beat, so a jump is followed within about two beats, not a whole
window.

Bar lines come from the same line: tick ``i`` is at ``a + b*i``, so the time of
any song position is known to a fraction of the jitter, which is what audio
capture needs to cut a take on a bar line.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from bridge.core.commands import Origin, TempoUpdate

__all__ = ["PPQN", "ClockReading", "MidiClock"]

PPQN = 24
SOURCE = "midi-clock"
_ORIGIN = Origin("midi")
#: ticks of one beat: the span whose average interval detects a tempo jump; its quantisation error is small
_JUMP_SPAN = PPQN
_JUMP_RATIO = 0.06
#: consecutive disagreeing ticks before a jump is believed: a stall delivers a burst of 2-3 late ticks, not 12
_JUMP_PERSIST = 12
#: dropping ticks further than this many robust sigmas from the line
_OUTLIER_SIGMAS = 4.0
_MIN_RESIDUAL = 0.0005
#: consecutive ticks a whole tick late before they are taken as lost ticks, not a stall
_LOST_PERSIST = 6
#: ticks needed before the tempo is read from a parabola's end slope rather than the line's (a bar of 4/4)
_CURVE_TICKS = 4 * PPQN
#: ticks that anchor the line's position (see _robust_line)
_ANCHOR_TICKS = PPQN


@dataclass(frozen=True, slots=True)
class ClockReading:
    """What the clock says at one moment."""

    bpm: float | None
    running: bool
    #: song position of ``now`` in ticks (fractional), ``None`` while stopped or without a tempo
    position: float | None
    #: the tick within the bar (0 .. 24*beats_per_bar-1) of ``position``
    tick_in_bar: int | None
    bar: int | None


class MidiClock:
    """Not thread-safe: one thread feeds it; wrap it (``bridge.midi.clock.ClockTempoSource``) to share it."""

    def __init__(
        self,
        *,
        window_ticks: int = 8 * PPQN,
        min_ticks: int = PPQN,
        announce_threshold: float = 0.25,
        announce_interval: float = 0.5,
        stale_after: float = 0.5,
    ) -> None:
        if window_ticks < 8:
            raise ValueError(f"window_ticks must be at least 8, got {window_ticks}")
        self._window: deque[tuple[int, float]] = deque(maxlen=window_ticks)
        self._min_ticks = max(3, min_ticks)
        self._threshold = announce_threshold
        self._interval = announce_interval
        self._stale_after = stale_after
        self._fresh = 0  # ticks since the clock (re)appeared
        self._count = 0  # ticks seen since the window started, the x of the line
        self._last_tick: float | None = None
        self._fit: tuple[float, float] | None = None  # (a, b): tick i at a + b*i
        self._fit_dirty = False
        self._running = False
        self._offset = 0  # song position = i + offset while running
        self._pending_position: int | None = None  # position the next running tick takes
        self._position = 0  # song position of the next tick (kept across Stop)
        self._disagreeing = 0
        self._lagging = 0
        self._announced: float | None = None
        self._announced_at = -math.inf

    # -- events -----------------------------------------------------------------

    def handle(self, msg: Any, now: float) -> TempoUpdate | None:
        """Dispatch a mido message (``clock``, ``start``, ``continue``, ``stop``, ``songpos``); others are ignored."""
        kind = msg.type
        if kind == "clock":
            return self.tick(now)
        if kind == "start":
            self.start()
        elif kind == "continue":
            self.continue_()
        elif kind == "stop":
            self.stop()
        elif kind == "songpos":
            self.song_position(msg.pos)
        return None

    def tick(self, now: float) -> TempoUpdate | None:
        if self._last_tick is not None and now - self._last_tick > self._stale_gap():
            # the clock went away and came back: its old tempo says nothing about the new one
            self._window.clear()
            self._fit = None
            self._fresh = 0
        self._fresh += 1
        self._last_tick = now
        self._check_lost(now)
        i = self._count
        self._count += 1
        self._window.append((i, now))
        self._fit_dirty = True
        if self._running:
            if self._pending_position is not None:
                self._offset = self._pending_position - i
                self._pending_position = None
            self._position = i + self._offset + 1
        self._check_jump()
        # an estimate per sixteenth is plenty for announcements and keeps the per-tick cost tiny
        if self._count % 6 == 0:
            return self._announcement(now)
        return None

    def start(self) -> None:
        self._running = True
        self._pending_position = 0

    def continue_(self) -> None:
        self._running = True
        self._pending_position = self._position

    def stop(self) -> None:
        self._running = False
        self._pending_position = None

    def song_position(self, sixteenths: int) -> None:
        self._position = sixteenths * 6
        self._pending_position = self._position

    # -- readings ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._running

    def bpm(self, now: float | None = None) -> float | None:
        """The tempo estimate, or ``None`` with too few ticks or when the last tick is older than ``stale_after``."""
        fit = self._line(now)
        return None if fit is None else 60.0 / (fit[1] * PPQN)

    def position(self, now: float) -> float | None:
        """Song position in ticks at ``now`` (fractional), while running."""
        fit = self._line(now)
        if fit is None or not self._running or self._pending_position is not None:
            return None
        a, b = fit
        return (now - a) / b + self._offset

    def last_bar_line_time(self, now: float, beats_per_bar: int = 4) -> float | None:
        """When the most recent bar line at or before ``now`` was, in ``now``'s clock; ``None`` when not running."""
        position = self.position(now)
        fit = self._fit
        if position is None or fit is None or position < 0:
            return None
        ticks_per_bar = PPQN * beats_per_bar
        bar_position = math.floor(position / ticks_per_bar + 1e-9) * ticks_per_bar
        a, b = fit
        return a + b * (bar_position - self._offset)

    def reading(self, now: float, beats_per_bar: int = 4) -> ClockReading:
        position = self.position(now)
        if position is None or position < 0:
            return ClockReading(self.bpm(now), self._running, None, None, None)
        ticks_per_bar = PPQN * beats_per_bar
        whole = math.floor(position)
        return ClockReading(self.bpm(now), True, position, whole % ticks_per_bar, whole // ticks_per_bar)

    # -- internals --------------------------------------------------------------

    def _stale_gap(self) -> float:
        b = self._fit[1] if self._fit else 0.0
        return max(self._stale_after, 4 * b)

    def _line(self, now: float | None) -> tuple[float, float] | None:
        if self._last_tick is None or (now is not None and now - self._last_tick > self._stale_gap()):
            return None
        if self._fit_dirty:
            self._fit_dirty = False
            self._fit = _robust_line(self._window) if len(self._window) >= 3 else None
        if self._fresh < self._min_ticks:
            return None  # a clock that just appeared: too few ticks to say anything
        return self._fit

    def _check_lost(self, now: float) -> None:
        """Count ticks that never arrived: a MIDI driver drops a cycle's events in an xrun.

        Tick numbers are what bar lines are counted in, so one lost tick moves every
        later bar line by a tick. When the last ``_LOST_PERSIST`` ticks all land a
        whole tick (or more) later than the line predicts for their number, the
        missing ticks are counted in. A stall's late burst does not persist: its
        ticks catch up to the line within two or three ticks.
        """
        fit = self._fit
        if fit is None or len(self._window) < self._min_ticks:
            return
        a, b = fit
        lag = (now - a) / b - self._count
        if lag < 0.6:
            self._lagging = 0
            return
        self._lagging += 1
        if self._lagging < _LOST_PERSIST:
            return
        self._lagging = 0
        first_late = self._window[-(_LOST_PERSIST - 1)][1]
        if now - first_late < 0.5 * (_LOST_PERSIST - 1) * b:
            # the late ticks came in a burst, not a tick apart: a stalled reader catching up, nothing lost
            return
        lost = round(lag)
        # renumber the ticks that already arrived late, then move the counter on
        late = list(self._window)[-(_LOST_PERSIST - 1) :]
        for _ in late:
            self._window.pop()
        for i, t in late:
            self._window.append((i + lost, t))
        self._count += lost
        self._fit_dirty = True

    def _check_jump(self) -> None:
        window = self._window
        if len(window) <= 2 * _JUMP_SPAN or self._fit is None:
            return
        i_end, t_end = window[-1]
        i_start, t_start = window[-1 - _JUMP_SPAN]
        recent = (t_end - t_start) / (i_end - i_start)
        expected = self._fit[1]
        if abs(recent - expected) <= _JUMP_RATIO * expected:
            self._disagreeing = 0
            return
        self._disagreeing += 1
        if self._disagreeing >= _JUMP_PERSIST:
            self._disagreeing = 0
            # keep only the ticks that disagreed: they are all at the new tempo
            for _ in range(len(window) - _JUMP_PERSIST):
                window.popleft()
            self._fit = _robust_line(window)

    def _announcement(self, now: float) -> TempoUpdate | None:
        bpm = self.bpm(now)
        if bpm is None:
            return None
        first = self._announced is None
        if first or (abs(bpm - self._announced) > self._threshold and now - self._announced_at >= self._interval):  # type: ignore[operator]
            self._announced = bpm
            self._announced_at = now
            return TempoUpdate(bpm=round(bpm, 2), source=SOURCE, origin=_ORIGIN)
        return None


def _robust_line(points: deque[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares ``t = a + b*i``, refitted once without the ticks whose residual is an outlier."""
    data = np.array(points, dtype=np.float64)
    x = data[:, 0] - data[0, 0]
    # fit relative to the first time: absolute monotonic seconds squared lose precision
    t0 = data[0, 1]
    y = data[:, 1] - t0
    b, a = np.polyfit(x, y, 1)
    residual = y - (a + b * x)
    mad = float(np.median(np.abs(residual - np.median(residual))))
    limit = max(_OUTLIER_SIGMAS * 1.4826 * mad, _MIN_RESIDUAL)
    keep = np.abs(residual) <= limit
    if 3 <= int(keep.sum()) < len(x):
        b, a = np.polyfit(x[keep], y[keep], 1)
    if int(keep.sum()) >= _CURVE_TICKS:
        # the line's slope is the tempo in the middle of the window, a bar behind a ramp (a DJ's pitch
        # fader, a host's tempo automation); a parabola's slope at the last tick is the tempo now
        c2, c1, _ = np.polyfit(x[keep], y[keep], 2)
        b = float(c1 + 2.0 * c2 * x[keep][-1])
    # the slope needs the whole window, the position only the last beat: after an xrun the
    # sender's timeline can resume shifted against ours, and the line's intercept would
    # average old and new for a whole window while the bar lines are already elsewhere
    a = float(np.median(y[-_ANCHOR_TICKS:] - b * x[-_ANCHOR_TICKS:]))
    return float(a + t0 - b * data[0, 0]), float(b)
