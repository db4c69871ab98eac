"""WAV files that loop-aware hosts understand: ``acid`` (tempo, root, beats) and ``smpl`` (loop points).

soundfile writes the audio; the two metadata chunks are appended to the RIFF
afterwards, because libsndfile cannot write ``acid`` and writes ``smpl`` only
partly. Chunk layouts follow the Sony ACID and Microsoft RIFF sampler specs.
"""

from __future__ import annotations

import errno
import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

__all__ = ["LoopInfo", "read_chunks", "write_wav"]

_ACID_ONE_SHOT = 0x01
_ACID_ROOT_SET = 0x02
_ACID_STRETCH = 0x04


@dataclass(frozen=True, slots=True)
class LoopInfo:
    """What the metadata chunks carry. ``beats`` None: a one-shot, not a loop."""

    bpm: float | None = None
    root_note: int | None = None  # MIDI note number of the key's tonic
    beats: int | None = None
    beats_per_bar: int = 4
    beat_unit: int = 4


def _acid_chunk(info: LoopInfo) -> bytes:
    flags = _ACID_STRETCH if info.beats else _ACID_ONE_SHOT
    if info.root_note is not None:
        flags |= _ACID_ROOT_SET
    body = struct.pack(
        "<IHHfIHHf",
        flags,
        info.root_note if info.root_note is not None else 60,
        0x8000,  # unknown field; ACID itself writes 0x8000
        0.0,
        info.beats or 0,
        info.beat_unit,
        info.beats_per_bar,
        float(info.bpm or 0.0),
    )
    return b"acid" + struct.pack("<I", len(body)) + body


def _smpl_chunk(frames: int, sample_rate: int, root_note: int | None) -> bytes:
    header = struct.pack(
        "<9I",
        0,  # manufacturer
        0,  # product
        round(1e9 / sample_rate),  # sample period in nanoseconds
        root_note if root_note is not None else 60,
        0,  # pitch fraction
        0,  # SMPTE format
        0,  # SMPTE offset
        1,  # one loop
        0,  # sampler data bytes
    )
    # forward loop over the whole take; the end point is the last sample, inclusive
    loop = struct.pack("<6I", 0, 0, 0, max(frames - 1, 0), 0, 0)
    body = header + loop
    return b"smpl" + struct.pack("<I", len(body)) + body


def write_wav(path: Path, audio: np.ndarray, sample_rate: int, loop: LoopInfo | None = None) -> None:
    """Write 24-bit PCM WAV with ``acid`` and ``smpl`` chunks. The name may end in anything (``.part``).

    libsndfile reports a full disk as a bare "System error": it is translated
    here, once, into the ``OSError`` it really is.
    """
    try:
        sf.write(str(path), audio, sample_rate, format="WAV", subtype="PCM_24")
    except sf.LibsndfileError as exc:
        needed = audio.size * 3 + 1024
        if shutil.disk_usage(Path(path).parent).free < needed:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path)) from exc
        raise OSError(errno.EIO, f"libsndfile: {exc.error_string}", str(path)) from exc
    if loop is None:
        return
    extra = _acid_chunk(loop) + _smpl_chunk(len(audio), sample_rate, loop.root_note)
    with open(path, "r+b") as handle:
        handle.seek(0, 2)
        end = handle.tell()
        if end % 2:  # RIFF chunks start on even offsets
            handle.write(b"\0")
            end += 1
        handle.write(extra)
        handle.seek(4)
        handle.write(struct.pack("<I", end + len(extra) - 8))


def read_chunks(path: Path) -> dict[str, bytes]:
    """The RIFF chunks of a WAV file by id (the last one wins), for checks and tests."""
    data = Path(path).read_bytes()
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError(f"'{path}' is not a RIFF WAVE file")
    chunks: dict[str, bytes] = {}
    pos = 12
    while pos + 8 <= len(data):
        chunk_id = data[pos : pos + 4].decode("ascii", "replace")
        size = struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        chunks[chunk_id] = data[pos + 8 : pos + 8 + size]
        pos += 8 + size + (size % 2)
    return chunks
