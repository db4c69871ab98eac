"""MIDI messages to Commands: the ``[midi]`` config table and the pure mapper.

The default map (no ``[midi]`` table at all):

===========================  ===================================================
MIDI                         what the bridge does
===========================  ===================================================
any Note On, velocity > 0    Generate with the sticky state
Note On of a preset's note   Generate that preset (its prompt/key/bpm/bars/seed
                             override the sticky state for this take)
Note On velocity 0           a Note Off: ignored
CC 20                        bpm = 60 + value (60-187 BPM, 1 BPM steps)
CC 21                        key = value 0-23 (0-11 major from C, 12-23 minor)
CC 22                        bars = value (0 is rejected by the daemon)
CC 23                        variations = value
CC 24                        Generate, on the rising edge through 64
CC 25                        Cancel the newest job, on the rising edge through 64
Program Change N             select the preset with ``program = N``: its fields
                             become the sticky state
SysEx F0 7D 4D 47 ...        prompt / key / generate (see :mod:`bridge.core.sysex`)
===========================  ===================================================

Channels are written 1-16 as on a controller; ``channel`` absent means omni.
CCs 20-31 are "undefined" in the MIDI spec, so no controller sends them for
anything else by default. A rising edge is ``previous < 64 <= new`` per channel
and CC, so a button that sends 127 on press and 0 on release fires once, and a
knob swept upward fires once when it passes the middle.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import mido

from bridge.core.commands import Cancel, Command, Generate, Origin, ReportError, Set
from bridge.core.music import Key, parse_bpm, parse_key
from bridge.core.sysex import SysexCommand, SysexError, is_bridge_sysex, parse_sysex
from bridge.errors import ConfigError, UsageError

__all__ = [
    "DEFAULT_MIDI_MAP",
    "ControlMap",
    "MidiMap",
    "MidiMapper",
    "Preset",
    "build_midi_map",
]

_MIDI_ORIGIN = Origin("midi")
#: the threshold of a CC "button": MIDI's own convention for on/off switch controllers (64 = on)
EDGE = 64


@dataclass(frozen=True, slots=True)
class Preset:
    """A prompt plus optional musical settings, fired by a note or selected by a Program Change."""

    name: str
    prompt: str
    key: Key | None = None
    bpm: float | None = None
    bars: int | None = None
    seed: int | None = None
    note: int | None = None
    program: int | None = None

    def overrides(self) -> dict[str, Any]:
        """The fields that are set, by the names :class:`~bridge.core.commands.Set` uses."""
        values: dict[str, Any] = {"prompt": self.prompt, "key": self.key, "bpm": self.bpm, "bars": self.bars, "seed": self.seed}
        return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True, slots=True)
class ControlMap:
    """Which CC number does what; ``None`` turns a control off."""

    bpm: int | None = 20
    key: int | None = 21
    bars: int | None = 22
    variations: int | None = 23
    generate: int | None = 24
    cancel: int | None = 25


@dataclass(frozen=True, slots=True)
class MidiMap:
    #: 0-15 (mido's numbering); ``None`` listens on all channels
    channel: int | None = None
    #: whether a note that is no preset's note fires a Generate with the sticky state
    any_note: bool = True
    #: CC bpm value 0 means this tempo; 127 means ``bpm_base + 127``
    bpm_base: float = 60.0
    cc: ControlMap = field(default_factory=ControlMap)
    presets: tuple[Preset, ...] = ()

    def preset_for_note(self, note: int) -> Preset | None:
        return next((p for p in self.presets if p.note == note), None)

    def preset_for_program(self, program: int) -> Preset | None:
        return next((p for p in self.presets if p.program == program), None)


DEFAULT_MIDI_MAP = MidiMap()

_TOP_KEYS = ("channel", "any_note", "bpm_base", "cc", "presets")
_CC_KEYS = ("bpm", "key", "bars", "variations", "generate", "cancel")
_PRESET_KEYS = ("prompt", "key", "bpm", "bars", "seed", "note", "program")


def _check_keys(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    for name in table:
        if name not in known:
            close = difflib.get_close_matches(str(name), known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            raise ConfigError(f"unknown key {where}.{name}: {hint}")


def _int(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where} must be a whole number {low} to {high}, got {value!r}")
    return value


def _preset(name: str, table: Any) -> Preset:
    where = f"midi.presets.{name}"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table with at least prompt = \"...\", got {table!r}")
    _check_keys(table, _PRESET_KEYS, where)
    prompt = table.get("prompt")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ConfigError(f"{where}.prompt must be a non-empty text, got {prompt!r}")
    try:
        key = parse_key(table.get("key"))
        bpm = parse_bpm(table["bpm"]) if "bpm" in table else None
    except UsageError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    return Preset(
        name=name,
        prompt=prompt,
        key=key,
        bpm=bpm,
        bars=_int(table["bars"], f"{where}.bars", 1, 64) if "bars" in table else None,
        seed=_int(table["seed"], f"{where}.seed", 0, 2**31 - 1) if "seed" in table else None,
        note=_int(table["note"], f"{where}.note", 0, 127) if "note" in table else None,
        program=_int(table["program"], f"{where}.program", 0, 127) if "program" in table else None,
    )


def build_midi_map(table: Mapping[str, Any] | None) -> MidiMap:
    """The ``[midi]`` TOML table (already parsed) to a :class:`MidiMap`; missing keys keep the defaults.

    ``channel`` is 1-16 as written on controllers; CC numbers are 0-127 or ``-1``
    to turn that control off (TOML has no null).
    """
    if not table:
        return DEFAULT_MIDI_MAP
    _check_keys(table, _TOP_KEYS, "midi")
    channel = None
    if "channel" in table and table["channel"] not in (None, 0, "omni"):
        channel = _int(table["channel"], "midi.channel", 1, 16) - 1
    any_note = table.get("any_note", True)
    if not isinstance(any_note, bool):
        raise ConfigError(f"midi.any_note must be true or false, got {any_note!r}")
    bpm_base = table.get("bpm_base", DEFAULT_MIDI_MAP.bpm_base)
    if isinstance(bpm_base, bool) or not isinstance(bpm_base, (int, float)) or not 20 <= bpm_base <= 173:
        raise ConfigError(f"midi.bpm_base must be a number 20 to 173 (so that +127 stays at most 300), got {bpm_base!r}")
    cc_table = table.get("cc", {})
    if not isinstance(cc_table, Mapping):
        raise ConfigError(f"midi.cc must be a table like {{ generate = 24 }}, got {cc_table!r}")
    _check_keys(cc_table, _CC_KEYS, "midi.cc")
    cc_values: dict[str, int | None] = {}
    for name, number in cc_table.items():
        cc_values[name] = None if number == -1 else _int(number, f"midi.cc.{name}", 0, 127)
    controls = ControlMap(**cc_values)  # type: ignore[arg-type]
    all_numbers = [getattr(controls, name) for name in _CC_KEYS if getattr(controls, name) is not None]
    duplicates = sorted({n for n in all_numbers if all_numbers.count(n) > 1})
    if duplicates:
        raise ConfigError(
            f"midi.cc uses CC {duplicates[0]} for two controls: give each control its own number, or -1 to turn one off"
        )
    presets_table = table.get("presets", {})
    if not isinstance(presets_table, Mapping):
        raise ConfigError(f"midi.presets must be a table of tables ([midi.presets.NAME]), got {presets_table!r}")
    presets = tuple(_preset(str(name), value) for name, value in presets_table.items())
    for attr in ("note", "program"):
        seen: dict[int, str] = {}
        for preset in presets:
            number = getattr(preset, attr)
            if number is None:
                continue
            if number in seen:
                raise ConfigError(
                    f"midi.presets.{preset.name}.{attr} = {number} is also {seen[number]}'s {attr}: each must be different"
                )
            seen[number] = preset.name
    return MidiMap(channel=channel, any_note=any_note, bpm_base=float(bpm_base), cc=controls, presets=presets)


class MidiMapper:
    """Turns one message into Commands; the only state is the last value of each CC (for edges)."""

    def __init__(self, midi_map: MidiMap = DEFAULT_MIDI_MAP, *, origin: Origin = _MIDI_ORIGIN) -> None:
        self.map = midi_map
        self._origin = origin
        # (channel, control) -> last value; starts at 0 so the first press after start-up fires
        self._last_cc: dict[tuple[int, int], int] = {}

    def handle(self, msg: mido.Message, now: float) -> list[Command]:
        """The commands ``msg`` means; ``now`` is when it arrived (``time.monotonic()``), kept for future use."""
        kind = msg.type
        if kind == "sysex":
            return self._sysex(msg.data)
        channel = getattr(msg, "channel", None)
        if channel is None:
            # clock, start/stop, song position: the clock estimator's business
            return []
        if self.map.channel is not None and channel != self.map.channel:
            return []
        if kind == "note_on" and msg.velocity > 0:
            return self._note(msg.note)
        if kind == "control_change":
            return self._control(channel, msg.control, msg.value)
        if kind == "program_change":
            return self._program(msg.program)
        return []

    def _note(self, note: int) -> list[Command]:
        preset = self.map.preset_for_note(note)
        if preset is not None:
            return [Generate(overrides=preset.overrides(), preset=preset.name, origin=self._origin)]
        if self.map.any_note:
            return [Generate(origin=self._origin)]
        return []

    def _program(self, program: int) -> list[Command]:
        preset = self.map.preset_for_program(program)
        if preset is None:
            known = ", ".join(f"{p.program} {p.name}" for p in self.map.presets if p.program is not None)
            return [
                ReportError(
                    "BAD_ARGUMENT",
                    f"Program Change {program} selects no preset ({'presets: ' + known if known else 'no preset has a program'}); "
                    "add program = N to a [midi.presets.NAME] table",
                    self._origin,
                )
            ]
        return [Set(name, value, self._origin) for name, value in preset.overrides().items()]

    def _control(self, channel: int, control: int, value: int) -> list[Command]:
        cc = self.map.cc
        previous = self._last_cc.get((channel, control), 0)
        self._last_cc[(channel, control)] = value
        rising = previous < EDGE <= value
        if control == cc.generate:
            return [Generate(origin=self._origin)] if rising else []
        if control == cc.cancel:
            return [Cancel(origin=self._origin)] if rising else []
        if control == cc.bpm:
            return [Set("bpm", self.map.bpm_base + value, self._origin)]
        if control == cc.key:
            if value > 23:
                return [
                    ReportError(
                        "BAD_ARGUMENT",
                        f"CC {control} value {value} is not a key: send 0-11 for major from C, 12-23 for minor from C",
                        self._origin,
                    )
                ]
            return [Set("key", Key.from_index(value), self._origin)]
        if control == cc.bars:
            return [Set("bars", value, self._origin)]
        if control == cc.variations:
            return [Set("variations", value, self._origin)]
        return []

    def _sysex(self, data: Any) -> list[Command]:
        if not is_bridge_sysex(data):
            # a controller's own SysEx (a Launchpad's mode switch, a synth dump): not ours to complain about
            return []
        try:
            message = parse_sysex(data)
            if message.command is SysexCommand.PROMPT:
                return [Set("prompt", message.text, self._origin)]
            if message.command is SysexCommand.KEY:
                return [Set("key", parse_key(message.text), self._origin)]
            overrides = {"prompt": message.text} if message.text.strip() else {}
            return [Generate(overrides=overrides, origin=self._origin)]
        except SysexError as exc:
            return [ReportError(exc.code, exc.message, self._origin)]
        except UsageError as exc:
            # a key text parse_key cannot read: still a malformed SysEx from the host's point of view
            return [ReportError(SysexError.code, f"SysEx key: {exc.message}", self._origin)]
