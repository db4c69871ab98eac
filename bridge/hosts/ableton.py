"""Ableton Live through AbletonOSC (https://github.com/ideoforms/AbletonOSC), no Max for Live needed.

AbletonOSC listens on 11000 and answers every query on port 11001 of the
sender's IP, whatever port the query came from. So one socket bound to 11001
both sends and receives, and only one program on the machine can hold it: it
is bound only when an Ableton feature is enabled, and a taken port is a
:class:`~bridge.errors.PortInUseError` that says so.

Addresses used (AbletonOSC README, "Application API", "Song API", "Clip Slot API"):

===================================== ============================ =======================================
address                               arguments                    reply
===================================== ============================ =======================================
``/live/test``                                                     ``/live/test "ok"``
``/live/song/get/tempo``                                           ``tempo_bpm``
``/live/song/get/signature_numerator``                             ``numerator``
``/live/song/get/signature_denominator``                           ``denominator``
``/live/song/get/root_note`` (Live 12)                             ``root_note`` (0 = C)
``/live/song/get/scale_name`` (Live 12)                            ``scale_name``
``/live/api/show_message``            ``message``                  none (Live's status bar)
``/live/clip_slot/get/has_clip``      ``track, scene``             ``track, scene, has_clip``
``/live/clip_slot/create_audio_clip`` ``track, scene, path``       none; not in every AbletonOSC release
===================================== ============================ =======================================

An address AbletonOSC does not know is only logged on its side: no reply. So
"not offered" and "not running" both look like silence, told apart by whether
``/live/test`` (or ``has_clip``) answers.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.core.music import Key
from bridge.core.tempo import TempoInfo
from bridge.hosts.oscwire import OscSocket

__all__ = [
    "ABLETON_REPLY_PORT",
    "ABLETON_SEND_PORT",
    "AbletonClient",
    "AbletonNotifier",
    "AbletonTempoSource",
    "SlotPlacement",
    "build_tempo_info",
    "parse_live_key",
]

log = logging.getLogger(__name__)

ABLETON_SEND_PORT = 11000
ABLETON_REPLY_PORT = 11001

TEST = "/live/test"
SHOW_MESSAGE = "/live/api/show_message"
GET_TEMPO = "/live/song/get/tempo"
GET_NUMERATOR = "/live/song/get/signature_numerator"
GET_DENOMINATOR = "/live/song/get/signature_denominator"
GET_ROOT_NOTE = "/live/song/get/root_note"
GET_SCALE_NAME = "/live/song/get/scale_name"
GET_HAS_CLIP = "/live/clip_slot/get/has_clip"
CREATE_AUDIO_CLIP = "/live/clip_slot/create_audio_clip"
LIVE_ERROR = "/live/error"

TEMPO_QUERIES = (GET_TEMPO, GET_NUMERATOR, GET_DENOMINATOR, GET_ROOT_NOTE, GET_SCALE_NAME)

_REPLY_PORT_FIX = (
    "quit the other program that talks to AbletonOSC (another bridge, a controller app), "
    "or choose another tempo source than 'ableton'"
)

# Live 12's scale names (Song.scale_name) folded onto the two modes the endpoint understands
_MAJOR_MODES = {"major", "ionian", "lydian", "mixolydian", "major pentatonic", "major blues"}
_MINOR_MODES = {
    "minor", "aeolian", "dorian", "phrygian", "locrian", "harmonic minor", "melodic minor",
    "minor pentatonic", "minor blues",
}


def parse_live_key(root_note: object, scale_name: object) -> Key | None:
    """Live 12's ``root_note`` (0 = C) and ``scale_name`` as a :class:`Key`, or ``None`` if no mode fits.

    Modes with a major third (Lydian, Mixolydian) read as major, those with a minor
    third (Dorian, Phrygian) as minor; the endpoint knows only the two. Chromatic,
    whole-tone and the like give ``None``: better no key than a wrong one.
    """
    if isinstance(root_note, bool) or not isinstance(root_note, (int, float)):
        return None
    if not math.isfinite(root_note) or not float(root_note).is_integer() or not 0 <= root_note <= 11:
        return None
    if not isinstance(scale_name, str):
        return None
    name = " ".join(scale_name.lower().split())
    if name in _MINOR_MODES or (name not in _MAJOR_MODES and "minor" in name):
        return Key(int(root_note), True)
    if name in _MAJOR_MODES or "major" in name:
        return Key(int(root_note), False)
    return None


def build_tempo_info(replies: dict[str, tuple[Any, ...]]) -> tuple[TempoInfo | None, list[str]]:
    """Turn the replies to :data:`TEMPO_QUERIES` into a :class:`TempoInfo`, and say what was left out and why."""
    notes: list[str] = []
    bpm: float | None = None
    tempo = replies.get(GET_TEMPO)
    if tempo:
        value = tempo[0]
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
            bpm = float(value)
        else:
            notes.append(f"tempo reply {value!r} is not a number")
    else:
        notes.append("no tempo reply")

    beats_per_bar: int | None = None
    numerator = replies.get(GET_NUMERATOR, (None,))[0]
    denominator = replies.get(GET_DENOMINATOR, (None,))[0]
    if isinstance(numerator, int) and isinstance(denominator, int) and numerator > 0 and denominator > 0:
        # bars are counted in the beats the bpm counts, quarter notes: 6/8 is 3 of them, 7/8 is not whole
        quarters = numerator * 4 / denominator
        if quarters.is_integer():
            beats_per_bar = int(quarters)
        else:
            notes.append(f"time signature {numerator}/{denominator} is not a whole number of quarter notes")
    else:
        notes.append("no time signature reply")

    key: Key | None = None
    root = replies.get(GET_ROOT_NOTE, (None,))[0]
    scale = replies.get(GET_SCALE_NAME, (None,))[0]
    if root is None or scale is None:
        notes.append("no root_note/scale_name reply (Live 11 or older has none)")
    else:
        key = parse_live_key(root, scale)
        if key is None:
            notes.append(f"scale {scale!r} on root {root!r} is neither major nor minor")

    if bpm is None and beats_per_bar is None and key is None:
        return None, notes
    return TempoInfo(bpm=bpm, beats_per_bar=beats_per_bar, key=key, source="ableton"), notes


class AbletonClient:
    """The socket on AbletonOSC's reply port, shared by the tempo source and the notifier.

    Calls are serialised by a lock: a query sends, then reads replies until all
    expected addresses came back or the timeout ran out. No background thread.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        send_port: int = ABLETON_SEND_PORT,
        reply_port: int = ABLETON_REPLY_PORT,
        *,
        bind_host: str | None = None,
    ) -> None:
        self.host = host
        self.send_port = send_port
        # AbletonOSC replies to the IP the query came from: loopback for a local Live, else any interface
        if bind_host is None:
            bind_host = "127.0.0.1" if host in ("127.0.0.1", "localhost") else "0.0.0.0"
        self._socket = OscSocket(reply_port, bind_host=bind_host, purpose="AbletonOSC replies", fix=_REPLY_PORT_FIX)
        self.reply_port = self._socket.port
        self._lock = threading.Lock()

    def send(self, address: str, *args: Any) -> None:
        with self._lock:
            self._socket.send(self.host, self.send_port, address, args)

    def query(
        self, requests: Iterable[tuple[str, Sequence[Any]]], timeout: float
    ) -> dict[str, tuple[Any, ...]]:
        """Send each ``(address, args)``; return the replies that came back within ``timeout``, by address.

        A reply must echo the query's arguments first (AbletonOSC's replies to
        ``has_clip 0 3`` start with ``0, 3``), so a late answer to another slot is
        not mistaken for this one.
        """
        wanted = {address: tuple(args) for address, args in requests}
        found: dict[str, tuple[Any, ...]] = {}
        with self._lock:
            self._socket.drain()
            for address, args in wanted.items():
                self._socket.send(self.host, self.send_port, address, args)
            deadline = time.monotonic() + timeout
            while len(found) < len(wanted):
                message = self._socket.receive(deadline)
                if message is None:
                    break
                address, args, _sender = message
                if address == LIVE_ERROR:
                    log.warning("AbletonOSC reported an error: %s", " ".join(str(a) for a in args))
                    continue
                prefix = wanted.get(address)
                if prefix is None or address in found or tuple(args[: len(prefix)]) != prefix:
                    continue
                found[address] = tuple(args[len(prefix):])
        return found

    def ping(self, timeout: float = 0.25) -> bool:
        """Whether AbletonOSC answers ``/live/test`` within ``timeout``."""
        return TEST in self.query([(TEST, ())], timeout)

    def close(self) -> None:
        self._socket.close()


