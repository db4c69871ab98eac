"""The bridge's SysEx text format, both ways: pure bytes in, pure values out.

A Max patch (``midiout``) or a controller can send text to the bridge::

    F0 7D 4D 47 <command> <payload ...> F7

``7D`` is the MIDI "non-commercial" manufacturer id, ``4D 47`` is ASCII "MG".

=======  =========  ======================================================
command  name       payload
=======  =========  ======================================================
``01``   prompt     the prompt text; sets the sticky prompt
``02``   key        a key as text (``G# minor``, ``Abm``, ``17``) or one
                    raw byte 0-23 (0-11 major from C, 12-23 minor from C)
``03``   generate   empty: generate with the sticky state; text: generate
                    with that prompt for this take only
=======  =========  ======================================================

Text: SysEx data bytes are 7-bit, so printable ASCII (and tab/newline) is sent
as is. Anything else is UTF-8 encoded and every byte of 0x80 or above, and
0x7F itself, is sent as three bytes: ``7F <high nibble> <low nibble>``
(each nibble 00-0F). ``é`` (UTF-8 ``C3 A9``) is ``7F 0C 03 7F 0A 09``.
Malformed messages raise :class:`SysexError` (wire code ``BAD_SYSEX``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from bridge.errors import SysexError

__all__ = [
    "ESCAPE",
    "HEADER",
    "SysexCommand",
    "SysexError",
    "SysexMessage",
    "build_sysex",
    "build_sysex_data",
    "decode_text",
    "encode_text",
    "is_bridge_sysex",
    "parse_sysex",
]

#: manufacturer id 7D (non-commercial) then "MG"
HEADER = bytes((0x7D, 0x4D, 0x47))
ESCAPE = 0x7F
#: longest payload we accept: a prompt is at most a few hundred characters; anything longer is a stuck stream
MAX_PAYLOAD = 4096


class SysexCommand(IntEnum):
    PROMPT = 0x01
    KEY = 0x02
    GENERATE = 0x03


@dataclass(frozen=True, slots=True)
class SysexMessage:
    command: SysexCommand
    text: str
    #: the payload's raw bytes after unescaping; a one-byte key index lives here
    raw: bytes = b""


def encode_text(text: str) -> bytes:
    """Text to 7-bit SysEx data bytes (escaping everything outside printable ASCII, tab and newline)."""
    out = bytearray()
    for byte in text.encode("utf-8"):
        if byte < ESCAPE:
            out.append(byte)
        else:
            out += bytes((ESCAPE, byte >> 4, byte & 0x0F))
    return bytes(out)


def decode_text(data: Iterable[int]) -> bytes:
    """Undo :func:`encode_text` to the UTF-8 bytes; raises :class:`SysexError` on a bad escape."""
    seq = bytes(data)
    out = bytearray()
    i = 0
    while i < len(seq):
        byte = seq[i]
        if byte > 0x7F:
            raise SysexError(f"SysEx data byte {byte:#04x} at offset {i} is not 7-bit; escape it as 7F hi lo")
        if byte != ESCAPE:
            out.append(byte)
            i += 1
            continue
        if i + 2 >= len(seq):
            raise SysexError(
                f"SysEx escape 7F at offset {i} needs two nibble bytes (00-0F) after it, got {seq[i + 1:].hex(' ') or 'none'}"
            )
        high, low = seq[i + 1], seq[i + 2]
        if high > 0x0F or low > 0x0F:
            raise SysexError(
                f"SysEx escape 7F {high:02X} {low:02X} at offset {i}: both bytes after 7F must be nibbles 00-0F"
            )
        out.append(high << 4 | low)
        i += 3
    return bytes(out)


def is_bridge_sysex(data: Iterable[int]) -> bool:
    """Whether SysEx data (with or without F0/F7) starts with the bridge's header; others are not ours to judge."""
    seq = _strip(bytes(data))
    return seq[: len(HEADER)] == HEADER


def _strip(seq: bytes) -> bytes:
    if seq[:1] == b"\xf0":
        seq = seq[1:]
    if seq[-1:] == b"\xf7":
        seq = seq[:-1]
    return seq


def parse_sysex(data: Iterable[int]) -> SysexMessage:
    """Read a bridge SysEx message; ``data`` may include the F0/F7 framing (raw bytes) or not (mido's ``msg.data``)."""
    seq = _strip(bytes(data))
    if seq[: len(HEADER)] != HEADER:
        raise SysexError(
            f"SysEx starting {seq[:4].hex(' ').upper() or '(empty)'} is not for the bridge: "
            "send F0 7D 4D 47 <command> <text> F7"
        )
    body = seq[len(HEADER) :]
    if not body:
        raise SysexError("SysEx F0 7D 4D 47 has no command byte: send 01 prompt, 02 key or 03 generate")
    try:
        command = SysexCommand(body[0])
    except ValueError:
        raise SysexError(
            f"unknown SysEx command {body[0]:02X}: send 01 prompt, 02 key or 03 generate"
        ) from None
    payload = body[1:]
    if len(payload) > MAX_PAYLOAD:
        raise SysexError(f"SysEx payload of {len(payload)} bytes is too long: send at most {MAX_PAYLOAD}")
    raw = decode_text(payload)
    if command is SysexCommand.KEY and len(raw) == 1 and raw[0] < 24:
        # a controller that cannot send text sends the key index as one byte; 0-23 are not printable, so no clash
        return SysexMessage(command, str(raw[0]), raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SysexError(
            f"SysEx {command.name.lower()} text is not UTF-8 after unescaping ({exc.reason} at byte {exc.start}): "
            "escape each UTF-8 byte of 0x80 or above as 7F hi lo"
        ) from None
    if command is SysexCommand.PROMPT and not text.strip():
        raise SysexError("SysEx prompt (command 01) is empty: put the prompt text after the command byte")
    return SysexMessage(command, text, raw)


def build_sysex_data(command: SysexCommand | int, text: str = "") -> bytes:
    """The data bytes mido wants (``Message('sysex', data=...)``): header, command, escaped text; no F0/F7."""
    return HEADER + bytes((int(SysexCommand(command)),)) + encode_text(text)


def build_sysex(command: SysexCommand | int, text: str = "") -> bytes:
    """A complete SysEx message with F0/F7, as a Max ``midiout`` or a raw MIDI port sends it."""
    return b"\xf0" + build_sysex_data(command, text) + b"\xf7"
