"""The controller: applies commands one at a time, on its own thread, in arrival order.

It owns the sticky state, so no lock guards it: only this thread reads or
writes it. Slow things never run here: takes run on the job workers and
capture on its own thread; the tempo source is asked with a short timeout.
"""

from __future__ import annotations

import logging
import math
import queue
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


import bridge
from bridge.audio.conditioning import check_clip
from bridge.core import addresses as A
from bridge.core.commands import (
    Cancel,
    Capture,
    CommandWithCapture,
    Generate,
    Get,
    Origin,
    Ping,
    ReportError,
    Set,
    SetClip,
    TempoUpdate,
)
from bridge.core.jobs import StickyState, build_specs
from bridge.core.music import BPM_MAX, BPM_MIN
from bridge.core.tempo import TempoInfo, TempoSource
from bridge.daemon.jobs import Announce, JobQueue
from bridge.daemon.osc_parse import check_setting
from bridge.errors import AudioDeviceError, BridgeError, UsageError

__all__ = ["DEFAULT_MAX_CLIP_BYTES", "CaptureService", "Controller", "setting_reply"]

logger = logging.getLogger(__name__)

#: 200 MB: a few minutes of 96 kHz stereo float; only the first 30 s are used anyway
DEFAULT_MAX_CLIP_BYTES = 200 * 1024 * 1024
_TEMPO_TIMEOUT = 0.25


class CaptureService(Protocol):
    """Audio capture (see the capture issue): what the ``/musicgen/capture/*`` addresses drive."""

    def start(self) -> None:
        """Start recording the capture device."""
        ...

    def stop(self) -> Path | None:
        """Stop recording; the captured file, or ``None`` when nothing was recorded."""
        ...

    def bars(self, n: int, *, bpm: float | None = None, beats_per_bar: int | None = None) -> Path:
        """The last ``n`` whole bars as a file; ``bpm``/``beats_per_bar`` are the sticky values (a running clock wins)."""
        ...


@dataclass(frozen=True, slots=True)
class _CaptureDone:
    """A capture finished on the capture thread: its file becomes the sticky clip."""

    path: Path | None
    origin: Origin


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


def setting_reply(state: StickyState, name: str) -> Any:
    """A sticky value as ``/musicgen/get/<name>`` sends it: ``"none"`` when unset, -1 for a random seed."""
    value = state.value(name)
    if name == "key":
        return value.name() if value is not None else "none"
    if name == "seed":
        return -1 if value is None else int(value)
    if name in ("bpm", "bars", "seconds"):
        return "none" if value is None else float(value)
    if name == "clip":
        return "none" if value is None else str(value)
    return value


