"""Is this file audio of the format we asked for? Checked on every download before it is kept.

The endpoint and its CDNs sometimes hand back an HTML error page, an XML
``NoSuchKey`` document or a different container than requested with a 200; a DAW
that imports such a file shows silence or an error much later, far from the cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

from bridge.errors import BadAudioError

__all__ = ["AUDIO_FORMATS", "AudioInfo", "probe_audio"]

#: our format name -> the libsndfile container names that satisfy it
AUDIO_FORMATS: dict[str, frozenset[str]] = {
    "wav": frozenset({"WAV", "WAVEX", "RF64", "W64"}),
    "flac": frozenset({"FLAC"}),
    "mp3": frozenset({"MP3", "MPEG"}),
}

_SNIFF_BYTES = 48


@dataclass(frozen=True, slots=True)
class AudioInfo:
    frames: int
    sample_rate: int
    channels: int
    #: our name for the container: "wav", "flac" or "mp3"
    format: str

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def _sniff(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError:
        return "unreadable"
    if not head:
        return "an empty file"
    text = head.decode("ascii", "replace")
    if text.lstrip().startswith(("<", "{")):
        # an error page saved as audio: show its first words, that is what the musician can search for
        return f"text starting {' '.join(text.split())[:40]!r}"
    return f"bytes starting {head[:8].hex(' ')}"


def probe_audio(path: Path, expected_format: str, *, name: str | None = None) -> AudioInfo:
    """Open ``path`` with libsndfile and check its container; decode its first block to prove it plays.

    ``name`` is what messages call the file (a download's URL rather than its temporary name).
    """
    shown = name or path.name
    wanted = expected_format.lower()
    if wanted not in AUDIO_FORMATS:
        raise BadAudioError(
            f"cannot check for format {expected_format!r}: use one of {', '.join(sorted(AUDIO_FORMATS))}"
        )
    try:
        info = sf.info(str(path))
        with sf.SoundFile(str(path)) as handle:
            block = handle.read(1024, dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError, OSError) as exc:
        # error_string is libsndfile's reason without the (temporary) path it was given
        reason = getattr(exc, "error_string", None) or str(exc)
        raise BadAudioError(
            f"'{shown}' is not a {wanted.upper()} file ({_sniff(path)}; libsndfile: {reason}): "
            "the endpoint sent something other than audio; download the take again later"
        ) from exc
    found = next((name for name, containers in AUDIO_FORMATS.items() if info.format in containers), None)
    if found != wanted:
        raise BadAudioError(
            f"'{shown}' is {info.format} audio, not the {wanted.upper()} that was asked for: "
            f"set output_format to {found or info.format.lower()!r} or ask the endpoint again"
        )
    if info.frames <= 0 or info.samplerate <= 0 or info.channels <= 0 or len(block) == 0:
        raise BadAudioError(
            f"'{shown}' is a {wanted.upper()} file with no audio in it ({info.frames} frames): "
            "the generation came back empty; send the take again"
        )
    return AudioInfo(frames=int(info.frames), sample_rate=int(info.samplerate), channels=int(info.channels), format=wanted)
