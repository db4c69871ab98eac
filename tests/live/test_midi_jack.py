"""MIDI from a second process through a real JACK server into the running MidiInput."""

from __future__ import annotations

import logging
import queue
import subprocess
import time
from collections.abc import Iterator

import pytest

from bridge.core.commands import Cancel, Command, Generate, Origin, ReportError, Set, TempoUpdate
from bridge.core.midimap import build_midi_map
from bridge.core.music import Key
from bridge.core.sysex import SysexCommand, build_sysex
from bridge.errors import MidiError
from bridge.midi import MidiFeedback, MidiInput, list_ports, open_midi_input
from support.jack import JackServer, python_command

MIDI = Origin("midi")
pytestmark = pytest.mark.jack

PRESETS = {"presets": {"dusty": {"prompt": "dusty boom bap", "bpm": 90, "note": 36, "program": 3}}}


class Sink:
    def __init__(self) -> None:
        self.queue: queue.Queue[Command] = queue.Queue()

    def __call__(self, command: Command) -> None:
        self.queue.put(command)

    def take(self, count: int, timeout: float = 5.0) -> list[Command]:
        return [self.queue.get(timeout=timeout) for _ in range(count)]

    def empty_for(self, seconds: float) -> bool:
        try:
            self.queue.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


@pytest.fixture
def midi_in(jack_server: JackServer) -> Iterator[tuple[MidiInput, Sink]]:
    sink = Sink()
    midi = MidiInput(sink, build_midi_map(PRESETS), api="jack")
    midi.start()
    yield midi, sink
    midi.close()


def send(*messages: bytes, to: str = "MusicGen Bridge") -> None:
    subprocess.run(
        python_command("send", "--to", to, *(m.hex() for m in messages)), check=True, timeout=20, capture_output=True
    )


def test_notes_cc_program_change_and_sysex_from_another_process(midi_in: tuple[MidiInput, Sink]) -> None:
    midi, sink = midi_in
    assert midi.port_names == ["MusicGen Bridge"]
    send(
        bytes.fromhex("90 3C 64"),  # note 60: sticky generate
        bytes.fromhex("90 3C 00"),  # velocity 0: note off
        bytes.fromhex("90 24 50"),  # note 36: preset dusty
        bytes.fromhex("B0 14 3C"),  # CC 20 = 60 -> 120 BPM
        bytes.fromhex("B0 15 0E"),  # CC 21 = 14 -> D minor
        bytes.fromhex("B0 18 7F"),  # CC 24 press: generate
        bytes.fromhex("B0 18 7F"),  # held: no second edge
        bytes.fromhex("B0 18 00"),
        bytes.fromhex("B0 19 7F"),  # CC 25: cancel
        bytes.fromhex("C0 03"),  # program 3 selects dusty
        build_sysex(SysexCommand.PROMPT, "Café jazz, brushed drums ♫"),
        build_sysex(SysexCommand.KEY, "Ab min"),
        bytes.fromhex("F0 7D 4D 47 09 F7"),  # unknown command
        build_sysex(SysexCommand.GENERATE),
    )
    assert sink.take(12) == [
        Generate(origin=MIDI),
        Generate({"prompt": "dusty boom bap", "bpm": 90.0}, "dusty", MIDI),
        Set("bpm", 120.0, MIDI),
        Set("key", Key(2, True), MIDI),
        Generate(origin=MIDI),
        Cancel(origin=MIDI),
        Set("prompt", "dusty boom bap", MIDI),
        Set("bpm", 90.0, MIDI),
        Set("prompt", "Café jazz, brushed drums ♫", MIDI),
        Set("key", Key(8, True), MIDI),
        ReportError("BAD_SYSEX", "unknown SysEx command 09: send 01 prompt, 02 key or 03 generate", MIDI),
        Generate(origin=MIDI),
    ]
    assert sink.empty_for(0.2)
    assert midi.dropped == 0


