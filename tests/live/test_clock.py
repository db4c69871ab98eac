from __future__ import annotations

import math

import mido
import numpy as np
import pytest

from bridge.core.clock import PPQN, MidiClock
from bridge.core.commands import TempoUpdate

JACK_PERIOD = 256 / 48000


def ticks(bpm: float, count: int, *, t0: float = 1000.0, jitter: bool = True, seed: int = 0) -> list[float]:
    """Tick arrival times as JACK delivers them: rounded up to the next period, plus a little wake-up noise."""
    rng = np.random.default_rng(seed)
    period = 60.0 / (PPQN * bpm)
    out = []
    for i in range(count):
        t = t0 + i * period
        if jitter:
            t = math.ceil(t / JACK_PERIOD) * JACK_PERIOD + float(rng.uniform(0, 0.0004))
        out.append(t)
    return out


@pytest.mark.parametrize("bpm", [40.0, 60.0, 89.5, 120.0, 128.0, 174.0, 240.0, 300.0])
@pytest.mark.parametrize("seed", [0, 1])
def test_steady_clock_within_half_bpm_after_two_bars(bpm: float, seed: int) -> None:
    clock = MidiClock()
    times = ticks(bpm, 2 * 4 * PPQN, seed=seed)
    for t in times:
        clock.tick(t)
    estimate = clock.bpm(times[-1])
    assert estimate is not None and abs(estimate - bpm) < 0.5, estimate


def test_late_wakeups_are_dropped_as_outliers() -> None:
    clock = MidiClock()
    times = ticks(120.0, 192)
    for i in (50, 51, 120, 170):
        times[i] += 0.012  # a scheduler hiccup of 12 ms
    for t in times:
        clock.tick(t)
    assert abs(clock.bpm(times[-1]) - 120.0) < 0.1  # type: ignore[operator]


def test_tempo_jump_is_followed_within_two_beats() -> None:
    clock = MidiClock()
    first = ticks(100.0, 192)
    second = ticks(140.0, 2 * PPQN + 1, t0=first[-1] + 60.0 / (PPQN * 140.0), seed=3)
    for t in first + second:
        clock.tick(t)
    assert abs(clock.bpm(second[-1]) - 140.0) < 0.5  # type: ignore[operator]


def test_no_estimate_until_enough_ticks_and_when_stale() -> None:
    clock = MidiClock()
    times = ticks(120.0, 30)
    for t in times[:10]:
        clock.tick(t)
    assert clock.bpm(times[9]) is None
    for t in times[10:]:
        clock.tick(t)
    assert clock.bpm(times[-1]) is not None
    assert clock.bpm(times[-1] + 0.6) is None  # the clock stopped coming


def test_announcements_first_then_only_on_real_change_and_rate_limited() -> None:
    clock = MidiClock()
    updates: list[tuple[float, TempoUpdate]] = []
    steady = ticks(120.0, 4 * 96)
    for t in steady:
        update = clock.tick(t)
        if update:
            updates.append((t, update))
    # the first estimate after a beat is announced; jitter alone never re-announces
    assert len(updates) <= 2 and all(abs(u.bpm - 120) < 0.5 for _, u in updates)
    assert updates[0][1].source == "midi-clock"
    faster = ticks(126.0, 4 * 96, t0=steady[-1] + 60 / (24 * 126))
    later = [(t, u) for t in faster if (u := clock.tick(t))]
    assert later and abs(later[-1][1].bpm - 126.0) < 0.3
    gaps = np.diff([t for t, _ in later])
    assert (gaps >= 0.5 - 1e-9).all()


def test_bar_phase_after_start() -> None:
    clock = MidiClock()
    clock.handle(mido.Message("start"), 0.0)
    times = ticks(120.0, 2 * 96 + 49, jitter=False)  # 2 bars and 2 beats and one tick
    for t in times:
        clock.tick(t)
    reading = clock.reading(times[-1] + 0.001)
    assert (reading.bar, reading.tick_in_bar) == (2, 48)
    # bar 3 (index 2) began at tick 192
    assert clock.last_bar_line_time(times[-1] + 0.001) == pytest.approx(times[192], abs=1e-6)
    # in 3/4 the same position is bar 3 (index 3) tick 24: 240 = 3*72 + 24
    assert clock.reading(times[-1] + 0.001, beats_per_bar=3).tick_in_bar == 24


