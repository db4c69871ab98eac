"""A fake DAW: sends OSC to the daemon as Max's [udpsend] does and listens on its own reply port.

Replies are collected on a thread into a queue; :meth:`FakeDaw.wait_for` waits
on it with a timeout (never a sleep). Messages that a wait skips are kept, so a
later wait still finds them.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from pythonosc import osc_packet
from pythonosc.udp_client import SimpleUDPClient

__all__ = ["FakeDaw", "Message"]

Message = tuple[str, list[Any]]


class FakeDaw:
    """Binds ``127.0.0.1:0`` for replies (``reply_port``); call :meth:`connect` with the daemon's address."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((host, 0))
        self._sock.settimeout(0.1)
        self.reply_port: int = self._sock.getsockname()[1]
        self._inbox: queue.Queue[Message] = queue.Queue()
        self._seen: list[Message] = []
        self._unread: list[Message] = []
        self._stop = threading.Event()
        self._client: SimpleUDPClient | None = None
        self._thread = threading.Thread(target=self._receive, name="fake-daw", daemon=True)
        self._thread.start()

    def connect(self, host: str, port: int) -> FakeDaw:
        # SimpleUDPClient sends from an ephemeral port, as Max's [udpsend] does
        self._close_client()
        self._client = SimpleUDPClient(host, port)
        self.target = (host, port)
        return self

    def _receive(self) -> None:
        while not self._stop.is_set():
            try:
                data, _ = self._sock.recvfrom(65_535)
            except (TimeoutError, OSError):
                continue
            try:
                for timed in osc_packet.OscPacket(data).messages:
                    self._inbox.put((timed.message.address, list(timed.message.params)))
            except osc_packet.ParseError:
                self._inbox.put(("<malformed>", [data]))

    def send(self, address: str, *args: Any) -> None:
        assert self._client is not None, "connect() first"
        self._client.send_message(address, list(args))

    def send_raw(self, data: bytes) -> None:
        self._sock.sendto(data, self.target)

    def wait_for(
        self, address: str, where: Callable[[list[Any]], bool] | None = None, timeout: float = 5.0
    ) -> list[Any]:
        """The arguments of the first unread message to ``address`` (matching ``where``); fails after ``timeout``."""
        for index, (got, args) in enumerate(self._unread):
            if got == address and (where is None or where(args)):
                del self._unread[index]
                return args
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                recent = [f"{a} {p!r}"[:120] for a, p in self._seen[-15:]]
                raise AssertionError(f"no {address} within {timeout} s; last messages:\n  " + "\n  ".join(recent))
            try:
                message = self._inbox.get(timeout=left)
            except queue.Empty:
                continue
            self._seen.append(message)
            got, args = message
            if got == address and (where is None or where(args)):
                return args
            self._unread.append(message)

    def ask(self, address: str, *args: Any, reply: str | None = None, timeout: float = 5.0) -> list[Any]:
        """Send and wait for the reply (by default on the same address, as ``/musicgen/get/*`` answers)."""
        self.send(address, *args)
        return self.wait_for(reply or address, timeout=timeout)

    def sync(self, token: str = "sync", timeout: float = 5.0) -> None:
        """Wait until the daemon has applied everything sent before: it answers commands in order."""
        self.send("/musicgen/ping", token)
        self.wait_for("/musicgen/pong", where=lambda args: args[0] == token, timeout=timeout)

    def drain(self) -> list[Message]:
        """Everything received and not yet read by a wait."""
        while True:
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                break
            self._seen.append(message)
            self._unread.append(message)
        return list(self._unread)

    def unread(self, address: str) -> list[list[Any]]:
        return [args for got, args in self.drain() if got == address]

    @property
    def seen(self) -> list[Message]:
        self.drain()
        return list(self._seen)

    def _close_client(self) -> None:
        if self._client is not None:
            # SimpleUDPClient has no close(); its socket would leak a ResourceWarning
            self._client._sock.close()
            self._client = None

    def close(self) -> None:
        self._close_client()
        self._stop.set()
        self._thread.join(2.0)
        self._sock.close()

    def __enter__(self) -> FakeDaw:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
