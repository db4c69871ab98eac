from __future__ import annotations

from typing import Any

import mido
import pytest

from bridge.core.commands import Cancel, Generate, Origin, ReportError, Set
from bridge.core.midimap import DEFAULT_MIDI_MAP, MidiMapper, Preset, build_midi_map
from bridge.core.music import Key
from bridge.core.sysex import SysexCommand, build_sysex_data
from bridge.errors import ConfigError

MIDI = Origin("midi")

CONFIG: dict[str, Any] = {
    "channel": 2,
    "presets": {
        "dusty": {"prompt": "dusty boom bap", "key": "A minor", "bpm": 90, "bars": 4, "seed": 7, "note": 36, "program": 0},
        "pads": {"prompt": "warm pads", "note": 37},
    },
}


def msg(kind: str, **fields: Any) -> mido.Message:
    return mido.Message(kind, **fields)


def test_default_map_any_note_generates_and_velocity_0_is_note_off() -> None:
    mapper = MidiMapper(DEFAULT_MIDI_MAP)
    assert mapper.handle(msg("note_on", note=60, velocity=100, channel=9), 0.0) == [Generate(origin=MIDI)]
    assert mapper.handle(msg("note_on", note=60, velocity=0), 0.0) == []
    assert mapper.handle(msg("note_off", note=60), 0.0) == []
    assert mapper.handle(msg("clock"), 0.0) == []


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (msg("control_change", control=20, value=60, channel=1), [Set("bpm", 120.0, MIDI)]),
        (msg("control_change", control=20, value=0, channel=1), [Set("bpm", 60.0, MIDI)]),
        (msg("control_change", control=20, value=127, channel=1), [Set("bpm", 187.0, MIDI)]),
        (msg("control_change", control=21, value=14, channel=1), [Set("key", Key(2, True), MIDI)]),
        (msg("control_change", control=21, value=7, channel=1), [Set("key", Key(7, False), MIDI)]),
        (msg("control_change", control=22, value=8, channel=1), [Set("bars", 8, MIDI)]),
        (msg("control_change", control=23, value=3, channel=1), [Set("variations", 3, MIDI)]),
        (msg("control_change", control=7, value=100, channel=1), []),
        (msg("note_on", note=36, velocity=1, channel=1),
         [Generate({"prompt": "dusty boom bap", "key": Key(9, True), "bpm": 90.0, "bars": 4, "seed": 7}, "dusty", MIDI)]),
        (msg("note_on", note=37, velocity=90, channel=1), [Generate({"prompt": "warm pads"}, "pads", MIDI)]),
        (msg("note_on", note=60, velocity=90, channel=1), [Generate(origin=MIDI)]),
        (msg("note_on", note=60, velocity=90, channel=0), []),  # channel filter: config channel 2 is mido 1
        (msg("program_change", program=0, channel=1),
         [Set("prompt", "dusty boom bap", MIDI), Set("key", Key(9, True), MIDI), Set("bpm", 90.0, MIDI),
          Set("bars", 4, MIDI), Set("seed", 7, MIDI)]),
        (msg("sysex", data=build_sysex_data(SysexCommand.PROMPT, "glitchy IDM")), [Set("prompt", "glitchy IDM", MIDI)]),
        (msg("sysex", data=build_sysex_data(SysexCommand.KEY, "G#m")), [Set("key", Key(8, True), MIDI)]),
        (msg("sysex", data=build_sysex_data(SysexCommand.GENERATE)), [Generate(origin=MIDI)]),
        (msg("sysex", data=build_sysex_data(SysexCommand.GENERATE, "one-off")), [Generate({"prompt": "one-off"}, origin=MIDI)]),
        (msg("sysex", data=(0x43, 0x10, 0x4C)), []),  # someone else's SysEx
    ],
)
def test_configured_map_table(message: mido.Message, expected: list[Any]) -> None:
    assert MidiMapper(build_midi_map(CONFIG)).handle(message, 0.0) == expected


