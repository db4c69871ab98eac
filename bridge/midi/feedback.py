"""MIDI out: a note when a take is done or has failed, so a controller's pad can light up.

Sends go through one worker thread that owns the port: the daemon's thread
never waits for the note's hold time or for the MIDI driver.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import mido

from bridge.errors import MidiError
from bridge.midi.input import DEFAULT_PORT_NAME
from bridge.midi.ports import FIX_HINT, api_label, open_backend

__all__ = ["MidiFeedback"]

log = logging.getLogger(__name__)
_STOP = object()


class MidiFeedback:
    """Note ``done_note`` for a finished take, ``failed_note`` for a failed one, held ``hold`` seconds.

    ``port`` is a substring of an existing output's name; ``None`` opens a virtual
    output named "MusicGen Bridge" that a controller or DAW can connect to.
    ``channel`` is 1-16.
    """

    def __init__(
        self,
        port: str | None = None,
        *,
        api: str | None = None,
        channel: int = 1,
        done_note: int = 60,
        failed_note: int = 61,
        velocity: int = 127,
        hold: float = 0.25,
    ) -> None:
        if not 1 <= channel <= 16:
            raise MidiError(f"MIDI feedback channel must be 1 to 16, got {channel}")
        self._wanted = port
        self._api = api
        self._channel = channel - 1
        self.done_note = done_note
        self.failed_note = failed_note
        self._velocity = velocity
        self._hold = hold
        self._port: Any = None
        self._queue: queue.Queue[Any] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._closing = threading.Event()

    @property
    def port_name(self) -> str | None:
        return self._port.name if self._port is not None else None

    def open(self) -> None:
        backend = open_backend(self._api)
        try:
            if self._wanted is None:
                self._port = backend.open_output(DEFAULT_PORT_NAME, virtual=True, client_name=DEFAULT_PORT_NAME)
            else:
                names = list(backend.get_output_names())
                found = [name for name in names if self._wanted.lower() in name.lower()]
                if not found:
                    listing = ", ".join(repr(name) for name in names) or "none"
                    raise MidiError(
                        f"no MIDI output matching {self._wanted!r} on {api_label(self._api)} (outputs: {listing}); "
                        "check the feedback port name"
                    )
                self._port = backend.open_output(found[0])
        except OSError as exc:
            raise MidiError(f"cannot open MIDI feedback output on {api_label(self._api)}: {exc}; {FIX_HINT}") from exc
        self._worker = threading.Thread(target=self._run, name="midi-feedback", daemon=True)
        self._worker.start()
        log.info("MIDI feedback on %s", self._port.name)

    def send_done(self) -> None:
        self._queue.put(self.done_note)

    def send_failed(self) -> None:
        self._queue.put(self.failed_note)

    def _run(self) -> None:
        while True:
            note = self._queue.get()
            if note is _STOP:
                return
            try:
                self._port.send(mido.Message("note_on", channel=self._channel, note=note, velocity=self._velocity))
                # close() cuts the hold short, and the note-off is still sent so no pad stays lit
                self._closing.wait(self._hold)
                self._port.send(mido.Message("note_off", channel=self._channel, note=note, velocity=0))
            except (OSError, ValueError) as exc:
                log.warning("MIDI feedback note %d not sent: %s", note, exc)

    def close(self, timeout: float = 2.0) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            self._closing.set()
            self._queue.put(_STOP)
            worker.join(timeout)
        if self._port is not None:
            self._port.close()
            self._port = None
