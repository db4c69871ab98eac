"""Musical time and keys: pure values and conversions, no I/O.

Keys are written in many ways by musicians and hosts ("G# minor", "G#m",
"Ab min", "g sharp minor", Live's root note 0-11 plus a scale name, an int
0-23 from a MIDI CC). :func:`parse_key` reads all of them into one
:class:`Key`; :meth:`Key.name` writes the vendor's prompt style back.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from bridge.errors import UsageError

__all__ = [
    "find_bpm_in_prompt",
    "find_key_in_prompt",
    "BPM_MAX",
    "BPM_MIN",
    "ENCODEC_FRAME_RATE",
    "Key",
    "bars_to_seconds",
    "bars_to_samples",
    "parse_bpm",
    "parse_key",
    "seconds_to_tokens",
    "tokens_to_seconds",
]

BPM_MIN = 20.0
BPM_MAX = 300.0
#: MusicGen's EnCodec produces 50 frames (tokens) per second of audio
ENCODEC_FRAME_RATE = 50

_SHARP_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# the spelling a musician expects to read for each key; minor keys prefer sharps up to G#, flat for Bb/Eb
_MAJOR_NAMES = ("C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
_MINOR_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "Bb", "B")
_LETTERS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}

_MINOR_WORDS = {"minor", "min", "m", "moll", "aeolian", "-"}
_MAJOR_WORDS = {"major", "maj", "dur", "ionian", ""}
_SHARP_WORDS = {"#", "sharp", "♯", "is"}
_FLAT_WORDS = {"b", "flat", "♭", "es", "s"}

_KEY_RE = re.compile(
    r"""^\s*
    (?P<letter>[a-gA-G])
    \s*(?P<accidental>\#|♯|♭|b|sharp|flat)?
    \s*(?P<mode>major|maj|minor|min|moll|dur|ionian|aeolian|m|M|-)?
    \s*$""",
    re.VERBOSE | re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Key:
    """A key: tonic pitch class (0 = C) and mode."""

    tonic: int
    minor: bool

    def __post_init__(self) -> None:
        if not 0 <= self.tonic <= 11:
            raise UsageError(f"key tonic must be a pitch class 0 to 11, got {self.tonic}")

    @property
    def index(self) -> int:
        """0 to 11 major from C, 12 to 23 minor from C: the OSC and MIDI CC encoding."""
        return self.tonic + (12 if self.minor else 0)

    @property
    def tonic_name(self) -> str:
        return (_MINOR_NAMES if self.minor else _MAJOR_NAMES)[self.tonic]

    def name(self) -> str:
        """The vendor's prompt style: ``G# minor``, ``Eb major``."""
        return f"{self.tonic_name} {'minor' if self.minor else 'major'}"

    def short(self) -> str:
        """Filesystem-friendly short form: ``G#m``, ``Eb``."""
        return self.tonic_name + ("m" if self.minor else "")

    def __str__(self) -> str:
        return self.name()

    @classmethod
    def from_index(cls, index: int) -> Key:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= 23:
            raise UsageError(
                f"key number must be 0 to 23 (0-11 major from C, 12-23 minor from C), got {index!r}"
            )
        return cls(tonic=index % 12, minor=index >= 12)


def _words_to_key(text: str) -> Key | None:
    """'g sharp minor', 'b flat major', 'c# min', 'ab'."""
    words = text.lower().replace("-", " ").split()
    if not words or words[0] not in _LETTERS:
        return None
    tonic = _LETTERS[words[0]]
    rest = words[1:]
    if rest and rest[0] in _SHARP_WORDS:
        tonic += 1
        rest = rest[1:]
    elif rest and rest[0] in _FLAT_WORDS:
        tonic -= 1
        rest = rest[1:]
    mode = " ".join(rest)
    if mode in _MINOR_WORDS:
        return Key(tonic % 12, True)
    if mode in _MAJOR_WORDS:
        return Key(tonic % 12, False)
    return None


def parse_key(value: object) -> Key | None:
    """Read a key from text or an index 0-23; ``None``/``"none"``/``""`` mean no key.

    Raises :class:`UsageError` with the accepted forms when the value is not a key.
    """
    if value is None:
        return None
    if isinstance(value, Key):
        return value
    if isinstance(value, bool):
        raise UsageError(f"not a key: {value!r}; send a name like 'G# minor' or a number 0 to 23")
    if isinstance(value, int):
        return Key.from_index(value)
    if isinstance(value, float):
        if value.is_integer():
            return Key.from_index(int(value))
        raise UsageError(f"key number must be a whole number 0 to 23, got {value!r}")
    if not isinstance(value, str):
        raise UsageError(f"not a key: {value!r}; send a name like 'G# minor' or a number 0 to 23")
    text = value.strip()
    if text.lower() in {"", "none", "off", "clear", "-"}:
        return None
    if re.fullmatch(r"\d{1,2}", text):
        return Key.from_index(int(text))
    match = _KEY_RE.match(text)
    if match:
        tonic = _LETTERS[match["letter"].lower()]
        accidental = (match["accidental"] or "").lower()
        if accidental in {"#", "♯", "sharp"}:
            tonic += 1
        elif accidental in {"b", "♭", "flat"}:
            tonic -= 1
        mode = match["mode"] or ""
        # a lone capital M means major in chord shorthand ("CM"), a lower m means minor ("Cm")
        minor = mode == "m" or mode.lower() in {"minor", "min", "moll", "aeolian", "-"}
        return Key(tonic % 12, minor)
    key = _words_to_key(text)
    if key is not None:
        return key
    raise UsageError(
        f"not a key: {text[:40]!r}; send a name like 'G# minor', 'G#m', 'Ab min', "
        "'g sharp minor', or a number 0 to 23 (0-11 major from C, 12-23 minor from C)"
    )


def find_key_in_prompt(prompt: str) -> Key | None:
    """The first key written in a prompt ("..., G# minor, 96 bpm"), if any."""
    pattern = re.compile(
        r"\b([A-Ga-g])\s*(#|♯|♭|b|\s+sharp|\s+flat)?\s*(major|minor|maj|min)\b", re.IGNORECASE
    )
    match = pattern.search(prompt)
    if not match:
        return None
    return parse_key(match.group(0))


def find_bpm_in_prompt(prompt: str) -> float | None:
    match = re.search(r"(\d{2,3}(?:\.\d+)?)\s*(?:bpm|BPM|beats per minute)", prompt)
    return float(match.group(1)) if match else None


def parse_bpm(value: object, *, low: float = BPM_MIN, high: float = BPM_MAX) -> float:
    """A tempo from an int, float or numeric string, checked against ``low``..``high``."""
    if isinstance(value, bool):
        raise UsageError(f"bpm must be a number {low:g} to {high:g}, got {value!r}")
    if isinstance(value, str):
        text = value.strip().lower().removesuffix("bpm").strip()
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"bpm must be a number {low:g} to {high:g}, got {value[:40]!r}") from None
    if not isinstance(value, (int, float)):
        raise UsageError(f"bpm must be a number {low:g} to {high:g}, got {value!r}")
    bpm = float(value)
    if not math.isfinite(bpm) or not low <= bpm <= high:
        raise UsageError(f"bpm must be a number {low:g} to {high:g}, got {value!r}")
    return bpm


def bars_to_seconds(bars: float, bpm: float, beats_per_bar: int = 4) -> float:
    return bars * beats_per_bar * 60.0 / bpm


def bars_to_samples(bars: float, bpm: float, beats_per_bar: int, sample_rate: int) -> int:
    """Exact loop length in samples: ``round(bars * beats_per_bar * 60 / bpm * sr)``."""
    return round(bars * beats_per_bar * 60.0 / bpm * sample_rate)


def tokens_to_seconds(tokens: int) -> float:
    return tokens / ENCODEC_FRAME_RATE


def seconds_to_tokens(seconds: float) -> int:
    return math.ceil(seconds * ENCODEC_FRAME_RATE)
