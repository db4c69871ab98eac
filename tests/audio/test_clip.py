"""Decoding conditioning clips from bytes: real WAV, FLAC and MP3 written with soundfile."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
import soundfile as sf

from bridge.audio.clip import Clip, decode_clip, parse_base64_clip
from bridge.errors import ClipError, UsageError


def audio_bytes(samples: np.ndarray, rate: int, fmt: str = "WAV", subtype: str | None = "PCM_16") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


def test_stereo_wav_is_mixed_to_mono_float32_at_its_own_rate() -> None:
    stereo = np.stack([np.full(22050, 0.5), np.full(22050, -0.1)], axis=1)

    clip = decode_clip(audio_bytes(stereo, 22050))

    assert isinstance(clip, Clip)
    assert clip.sample_rate == 22050
    assert clip.samples.dtype == np.float32 and clip.samples.shape == (22050,)
    np.testing.assert_allclose(clip.samples, 0.2, atol=1e-3)
    assert clip.seconds == pytest.approx(1.0)
    assert not clip.truncated


@pytest.mark.parametrize(("fmt", "subtype"), [("FLAC", "PCM_16"), ("WAV", "FLOAT"), ("MP3", None), ("OGG", "VORBIS")])
def test_other_containers_decode(fmt: str, subtype: str | None) -> None:
    if fmt not in sf.available_formats():
        pytest.skip(f"this libsndfile cannot write {fmt}")
    tone = 0.5 * np.sin(2 * np.pi * 440 * np.arange(32000) / 32000)

    clip = decode_clip(audio_bytes(tone, 32000, fmt, subtype))

    assert clip.sample_rate == 32000
    assert abs(clip.samples.shape[0] - 32000) < 2000  # lossy codecs pad a little
    assert 0.4 < np.abs(clip.samples).max() < 0.6


def test_only_the_first_30_s_are_kept() -> None:
    rate = 8000
    samples = np.concatenate([np.full(30 * rate, 0.25), np.full(15 * rate, -0.75)])

    clip = decode_clip(audio_bytes(samples, rate))

    assert clip.samples.shape == (30 * rate,)
    np.testing.assert_allclose(clip.samples, 0.25, atol=1e-3)
    assert clip.source_seconds == pytest.approx(45.0)
    assert clip.truncated


def test_max_seconds_sets_the_cut() -> None:
    clip = decode_clip(audio_bytes(np.zeros(10_000), 1000), max_seconds=2.5)

    assert clip.samples.shape == (2500,)
    assert clip.seconds == 2.5


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"<html>a web page</html>", "Format not recognised."),
        (b"", "it is empty (0 bytes)"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", None),
    ],
)
def test_bytes_that_are_not_audio_are_a_clip_error(data: bytes, reason: str | None) -> None:
    with pytest.raises(ClipError, match=r"^init_audio is not a readable audio file: ") as caught:
        decode_clip(data, label="init_audio")

    if reason is not None:
        assert str(caught.value) == f"init_audio is not a readable audio file: {reason}"
    assert caught.value.code == "BAD_CLIP"
    assert isinstance(caught.value, UsageError)


def test_a_clip_with_no_frames_is_a_clip_error() -> None:
    with pytest.raises(ClipError, match="the clip is not a readable audio file: it holds no audio frames"):
        decode_clip(audio_bytes(np.zeros(0), 16000))


def test_nan_samples_are_a_clip_error() -> None:
    samples = np.zeros(100, dtype=np.float32)
    samples[10] = np.nan

    with pytest.raises(ClipError, match="NaN or infinite samples"):
        decode_clip(audio_bytes(samples, 16000, subtype="FLOAT"))


@pytest.mark.parametrize(
    "wrap",
    [
        lambda b64: "data:audio/wav;base64," + b64,
        lambda b64: "data:audio/x-wav;base64," + b64,
        lambda b64: "data:audio/mpeg;codecs=mp3;base64," + b64,
        lambda b64: "DATA:AUDIO/WAV;BASE64," + b64,
        lambda b64: "data:application/octet-stream;base64," + b64,
        lambda b64: b64,
        lambda b64: "\n".join(b64[i : i + 76] for i in range(0, len(b64), 76)),
    ],
)
def test_base64_text_in_its_usual_forms_decodes(wrap: object) -> None:
    data = audio_bytes(np.zeros(100), 8000)
    text = wrap(base64.b64encode(data).decode())  # type: ignore[operator]

    assert parse_base64_clip(text) == data


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("data:image/png;base64,AAAA", r"^init_audio is a data URI of type 'image/png', not audio"),
        ("data:audio/wav,RIFF", r"^init_audio is a data URI without ';base64,'"),
        ("data:audio/wav;base64,", r"^init_audio is empty"),
        ("not base64 at all!", r"^init_audio is not valid base64"),
        ("QUJDR", r"^init_audio is not valid base64"),
    ],
)
def test_bad_base64_text_is_a_clip_error(text: str, message: str) -> None:
    with pytest.raises(ClipError, match=message):
        parse_base64_clip(text, label="init_audio")


def test_base64_then_decode_round_trips() -> None:
    tone = (0.3 * np.sin(np.arange(4000) / 5)).astype(np.float32)
    uri = "data:audio/wav;base64," + base64.b64encode(audio_bytes(tone, 4000, subtype="FLOAT")).decode()

    clip = decode_clip(parse_base64_clip(uri))

    np.testing.assert_array_equal(clip.samples, tone)