@pytest.mark.parametrize(
    ("message", "match"),
    [
        (msg("control_change", control=21, value=24), "CC 21 value 24 is not a key"),
        (msg("program_change", program=5), "Program Change 5 selects no preset"),
    ],
)
def test_bad_values_are_reported(message: mido.Message, match: str) -> None:
    [report] = MidiMapper(DEFAULT_MIDI_MAP).handle(message, 0.0)
    assert isinstance(report, ReportError) and report.code == "BAD_ARGUMENT"
    assert match in report.message


@pytest.mark.parametrize(
    ("data", "match"),
    [((0x7D, 0x4D, 0x47, 0x09), "unknown SysEx command 09"), ((0x7D, 0x4D, 0x47, 0x02, 0x5A, 0x5A), "SysEx key: not a key")],
)
def test_bad_sysex_is_reported(data: tuple[int, ...], match: str) -> None:
    [report] = MidiMapper().handle(msg("sysex", data=data), 0.0)
    assert report == ReportError("BAD_SYSEX", report.message, MIDI) and match in report.message


@pytest.mark.parametrize(
    ("values", "fires"),
    [
        ([127], 1),
        ([127, 0, 127], 2),
        ([127, 127, 127], 1),  # held button resends: one edge
        ([10, 40, 63, 64, 90, 127], 1),  # knob swept upward passes 64 once
        ([64, 63, 64], 2),
        ([63, 0, 20], 0),
        ([127, 64], 1),  # falling to exactly 64 is not a new edge
    ],
)
def test_cc_rising_edges(values: list[int], fires: int) -> None:
    mapper = MidiMapper()
    generated = [c for v in values for c in mapper.handle(msg("control_change", control=24, value=v), 0.0)]
    cancelled = [c for v in values for c in mapper.handle(msg("control_change", control=25, value=v), 0.0)]
    assert generated == [Generate(origin=MIDI)] * fires
    assert cancelled == [Cancel(origin=MIDI)] * fires


def test_edges_are_per_channel() -> None:
    mapper = MidiMapper()
    assert mapper.handle(msg("control_change", control=24, value=127, channel=0), 0.0)
    assert mapper.handle(msg("control_change", control=24, value=127, channel=1), 0.0)


def test_build_defaults_and_overrides() -> None:
    assert build_midi_map(None) is DEFAULT_MIDI_MAP and build_midi_map({}) is DEFAULT_MIDI_MAP
    built = build_midi_map({"cc": {"generate": 64, "cancel": -1}, "any_note": False, "bpm_base": 80})
    assert (built.cc.generate, built.cc.cancel, built.cc.bpm, built.any_note, built.bpm_base) == (64, None, 20, False, 80.0)
    assert MidiMapper(built).handle(msg("note_on", note=60, velocity=9), 0.0) == []
    assert build_midi_map(CONFIG).presets[1] == Preset("pads", "warm pads", note=37)


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ({"chanel": 1}, r"unknown key midi\.chanel: did you mean 'channel'\?"),
        ({"cc": {"genrate": 3}}, r"unknown key midi\.cc\.genrate: did you mean 'generate'\?"),
        ({"presets": {"x": {"prompt": "p", "tempo": 90}}}, r"unknown key midi\.presets\.x\.tempo"),
        ({"zzz": 1}, r"unknown key midi\.zzz: known keys: channel"),
        ({"channel": 17}, r"midi\.channel must be a whole number 1 to 16, got 17"),
        ({"cc": {"bpm": 128}}, r"midi\.cc\.bpm must be a whole number 0 to 127"),
        ({"cc": {"bpm": 24}}, r"uses CC 24 for two controls"),
        ({"presets": {"x": {"key": "C"}}}, r"midi\.presets\.x\.prompt must be a non-empty text"),
        ({"presets": {"x": {"prompt": "p", "key": "H minor"}}}, r"midi\.presets\.x: not a key"),
        ({"presets": {"x": {"prompt": "p", "bpm": 999}}}, r"midi\.presets\.x: bpm must be a number"),
        ({"presets": {"a": {"prompt": "p", "note": 36}, "b": {"prompt": "q", "note": 36}}}, r"b\.note = 36 is also a's note"),
        ({"any_note": "yes"}, r"midi\.any_note must be true or false"),
        ({"bpm_base": 200}, r"midi\.bpm_base must be a number 20 to 173"),
    ],
)
def test_build_errors(table: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        build_midi_map(table)
