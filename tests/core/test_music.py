from __future__ import annotations

import math

import pytest

from bridge.core.music import Key, bars_to_samples, find_bpm_in_prompt, find_key_in_prompt, parse_bpm, parse_key
from bridge.errors import UsageError

G_SHARP_MINOR = Key(8, True)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("G# minor", G_SHARP_MINOR),
        ("G#m", G_SHARP_MINOR),
        ("Ab min", G_SHARP_MINOR),
        ("Ab minor", G_SHARP_MINOR),
        ("g sharp minor", G_SHARP_MINOR),
        ("a flat minor", G_SHARP_MINOR),
        ("  g#  MINOR ", G_SHARP_MINOR),
        ("C", Key(0, False)),
        ("CM", Key(0, False)),
        ("Cm", Key(0, True)),
        ("Eb major", Key(3, False)),
        ("E♭ maj", Key(3, False)),
        ("Bb min", Key(10, True)),
        ("Cb major", Key(11, False)),
        ("B# minor", Key(0, True)),
        ("f#", Key(6, False)),
        ("20", Key(8, True)),
        (0, Key(0, False)),
        (23, Key(11, True)),
        (12.0, Key(0, True)),
    ],
)
def test_parse_key_reads_every_spelling(text: object, expected: Key) -> None:
    assert parse_key(text) == expected


@pytest.mark.parametrize("value", [None, "none", "", "off", " NONE "])
def test_none_clears_the_key(value: object) -> None:
    assert parse_key(value) is None


@pytest.mark.parametrize("value, fragment", [("H minor", "not a key"), (24, "0 to 23"), (-1, "0 to 23"), (1.5, "whole number"), (True, "not a key"), ([1], "not a key")])
def test_parse_key_rejects_with_what_to_send(value: object, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        parse_key(value)


def test_all_24_keys_round_trip_through_names_and_indexes() -> None:
    for index in range(24):
        key = Key.from_index(index)
        assert key.index == index
        assert parse_key(key.name()) == key
        assert parse_key(key.short()) == key


@pytest.mark.parametrize("value, expected", [(96, 96.0), ("96", 96.0), ("96.5 bpm", 96.5), (20, 20.0), (300.0, 300.0)])
def test_parse_bpm(value: object, expected: float) -> None:
    assert parse_bpm(value) == expected


@pytest.mark.parametrize("value", [19.9, 301, math.nan, math.inf, "fast", True, None])
def test_parse_bpm_rejects(value: object) -> None:
    with pytest.raises(UsageError, match="bpm must be a number 20 to 300"):
        parse_bpm(value)


def test_prompt_key_and_bpm_are_found() -> None:
    prompt = "marimba, percussion, bass, tropical house, melodic riff, G# minor, 96 bpm"
    assert find_key_in_prompt(prompt) == G_SHARP_MINOR
    assert find_bpm_in_prompt(prompt) == 96.0
    assert find_key_in_prompt("ambient pad") is None


def test_loop_length_in_samples_is_exact() -> None:
    # 8 bars of 4/4 at 96 bpm is exactly 20 s
    assert bars_to_samples(8, 96, 4, 32000) == 640000
    assert bars_to_samples(3, 97, 7, 44100) == round(3 * 7 * 60 / 97 * 44100)
