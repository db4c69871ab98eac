from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bridge.audio.conditioning import check_clip, encode_clip
from bridge.errors import ClipError

MB = 2**20


def decoded(uri: str) -> np.ndarray:
    audio, _ = sf.read(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])), dtype="float32")
    return audio


def test_a_re_recorded_clip_is_encoded_afresh(tmp_path: Path) -> None:
    clip = tmp_path / "take.wav"
    sf.write(str(clip), np.full(16000, 0.25, dtype=np.float32), 16000)
    first = encode_clip(clip, 32000, max_bytes=MB)
    assert encode_clip(clip, 32000, max_bytes=MB) is first  # the same file: the encoding is kept
    sf.write(str(clip), np.full(16000, -0.5, dtype=np.float32), 16000)
    os.utime(clip, ns=(clip.stat().st_atime_ns, clip.stat().st_mtime_ns + 10**9))
    second = encode_clip(clip, 32000, max_bytes=MB)
    assert second != first
    assert decoded(second)[1000] == pytest.approx(-0.5, abs=1e-3)


def test_clip_over_30_s_is_cut_to_the_first_30_s(tmp_path: Path) -> None:
    clip = tmp_path / "long.flac"
    sf.write(str(clip), np.zeros((8000 * 40, 2), dtype=np.float32), 8000)
    assert len(decoded(encode_clip(clip, 16000, max_bytes=10 * MB))) == 16000 * 30


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: p, "the file does not exist"),
        (lambda p: (p.mkdir(), p)[1], "is not a file"),
        (lambda p: (p.write_text("hello"), p)[1], "not audio libsndfile can read"),
        (lambda p: (p.write_bytes(b"\0" * (2 * MB)), p)[1], "the limit is 1 MB"),
    ],
)
def test_check_clip_says_what_is_wrong(tmp_path: Path, make, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClipError, match=match):
        check_clip(make(tmp_path / "clip.wav"), MB)
