from __future__ import annotations

import json
import struct
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bridge.audio.fit import fit_length
from bridge.audio.wav import read_chunks
from bridge.core.music import Key
from bridge.core.request import GenerationSpec
from bridge.errors import StorageError
from bridge.output import OutputFolder, build_take_name, slugify
from support.fullfs import tiny_filesystem

SR = 32000
WHEN = datetime(2026, 12, 1, 9, 30, 5)


def tone(seconds: float, sr: int = SR, channels: int = 2) -> np.ndarray:
    t = np.arange(round(seconds * sr)) / sr
    mono = (0.5 * np.sin(2 * np.pi * 220 * t) * np.exp(-t)).astype(np.float32)
    return np.repeat(mono[:, None], channels, axis=1)


@pytest.mark.parametrize(
    "text, slug",
    [
        ("Marimba, tropical house!", "marimba-tropical-house"),
        ("../../etc/passwd", "etc-passwd"),
        ("CON", "take-con"),
        ("", "untitled"),
        ("日本の 琴 koto", "koto"),
        ("Café  Noir", "cafe-noir"),
        ("a" * 100, "a" * 40),
    ],
)
def test_slugify_is_safe_on_every_os(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_take_name_is_sortable_and_carries_bpm_key_id() -> None:
    spec = GenerationSpec("marimba, tropical house", key=Key(8, True), bpm=96)
    assert build_take_name(spec, "310815", WHEN) == "20261201-093005_marimba-tropical-house_96bpm_Gsm_310815.wav"
    assert build_take_name(spec.replace(bpm=96.5, key=None), "a/b", WHEN).endswith("_96p5bpm_nokey_a-b.wav")


def test_bar_take_is_exactly_the_grid_length_with_acid_and_smpl(tmp_path: Path) -> None:
    spec = GenerationSpec("loop", key=Key(8, True), bpm=96, bars=8, seed=7)
    record = OutputFolder(tmp_path).write_take(tone(30), SR, spec, take_id="1", details={"endpoint_id": "1"}, when=WHEN)
    info = sf.info(str(record.path))
    assert info.frames == round(8 * 4 * 60 / 96 * SR) == 640000
    assert info.samplerate == SR
    chunks = read_chunks(record.path)
    flags, root, _, _, beats, denominator, numerator, tempo = struct.unpack("<IHHfIHHf", chunks["acid"])
    assert flags & 0x02 and flags & 0x04 and not flags & 0x01  # root set, stretch, not one-shot
    assert (root, beats, numerator, denominator, tempo) == (68, 32, 4, 4, 96.0)
    smpl = struct.unpack("<9I6I", chunks["smpl"])
    assert smpl[7] == 1  # one loop
    assert (smpl[11], smpl[12]) == (0, 640000 - 1)  # whole take, end inclusive
    audio, _ = sf.read(str(record.path))
    assert np.max(np.abs(audio)) <= 10 ** (-1 / 20) + 1e-4


def test_short_take_is_padded_to_the_grid_with_a_decaying_tail(tmp_path: Path) -> None:
    spec = GenerationSpec("loop", bpm=120, bars=4)  # 8 s
    record = OutputFolder(tmp_path).write_take(tone(5), SR, spec, take_id="x", details={}, when=WHEN)
    audio, _ = sf.read(str(record.path))
    assert len(audio) == 8 * SR
    tail = np.abs(audio[5 * SR :, 0])
    assert tail[:3200].max() > 0.001  # the tail rings on past the take's end ...
    assert tail[-3200:].max() < 1e-4  # ... and has died away by the loop point


def test_fit_length_folds_the_overhang_into_the_start() -> None:
    audio = np.zeros((200, 1), dtype=np.float32)
    audio[100:] = 0.5  # everything past the loop point is overhang
    out = fit_length(audio, 100, 1000, loop=True)
    assert out.shape == (100, 1)
    assert out[0, 0] > 0.4  # the overhang's start is now the loop's start


def test_seconds_take_is_trimmed_with_a_fade(tmp_path: Path) -> None:
    spec = GenerationSpec("x", seconds=2.0)
    record = OutputFolder(tmp_path).write_take(tone(30), SR, spec, take_id="x", details={}, when=WHEN)
    audio, _ = sf.read(str(record.path))
    assert len(audio) == 2 * SR
    assert abs(audio[-1, 0]) < 1e-3


def test_never_overwrites_and_sidecar_has_no_secret(tmp_path: Path) -> None:
    folder = OutputFolder(tmp_path)
    spec = GenerationSpec("same", bpm=100)
    first = folder.write_take(tone(1), SR, spec, take_id="1", details={"key": "sk-SECRET", "request": {"prompt": "same"}}, when=WHEN)
    second = folder.write_take(tone(1), SR, spec, take_id="1", details={}, when=WHEN)
    assert first.path != second.path and first.path.exists() and second.path.exists()
    assert second.path.name.endswith("-2.wav")
    sidecar = json.loads(first.sidecar.read_text())
    assert sidecar["prompt"] == "same" and sidecar["bpm"] == 100 and sidecar["request"] == {"prompt": "same"}
    assert "sk-SECRET" not in first.sidecar.read_text()
    assert not list(tmp_path.glob(".*.part"))


def test_full_disk_is_a_storage_error_and_leaves_no_part_files(tmp_path: Path) -> None:
    with tiny_filesystem(tmp_path / "full", size_kb=64) as root:
        folder = OutputFolder(root)
        with pytest.raises(StorageError, match="the disk is full"):
            folder.write_take(tone(10), SR, GenerationSpec("x"), take_id="1", details={}, when=WHEN)
        assert [p.name for p in root.iterdir()] == [".incoming"]


def test_unwritable_folder_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot create the output folder"):
        OutputFolder(blocker / "takes").ensure()
