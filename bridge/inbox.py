"""The inbox folder: an audio file rendered into it becomes the conditioning clip.

A DAW writes a render over hundreds of milliseconds (REAPER rendering a region,
Max writing a ``buffer~``), so a file is taken only once its size and mtime have
not changed for ``settle`` seconds (500 ms). The watchdog observer thread only
notes paths; one worker polls the noted files, checks them and calls the sink.
Files are only ever read: never moved, renamed or touched.

Ignored: hidden files, partial downloads and renders (``.part``, ``.tmp``,
``.crdownload``, names ending ``~``) and DAW sidecars (REAPER ``.reapeaks``,
Ableton ``.asd``, ``.pk`` peak files).

Trigger files (what the REAPER action writes, since ReaScript has no UDP): a
``<stem>.json`` beside ``<stem>.wav`` holding ``{"musicgen_bridge": 1,
"generate": true, "prompt": ..., "bpm": ..., "beats_per_bar": ..., "bars": ...,
"seconds": ...}`` makes the settled render start a job with those fields and the
render as its clip. When the job ends, ``<stem>.done.json`` is written beside it:
``{"status": "done", "path": ..., "job_id": ...}`` or ``{"status": "failed",
"code": ..., "message": ...}``. The reply's name is always derived from the
render's, never taken from the trigger.
"""

from __future__ import annotations

import json
import logging
import os
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

from bridge.core import addresses as A
from bridge.core.commands import Command, Generate, Origin, ReportError, SetClip
from bridge.core.request import MAX_CLIP_SECONDS
from bridge.errors import ClipError, StorageError, UsageError

__all__ = ["IGNORED_SUFFIXES", "InboxWatcher", "check_inbox_file", "is_ignored", "read_trigger", "reply_path_for"]

log = logging.getLogger(__name__)

IGNORED_SUFFIXES = frozenset({".part", ".tmp", ".crdownload", ".reapeaks", ".asd", ".pk", ".json"})
#: the fields a trigger file may set, with the type each must have
TRIGGER_FIELDS: dict[str, tuple[type, ...]] = {
    "prompt": (str,),
    "bpm": (int, float),
    "beats_per_bar": (int,),
    "bars": (int, float),
    "seconds": (int, float),
    "seed": (int,),
    "key": (str, int),
}
TRIGGER_MAX_BYTES = 64 * 1024
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


def reply_path_for(render: Path) -> Path:
    return render.with_name(f"{render.stem}.done.json")


def read_trigger(path: Path) -> dict[str, Any]:
    """The job fields of a trigger file; :class:`UsageError` when it is not one we can use."""
    shown = f"trigger file '{path}'"
    try:
        with path.open("rb") as handle:
            raw = handle.read(TRIGGER_MAX_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{shown} cannot be read: {exc.strerror}") from exc
    if len(raw) > TRIGGER_MAX_BYTES:
        raise UsageError(f"{shown} is over {TRIGGER_MAX_BYTES // 1024} kB; it should hold a few fields")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{shown} is not valid JSON ({exc}); write it again") from exc
    if not isinstance(data, dict) or data.get("musicgen_bridge") != 1:
        raise UsageError(f'{shown} is not a musicgen-bridge trigger (needs "musicgen_bridge": 1)')
    fields: dict[str, Any] = {}
    for name, kinds in TRIGGER_FIELDS.items():
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, kinds):
            raise UsageError(f"{shown}: {name} must be {' or '.join(k.__name__ for k in kinds)}, got {value!r}")
        fields[name] = value
    if not str(fields.get("prompt", "")).strip():
        raise UsageError(f"{shown} has no prompt; type one when the action asks")
    if data.get("generate") is not True:
        raise UsageError(f'{shown} does not ask to generate ("generate": true)')
    return fields


def write_reply(path: Path, data: dict[str, Any]) -> None:
    """Answer a trigger: a temporary name, then a rename, so its reader never sees half of it."""
    part = path.with_name(f".{path.name}.part")
    try:
        part.write_text(json.dumps(data) + "\n", encoding="utf-8")
        os.replace(part, path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        log.warning("could not answer the trigger with %s: %s", path, exc)


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
        reply = reply_path_for(path)
        origin = Origin("inbox", tag=str(reply)) if path.with_suffix(".json").exists() else _ORIGIN
        try:
            seconds = check_inbox_file(path, max_seconds=self._max_seconds)
            trigger = read_trigger(path.with_suffix(".json")) if origin.tag else None
        except (ClipError, UsageError) as exc:
            log.warning("%s", exc.message)
            self._send(ReportError(exc.code, exc.message, origin))
            if origin.tag:
                write_reply(reply, {"status": "failed", "code": exc.code, "message": exc.message})
            return
        log.info("inbox clip %s (%.1f s)", path, seconds)
        if trigger is not None:
            # a trigger file: this render conditions this job only; the sticky clip stays as it was
            self._send(Generate(overrides={**trigger, "clip": path}, origin=origin))
            return
        self._send(SetClip(path, _ORIGIN))
        if self.autogenerate:
            self._send(Generate(origin=_ORIGIN))

    def observe(self, address: str, args: list[Any], origin: Origin | None) -> None:
        """A daemon observer: answers trigger files when their jobs end (runs on the job threads)."""
        if origin is None or origin.kind != "inbox" or not origin.tag:
            return
        reply = Path(origin.tag)
        if address == A.JOB_DONE:
            write_reply(reply, {"status": "done", "job_id": args[0], "path": args[1], "bpm": args[2], "key": args[3]})
        elif address == A.JOB_ERROR:
            write_reply(reply, {"status": "failed", "job_id": args[0], "code": args[1], "message": args[2]})
        elif address == A.ERROR:
            write_reply(reply, {"status": "failed", "code": args[0], "message": args[1]})
        elif address == A.JOB_STATUS and args[1] == "cancelled":
            write_reply(reply, {"status": "failed", "job_id": args[0], "code": "CANCELLED", "message": "the job was cancelled"})

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
