"""Float32 audio to WAV, FLAC or MP3 bytes with soundfile. Pure apart from libsndfile: no files.

Which formats exist depends on the libsndfile soundfile was built with (MP3
needs 1.1.0 or later), so :func:`available_formats` asks it at run time and
:func:`check_encodable` says, before any render starts, when a format, rate or
bitrate cannot be written here.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from bridge.errors import UsageError

__all__ = [
    "CONTENT_TYPES",
    "MP3_SAMPLE_RATES",
    "available_formats",
    "check_encodable",
    "encode_audio",
]

CONTENT_TYPES: dict[str, str] = {"wav": "audio/wav", "flac": "audio/flac", "mp3": "audio/mpeg"}
#: the only rates MPEG-1, -2 and -2.5 layer III define
MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)

# (libsndfile format, subtype); 16-bit PCM is what the vendor's files hold and what every DAW reads
_FORMATS: dict[str, tuple[str, str]] = {
    "wav": ("WAV", "PCM_16"),
    "flac": ("FLAC", "PCM_16"),
    "mp3": ("MP3", "MPEG_LAYER_III"),
}
_FLAC_MAX_RATE = 655_350
_FLAC_MAX_CHANNELS = 8


def _mp3_bitrate_range(sample_rate: int) -> tuple[int, int]:
    """(lowest, highest) kbit/s of the MPEG version a rate belongs to."""
    if sample_rate >= 32_000:
        return 32, 320  # MPEG-1
    if sample_rate >= 16_000:
        return 8, 160  # MPEG-2
    return 8, 64  # MPEG-2.5


def _parse_kbps(bitrate: str) -> int:
    text = bitrate.strip().lower().removesuffix("k")
    if not text.isdigit():
        raise UsageError(f"bitrate must be written like '192k', got {bitrate!r}")
    return int(text)


def available_formats() -> tuple[str, ...]:
    """The output formats this machine's libsndfile can write, of wav, flac and mp3."""
    native = {name.upper() for name in sf.available_formats()}
    return tuple(fmt for fmt, (native_name, _) in _FORMATS.items() if native_name in native)


def check_encodable(fmt: str, sample_rate: int, *, channels: int = 2, bitrate: str | None = None) -> None:
    """Raise :class:`UsageError` saying what to ask for instead when ``fmt`` cannot be written at this rate here."""
    if fmt not in _FORMATS:
        raise UsageError(f"output format must be one of {', '.join(_FORMATS)}, got {fmt!r}")
    if fmt not in available_formats():
        raise UsageError(
            f"output_format {fmt!r} is not available on this machine: its libsndfile "
            f"{sf.__libsndfile_version__} cannot write {fmt}; ask for "
            + " or ".join(f for f in available_formats() if f != fmt)
        )
    if sample_rate <= 0:
        raise UsageError(f"sample rate must be positive, got {sample_rate!r}")
    if fmt == "mp3":
        if sample_rate not in MP3_SAMPLE_RATES:
            raise UsageError(
                f"mp3 cannot be written at {sample_rate} Hz; use one of "
                f"{', '.join(map(str, MP3_SAMPLE_RATES))} Hz, or ask for wav or flac"
            )
        if channels > 2:
            raise UsageError(f"mp3 holds at most 2 channels, got {channels}; ask for wav or flac")
        if bitrate is not None:
            low, high = _mp3_bitrate_range(sample_rate)
            kbps = _parse_kbps(bitrate)
            if not low <= kbps <= high:
                raise UsageError(
                    f"mp3 at {sample_rate} Hz allows {low}k to {high}k, got {bitrate!r}; "
                    "ask for a lower bitrate or a sampling rate of 32000 Hz or more"
                )
    elif bitrate is not None:
        raise UsageError(f"bitrate applies to mp3 only; output format is {fmt!r}")
    if fmt == "flac":
        if sample_rate > _FLAC_MAX_RATE:
            raise UsageError(f"flac allows at most {_FLAC_MAX_RATE} Hz, got {sample_rate}; ask for wav")
        if channels > _FLAC_MAX_CHANNELS:
            raise UsageError(f"flac holds at most {_FLAC_MAX_CHANNELS} channels, got {channels}; ask for wav")


def encode_audio(samples: np.ndarray, sample_rate: int, fmt: str = "wav", *, bitrate: str | None = None) -> bytes:
    """The bytes of a ``fmt`` file holding ``samples`` (``(frames,)`` or ``(frames, channels)``, float)."""
    audio = np.asarray(samples, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[:, np.newaxis]
    if audio.ndim != 2 or audio.shape[1] == 0:
        raise UsageError(f"audio must have shape (frames,) or (frames, channels), got {audio.shape}")
    check_encodable(fmt, sample_rate, channels=audio.shape[1], bitrate=bitrate)
    if not np.all(np.isfinite(audio)):
        raise UsageError("audio contains NaN or infinite samples; nothing was encoded")
    # libsndfile wraps, not clips, floats beyond full scale when it converts to integer PCM: a click, not a limit
    audio = np.clip(audio, -1.0, 1.0)
    native, subtype = _FORMATS[fmt]
    compression: float | None = None
    mode: str | None = None
    if fmt == "mp3" and bitrate is not None:
        low, high = _mp3_bitrate_range(sample_rate)
        # libsndfile maps compression 0..1 linearly onto the MPEG version's highest..lowest bitrate,
        # and LAME picks the nearest legal one: 128k, 192k and 320k land exactly. 1.0 itself is refused.
        compression = min((high - _parse_kbps(bitrate)) / (high - low), 0.99)
        mode = "CONSTANT"
    buffer = io.BytesIO()
    try:
        with sf.SoundFile(
            buffer,
            "w",
            samplerate=sample_rate,
            channels=audio.shape[1],
            format=native,
            subtype=subtype,
            compression_level=compression,
            bitrate_mode=mode,
        ) as out:
            out.write(audio)
    except sf.SoundFileError as exc:
        message = exc.error_string if isinstance(exc, sf.LibsndfileError) else str(exc)
        raise UsageError(f"cannot encode {fmt} at {sample_rate} Hz: {message}") from exc
    return buffer.getvalue()