class Controller:
    """Applies commands from every input. ``submit`` is safe from any thread and never blocks."""

    def __init__(
        self,
        jobs: JobQueue,
        reply: Announce,
        *,
        tempo_source: TempoSource | None = None,
        capture: CaptureService | None = None,
        max_clip_bytes: int = DEFAULT_MAX_CLIP_BYTES,
        queue_size: int = 1024,
        rng: random.Random | None = None,
        presets: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._jobs = jobs
        self._reply = reply
        self._tempo_source = tempo_source
        self._capture = capture
        self._max_clip_bytes = max_clip_bytes
        self._rng = rng or random.Random()
        self._presets = dict(presets or {})
        self._state = StickyState()
        # bounded: a flood fills it and the rest is dropped, never unbounded memory
        self._commands: queue.Queue[CommandWithCapture | _CaptureDone | _Stop] = queue.Queue(maxsize=queue_size)
        self._thread: threading.Thread | None = None
        self._capture_threads: list[threading.Thread] = []
        #: commands dropped because the queue was full
        self.dropped = 0

    @property
    def state(self) -> StickyState:
        return self._state

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="controller", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        if self._thread is None:
            return
        try:
            self._commands.put(_Stop(), timeout=timeout)
        except queue.Full:
            logger.warning("the command queue stayed full; the controller is stopped without draining it")
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("the controller did not stop within %.1f s", timeout)
        for thread in self._capture_threads:
            thread.join(0.1)

    def submit(self, command: CommandWithCapture | _CaptureDone) -> bool:
        """Queue a command; ``False`` (and counted in ``dropped``) when the queue is full."""
        try:
            self._commands.put_nowait(command)
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def _run(self) -> None:
        while True:
            command = self._commands.get()
            if isinstance(command, _Stop):
                return
            try:
                self.handle(command)
            except Exception:  # the controller outlives any one command
                logger.exception("a %s command failed unexpectedly", type(command).__name__)

    # --- applying commands -----------------------------------------------------------------------

    def handle(self, command: CommandWithCapture | _CaptureDone) -> None:
        """Apply one command now, on the calling thread (the controller thread, or a test)."""
        origin = command.origin
        try:
            self._apply(command)
        except BridgeError as exc:
            logger.info("refused %s from %s: %s %s", type(command).__name__, origin.kind, exc.code, exc.message)
            self._reply(A.ERROR, (exc.code, exc.message), origin)

    def _apply(self, command: CommandWithCapture | _CaptureDone) -> None:
        if isinstance(command, Set):
            self._state = self._state.replace(**{command.name: check_setting(command.name, command.value)})
            logger.debug("set %s = %r", command.name, command.value)
        elif isinstance(command, SetClip):
            clip = None if command.path is None else check_clip(command.path, self._max_clip_bytes)
            self._state = self._state.replace(clip=clip)
            logger.info("clip %s", clip if clip is not None else "cleared")
        elif isinstance(command, Get):
            self._reply(A.GET_PREFIX + command.name, (setting_reply(self._state, command.name),), command.origin)
        elif isinstance(command, Generate):
            self._generate(command)
        elif isinstance(command, Cancel):
            self._jobs.cancel(command.target)
        elif isinstance(command, Ping):
            token = "" if command.token is None else command.token
            self._reply(A.PONG, (token, bridge.__version__), command.origin)
        elif isinstance(command, TempoUpdate):
            bpm = command.bpm
            if not (isinstance(bpm, (int, float)) and math.isfinite(bpm) and BPM_MIN <= bpm <= BPM_MAX):
                raise UsageError(f"tempo from {command.source} must be {BPM_MIN:g} to {BPM_MAX:g} bpm, got {bpm!r}")
            self._reply(A.TEMPO, (float(bpm), command.source), command.origin)
        elif isinstance(command, ReportError):
            self._reply(A.ERROR, (command.code, command.message), command.origin)
        elif isinstance(command, Capture):
            self._start_capture(command)
        elif isinstance(command, _CaptureDone):
            if command.path is not None:
                clip = check_clip(command.path, self._max_clip_bytes)
                self._state = self._state.replace(clip=clip)
                logger.info("captured clip %s", clip)
                self._reply(A.GET_PREFIX + "clip", (str(clip),), command.origin)
        else:
            raise UsageError(f"the daemon does not know the command {type(command).__name__}")

    def _generate(self, command: Generate) -> None:
        values: dict[str, Any] = {}
        if command.preset is not None:
            preset = self._presets.get(command.preset)
            if preset is None:
                known = ", ".join(sorted(self._presets)) or "none are configured"
                raise UsageError(f"no preset {command.preset[:40]!r}; the presets are: {known} ([midi.presets.<name>] in the config)")
            values.update(preset)
        # a trigger's own overrides win over its preset
        values.update(command.overrides)
        overrides = {name: check_setting(name, value) for name, value in values.items()}
        if overrides.get("clip") is not None:
            overrides["clip"] = check_clip(overrides["clip"], self._max_clip_bytes)
        elif "clip" not in overrides and self._state.clip is not None:
            # the sticky clip was checked when it was set; it may have been moved or deleted since
            check_clip(self._state.clip, self._max_clip_bytes)
        specs = build_specs(self._state, overrides, self._host_tempo(), self._rng)
        self._jobs.submit(specs, command.origin)

    def _host_tempo(self) -> TempoInfo | None:
        if self._tempo_source is None:
            return None
        try:
            return self._tempo_source.current(timeout=_TEMPO_TIMEOUT)
        except Exception as exc:  # a host that went away must not stop the trigger
            logger.warning("tempo from %s unavailable (%s); using the sticky tempo", self._tempo_source.name, exc)
            return None

    def _start_capture(self, command: Capture) -> None:
        capture = self._capture
        if capture is None:
            raise UsageError(
                "capture needs an audio input: start the bridge with --capture-device <name> "
                "(musicgen-bridge ports lists them)"
            )
        if command.action == "start":
            capture.start()
            logger.info("capture started")
            return
        if command.action not in ("stop", "bars"):
            raise UsageError(f"capture action must be start, stop or bars, got {command.action!r}")
        if command.action == "bars" and (command.bars is None or command.bars < 1):
            raise UsageError(f"capture bars needs a number of bars of at least 1, got {command.bars!r}")

        # the sticky tempo as it is now, read on this thread: the state belongs to the controller
        bpm, beats_per_bar = self._state.bpm, self._state.beats_per_bar

        # stop() and bars(n) write a file: neither may hold up other commands
        def record() -> None:
            try:
                if command.action == "stop":
                    path = capture.stop()
                else:
                    path = capture.bars(int(command.bars or 0), bpm=bpm, beats_per_bar=beats_per_bar)
            except BridgeError as exc:
                self._reply(A.ERROR, (exc.code, exc.message), command.origin)
                return
            except Exception as exc:
                logger.exception("capture %s failed", command.action)
                error = AudioDeviceError(f"capture {command.action} failed: {exc}; check the capture device")
                self._reply(A.ERROR, (error.code, error.message), command.origin)
                return
            if not self.submit(_CaptureDone(path, command.origin)):
                logger.warning("captured %s but the command queue is full; send /musicgen/set/clip with it", path)

        self._capture_threads = [thread for thread in self._capture_threads if thread.is_alive()]
        thread = threading.Thread(target=record, name=f"capture-{command.action}", daemon=True)
        self._capture_threads.append(thread)
        thread.start()

