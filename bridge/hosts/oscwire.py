"""One bound UDP socket that speaks OSC: the shared edge of the host adapters.

AbletonOSC replies to a fixed port (11001) and REAPER sends feedback to a fixed
port, so the reply socket is the scarce thing: it is bound once, here, and a
taken port becomes one :class:`~bridge.errors.PortInUseError` that says who
probably holds it and what to change.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import Sequence
from typing import Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import build_msg

from bridge.errors import PortInUseError

__all__ = ["OscSocket", "build_datagram", "parse_datagram"]

log = logging.getLogger(__name__)

#: bigger than any OSC reply a host sends us; AbletonOSC caps its own reads at 64 KiB
_MAX_DATAGRAM = 65536


def build_datagram(address: str, args: Sequence[Any] = ()) -> bytes:
    return build_msg(address, list(args)).dgram


def parse_datagram(data: bytes) -> tuple[str, tuple[Any, ...]] | None:
    """``(address, args)``, or ``None`` for anything that is not a plain OSC message (bundles included)."""
    if not OscMessage.dgram_is_message(data):
        return None
    try:
        message = OscMessage(data)
    except Exception:  # python-osc raises several unrelated types for junk; junk is dropped, never fatal
        return None
    return message.address, tuple(message.params)


class OscSocket:
    """A UDP socket bound to ``(bind_host, port)``; ``port=0`` picks a free one (see :attr:`port`).

    ``purpose`` and ``fix`` go into the error a taken port raises, e.g.
    ``"AbletonOSC replies"`` and ``"quit the other program that talks to AbletonOSC (a Max for Live
    device, TouchOSC), or set tempo_source to something else"``.
    """

    def __init__(self, port: int, *, bind_host: str = "127.0.0.1", purpose: str, fix: str) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):
            # Windows lets a second process share a UDP port unless told not to
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        # no SO_REUSEADDR: on Linux two UDP sockets could then share the port and split the replies
        try:
            self._sock.bind((bind_host, port))
        except OSError as exc:
            self._sock.close()
            if exc.errno in (errno.EADDRINUSE, errno.EACCES, getattr(errno, "WSAEADDRINUSE", -1)):
                raise PortInUseError(
                    f"UDP port {port} on {bind_host} (for {purpose}) is already in use by another program; "
                    f"only one program can receive there: {fix}"
                ) from exc
            raise PortInUseError(f"cannot listen on UDP {bind_host}:{port} for {purpose}: {exc}") from exc
        self.port: int = self._sock.getsockname()[1]
        self.closed = False

    def send(self, host: str, port: int, address: str, args: Sequence[Any] = ()) -> None:
        try:
            self._sock.sendto(build_datagram(address, args), (host, port))
        except OSError as exc:
            # a host that is not running makes loopback sends fail with ECONNREFUSED on some systems
            log.debug("sending %s to %s:%s failed: %s", address, host, port, exc)

    def receive(self, deadline: float) -> tuple[str, tuple[Any, ...], tuple[str, int]] | None:
        """The next OSC message before ``deadline`` (a ``time.monotonic()`` value), or ``None``."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                return None
            self._sock.settimeout(left)
            try:
                data, sender = self._sock.recvfrom(_MAX_DATAGRAM)
            except (socket.timeout, BlockingIOError):
                return None
            except OSError as exc:
                if self.closed:
                    return None
                # ICMP port-unreachable from an earlier send surfaces here on Windows; keep listening
                log.debug("receive failed: %s", exc)
                continue
            parsed = parse_datagram(data)
            if parsed is None:
                log.debug("dropped a datagram from %s that is not an OSC message", sender)
                continue
            return parsed[0], parsed[1], sender

    def drain(self) -> int:
        """Throw away anything already queued (late replies to an earlier, timed-out query)."""
        dropped = 0
        self._sock.setblocking(False)
        try:
            while True:
                try:
                    self._sock.recvfrom(_MAX_DATAGRAM)
                except (BlockingIOError, socket.timeout):
                    return dropped
                except OSError:
                    return dropped
                dropped += 1
        finally:
            self._sock.setblocking(True)

    def close(self) -> None:
        self.closed = True
        self._sock.close()

    def __enter__(self) -> OscSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
