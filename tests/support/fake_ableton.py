"""A fake AbletonOSC on loopback: real UDP, the documented addresses, replies to the sender's IP on ``reply_port``.

Behaves as AbletonOSC's ``osc_server.py`` does: a query is answered on the
same address with the query's arguments echoed first; an unknown address is
silently ignored (AbletonOSC only logs it). ``silent=True`` never answers
anything (Live not running). Use as a context manager::

    with FakeAbleton(reply_port=source.client.reply_port, tempo=128.0) as live:
        info = source.current()
        live.wait_for("/live/song/get/tempo")
"""

from __future__ import annotations

import queue
import socket
import threading
from typing import Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import build_msg

__all__ = ["FakeAbleton"]


class FakeAbleton:
    def __init__(
        self,
        *,
        port: int = 0,
        reply_port: int = 11001,
        tempo: float = 120.0,
        numerator: int = 4,
        denominator: int = 4,
        root_note: int | None = 0,
        scale_name: str | None = "Major",
        silent: bool = False,
        offers_create_audio_clip: bool = False,
        scenes: int = 8,
        tracks: int = 4,
    ) -> None:
        self.reply_port = reply_port
        self.tempo = tempo
        self.numerator = numerator
        self.denominator = denominator
        #: None: Live 11, which has no root_note/scale_name (AbletonOSC raises and sends nothing)
        self.root_note = root_note
        self.scale_name = scale_name
        self.silent = silent
        self.offers_create_audio_clip = offers_create_audio_clip
        self.scenes = scenes
        self.tracks = tracks
        #: (track, scene) -> file path of the clip in that slot
        self.clips: dict[tuple[int, int], str] = {}
        self.messages: list[str] = []
        self.received: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", port))
        self._sock.settimeout(0.1)
        self.port: int = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="fake-ableton", daemon=True)

    def __enter__(self) -> FakeAbleton:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def wait_for(self, address: str, timeout: float = 2.0) -> tuple[Any, ...]:
        """The arguments of the next received message with ``address`` (others are skipped)."""
        while True:
            got_address, args = self.received.get(timeout=timeout)
            if got_address == address:
                return args

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, sender = self._sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            message = OscMessage(data)
            params = tuple(message.params)
            self.received.put((message.address, params))
            if self.silent:
                continue
            reply = self._answer(message.address, params)
            if reply is not None:
                self._sock.sendto(build_msg(message.address, list(reply)).dgram, (sender[0], self.reply_port))

    def _answer(self, address: str, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        song = {
            "/live/song/get/tempo": self.tempo,
            "/live/song/get/signature_numerator": self.numerator,
            "/live/song/get/signature_denominator": self.denominator,
            "/live/song/get/root_note": self.root_note,
            "/live/song/get/scale_name": self.scale_name,
        }
        if address == "/live/test":
            self.messages.append("Received OSC OK")
            return ("ok",)
        if address in song:
            value = song[address]
            return None if value is None else (value,)
        if address == "/live/api/show_message":
            self.messages.append(str(params[0]))
            return None
        if address in ("/live/clip_slot/get/has_clip", "/live/clip_slot/create_audio_clip"):
            track, scene = int(params[0]), int(params[1])
            if not (0 <= track < self.tracks and 0 <= scene < self.scenes):
                return None  # AbletonOSC's handler raises IndexError: nothing is sent
            if address == "/live/clip_slot/get/has_clip":
                return (track, scene, (track, scene) in self.clips)
            if self.offers_create_audio_clip and (track, scene) not in self.clips:
                self.clips[(track, scene)] = str(params[2])
            return None
        return None
