"""The inbox folder: an audio file rendered into it becomes the conditioning clip.

A DAW writes a render over hundreds of milliseconds (REAPER rendering a region,
Max writing a ``buffer~``), so a file is taken only once its size and mtime have
not changed for ``settle`` seconds (500 ms). The watchdog observer thread only
notes paths; one worker polls the noted files, checks them and calls the sink.
Files are only ever read: never moved, renamed or touched.

Ignored: hidden files, partial downloads and renders (``.part``, ``.tmp``,
``.crdownload``, names ending ``~``) and DAW sidecars (REAPER ``.reapeaks``,
Ableton ``.asd``, ``.pk`` peak files).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from bridge.core.commands import Command, Generate, Origin, ReportError, SetClip
from bridge.core.request import MAX_CLIP_SECONDS
from bridge.errors import ClipError, StorageError

__all__ = ["IGNORED_SUFFIXES", "InboxWatcher", "check_inbox_file", "is_ignored"]

log = logging.getLogger(__name__)

IGNORED_SUFFIXES = frozenset({".part", ".tmp", ".crdownload", ".reapeaks", ".asd", ".pk"})
MAX_SECONDS = 600.0
#: -90 dBFS: below any real recording's noise floor, above float rounding of digital silence
SILENCE_PEAK = 10 ** (-90 / 20)
_ORIGIN = Origin("inbox")
_EVENTS = (FileCreatedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent)
_BLOCK = 65536


def is_ignored(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name.endswith("~") or path.suffix.lower() in IGNORED_SUFFIXES


def check_inbox_file(path: Path, *, max_seconds: float = MAX_SECONDS) -> float:
    """Raise :class:`ClipError` unless ``path`` is non-empty, non-silent audio of at most ``max_seconds``; return its length.

    Silence is judged on the first 30 s: that is the part the endpoint conditions on.
    """
    shown = f"inbox file '{path}'"
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ClipError(f"{shown} cannot be read: {exc.strerror}; check its permissions") from exc
    if size == 0:
        raise ClipError(f"{shown} is empty (0 bytes): render the audio into the inbox again")
    try:
        with sf.SoundFile(str(path)) as handle:
            frames, rate = handle.frames, handle.samplerate
            if frames <= 0:
                raise ClipError(f"{shown} holds no audio frames: render at least a second of audio")
            seconds = frames / rate
            if seconds > max_seconds:
                raise ClipError(
                    f"{shown} is {seconds / 60:.1f} minutes long; the inbox takes at most {max_seconds / 60:g} minutes: "
                    "render a shorter region"
                )
            peak = 0.0
            remaining = int(min(frames, MAX_CLIP_SECONDS * rate))
            while remaining > 0 and peak < SILENCE_PEAK:
                block = handle.read(min(_BLOCK, remaining), dtype="float32", always_2d=True)
                if block.size == 0:
                    break
                remaining -= block.shape[0]
                peak = max(peak, float(np.max(np.abs(block))))
    except (sf.SoundFileError, RuntimeError) as exc:
        reason = getattr(exc, "error_string", None) or str(exc)
        raise ClipError(
            f"{shown} is not audio libsndfile can read ({reason}): render WAV, AIFF, FLAC or OGG into the inbox"
        ) from exc
    if peak < SILENCE_PEAK:
        raise ClipError(
            f"{shown} is silent (peak below -90 dBFS in its first {MAX_CLIP_SECONDS:g} s): "
            "check that the track was not muted when it was rendered"
        )
    return seconds


class _Handler(FileSystemEventHandler):
    def __init__(self, notice: Callable[[Path], None]) -> None:
        self._notice = notice

    def on_any_event(self, event: FileSystemEvent) -> None:
        # the observer's thread: note the path, nothing else
        if event.is_directory or not isinstance(event, _EVENTS):
            return
        target = event.dest_path if isinstance(event, FileMovedEvent) else event.src_path
        self._notice(Path(target if isinstance(target, str) else target.decode()))


class InboxWatcher:
    def __init__(
        self,
        directory: Path | str,
        sink: Callable[[Command], None],
        autogenerate: bool = False,
        *,
        settle: float = 0.5,
        max_seconds: float = MAX_SECONDS,
        poll: float = 0.05,
    ) -> None:
        self.directory = Path(directory)
        self._sink = sink
        self.autogenerate = autogenerate
        self._settle = settle
        self._max_seconds = max_seconds
        self._poll = poll
        self._lock = threading.Lock()
        self._noticed: set[Path] = set()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._observer: Any = None
        self._worker: threading.Thread | None = None

    def start(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the inbox folder '{self.directory}': {exc.strerror}; pick another with --inbox") from exc
        self._observer = Observer()
        self._observer.schedule(_Handler(self._notice), str(self.directory), recursive=False)
        try:
            self._observer.start()
        except OSError as exc:
            raise StorageError(f"cannot watch the inbox folder '{self.directory}': {exc}") from exc
        self._worker = threading.Thread(target=self._run, name="inbox", daemon=True)
        self._worker.start()
        log.info("watching inbox %s", self.directory)

    def _notice(self, path: Path) -> None:
        if path.parent != self.directory or is_ignored(path):
            return
        with self._lock:
            self._noticed.add(path)
        self._wake.set()

    def _run(self) -> None:
        # path -> (size, mtime_ns, when that stat was first seen)
        settling: dict[Path, tuple[int, int, float]] = {}
        taken: dict[Path, tuple[int, int]] = {}
        while not self._stopping.is_set():
            self._wake.wait(self._poll if settling else None)
            self._wake.clear()
            with self._lock:
                fresh, self._noticed = self._noticed, set()
            now = time.monotonic()
            for path in fresh:
                settling.setdefault(path, (-1, -1, now))
            for path, (size, mtime, since) in list(settling.items()):
                try:
                    stat = path.stat()
                except FileNotFoundError:
                    del settling[path]  # renamed away or deleted before it settled
                    continue
                current = (stat.st_size, stat.st_mtime_ns)
                if current != (size, mtime):
                    settling[path] = (*current, now)
                    continue
                if now - since < self._settle:
                    continue
                del settling[path]
                if taken.get(path) == current:
                    continue  # the same render seen again (a close event after the last write)
                taken[path] = current
                self._take(path)

    def _take(self, path: Path) -> None:
        try:
            seconds = check_inbox_file(path, max_seconds=self._max_seconds)
        except ClipError as exc:
            log.warning("%s", exc.message)
            self._send(ReportError(exc.code, exc.message, _ORIGIN))
            return
        log.info("inbox clip %s (%.1f s)", path, seconds)
        self._send(SetClip(path, _ORIGIN))
        if self.autogenerate:
            self._send(Generate(origin=_ORIGIN))

    def _send(self, command: Command) -> None:
        try:
            self._sink(command)
        except Exception:
            log.exception("inbox command %s was not accepted", command)

    def close(self, timeout: float = 2.0) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout)
        self._stopping.set()
        self._wake.set()
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.join(timeout)
