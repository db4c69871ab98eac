"""OSC messages to :mod:`bridge.core.commands` values. Pure: no sockets, no files.

Every message gives a command or a :class:`ReportError` (or ``None`` for a
button release, which is meant to do nothing); nothing raises out of
:func:`parse_message`. Messages name what was wrong and what to send instead.

Max sends a message's words as separate atoms (``/musicgen/set/prompt dark
techno 128`` arrives as three arguments), so text settings join their atoms
with spaces.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path, PureWindowsPath
from typing import Any
from urllib.parse import unquote, urlparse

from bridge.core import addresses as A
from bridge.core.commands import (
    Cancel,
    Capture,
    CommandWithCapture,
    Generate,
    Get,
    Origin,
    Ping,
    ReportError,
    Set,
    SetClip,
)
from bridge.core.jobs import MAX_VARIATIONS
from bridge.core.music import Key, parse_bpm, parse_key
from bridge.core.request import DURATION_RANGE, PROMPT_MAX_CHARS, SEED_MAX
from bridge.errors import BridgeError, UnknownAddressError, UsageError

__all__ = [
    "check_setting",
    "GENERATE_OVERRIDES",
    "MAX_ARG_CHARS",
    "MAX_BARS",
    "MAX_BEATS_PER_BAR",
    "MAX_CAPTURE_BARS",
    "parse_clip_path",
    "parse_message",
]

#: longest single string argument; anything longer is refused before any other work
MAX_ARG_CHARS = 4096
MAX_ARGS = 256
MAX_BARS = 256.0
MAX_BEATS_PER_BAR = 32
MAX_CAPTURE_BARS = 64
#: names a ``/musicgen/generate <prompt> name value ...`` trigger may override
GENERATE_OVERRIDES = ("key", "bpm", "bars", "beats_per_bar", "seconds", "clip", "seed", "variations")

_NONE_WORDS = frozenset({"none", "off", "clear", "-", ""})
# "C:\..." or "C:/...": a Windows drive; a longer name before ":/" is a Max volume ("Macintosh HD:/Users/...")
_WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:[\\/]")
_MAX_VOLUME_RE = re.compile(r"^(?P<volume>[^/\\:]{2,}):(?P<rest>/.*)$")


def _show(value: Any) -> str:
    """A value as a message may quote it: short, so a 100 kB string never lands in a log or a reply."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(name: str, value: Any, hint: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise UsageError(f"{name} must be a number {hint}, got {_show(value)}") from None
    if not _is_number(value):
        raise UsageError(f"{name} must be a number {hint}, got {_show(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise UsageError(f"{name} must be a finite number {hint}, got {_show(value)}")
    return number


def _whole(name: str, value: Any, low: int, high: int) -> int:
    number = _finite(name, value, f"{low} to {high}")
    if not number.is_integer() or not low <= number <= high:
        raise UsageError(f"{name} must be a whole number {low} to {high}, got {_show(value)}")
    return int(number)


def _words(args: Sequence[Any]) -> str:
    """Atoms joined with spaces; numbers are words too (Max sends ``808`` as an int atom)."""
    parts: list[str] = []
    for arg in args:
        if isinstance(arg, str):
            parts.append(arg)
        elif _is_number(arg):
            if isinstance(arg, float) and not math.isfinite(arg):
                raise UsageError(f"not a word: {_show(arg)}; send text")
            parts.append(f"{arg:g}" if isinstance(arg, float) else str(arg))
        else:
            raise UsageError(f"not a word: {_show(arg)} ({type(arg).__name__}); send text")
    return " ".join(" ".join(parts).split())


def _one(name: str, args: Sequence[Any], example: str) -> Any:
    if not args:
        raise UsageError(f"{name} needs a value; send {example}")
    if len(args) == 1:
        return args[0]
    # Max splits "120 bpm" or "G# minor" into atoms: join text, refuse several numbers
    if all(isinstance(arg, str) or _is_number(arg) for arg in args) and not all(_is_number(a) for a in args):
        return _words(args)
    raise UsageError(f"{name} takes one value, got {len(args)}: {_show(list(args))}; send {example}")


def _is_none_word(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in _NONE_WORDS


def _parse_prompt(args: Sequence[Any]) -> str:
    text = _words(args)
    if not text:
        raise UsageError("the prompt is empty; send /musicgen/set/prompt followed by words, e.g. 'dark techno'")
    if len(text) > PROMPT_MAX_CHARS:
        raise UsageError(f"the prompt is {len(text)} characters; the limit is {PROMPT_MAX_CHARS}: send a shorter one")
    return text


def _parse_key(args: Sequence[Any]) -> Key | None:
    value = _one("key", args, "a name like 'G# minor' or a number 0 to 23, or 'none'")
    return parse_key(value)


def _parse_bpm(args: Sequence[Any]) -> float | None:
    value = _one("bpm", args, "a number 20 to 300, or 'none'")
    return None if _is_none_word(value) else parse_bpm(value)


def _parse_bars(args: Sequence[Any]) -> float | None:
    value = _one("bars", args, f"a number of bars above 0 up to {MAX_BARS:g}, or 'none'")
    if _is_none_word(value):
        return None
    bars = _finite("bars", value, f"above 0 up to {MAX_BARS:g}")
    if not 0 < bars <= MAX_BARS:
        raise UsageError(f"bars must be above 0 and at most {MAX_BARS:g}, got {_show(value)}")
    return bars


def _parse_beats_per_bar(args: Sequence[Any]) -> int:
    value = _one("beats_per_bar", args, f"a whole number 1 to {MAX_BEATS_PER_BAR}")
    return _whole("beats_per_bar", value, 1, MAX_BEATS_PER_BAR)


def _parse_seconds(args: Sequence[Any]) -> float | None:
    high = DURATION_RANGE[1]
    value = _one("seconds", args, f"a length above 0 up to {high} seconds, or 'none'")
    if _is_none_word(value):
        return None
    seconds = _finite("seconds", value, f"above 0 up to {high}")
    if not 0 < seconds <= high:
        raise UsageError(f"seconds must be above 0 and at most {high}, got {_show(value)}")
    return seconds


def _parse_seed(args: Sequence[Any]) -> int | None:
    value = _one("seed", args, f"a whole number 0 to {SEED_MAX}, or -1 for a random seed")
    if _is_none_word(value) or (isinstance(value, str) and value.strip().lower() == "random"):
        return None
    seed = _whole("seed", value, -1, SEED_MAX)
    return None if seed == -1 else seed


def _parse_variations(args: Sequence[Any]) -> int:
    value = _one("variations", args, f"a whole number 1 to {MAX_VARIATIONS}")
    return _whole("variations", value, 1, MAX_VARIATIONS)


def parse_clip_path(text: str, *, windows: bool | None = None) -> Path:
    """A clip path as Max, Live, REAPER or a shell writes it, as a local absolute path (not yet checked on disk).

    ``Macintosh HD:/Users/me/a.wav`` (Max's volume style) becomes ``/Users/me/a.wav``;
    ``file:///...`` URIs are decoded; ``~`` is expanded. ``windows`` says whether
    this machine takes Windows paths (default: this OS).
    """
    on_windows = os.name == "nt" if windows is None else windows
    text = text.strip().strip('"').strip("'")
    if not text:
        raise UsageError("the clip path is empty; send /musicgen/set/clip with an absolute path, or no argument to clear")
    if text.lower().startswith("file:"):
        parsed = urlparse(text)
        text = unquote(parsed.path)
        if on_windows and re.match(r"^/[A-Za-z]:", text):
            text = text[1:]
    if _WINDOWS_DRIVE_RE.match(text) or text.startswith("\\\\"):
        if not on_windows:
            raise UsageError(
                f"clip path {_show(text)} is a Windows path, but the bridge runs on this non-Windows machine; "
                "send the path as this machine sees it, e.g. '/Users/me/clip.wav'"
            )
        return Path(PureWindowsPath(text))
    max_style = _MAX_VOLUME_RE.match(text)
    if max_style and not on_windows:
        # Max names the volume first; on the boot volume the rest is already the POSIX path
        text = max_style["rest"]
    if text.startswith("~"):
        text = os.path.expanduser(text)
    path = Path(text)
    if not path.is_absolute():
        raise UsageError(
            f"clip path {_show(text)} is relative; send /musicgen/set/clip with an absolute path, e.g. '/Users/me/clip.wav'"
        )
    return path


def _parse_clip(args: Sequence[Any]) -> Path | None:
    if not args or (len(args) == 1 and _is_none_word(args[0])):
        return None
    # a path with spaces arrives as several atoms from Max when it is not quoted
    return parse_clip_path(_words(args))


_SETTERS: dict[str, Callable[[Sequence[Any]], Any]] = {
    "prompt": _parse_prompt,
    "key": _parse_key,
    "bpm": _parse_bpm,
    "bars": _parse_bars,
    "beats_per_bar": _parse_beats_per_bar,
    "seconds": _parse_seconds,
    "seed": _parse_seed,
    "variations": _parse_variations,
}


#: settings that ``None`` clears
_NULLABLE = frozenset({"key", "bpm", "bars", "seconds", "seed", "clip"})


def check_setting(name: str, value: Any) -> Any:
    """A parsed setting checked again, for inputs other than OSC (MIDI, the inbox): same ranges, same codes."""
    if value is None and name in _NULLABLE:
        return None
    if name == "clip":
        if isinstance(value, Path):
            return value
        return _parse_clip([value])
    setter = _SETTERS.get(name)
    if setter is None:
        raise UsageError(f"no setting {name!r}; the settings are {', '.join(A.STICKY_NAMES)}")
    return setter([value])


def _parse_generate(args: Sequence[Any], origin: Origin) -> Generate | None:
    if not args:
        return Generate(origin=origin)
    if len(args) == 1 and (_is_number(args[0]) or isinstance(args[0], bool)):
        press = args[0]
        if isinstance(press, float) and not math.isfinite(press):
            raise UsageError(f"a button press must be a non-zero number, got {_show(press)}")
        # a button sends 1 on press and 0 on release: only the press triggers
        return Generate(origin=origin) if press else None
    # "<prompt words...> name value name value...": the prompt runs up to the first override name
    names = set(GENERATE_OVERRIDES)
    index = 0
    while index < len(args) and not (isinstance(args[index], str) and args[index].strip().lower() in names):
        index += 1
    overrides: dict[str, Any] = {}
    if index:
        overrides["prompt"] = _parse_prompt(args[:index])
    while index < len(args):
        name = args[index].strip().lower()
        end = index + 1
        while end < len(args) and not (isinstance(args[end], str) and args[end].strip().lower() in names):
            end += 1
        values = args[index + 1 : end]
        if not values:
            raise UsageError(f"/musicgen/generate: '{name}' needs a value after it, e.g. 'bpm 120'")
        if name in overrides:
            raise UsageError(f"/musicgen/generate: '{name}' is given twice; send it once")
        # "clip none" is an override too: this take without the sticky clip
        overrides[name] = _parse_clip(values) if name == "clip" else _SETTERS[name](values)
        index = end
    return Generate(overrides=overrides, origin=origin)


def _parse_cancel(args: Sequence[Any], origin: Origin) -> Cancel:
    if not args:
        return Cancel(None, origin=origin)
    if len(args) > 1:
        raise UsageError(f"/musicgen/cancel takes one job id or 'all', got {len(args)} arguments")
    target = args[0]
    if _is_number(target) and not isinstance(target, float):
        target = str(target)
    if not isinstance(target, str) or not target.strip():
        raise UsageError(f"/musicgen/cancel takes a job id (as sent in /musicgen/job/queued) or 'all', got {_show(target)}")
    text = target.strip()
    return Cancel("all" if text.lower() == "all" else text, origin=origin)


def _parse_ping(args: Sequence[Any], origin: Origin) -> Ping:
    if not args:
        return Ping(None, origin=origin)
    token = args[0]
    if isinstance(token, float) and not math.isfinite(token):
        raise UsageError(f"the ping token must be a word or a finite number, got {_show(token)}")
    if not (isinstance(token, str) or _is_number(token)):
        raise UsageError(f"the ping token must be a word or a number, got {type(token).__name__}")
    return Ping(token, origin=origin)


def _parse_capture(action: str, args: Sequence[Any], origin: Origin) -> Capture:
    if action == "bars":
        value = _one("capture bars", args, f"a whole number of bars 1 to {MAX_CAPTURE_BARS}")
        return Capture("bars", bars=_whole("capture bars", value, 1, MAX_CAPTURE_BARS), origin=origin)
    return Capture(action, origin=origin)


def _check_args(args: Sequence[Any]) -> None:
    if len(args) > MAX_ARGS:
        raise UsageError(f"{len(args)} arguments is too many; the limit is {MAX_ARGS}")
    for position, arg in enumerate(args, start=1):
        if isinstance(arg, str) and len(arg) > MAX_ARG_CHARS:
            raise UsageError(
                f"argument {position} is {len(arg)} characters long; the limit is {MAX_ARG_CHARS}: send a shorter value"
            )


def _parse(address: str, args: Sequence[Any], origin: Origin) -> CommandWithCapture | None:
    _check_args(args)
    if address.startswith(A.SET_PREFIX):
        name = address[len(A.SET_PREFIX) :]
        if name == "clip":
            return SetClip(_parse_clip(args), origin=origin)
        setter = _SETTERS.get(name)
        if setter is not None:
            return Set(name, setter(args), origin=origin)
    elif address.startswith(A.GET_PREFIX):
        name = address[len(A.GET_PREFIX) :]
        if name in A.STICKY_NAMES:
            # arguments are ignored: Max's [message] may send a 'bang'
            return Get(name, origin=origin)
    elif address == A.GENERATE:
        return _parse_generate(args, origin)
    elif address == A.CANCEL:
        return _parse_cancel(args, origin)
    elif address == A.PING:
        return _parse_ping(args, origin)
    elif address in (A.CAPTURE_START, A.CAPTURE_STOP, A.CAPTURE_BARS):
        return _parse_capture(address[len(A.CAPTURE_PREFIX) :], args, origin)
    raise UnknownAddressError(
        f"unknown address {_show(address)}; the bridge answers {A.SET_PREFIX}<name>, {A.GET_PREFIX}<name> "
        f"(names: {', '.join(A.STICKY_NAMES)}), {A.GENERATE}, {A.CANCEL}, {A.PING} and {A.CAPTURE_PREFIX}start|stop|bars"
    )


def parse_message(address: str, args: Sequence[Any], origin: Origin = Origin("osc")) -> CommandWithCapture | None:
    """The command an OSC message asks for; ``None`` when it asks for nothing (a button release).

    Bad input gives a :class:`ReportError` with the error's wire code, never an exception.
    """
    try:
        if not isinstance(address, str) or len(address) > MAX_ARG_CHARS:
            raise UnknownAddressError(f"unknown address {_show(address)}; addresses start with {A.PREFIX}/")
        return _parse(address, list(args), origin)
    except BridgeError as exc:
        return ReportError(exc.code, f"{address[:80] if isinstance(address, str) else '?'}: {exc.message}", origin=origin)