def test_stop_song_position_continue() -> None:
    clock = MidiClock()
    times = ticks(120.0, 400, jitter=False)
    clock.start()
    for t in times[:100]:
        clock.tick(t)
    clock.stop()
    assert clock.last_bar_line_time(times[100]) is None
    for t in times[100:150]:
        clock.tick(t)  # a host that keeps sending clock while stopped: tempo goes on, position does not
    clock.handle(mido.Message("songpos", pos=32), times[150])  # 32 sixteenths = 2 bars = tick 192
    clock.handle(mido.Message("continue"), times[150])
    for t in times[150:160]:
        clock.tick(t)
    reading = clock.reading(times[159] + 0.0001)
    assert (reading.bar, reading.tick_in_bar) == (2, 9)
    assert clock.last_bar_line_time(times[159] + 0.0001) == pytest.approx(times[150], abs=1e-6)


def test_continue_without_song_position_resumes_where_it_stopped() -> None:
    clock = MidiClock()
    times = ticks(120.0, 200, jitter=False)
    clock.start()
    for t in times[:50]:
        clock.tick(t)
    clock.stop()
    for t in times[50:60]:
        clock.tick(t)
    clock.continue_()
    for t in times[60:61]:
        clock.tick(t)
    assert clock.reading(times[60] + 0.0001).tick_in_bar == 50


@pytest.mark.parametrize("dropped", [[100], [100, 101], [100, 150, 151, 152]])
def test_lost_ticks_are_counted_so_bar_lines_stay_put(dropped: list[int]) -> None:
    clock = MidiClock()
    clock.start()
    times = ticks(120.0, 3 * 96 + 10)
    for i, t in enumerate(times):
        if i not in dropped:  # an xrun dropped that cycle's MIDI
            clock.tick(t)
    now = times[-1] + 0.001
    assert clock.reading(now).tick_in_bar == 9 and clock.reading(now).bar == 3  # tick 297
    assert clock.last_bar_line_time(now) == pytest.approx(times[288], abs=0.004)


def test_a_stall_burst_is_not_taken_for_lost_ticks() -> None:
    clock = MidiClock()
    clock.start()
    times = ticks(120.0, 3 * 96 + 10)
    for i in range(120, 123):
        times[i] = times[123] - 0.0001  # a 60 ms stall: three ticks arrive together with the fourth
    for t in times:
        clock.tick(t)
    now = times[-1] + 0.001
    assert clock.reading(now).tick_in_bar == 9 and clock.reading(now).bar == 3  # tick 297


def test_a_long_stall_delivers_a_burst_that_is_not_taken_for_lost_ticks() -> None:
    # a loaded machine (or a stalled JACK cycle) holds ticks back for longer than six ticks, then
    # delivers them all at once: every one arrived, so no bar line may move
    from bridge.core.clock import MidiClock

    period = 60.0 / 120.0 / 24
    clock = MidiClock()
    clock.start()
    times = [100.0 + i * period for i in range(24 * 4 * 4)]
    for i in range(96, 106):  # ten ticks held back 0.25 s, then a burst 0.1 ms apart
        times[i] = times[105] + 0.0001 * (i - 96)
    for t in times:
        clock.tick(t)
    reading = clock.reading(now=times[-1])
    assert (reading.bar, reading.tick_in_bar) == (3, 95), reading


@pytest.mark.parametrize("start, end, bars", [(120.0, 130.0, 16), (90.0, 80.0, 8)])
def test_a_ramping_clock_is_followed_within_half_a_bpm(start: float, end: float, bars: int) -> None:
    # tempo automation or a DJ's pitch fader: the estimate must be the tempo now, not a bar ago
    rng = np.random.default_rng(3)
    clock = MidiClock()
    t, worst = 1000.0, 0.0
    total = bars * 4 * PPQN
    for i in range(total):
        bpm_now = start + (end - start) * i / total
        t += 60.0 / (PPQN * bpm_now)
        clock.tick(math.ceil(t / JACK_PERIOD) * JACK_PERIOD + float(rng.uniform(0, 0.0004)))
        if i >= 2 * 4 * PPQN:
            worst = max(worst, abs(clock.bpm() - bpm_now))  # type: ignore[operator]
    assert worst < 0.5, worst
