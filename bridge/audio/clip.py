"""Conditioning clips from bytes: a base64 text or a downloaded file, decoded to mono float32.

The endpoint conditions on at most 30 s of melody, so only the first 30 s are
read: a long clip costs neither the time nor the memory of decoding all of it.
Anything libsndfile cannot read is a :class:`ClipError` that names the reason.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from bridge.core.request import MAX_CLIP_SECONDS
from bridge.errors import ClipError

__all__ = ["Clip", "decode_clip", "decode_clip_file", "parse_base64_clip"]

_DATA_URI_RE = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w.+-]+=[\w.+-]+)*);base64,", re.IGNORECASE)


@dataclass(frozen=True, slots=True, eq=False)
class Clip:
    """A decoded clip. ``eq=False``: comparing arrays element-wise is not what ``==`` on a clip should mean."""

    #: mono float32, shape ``(frames,)``, at most ``max_seconds`` long
    samples: np.ndarray
    sample_rate: int
    #: the length of the whole file, before the first ``max_seconds`` were taken
    source_seconds: float

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def truncated(self) -> bool:
        return self.source_seconds > self.seconds + 0.5 / self.sample_rate


def parse_base64_clip(text: str, *, label: str = "the clip") -> bytes:
    """The bytes of a ``data:audio/...;base64,`` URI or of bare base64 text.

    Whitespace and line breaks inside the base64 are allowed (mail and some
    JSON encoders wrap it); anything else that is not base64 is a ClipError.
    """
    match = _DATA_URI_RE.match(text)
    if match:
        mime = (match["mime"] or "").lower()
        if mime and not (mime.startswith("audio/") or mime == "application/octet-stream"):
            raise ClipError(f"{label} is a data URI of type {mime!r}, not audio; send 'data:audio/wav;base64,<...>'")
        payload = text[match.end():]
    elif text.lower().startswith("data:"):
        raise ClipError(f"{label} is a data URI without ';base64,'; send 'data:audio/wav;base64,<...>'")
    else:
        payload = text
    payload = "".join(payload.split())
    if not payload:
        raise ClipError(f"{label} is empty; send the clip as 'data:audio/wav;base64,<...>'")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ClipError(f"{label} is not valid base64 ({exc}); send the clip as 'data:audio/wav;base64,<...>'") from exc


def decode_clip(data: bytes, *, max_seconds: float = MAX_CLIP_SECONDS, label: str = "the clip") -> Clip:
    """Decode WAV, FLAC, OGG, MP3 (whatever libsndfile reads) to mono float32, keeping the first ``max_seconds``.

    Raises :class:`ClipError` when the bytes are empty, not audio, or hold no
    usable samples. ``label`` names the clip in messages (``"init_audio"``).
    """
    if not data:
        raise ClipError(f"{label} is not a readable audio file: it is empty (0 bytes)")
    return _decode(io.BytesIO(data), max_seconds, label)


def decode_clip_file(path: str, *, max_seconds: float = MAX_CLIP_SECONDS, label: str = "the clip") -> Clip:
    """:func:`decode_clip` for a file on disk, read by libsndfile itself (far faster than through Python)."""
    return _decode(path, max_seconds, label)


def _decode(source: object, max_seconds: float, label: str) -> Clip:
    try:
        with sf.SoundFile(source) as audio:  # type: ignore[arg-type]
            rate = int(audio.samplerate)
            limit = max(1, math.floor(max_seconds * rate))
            total = audio.frames
            frames = audio.read(frames=limit, dtype="float32", always_2d=True)
    except sf.LibsndfileError as exc:
        raise ClipError(f"{label} is not a readable audio file: {exc.error_string}") from exc
    except (sf.SoundFileError, RuntimeError, ValueError) as exc:
        # truncated or corrupt data can also fail part-way through the read, not only on open
        raise ClipError(f"{label} is not a readable audio file: {exc}") from exc
    if rate <= 0 or frames.shape[0] == 0:
        raise ClipError(f"{label} is not a readable audio file: it holds no audio frames")
    # libsndfile reports 0 or a guess for some streamed formats; never claim fewer frames than were read
    source_frames = max(int(total), frames.shape[0])
    mono = frames.mean(axis=1, dtype=np.float32) if frames.shape[1] > 1 else frames[:, 0]
    if not np.all(np.isfinite(mono)):
        raise ClipError(f"{label} is not a readable audio file: it contains NaN or infinite samples")
    return Clip(samples=np.ascontiguousarray(mono, dtype=np.float32), sample_rate=rate, source_seconds=source_frames / rate)
