"""MIDI in: rtmidi's callback stamps and enqueues; one worker maps messages to Commands for the sink.

rtmidi calls back on its own thread (on JACK: the JACK process thread itself),
so the callback does the least it can: ``time.monotonic()`` (mido drops rtmidi's
own delta times), and a non-blocking put. Mapping, the clock estimator and the
sink run on the worker. When the queue is full a message is dropped and counted
rather than stalling the driver.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import mido

from bridge.core.commands import Command
from bridge.core.midimap import DEFAULT_MIDI_MAP, MidiMap, MidiMapper
from bridge.errors import MidiError
from bridge.midi.clock import ClockTempoSource
from bridge.midi.ports import FIX_HINT, api_label, open_backend

__all__ = ["DEFAULT_PORT_NAME", "MidiInput", "open_midi_input"]

log = logging.getLogger(__name__)

DEFAULT_PORT_NAME = "MusicGen Bridge"
_CLOCK_TYPES = frozenset({"clock", "start", "continue", "stop", "songpos"})
_STOP = object()


class MidiInput:
    """Opens a virtual input named ``virtual_name``, or (``ports`` given) every existing input whose name contains one of them."""

    def __init__(
        self,
        sink: Callable[[Command], None],
        midi_map: MidiMap = DEFAULT_MIDI_MAP,
        *,
        ports: Sequence[str] = (),
        api: str | None = None,
        virtual_name: str = DEFAULT_PORT_NAME,
        clock: ClockTempoSource | None = None,
        queue_size: int = 4096,
    ) -> None:
        self._sink = sink
        self._mapper = MidiMapper(midi_map)
        self._wanted = tuple(ports)
        self._api = api
        self._virtual_name = virtual_name
        #: the clock this input feeds; hand it to the daemon as its TempoSource and to capture
        self.clock = clock or ClockTempoSource()
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._ports: list[Any] = []
        self._worker: threading.Thread | None = None
        #: messages dropped because the worker fell behind
        self.dropped = 0
        self._reported_drops = 0

    @property
    def port_names(self) -> list[str]:
        return [port.name for port in self._ports]

    def start(self) -> None:
        """Open the port(s) and start the worker; raises :class:`MidiError` with the fix in one line."""
        backend = open_backend(self._api)
        try:
            if self._wanted:
                names = self._match(list(backend.get_input_names()))
                # no client_name= here: mido would then open a *virtual* port of that name instead
                self._ports = [backend.open_input(name, callback=self._on_message) for name in names]
            else:
                # a virtual port: client_name names the client too, so JACK shows "MusicGen Bridge:MusicGen Bridge"
                self._ports = [
                    backend.open_input(self._virtual_name, virtual=True, client_name=self._virtual_name, callback=self._on_message)
                ]
        except OSError as exc:  # rtmidi's SystemError/InvalidPortError are OSErrors
            self._close_ports()
            raise MidiError(f"cannot open MIDI input on {api_label(self._api)}: {exc}; {FIX_HINT}") from exc
        self._worker = threading.Thread(target=self._run, name="midi-in", daemon=True)
        self._worker.start()
        log.info("MIDI input listening on %s", ", ".join(self.port_names))

    def _match(self, available: list[str]) -> list[str]:
        chosen: list[str] = []
        for wanted in self._wanted:
            found = [name for name in available if wanted.lower() in name.lower()]
            if not found:
                listing = ", ".join(repr(name) for name in available) or "none"
                raise MidiError(
                    f"no MIDI input matching {wanted!r} on {api_label(self._api)} (inputs: {listing}); "
                    "check --midi-in, or run with --no-midi"
                )
            chosen += [name for name in found if name not in chosen]
        return chosen

    def _on_message(self, msg: mido.Message) -> None:
        # rtmidi's thread: stamp, enqueue, return
        try:
            self._queue.put_nowait((time.monotonic(), msg))
        except queue.Full:
            self.dropped += 1

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            arrived, msg = item
            try:
                if msg.type in _CLOCK_TYPES:
                    update = self.clock.feed(msg, arrived)
                    commands: list[Command] = [update] if update is not None else []
                else:
                    commands = self._mapper.handle(msg, arrived)
                for command in commands:
                    self._sink(command)
            except Exception:
                # one bad message or a failing sink must not end MIDI input for the rest of the show
                log.exception("MIDI message %s could not be handled", msg)
            if self.dropped != self._reported_drops:
                log.warning("MIDI input dropped %d messages: the bridge is falling behind", self.dropped - self._reported_drops)
                self._reported_drops = self.dropped

    def _close_ports(self) -> None:
        for port in self._ports:
            try:
                # a callback still set while rtmidi closes the port can crash the process (mido issue 368)
                port.callback = None
                port.close()
            except OSError as exc:
                log.warning("closing MIDI port %s failed: %s", port.name, exc)
        self._ports = []

    def close(self, timeout: float = 2.0) -> None:
        """Close the ports first (no more callbacks), then let the worker drain what is queued and join it."""
        self._close_ports()
        worker, self._worker = self._worker, None
        if worker is not None:
            self._queue.put(_STOP)
            worker.join(timeout)
            if worker.is_alive():
                log.warning("MIDI worker did not stop within %.1f s", timeout)


def open_midi_input(
    sink: Callable[[Command], None],
    midi_map: MidiMap = DEFAULT_MIDI_MAP,
    *,
    ports: Sequence[str] = (),
    api: str | None = None,
    clock: ClockTempoSource | None = None,
    explicit: bool | None = None,
    virtual_name: str = DEFAULT_PORT_NAME,
) -> MidiInput | None:
    """Start MIDI input; when MIDI was not asked for explicitly and fails, warn and return ``None``.

    ``explicit`` defaults to "the user named ports, an API, or set ``MIDO_BACKEND``".
    """
    if explicit is None:
        explicit = bool(ports) or api is not None or "MIDO_BACKEND" in os.environ
    midi = MidiInput(sink, midi_map, ports=ports, api=api, clock=clock, virtual_name=virtual_name)
    try:
        midi.start()
    except MidiError as exc:
        if explicit:
            raise
        log.warning("running without MIDI: %s", exc)
        return None
    return midi
