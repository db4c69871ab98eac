"""Every OSC message shape the contract names, parsed without a socket."""

from __future__ import annotations

import math
from pathlib import Path, PureWindowsPath
from typing import Any

import pytest

from bridge.core import addresses as A
from bridge.core.commands import Cancel, Capture, Generate, Get, Origin, Ping, ReportError, Set, SetClip
from bridge.core.music import Key
from bridge.daemon.osc_parse import MAX_ARG_CHARS, check_setting, parse_clip_path, parse_message

O = Origin("osc", "127.0.0.1", 5555)


def parse(address: str, *args: Any) -> Any:
    return parse_message(address, list(args), O)


GOOD: list[tuple[str, tuple[Any, ...], Any]] = [
    # Max sends words as separate atoms; numbers are words too
    (A.SET_PROMPT, ("dark", "techno"), Set("prompt", "dark techno", O)),
    (A.SET_PROMPT, ("lofi  beat ",), Set("prompt", "lofi beat", O)),
    (A.SET_PROMPT, ("808", 808, "drums", 1.5), Set("prompt", "808 808 drums 1.5", O)),
    (A.SET_KEY, ("G# minor",), Set("key", Key(8, True), O)),
    (A.SET_KEY, ("G#", "minor"), Set("key", Key(8, True), O)),
    (A.SET_KEY, ("G#m",), Set("key", Key(8, True), O)),
    (A.SET_KEY, ("Ab", "min"), Set("key", Key(8, True), O)),
    (A.SET_KEY, (20,), Set("key", Key(8, True), O)),
    (A.SET_KEY, (0,), Set("key", Key(0, False), O)),
    (A.SET_KEY, (23.0,), Set("key", Key(11, True), O)),
    (A.SET_KEY, ("none",), Set("key", None, O)),
    (A.SET_BPM, (120,), Set("bpm", 120.0, O)),
    (A.SET_BPM, (96.5,), Set("bpm", 96.5, O)),
    (A.SET_BPM, ("128",), Set("bpm", 128.0, O)),
    (A.SET_BPM, ("128", "bpm"), Set("bpm", 128.0, O)),
    (A.SET_BPM, (20,), Set("bpm", 20.0, O)),
    (A.SET_BPM, (300,), Set("bpm", 300.0, O)),
    (A.SET_BPM, ("none",), Set("bpm", None, O)),
    (A.SET_BARS, (4,), Set("bars", 4.0, O)),
    (A.SET_BARS, (0.5,), Set("bars", 0.5, O)),
    (A.SET_BARS, ("none",), Set("bars", None, O)),
    (A.SET_BEATS_PER_BAR, (3,), Set("beats_per_bar", 3, O)),
    (A.SET_BEATS_PER_BAR, (7.0,), Set("beats_per_bar", 7, O)),
    (A.SET_SECONDS, (12.5,), Set("seconds", 12.5, O)),
    (A.SET_SECONDS, ("30",), Set("seconds", 30.0, O)),
    (A.SET_SEED, (42,), Set("seed", 42, O)),
    (A.SET_SEED, (-1,), Set("seed", None, O)),
    (A.SET_SEED, ("random",), Set("seed", None, O)),
    (A.SET_SEED, (2**32 - 1,), Set("seed", 2**32 - 1, O)),
    (A.SET_VARIATIONS, (1,), Set("variations", 1, O)),
    (A.SET_VARIATIONS, (8,), Set("variations", 8, O)),
    (A.SET_CLIP, ("/Users/me/clip.wav",), SetClip(Path("/Users/me/clip.wav"), O)),
    (A.SET_CLIP, ("Macintosh HD:/Users/me/take 3.wav",), SetClip(Path("/Users/me/take 3.wav"), O)),
    (A.SET_CLIP, ("Macintosh", "HD:/Users/me/take", "3.wav"), SetClip(Path("/Users/me/take 3.wav"), O)),
    (A.SET_CLIP, ("file:///Users/me/my%20clip.wav",), SetClip(Path("/Users/me/my clip.wav"), O)),
    (A.SET_CLIP, (), SetClip(None, O)),
    (A.SET_CLIP, ("none",), SetClip(None, O)),
    *((f"{A.GET_PREFIX}{name}", (), Get(name, O)) for name in A.STICKY_NAMES),
    (f"{A.GET_PREFIX}bpm", ("bang",), Get("bpm", O)),
    (A.GENERATE, (), Generate(origin=O)),
    (A.GENERATE, (1,), Generate(origin=O)),
    (A.GENERATE, (127,), Generate(origin=O)),
    (A.GENERATE, (1.0,), Generate(origin=O)),
    (A.GENERATE, (True,), Generate(origin=O)),
    (A.GENERATE, (0,), None),
    (A.GENERATE, (0.0,), None),
    (A.GENERATE, (False,), None),
    (A.GENERATE, ("dark techno",), Generate({"prompt": "dark techno"}, origin=O)),
    (A.GENERATE, ("dark", "techno", "bpm", 128, "key", "A", "minor"),
     Generate({"prompt": "dark techno", "bpm": 128.0, "key": Key(9, True)}, origin=O)),
    (A.GENERATE, ("ambient pad", "bars", 8, "seconds", 10, "seed", 7, "clip", "Macintosh HD:/x/c.wav"),
     Generate({"prompt": "ambient pad", "bars": 8.0, "seconds": 10.0, "seed": 7, "clip": Path("/x/c.wav")}, origin=O)),
    (A.GENERATE, ("bpm", 100), Generate({"bpm": 100.0}, origin=O)),
    (A.GENERATE, ("808", "drums", "seed", -1), Generate({"prompt": "808 drums", "seed": None}, origin=O)),
    (A.GENERATE, ("x", "clip", "none"), Generate({"prompt": "x", "clip": None}, origin=O)),
    (A.CANCEL, (), Cancel(None, O)),
    (A.CANCEL, ("all",), Cancel("all", O)),
    (A.CANCEL, ("ALL",), Cancel("all", O)),
    (A.CANCEL, ("lzq4k1c0-0",), Cancel("lzq4k1c0-0", O)),
    (A.PING, (), Ping(None, O)),
    (A.PING, ("abc",), Ping("abc", O)),
    (A.PING, (7,), Ping(7, O)),
    (A.CAPTURE_START, (), Capture("start", origin=O)),
    (A.CAPTURE_STOP, (), Capture("stop", origin=O)),
    (A.CAPTURE_BARS, (4,), Capture("bars", bars=4, origin=O)),
]


