"""MIDI adapters: control and clock in, feedback notes out (mido on python-rtmidi)."""

from bridge.midi.clock import ClockTempoSource
from bridge.midi.feedback import MidiFeedback
from bridge.midi.input import DEFAULT_PORT_NAME, MidiInput, open_midi_input
from bridge.midi.ports import MIDI_APIS, list_ports, open_backend

__all__ = [
    "DEFAULT_PORT_NAME",
    "MIDI_APIS",
    "ClockTempoSource",
    "MidiFeedback",
    "MidiInput",
    "list_ports",
    "open_backend",
    "open_midi_input",
]
