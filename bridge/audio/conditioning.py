"""Conditioning clips on disk: checked the moment a host names one, and encoded for the endpoint.

A path from the wire is never trusted: it is resolved, must be a regular file
under the size limit, and must decode as audio, before the bridge keeps it.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import numpy as np
import soxr

from bridge.audio.clip import Clip, decode_clip
from bridge.audio.encode import encode_audio
from bridge.core.request import MAX_CLIP_SECONDS
from bridge.errors import ClipError

__all__ = ["check_clip", "encode_clip", "read_clip"]

_HINT = "send /musicgen/set/clip with the absolute path of a WAV, AIFF, FLAC or MP3 file"


def check_clip(path: Path | str, *, max_bytes: int) -> Path:
    """The resolved path of a usable clip, or a :class:`ClipError` that says what is wrong."""
    given = str(path)
    if "\0" in given:
        raise ClipError(f"no clip at {given[:80]!r}: the path contains a NUL byte; {_HINT}")
    resolved = Path(os.path.expanduser(given)).resolve()
    try:
        info = resolved.stat()
    except FileNotFoundError:
        raise ClipError(f"no clip at '{resolved}': the file does not exist; {_HINT}") from None
    except OSError as exc:
        raise ClipError(f"cannot read the clip at '{resolved}': {exc.strerror}; {_HINT}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ClipError(f"the clip at '{resolved}' is not a regular file (a folder or device); {_HINT}")
    if info.st_size > max_bytes:
        raise ClipError(
            f"the clip at '{resolved}' is {info.st_size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit; "
            "trim it to the 30 s the endpoint uses"
        )
    read_clip(resolved, max_bytes=max_bytes)
    return resolved


def read_clip(path: Path, *, max_bytes: int, max_seconds: float = MAX_CLIP_SECONDS) -> Clip:
    """Decode the first ``max_seconds`` of a clip file to mono float32."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ClipError(f"cannot read the clip at '{path}': {exc.strerror}; {_HINT}") from exc
    if len(data) > max_bytes:
        raise ClipError(f"the clip at '{path}' is over the {max_bytes / 2**20:.0f} MB limit")
    return decode_clip(data, max_seconds=max_seconds, label=f"the clip at '{path}'")


def encode_clip(path: Path, sample_rate: int, *, max_bytes: int) -> str:
    """The clip as ``data:audio/wav;base64,...``: mono, 16-bit, at the endpoint's rate, at most 30 s.

    Mono at the endpoint's rate because that is all MusicGen-melody reads of it
    (a chroma per frame); it keeps the request small.
    """
    clip = read_clip(path, max_bytes=max_bytes)
    samples = clip.samples
    if clip.sample_rate != sample_rate:
        samples = soxr.resample(samples, clip.sample_rate, sample_rate, quality="HQ").astype(np.float32)
    wav = encode_audio(samples, sample_rate, "wav")
    return "data:audio/wav;base64," + base64.b64encode(wav).decode("ascii")