@pytest.mark.parametrize(("address", "args", "expected"), GOOD, ids=[f"{a} {args!r}"[:60] for a, args, _ in GOOD])
def test_good_messages(address: str, args: tuple[Any, ...], expected: Any) -> None:
    assert parse(address, *args) == expected


BAD: list[tuple[str, tuple[Any, ...], str, str]] = [
    ("/musicgen/nope", (), "UNKNOWN_ADDRESS", "unknown address '/musicgen/nope'"),
    ("/other/thing", (1,), "UNKNOWN_ADDRESS", "/musicgen/generate"),
    (f"{A.SET_PREFIX}tempo", (120,), "UNKNOWN_ADDRESS", "names: prompt, key, bpm"),
    (f"{A.GET_PREFIX}tempo", (), "UNKNOWN_ADDRESS", "unknown address"),
    (A.SET_PROMPT, (), "BAD_ARGUMENT", "the prompt is empty; send /musicgen/set/prompt"),
    (A.SET_PROMPT, (b"\x00blob",), "BAD_ARGUMENT", "not a word"),
    (A.SET_PROMPT, ("x" * 3000,), "BAD_ARGUMENT", "the limit is 2000"),
    (A.SET_PROMPT, ("x" * 100_000,), "BAD_ARGUMENT", f"100000 characters long; the limit is {MAX_ARG_CHARS}"),
    (A.SET_PROMPT, ("nan", float("nan")), "BAD_ARGUMENT", "not a word"),
    (A.SET_KEY, (), "BAD_ARGUMENT", "key needs a value; send a name like 'G# minor'"),
    (A.SET_KEY, ("H major",), "BAD_ARGUMENT", "not a key: 'H major'"),
    (A.SET_KEY, (24,), "BAD_ARGUMENT", "0 to 23"),
    (A.SET_KEY, (-1,), "BAD_ARGUMENT", "0 to 23"),
    (A.SET_KEY, (2.5,), "BAD_ARGUMENT", "whole number 0 to 23"),
    (A.SET_KEY, (True,), "BAD_ARGUMENT", "not a key"),
    (A.SET_BPM, (), "BAD_ARGUMENT", "bpm needs a value"),
    (A.SET_BPM, (19.9,), "BAD_ARGUMENT", "bpm must be a number 20 to 300"),
    (A.SET_BPM, (301,), "BAD_ARGUMENT", "20 to 300"),
    (A.SET_BPM, (float("nan"),), "BAD_ARGUMENT", "20 to 300"),
    (A.SET_BPM, (float("inf"),), "BAD_ARGUMENT", "20 to 300"),
    (A.SET_BPM, ("fast",), "BAD_ARGUMENT", "got 'fast'"),
    (A.SET_BPM, (120, 130), "BAD_ARGUMENT", "bpm takes one value, got 2"),
    (A.SET_BPM, (None,), "BAD_ARGUMENT", "bpm must be a number"),
    (A.SET_BARS, (0,), "BAD_ARGUMENT", "bars must be above 0"),
    (A.SET_BARS, (-2,), "BAD_ARGUMENT", "bars must be above 0"),
    (A.SET_BARS, (float("inf"),), "BAD_ARGUMENT", "finite"),
    (A.SET_BARS, ("many",), "BAD_ARGUMENT", "bars must be a number"),
    (A.SET_BARS, (), "BAD_ARGUMENT", "bars needs a value"),
    (A.SET_BEATS_PER_BAR, (0,), "BAD_ARGUMENT", "whole number 1 to 32"),
    (A.SET_BEATS_PER_BAR, (3.5,), "BAD_ARGUMENT", "whole number 1 to 32"),
    (A.SET_SECONDS, (0,), "BAD_ARGUMENT", "above 0 and at most 480"),
    (A.SET_SECONDS, (481,), "BAD_ARGUMENT", "at most 480"),
    (A.SET_SECONDS, (float("-inf"),), "BAD_ARGUMENT", "finite"),
    (A.SET_SEED, (-2,), "BAD_ARGUMENT", "-1 to 4294967295"),
    (A.SET_SEED, (1.5,), "BAD_ARGUMENT", "whole number"),
    (A.SET_SEED, (2**32,), "BAD_ARGUMENT", "whole number"),
    (A.SET_SEED, ("lucky",), "BAD_ARGUMENT", "seed must be a number"),
    (A.SET_VARIATIONS, (0,), "BAD_ARGUMENT", "1 to 8"),
    (A.SET_VARIATIONS, (9,), "BAD_ARGUMENT", "1 to 8"),
    (A.SET_VARIATIONS, (), "BAD_ARGUMENT", "variations needs a value"),
    (A.SET_CLIP, ("clips/a.wav",), "BAD_ARGUMENT", "is relative; send /musicgen/set/clip with an absolute path"),
    (A.SET_CLIP, ("C:\\Users\\me\\a.wav",), "BAD_ARGUMENT", "Windows path"),
    (A.SET_CLIP, ("x" * 5000,), "BAD_ARGUMENT", "limit is 4096"),
    (A.SET_CLIP, (3,), "BAD_ARGUMENT", "relative"),
    (A.GENERATE, (float("nan"),), "BAD_ARGUMENT", "non-zero number"),
    (A.GENERATE, ("x", "bpm"), "BAD_ARGUMENT", "'bpm' needs a value after it"),
    (A.GENERATE, ("x", "bpm", 500), "BAD_ARGUMENT", "20 to 300"),
    (A.GENERATE, ("x", "bpm", 100, "bpm", 110), "BAD_ARGUMENT", "given twice"),
    (A.GENERATE, ("x", "key", "Q"), "BAD_ARGUMENT", "not a key"),
    (A.GENERATE, ("x", "seed", float("nan")), "BAD_ARGUMENT", "finite"),
    (A.GENERATE, ("y" * 3000, "bpm", 100), "BAD_ARGUMENT", "limit is 2000"),
    (A.CANCEL, ("a", "b"), "BAD_ARGUMENT", "takes one job id or 'all', got 2"),
    (A.CANCEL, (1.5,), "BAD_ARGUMENT", "takes a job id"),
    (A.CANCEL, ("",), "BAD_ARGUMENT", "takes a job id"),
    (A.PING, (float("nan"),), "BAD_ARGUMENT", "finite"),
    (A.PING, (b"blob",), "BAD_ARGUMENT", "word or a number"),
    (A.CAPTURE_BARS, (), "BAD_ARGUMENT", "capture bars needs a value"),
    (A.CAPTURE_BARS, (0,), "BAD_ARGUMENT", "1 to 64"),
    (A.PING, tuple(range(300)), "BAD_ARGUMENT", "too many"),
]


