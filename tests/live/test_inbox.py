from __future__ import annotations

import hashlib
import queue
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bridge.core.commands import Command, Generate, Origin, ReportError, SetClip
from bridge.inbox import InboxWatcher

INBOX = Origin("inbox")


class Sink:
    def __init__(self) -> None:
        self.commands: queue.Queue[tuple[float, Command]] = queue.Queue()

    def __call__(self, command: Command) -> None:
        self.commands.put((time.monotonic(), command))

    def next(self, timeout: float = 3.0) -> tuple[float, Command]:
        return self.commands.get(timeout=timeout)


@pytest.fixture
def inbox(tmp_path: Path):  # type: ignore[no-untyped-def]
    folders = []

    def make(autogenerate: bool = False) -> tuple[Path, Sink]:
        folder = tmp_path / "inbox"
        sink = Sink()
        watcher = InboxWatcher(folder, sink, autogenerate=autogenerate)
        watcher.start()
        folders.append(watcher)
        return folder, sink

    yield make
    for watcher in folders:
        watcher.close()


def tone(seconds: float = 0.5, rate: int = 8000) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_clip_is_taken_only_after_its_size_is_stable_for_500_ms(inbox) -> None:  # type: ignore[no-untyped-def]
    folder, sink = inbox()
    path = folder / "render.wav"
    data = sf_bytes(tone(1.0))
    with path.open("wb") as handle:
        for start in range(0, len(data), len(data) // 4 + 1):
            handle.write(data[start : start + len(data) // 4 + 1])
            handle.flush()
            last_write = time.monotonic()
            time.sleep(0.15)  # a DAW writing a render in chunks
    before = fingerprint(path)
    at, command = sink.next()
    assert command == SetClip(path, INBOX)
    assert at - last_write >= 0.5
    assert at - last_write < 1.5
    assert fingerprint(path) == before


def test_autogenerate_fires_after_the_clip(inbox) -> None:  # type: ignore[no-untyped-def]
    folder, sink = inbox(autogenerate=True)
    path = folder / "loop.flac"
    sf.write(str(path), tone(), 8000, format="FLAC")
    assert sink.next()[1] == SetClip(path, INBOX)
    assert sink.next()[1] == Generate(origin=INBOX)


def test_a_file_moved_in_is_taken_and_a_rerender_is_taken_again(inbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder, sink = inbox()
    outside = tmp_path / "elsewhere.wav"
    sf.write(str(outside), tone(), 8000)
    outside.rename(folder / "moved.wav")
    assert sink.next()[1] == SetClip(folder / "moved.wav", INBOX)
    time.sleep(0.02)
    sf.write(str(folder / "moved.wav"), tone(0.7), 8000)  # REAPER renders the region again
    assert sink.next()[1] == SetClip(folder / "moved.wav", INBOX)


def sf_bytes(audio: np.ndarray, rate: int = 8000, **kwargs: object) -> bytes:
    import io

    buffer = io.BytesIO()
    sf.write(buffer, audio, rate, format="WAV", **kwargs)  # type: ignore[arg-type]
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("page.wav", b"<html><body>403 Forbidden</body></html>", "is not audio libsndfile can read"),
        ("notes.txt", b"just some text, not audio at all" * 10, "is not audio libsndfile can read"),
        ("empty.wav", b"", r"is empty \(0 bytes\)"),
        ("silent.wav", "silent", r"is silent \(peak below -90 dBFS"),
        ("noframes.wav", "noframes", "holds no audio frames"),
        ("long.wav", "long", r"is 10\.0 minutes long; the inbox takes at most 10 minutes"),
    ],
)
def test_rejections_are_reported_and_the_file_is_left_alone(inbox, name: str, content: object, match: str) -> None:  # type: ignore[no-untyped-def]
    folder, sink = inbox()
    path = folder / name
    if content == "silent":
        data = sf_bytes(np.zeros(8000, dtype=np.float32))
    elif content == "noframes":
        data = sf_bytes(np.zeros(0, dtype=np.float32))
    elif content == "long":
        # just over 10 minutes at 1 kHz keeps the file small
        data = sf_bytes(np.full(600_100, 0.1, dtype=np.float32), rate=1000, subtype="PCM_16")
    else:
        assert isinstance(content, bytes)
        data = content
    path.write_bytes(data)
    before = fingerprint(path)
    _, command = sink.next()
    assert isinstance(command, ReportError) and command.code == "BAD_CLIP" and command.origin == INBOX
    import re

    assert re.search(match, command.message), command.message
    assert str(path) in command.message
    assert fingerprint(path) == before
    assert sorted(p.name for p in folder.iterdir()) == [name]


def test_partial_and_hidden_files_are_ignored(inbox) -> None:  # type: ignore[no-untyped-def]
    folder, sink = inbox()
    for name in ("take.wav.part", ".hidden.wav", "render.wav.reapeaks", "backup.wav~"):
        (folder / name).write_bytes(sf_bytes(tone()))
    (folder / "real.wav").write_bytes(sf_bytes(tone()))
    assert sink.next()[1] == SetClip(folder / "real.wav", INBOX)
    with pytest.raises(queue.Empty):
        sink.next(timeout=0.3)
