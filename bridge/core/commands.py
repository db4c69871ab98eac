"""What any input (OSC, MIDI, the inbox folder, audio capture) asks the daemon to do.

Inputs parse their wire format into these plain values on their own thread and
enqueue them; the daemon's controller applies them one at a time. Values are
already parsed (a :class:`~bridge.core.music.Key`, a float BPM, a resolved
``Path``); the controller still validates ranges so every input gets the same
checks and the same error codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

__all__ = [
    "Capture",
    "CommandWithCapture",
    "Cancel",
    "Command",
    "Generate",
    "Get",
    "Origin",
    "Ping",
    "ReportError",
    "Set",
    "SetClip",
    "TempoUpdate",
]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a command came from: replies go to ``host`` on the reply port (never the source port)."""

    kind: str  # "osc", "midi", "inbox", "capture", "internal"
    host: str | None = None
    port: int | None = None
    #: lets an input recognise its own jobs in the notifications (the inbox: the trigger's reply file)
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class Set:
    """Set a sticky value (``prompt``, ``key``, ``bpm``, ``bars``, ``beats_per_bar``, ``seconds``, ``seed``, ``variations``)."""

    name: str
    value: Any
    origin: Origin = Origin("internal")


@dataclass(frozen=True, slots=True)
class SetClip:
    """Use a file as the conditioning clip (``None`` clears it). The path is checked before use."""

    path: Path | None
    origin: Origin = Origin("internal")


@dataclass(frozen=True, slots=True)
class Get:
    name: str
    origin: Origin = Origin("internal")


@dataclass(frozen=True, slots=True)
class Generate:
    """Start a job from the sticky state plus ``overrides`` (same names as :class:`Set`, plus ``clip``)."""

    overrides: dict[str, Any] = field(default_factory=dict)
    preset: str | None = None
    origin: Origin = Origin("internal")


@dataclass(frozen=True, slots=True)
class Cancel:
    """Cancel a job id, ``"all"``, or (``None``) the newest job."""

    target: str | None = None
    origin: Origin = Origin("internal")


@dataclass(frozen=True, slots=True)
class Ping:
    token: Any = None
    origin: Origin = Origin("internal")


@dataclass(frozen=True, slots=True)
class TempoUpdate:
    """A tempo (and bar phase) from a clock: MIDI clock, Ableton, REAPER."""

    bpm: float
    source: str
    origin: Origin = Origin("internal")


@dataclass(frozen=True, slots=True)
class ReportError:
    """Bad input found while parsing, to be answered on ``/musicgen/error``."""

    code: str
    message: str
    origin: Origin = Origin("internal")


Command = Union[Set, SetClip, Get, Generate, Cancel, Ping, TempoUpdate, ReportError]


@dataclass(frozen=True, slots=True)
class Capture:
    """Audio capture control: ``action`` is ``start``, ``stop`` or ``bars`` (with ``bars`` = N)."""

    action: str
    bars: int | None = None
    origin: Origin = Origin("internal")


CommandWithCapture = Union[Command, Capture]
