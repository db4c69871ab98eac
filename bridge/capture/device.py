"""Audio capture from an input device (sounddevice/PortAudio) into takes written as WAV files.

The PortAudio callback only copies the block into a preallocated
:class:`~bridge.capture.ring.AudioRing` and stamps the time it ran into two
preallocated arrays; everything slow (finding bar lines, converting, writing)
happens on the caller's thread when a take is asked for.

Time: a take cut "on the bar line" needs to know which frame was recorded at a
given ``time.monotonic()`` (the clock's time base). Each callback stamps
(monotonic time, first frame of its block); a low percentile of
``time - frame/rate`` over the last two seconds of stamps maps any time to a
frame (see :meth:`AudioCapture.frame_at`).

sounddevice is imported when a stream is opened, not when this module is: PortAudio
enumerates JACK only if jackd was already running when it initialised.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bridge.capture.ring import AudioRing, RingOverwrittenError
from bridge.core.request import MAX_CLIP_SECONDS
from bridge.errors import AudioDeviceError, StorageError, UsageError

__all__ = ["AudioCapture", "BarClock", "convert_take", "write_take"]

log = logging.getLogger(__name__)

#: how many callback stamps are kept: at 256-frame blocks and 48 kHz, about 11 s
_STAMPS = 2048
#: stamps within this many seconds of a time map it to a frame; device clock drift (100 ppm) over it is far below a period
_MAPPING_WINDOW = 0.3
_MIN_STAMPS = 16
#: how long a take waits for the ring to reach its end frame (the block holding the bar line may be in flight)
_WAIT_FOR_AUDIO = 0.5


class BarClock(Protocol):
    """What capture needs from a clock: ``bridge.midi.clock.ClockTempoSource`` is one."""

    def bpm(self) -> float | None: ...

    def last_bar_line_time(self, beats_per_bar: int = 4, now: float | None = None) -> float | None: ...


class AudioCapture:
    """Keeps the last ``seconds`` of an input in memory and cuts takes from it.

    ``open()`` starts the stream (call it once at start-up); ``start()``/``stop()``
    take an explicit take; ``bars(n)`` takes the last ``n`` whole bars. Takes are
    written to ``captures_dir`` as WAV, at ``target_rate``/``target_channels``
    when given (what the endpoint wants), else at the device's own format, as
    32-bit float so an unconverted take holds exactly the samples PortAudio delivered.
    """

    def __init__(
        self,
        device: str | int | None,
        seconds: float = 60.0,
        captures_dir: Path | str = Path("captures"),
        clock: BarClock | None = None,
        target_rate: int | None = None,
        target_channels: int | None = None,
        *,
        max_take_seconds: float = MAX_CLIP_SECONDS,
        latency: float = 0.0,
    ) -> None:
        if target_channels not in (None, 1, 2):
            raise UsageError(f"target_channels must be 1 (mono) or 2 (stereo), got {target_channels!r}")
        self.device = device
        self.seconds = seconds
        self.captures_dir = Path(captures_dir)
        self.clock = clock
        self.target_rate = target_rate
        self.target_channels = target_channels
        self.max_take_seconds = max_take_seconds
        #: seconds between a frame reaching the callback and being recorded (added to the stamp mapping)
        self.latency = latency
        self.sample_rate = 0
        self.channels = 0
        self.device_name = ""
        self._stream: Any = None
        self._ring: AudioRing | None = None
        self._stamp_time = np.zeros(_STAMPS, dtype=np.float64)
        self._stamp_frame = np.zeros(_STAMPS, dtype=np.int64)
        self._stamps = 0
        self._overruns = 0
        self._last_overrun_frame = -1
        self._reported_overruns = 0
        self._take_start: int | None = None
        self._lock = threading.Lock()  # takes only; the callback never touches it

    # -- stream -------------------------------------------------------------------

    def open(self) -> None:
        """Find the device and start the stream at its own rate and channel count."""
        import sounddevice as sd

        device: str | int | None = self.device
        if isinstance(device, str) and device.strip().isdigit():
            device = int(device)
        try:
            info = sd.query_devices(device, kind="input")
        except (ValueError, sd.PortAudioError) as exc:
            raise AudioDeviceError(
                f"no audio input {self.device!r}: {exc}; run `musicgen-bridge ports` to list inputs "
                "(a JACK device is listed only if jackd was running before the bridge started)"
            ) from exc
        channels = int(info["max_input_channels"])
        if channels < 1:
            raise AudioDeviceError(f"audio device {info['name']!r} has no inputs; pick an input with --capture-device")
        self.sample_rate = int(info["default_samplerate"])
        self.channels = channels
        self.device_name = str(info["name"])
        self._ring = AudioRing(int(math.ceil(self.seconds * self.sample_rate)), channels)
        try:
            # blocksize 0: PortAudio's natural block, the JACK period on JACK
            self._stream = sd.InputStream(
                device=info["index"],
                samplerate=self.sample_rate,
                channels=channels,
                dtype="float32",
                blocksize=0,
                callback=self._callback,
            )
            self._stream.start()
        except sd.PortAudioError as exc:
            raise AudioDeviceError(
                f"cannot capture from {self.device_name!r} at {self.sample_rate} Hz x {channels}: {exc}; "
                "check that no other program holds it exclusively, or pick another with --capture-device"
            ) from exc
        log.info("capturing %s: %d Hz, %d channels, %g s ring", self.device_name, self.sample_rate, channels, self.seconds)

    def close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
            self._report_overruns()
            log.info("capture from %s closed", self.device_name)

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # PortAudio's thread: copy and stamp only; no allocation, no I/O, no locks, no logging
        ring = self._ring
        assert ring is not None
        first = ring.written
        if status.input_overflow:
            self._overruns += 1
            self._last_overrun_frame = first
        ring.write(indata)
        slot = self._stamps % _STAMPS
        self._stamp_time[slot] = time.monotonic()
        self._stamp_frame[slot] = first
        self._stamps += 1

    # -- readings -----------------------------------------------------------------

    @property
    def overruns(self) -> int:
        """Blocks PortAudio reported as input overflows since ``open()`` (each one is a dropout in the ring)."""
        return self._overruns

    @property
    def frames_written(self) -> int:
        return self._ring.written if self._ring else 0

    def frame_at(self, when: float) -> int | None:
        """The absolute ring frame recorded at monotonic time ``when``, from the callback stamps.

        A callback can run late (a stall) but never before its block exists, so
        the earliest stamps are the truest: the mapping is a low percentile of
        ``time - frame/rate`` over the stamps near ``when``. Near, not newest: after
        an xrun some drivers (JACK's dummy among them) resume with the audio
        timeline shifted against the system clock, so only stamps from around
        ``when`` describe it. Tried and dropped: a line through all stamps (a
        startup stall bends it by 0.5 %) and the newest two seconds (straddles a shift).
        """
        count = min(self._stamps, _STAMPS)
        if count == 0 or not self.sample_rate:
            return None
        times = self._stamp_time[:count]
        offsets = times - self._stamp_frame[:count] / self.sample_rate
        near = np.abs(times - when) <= _MAPPING_WINDOW
        if int(near.sum()) < _MIN_STAMPS:
            near = np.argsort(np.abs(times - when))[:_MIN_STAMPS]
        zero = float(np.percentile(offsets[near], 10)) + self.latency
        return round((when - zero) * self.sample_rate)

    # -- takes --------------------------------------------------------------------

    def start(self) -> None:
        """Begin an explicit take at the newest frame."""
        ring = self._require_ring()
        with self._lock:
            self._take_start = ring.written
        log.info("capture take started")

    def stop(self) -> Path | None:
        """End the explicit take and write it; ``None`` when no take was started. A long take keeps its last 30 s."""
        ring = self._require_ring()
        with self._lock:
            start, self._take_start = self._take_start, None
            if start is None:
                return None
            end = ring.written
            limit = int(self.max_take_seconds * self.sample_rate)
            if end - start > limit:
                log.warning(
                    "capture take of %.1f s is longer than %g s: keeping its last %g s",
                    (end - start) / self.sample_rate, self.max_take_seconds, self.max_take_seconds,
                )
                start = end - limit
            if end == start:
                raise UsageError("capture take is empty: send /musicgen/capture/stop a moment after start")
            return self._write(start, end, "take")

    def bars(self, n: int, *, bpm: float | None = None, beats_per_bar: int | None = None) -> Path:
        """The last ``n`` whole bars ending at the most recent bar line; ``bpm``/``beats_per_bar`` are the sticky values.

        With a running clock the bar line and the tempo come from it; without one
        the take ends at the newest frame and is ``n`` bars of ``bpm`` long.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise UsageError(f"capture bars must be a whole number of at least 1, got {n!r}")
        beats = beats_per_bar or 4
        ring = self._require_ring()
        now = time.monotonic()
        clock_bpm = self.clock.bpm() if self.clock is not None else None
        bar_time = self.clock.last_bar_line_time(beats, now) if self.clock is not None and clock_bpm else None
        tempo = clock_bpm if bar_time is not None else bpm
        if not tempo:
            raise UsageError(
                f"cannot capture {n} bars: no tempo; send MIDI clock, or set one with /musicgen/set/bpm"
            )
        length = round(n * beats * 60.0 / tempo * self.sample_rate)
        if length > self.max_take_seconds * self.sample_rate:
            fit = math.floor(self.max_take_seconds * tempo / (60.0 * beats))
            raise UsageError(
                f"{n} bars at {tempo:.1f} BPM is {length / self.sample_rate:.1f} s; the endpoint takes at most "
                f"{self.max_take_seconds:g} s: ask for {fit} bars or fewer"
            )
        with self._lock:
            if bar_time is not None:
                end = self.frame_at(bar_time)
                assert end is not None
                deadline = time.monotonic() + _WAIT_FOR_AUDIO
                while ring.written < end and time.monotonic() < deadline:
                    # the block holding the bar line can still be on its way from the driver
                    time.sleep(0.005)
                end = min(end, ring.written)
            else:
                end = ring.written
            start = end - length
            if start < ring.oldest or start < 0:
                have = (end - ring.oldest) / self.sample_rate
                raise UsageError(
                    f"cannot capture {n} bars ({length / self.sample_rate:.1f} s): only {have:.1f} s recorded so far"
                )
            return self._write(start, end, f"{n}bars")

    def _require_ring(self) -> AudioRing:
        if self._ring is None or self._stream is None:
            raise AudioDeviceError("audio capture is not running: start the bridge with --capture-device NAME")
        return self._ring

    def _write(self, start: int, end: int, label: str) -> Path:
        assert self._ring is not None
        try:
            audio = self._ring.read(start, end)
        except RingOverwrittenError as exc:
            raise UsageError(f"capture frames are no longer in the {self.seconds:g} s ring: {exc}") from exc
        if start <= self._last_overrun_frame < end:
            log.warning("capture take %s contains an input overrun (a dropout): the device is overloaded", label)
        self._report_overruns()
        rate = self.target_rate or self.sample_rate
        audio = convert_take(audio, self.sample_rate, rate, self.target_channels)
        path = _unique_path(self.captures_dir, f"capture-{datetime.now():%Y%m%d-%H%M%S}-{label}")
        write_take(path, audio, rate)
        log.info("capture %s written: %s (%.2f s)", label, path, audio.shape[0] / rate)
        return path

    def _report_overruns(self) -> None:
        count = self._overruns
        if count != self._reported_overruns:
            log.warning("audio capture: %d input overruns so far (%d new)", count, count - self._reported_overruns)
            self._reported_overruns = count


def convert_take(audio: np.ndarray, rate: int, target_rate: int, channels: int | None) -> np.ndarray:
    """To ``channels`` (mono: the mean; stereo from mono: duplicated) and ``target_rate`` (soxr HQ)."""
    if channels == 1 and audio.shape[1] != 1:
        audio = audio.mean(axis=1, keepdims=True, dtype=np.float64).astype(np.float32)
    elif channels == 2 and audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    elif channels == 2 and audio.shape[1] > 2:
        audio = audio[:, :2]
    if target_rate != rate:
        import soxr

        audio = soxr.resample(audio, rate, target_rate, quality="HQ").astype(np.float32, copy=False)
        if audio.ndim == 1:
            audio = audio[:, None]
    return audio


def write_take(path: Path, audio: np.ndarray, rate: int) -> None:
    """Write 32-bit float WAV atomically: a ``.part`` name first (the inbox and DAWs ignore it), then rename."""
    import soundfile as sf

    part = path.with_name(path.name + ".part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # format= is needed: the .part suffix hides the container from libsndfile's guess
        sf.write(str(part), audio, rate, format="WAV", subtype="FLOAT")
        os.replace(part, path)
    except (OSError, sf.SoundFileError) as exc:
        part.unlink(missing_ok=True)
        raise StorageError(f"cannot write capture '{path}': {exc}; check that the captures folder is writable") from exc


def _unique_path(folder: Path, stem: str) -> Path:
    path = folder / f"{stem}.wav"
    number = 2
    while path.exists():
        path = folder / f"{stem}-{number}.wav"
        number += 1
    return path
