"""Conditioning clips on disk: checked the moment a host names one, and encoded for the endpoint.

A path from the wire is never trusted: it is resolved, must be a regular file
under the size limit, and must decode as audio, before the bridge keeps it.
"""

from __future__ import annotations

import base64
import functools
import os
import stat
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from bridge.audio.clip import Clip, decode_clip_file
from bridge.audio.encode import encode_audio
from bridge.core.request import MAX_CLIP_SECONDS
from bridge.errors import ClipError

__all__ = ["check_clip", "encode_clip", "read_clip"]

_HINT = "send /musicgen/set/clip with the absolute path of a WAV, AIFF, FLAC or MP3 file"


def check_clip(path: Path | str, max_bytes: int) -> Path:
    """The clip's resolved path, once it is known to be a readable audio file no larger than ``max_bytes``.

    Cheap enough for every trigger: it reads the header, not the audio.
    """
    given = str(path)
    if "\0" in given:
        raise ClipError(f"no clip at {given[:80]!r}: the path contains a NUL byte; {_HINT}")
    try:
        resolved = Path(os.path.expanduser(given)).resolve()
    except (OSError, RuntimeError) as exc:
        raise ClipError(f"cannot resolve the clip path '{given[:200]}' ({exc}); {_HINT}") from exc
    try:
        info = resolved.stat()
    except FileNotFoundError:
        raise ClipError(f"no clip at '{resolved}': the file does not exist; {_HINT}") from None
    except OSError as exc:
        raise ClipError(f"cannot read the clip '{resolved}' ({exc.strerror}); check its permissions") from exc
    if not stat.S_ISREG(info.st_mode):
        raise ClipError(f"the clip '{resolved}' is not a file (a folder?); {_HINT}")
    if info.st_size > max_bytes:
        raise ClipError(
            f"the clip '{resolved}' is {info.st_size / 1e6:.0f} MB; the limit is {max_bytes / 1e6:.0f} MB: "
            "send a shorter excerpt (only the first 30 s are used)"
        )
    try:
        audio = sf.info(str(resolved))
    except (sf.SoundFileError, RuntimeError, OSError) as exc:
        reason = getattr(exc, "error_string", None) or str(exc)
        raise ClipError(f"the clip '{resolved}' is not audio libsndfile can read ({reason}); {_HINT}") from exc
    if audio.frames <= 0 or audio.samplerate <= 0:
        raise ClipError(f"the clip '{resolved}' holds no audio (0 frames); {_HINT}")
    return resolved


def read_clip(path: Path, *, max_bytes: int, max_seconds: float = MAX_CLIP_SECONDS) -> Clip:
    """Decode the first ``max_seconds`` of a clip file to mono float32."""
    check_clip(path, max_bytes)
    return decode_clip_file(str(path), max_seconds=max_seconds, label=f"the clip at '{path}'")


@functools.lru_cache(maxsize=8)
def _encoded(path: str, size: int, mtime_ns: int, sample_rate: int, max_bytes: int) -> str:
    clip = read_clip(Path(path), max_bytes=max_bytes)
    samples = clip.samples
    if clip.sample_rate != sample_rate:
        samples = soxr.resample(samples, clip.sample_rate, sample_rate, quality="HQ").astype(np.float32)
    wav = encode_audio(samples, sample_rate, "wav")
    return "data:audio/wav;base64," + base64.b64encode(wav).decode("ascii")


def encode_clip(path: Path, sample_rate: int, *, max_bytes: int) -> str:
    """The clip as ``data:audio/wav;base64,...``: mono, 16-bit, at the endpoint's rate, at most 30 s.

    Mono at the endpoint's rate because that is all MusicGen-melody reads of it
    (a chroma per frame); it keeps the request small. A performer fires take after
    take on the same clip, so the encoding is kept, keyed by the file's size and
    modification time: a re-recorded clip is encoded afresh.
    """
    try:
        info = Path(path).stat()
    except OSError:
        check_clip(path, max_bytes)  # raises the musician's message
        raise
    return _encoded(str(Path(path).resolve()), info.st_size, info.st_mtime_ns, sample_rate, max_bytes)