class AbletonTempoSource:
    """A :class:`~bridge.core.tempo.TempoSource` that asks AbletonOSC at trigger time.

    Binds ``reply_port`` at once (raising :class:`~bridge.errors.PortInUseError` if
    another program holds it), so construct it only when ``tempo_source = "ableton"``.
    Pass ``client`` to share an :class:`AbletonClient` with :class:`AbletonNotifier`.
    """

    name = "ableton"

    def __init__(
        self,
        host: str = "127.0.0.1",
        send_port: int = ABLETON_SEND_PORT,
        reply_port: int = ABLETON_REPLY_PORT,
        timeout: float = 0.25,
        *,
        client: AbletonClient | None = None,
    ) -> None:
        self._owns_client = client is None
        self.client = client if client is not None else AbletonClient(host, send_port, reply_port)
        self.timeout = timeout
        self._last_notes: tuple[str, ...] = ()

    def current(self, timeout: float | None = None) -> TempoInfo | None:
        wait = self.timeout if timeout is None else timeout
        replies = self.client.query([(address, ()) for address in TEMPO_QUERIES], wait)
        info, notes = build_tempo_info(replies)
        if info is None:
            log.warning(
                "AbletonOSC did not answer on %s:%s within %.2f s; using the sticky tempo and key "
                "(is Live running with AbletonOSC chosen as a Control Surface?)",
                self.client.host, self.client.send_port, wait,
            )
        elif notes and tuple(notes) != self._last_notes:
            # once per change of reason: a Live 11 set would otherwise log this on every trigger
            log.info("Ableton tempo partly from the sticky values: %s", "; ".join(notes))
        self._last_notes = tuple(notes)
        return info

    def close(self) -> None:
        if self._owns_client:
            self.client.close()


