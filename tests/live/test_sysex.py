from __future__ import annotations

import mido
import pytest

from bridge.core.sysex import (
    SysexCommand,
    SysexError,
    build_sysex,
    build_sysex_data,
    decode_text,
    encode_text,
    is_bridge_sysex,
    parse_sysex,
)


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("lofi", b"lofi"),
        ("", b""),
        ("a\nb\tc", b"a\nb\tc"),
        ("é", bytes.fromhex("7F 0C 03 7F 0A 09")),
        ("\x7f", bytes.fromhex("7F 07 0F")),
        ("♯", bytes.fromhex("7F 0E 02 7F 09 09 7F 0A 0F")),
    ],
)
def test_text_escaping_table(text: str, encoded: bytes) -> None:
    assert encode_text(text) == encoded
    assert decode_text(encoded).decode() == text


@pytest.mark.parametrize("text", ["dusty boom bap, 90 bpm", "Café del Mar — ambient ♫", "日本語のプロンプト", "\x7f\x7f"])
def test_round_trip_is_7_bit_and_mido_accepts_it(text: str) -> None:
    data = build_sysex_data(SysexCommand.PROMPT, text)
    assert all(b < 0x80 for b in data)
    msg = mido.Message("sysex", data=data)  # mido raises on any data byte above 127
    assert parse_sysex(msg.data) == parse_sysex(build_sysex(SysexCommand.PROMPT, text))
    assert parse_sysex(msg.data).text == text


def test_frame_bytes() -> None:
    assert build_sysex(SysexCommand.GENERATE).hex(" ").upper() == "F0 7D 4D 47 03 F7"
    assert build_sysex(1, "Hi").hex(" ").upper() == "F0 7D 4D 47 01 48 69 F7"


def test_key_as_raw_index_byte() -> None:
    message = parse_sysex(bytes.fromhex("7D 4D 47 02 11"))
    assert (message.command, message.text) == (SysexCommand.KEY, "17")


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ("7D 4D 47", "no command byte"),
        ("7D 4D 47 09 41", "unknown SysEx command 09"),
        ("7D 4D 47 01", "prompt .* is empty"),
        ("7D 4D 47 01 20 20", "prompt .* is empty"),
        ("7D 4D 47 01 41 7F 0C", "escape 7F at offset 1 needs two nibble bytes"),
        ("7D 4D 47 01 41 7F 10 00", "must be nibbles"),
        ("7D 4D 47 01 7F 0C 03", "not UTF-8"),
        ("43 10 4C", "not for the bridge"),
    ],
)
def test_malformed(data: str, match: str) -> None:
    with pytest.raises(SysexError, match=match) as caught:
        parse_sysex(bytes.fromhex(data))
    assert caught.value.code == "BAD_SYSEX"


def test_is_bridge_sysex() -> None:
    assert is_bridge_sysex(bytes.fromhex("F0 7D 4D 47 01 41 F7"))
    assert not is_bridge_sysex(bytes.fromhex("F0 7E 7F 06 01 F7"))  # universal identity request