def test_paced_clock_from_another_process_gives_tempo_and_bar_phase(midi_in: tuple[MidiInput, Sink]) -> None:
    midi, sink = midi_in
    # two and a half bars at 4/4: bar index 2, the clock is in the bar's third beat when the sender stops
    subprocess.run(python_command("clock", "--bpm", "160", "--ticks", "240", "--start"), check=True, timeout=20, capture_output=True)
    reading = midi.clock.reading()
    assert reading.bpm is not None and abs(reading.bpm - 160.0) < 0.5, reading
    assert reading.bar == 2 and 47 <= reading.tick_in_bar <= 60, reading  # type: ignore[operator]
    bar_line = midi.clock.last_bar_line_time()
    # 48 ticks at 160 BPM is 0.75 s before the last tick, which arrived a moment ago
    assert bar_line is not None and 0.74 < time.monotonic() - bar_line < 1.05
    updates = [c for c in iter_queue(sink) if isinstance(c, TempoUpdate)]
    assert updates and abs(updates[-1].bpm - 160.0) < 0.5 and updates[-1].source == "midi-clock"
    info = midi.clock.current()
    assert info is not None and info.source == "midi-clock" and abs(info.bpm - 160.0) < 0.5  # type: ignore[operator]


def iter_queue(sink: Sink) -> list[Command]:
    items = []
    while not sink.queue.empty():
        items.append(sink.queue.get_nowait())
    return items


def test_named_input_connects_to_an_existing_port(jack_server: JackServer) -> None:
    sender = subprocess.Popen(
        python_command("send", "--virtual", "Test Keys", "90 40 7F".replace(" ", "")),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert sender.stdout is not None and sender.stdout.readline().strip() == "ready"
        sink = Sink()
        midi = MidiInput(sink, ports=["test keys"], api="jack")
        midi.start()
        try:
            assert midi.port_names == [n for n in list_ports("jack")["midi_inputs"] if "Test Keys" in n]
            time.sleep(0.1)  # the JACK connection is made asynchronously by rtmidi
            assert sender.stdin is not None
            sender.stdin.write("go\n")
            sender.stdin.flush()
            assert sink.take(1) == [Generate(origin=MIDI)]
        finally:
            midi.close()
    finally:
        sender.communicate(timeout=10)


def test_unknown_port_name_says_what_exists(jack_server: JackServer) -> None:
    with pytest.raises(MidiError, match=r"no MIDI input matching 'Nonexistent Synth' on jack \(inputs: .*\); check --midi-in"):
        MidiInput(Sink(), ports=["Nonexistent Synth"], api="jack").start()


def test_no_midi_system_explicit_fails_default_warns(
    jack_server: JackServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # a JACK server name nobody runs: the same failure as a machine without any MIDI system
    monkeypatch.setenv("JACK_DEFAULT_SERVER", "no-such-server")
    with pytest.raises(MidiError, match=r"^cannot open MIDI input on jack: .*JACK server not running.*; try --midi-api jack .* --no-midi$"):
        open_midi_input(Sink(), api="jack")
    monkeypatch.setenv("MIDO_BACKEND", "mido.backends.rtmidi/UNIX_JACK")
    with caplog.at_level(logging.WARNING):
        assert open_midi_input(Sink(), explicit=False) is None
    assert "running without MIDI" in caplog.text
    with pytest.raises(MidiError, match="unknown MIDI API 'oss'"):
        open_midi_input(Sink(), api="oss")


def test_feedback_notes_reach_a_listening_port(jack_server: JackServer) -> None:
    sink = Sink()
    listener = MidiInput(sink, build_midi_map({"any_note": True}), api="jack", virtual_name="Pad Lights")
    listener.start()
    feedback = MidiFeedback("Pad Lights", api="jack", done_note=70, failed_note=71, hold=0.05)
    try:
        feedback.open()
        time.sleep(0.1)
        feedback.send_done()
        feedback.send_failed()
        # the listener's default map turns each note-on into a Generate; note-offs produce nothing
        assert sink.take(2) == [Generate(origin=MIDI), Generate(origin=MIDI)]
    finally:
        feedback.close()
        listener.close()


def test_list_ports_shows_our_virtual_port_and_jack_audio(midi_in: tuple[MidiInput, Sink]) -> None:
    ports = list_ports("jack")
    assert ports["midi_error"] is None
    assert any("MusicGen Bridge" in name for name in ports["midi_outputs"])  # our input is a destination for others
    assert ports["midi_api"] == "jack"