@dataclass(frozen=True, slots=True)
class SlotPlacement:
    """Where a take went: ``placed`` is false when the slot could not be confirmed, ``reason`` says why."""

    placed: bool
    track: int
    scene: int | None
    reason: str = ""


class AbletonNotifier:
    """Tells Live what happened: a status-bar message, and the take in a clip slot where possible.

    ``slot=(track, scene)`` (0-based, as AbletonOSC counts) asks for takes in
    that track, in the first empty slot from ``scene`` down. Placement needs
    ``/live/clip_slot/create_audio_clip``, which not every AbletonOSC offers:
    each placement is confirmed with ``has_clip``, and an AbletonOSC that never
    confirms is remembered as not offering it (one log line), after which only
    the message with the path is shown. Without ``slot`` no socket is bound:
    messages need no replies.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        send_port: int = ABLETON_SEND_PORT,
        reply_port: int = ABLETON_REPLY_PORT,
        *,
        slot: tuple[int, int] | None = None,
        client: AbletonClient | None = None,
        timeout: float = 0.5,
        max_scenes: int = 64,
    ) -> None:
        self.slot = slot
        self.timeout = timeout
        self.max_scenes = max_scenes
        self._owns_client = client is None and slot is not None
        if client is None and slot is not None:
            client = AbletonClient(host, send_port, reply_port)
        self.client = client
        self._host = host
        self._send_port = send_port
        self._sender: OscSocket | None = None
        self.create_audio_clip_offered: bool | None = None  # None: not tried yet

    def _send(self, address: str, *args: Any) -> None:
        if self.client is not None:
            self.client.send(address, *args)
            return
        if self._sender is None:
            # any free port will do for messages that get no reply
            self._sender = OscSocket(0, purpose="messages to AbletonOSC", fix="")
        self._sender.send(self._host, self._send_port, address, args)

    def show_message(self, text: str) -> None:
        # Live's status bar is one short line
        self._send(SHOW_MESSAGE, text if len(text) <= 200 else text[:197] + "...")

    def job_done(self, job_id: str, path: Path | str, prompt: str | None = None) -> SlotPlacement | None:
        """Announce a finished take; place it when a slot was chosen. Returns the placement, if one was tried."""
        path = Path(path)
        placement = self.place_take(path, *self.slot) if self.slot is not None else None
        if placement is not None and placement.placed:
            self.show_message(
                f"MusicGen: {prompt or path.stem} in track {placement.track + 1}, scene {(placement.scene or 0) + 1}"
            )
        else:
            self.show_message(f"MusicGen: take ready: {path}")
        return placement

    def job_failed(self, job_id: str | None, code: str, message: str) -> None:
        self.show_message(f"MusicGen failed ({code}): {message}")

    def _has_clip(self, track: int, scene: int, timeout: float) -> bool | None:
        reply = self.client.query([(GET_HAS_CLIP, (track, scene))], timeout) if self.client else {}
        if GET_HAS_CLIP not in reply or not reply[GET_HAS_CLIP]:
            return None
        return bool(reply[GET_HAS_CLIP][0])

    def place_take(self, path: Path, track: int, scene: int) -> SlotPlacement:
        """Put ``path`` in the first empty slot of ``track`` from ``scene`` on, confirmed with ``has_clip``."""
        if self.client is None:
            return SlotPlacement(False, track, None, "no reply socket: construct the notifier with slot=")
        if self.create_audio_clip_offered is False:
            return SlotPlacement(False, track, None, f"this AbletonOSC does not offer {CREATE_AUDIO_CLIP}")
        target: int | None = None
        for candidate in range(scene, scene + self.max_scenes):
            has_clip = self._has_clip(track, candidate, self.timeout)
            if has_clip is None:
                # no answer: past the last scene (AbletonOSC raises IndexError, says nothing) or not running
                break
            if not has_clip:
                target = candidate
                break
        if target is None:
            reason = (
                f"no empty clip slot on track {track} from scene {scene} (or AbletonOSC did not answer {GET_HAS_CLIP})"
            )
            log.warning("cannot place %s: %s", path, reason)
            return SlotPlacement(False, track, None, reason)
        self.client.send(CREATE_AUDIO_CLIP, track, target, str(path.resolve()))
        # Live loads the file on its own thread; has_clip turns true when the clip exists
        deadline = time.monotonic() + max(self.timeout * 4, 1.0)
        while time.monotonic() < deadline:
            if self._has_clip(track, target, self.timeout):
                self.create_audio_clip_offered = True
                log.info("take %s placed in Live track %d, scene %d", path.name, track, target)
                return SlotPlacement(True, track, target)
        if self.create_audio_clip_offered is None:
            log.warning(
                "AbletonOSC answered %s but never made a clip after %s: this AbletonOSC does not offer it; "
                "takes will only be announced in Live's status bar (update AbletonOSC to place them in slots)",
                GET_HAS_CLIP, CREATE_AUDIO_CLIP,
            )
            self.create_audio_clip_offered = False
        return SlotPlacement(False, track, target, f"{CREATE_AUDIO_CLIP} made no clip in slot {track}/{target}")

    def close(self) -> None:
        if self._owns_client and self.client is not None:
            self.client.close()
        if self._sender is not None:
            self._sender.close()