@pytest.mark.parametrize(
    ("address", "args", "code", "message"), BAD, ids=[f"{a} {args!r}"[:60] for a, args, _, _ in BAD]
)
def test_bad_messages_are_errors_with_codes(address: str, args: tuple[Any, ...], code: str, message: str) -> None:
    result = parse(address, *args)
    assert isinstance(result, ReportError)
    assert result.code == code
    assert message in result.message
    assert result.origin == O
    # never the whole 100 kB back over the wire
    assert len(result.message) < 600


def test_a_long_address_is_refused_without_echoing_it() -> None:
    result = parse("/musicgen/" + "a" * 100_000)
    assert isinstance(result, ReportError) and result.code == "UNKNOWN_ADDRESS"
    assert len(result.message) < 600


@pytest.mark.parametrize(
    ("text", "windows", "expected"),
    [
        ("Macintosh HD:/Users/x", False, "/Users/x"),
        ("Data:/Volumes/Samples/a.aif", False, "/Volumes/Samples/a.aif"),
        ("/Users/x/a.wav", False, "/Users/x/a.wav"),
        ('"/Users/x/a b.wav"', False, "/Users/x/a b.wav"),
        ("C:/Users/x/a.wav", True, "C:/Users/x/a.wav"),
        ("C:\\Users\\x\\a.wav", True, "C:/Users/x/a.wav"),
    ],
)
def test_clip_path_styles(text: str, windows: bool, expected: str) -> None:
    path = parse_clip_path(text, windows=windows)
    if windows:
        assert PureWindowsPath(str(path)) == PureWindowsPath(expected)
    else:
        assert path == Path(expected)


def test_home_relative_clip_is_expanded() -> None:
    assert parse_clip_path("~/clip.wav", windows=False) == Path.home() / "clip.wav"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [("bpm", 90, 90.0), ("bpm", None, None), ("key", Key(1, False), Key(1, False)), ("seed", -1, None),
     ("variations", 3, 3), ("clip", Path("/a.wav"), Path("/a.wav"))],
)
def test_check_setting_for_other_inputs(name: str, value: Any, expected: Any) -> None:
    assert check_setting(name, value) == expected


@pytest.mark.parametrize(("name", "value"), [("bpm", 500), ("variations", 0), ("nope", 1), ("bars", math.nan)])
def test_check_setting_refuses_what_osc_refuses(name: str, value: Any) -> None:
    from bridge.errors import UsageError

    with pytest.raises(UsageError):
        check_setting(name, value)
