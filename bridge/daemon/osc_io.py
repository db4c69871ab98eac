"""The UDP adapter: datagrams in (:class:`OscListener`), replies and notifications out (:class:`OscNotifier`).

The listener thread only receives, checks the sender, parses and hands the
command on; it never waits on anything slow, so a flood costs dropped
datagrams, never memory or a stuck thread.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from pythonosc import osc_packet
from pythonosc.osc_message_builder import OscMessageBuilder

from bridge.core import addresses as A
from bridge.core.commands import CommandWithCapture, Origin, ReportError
from bridge.core.network import Network, is_loopback_host, parse_allow, parse_notify_target
from bridge.daemon.osc_parse import parse_message
from bridge.errors import ConfigError, MalformedDatagramError, PortInUseError

__all__ = [
    "Network",
    "OscListener",
    "OscNotifier",
    "build_datagram",
    "is_loopback_host",
    "parse_allow",
    "parse_notify_target",
]

logger = logging.getLogger(__name__)


#: the largest UDP payload; bigger datagrams cannot arrive
_MAX_DATAGRAM = 65_535
#: how often the receiving thread looks at its stop flag
_POLL_SECONDS = 0.1
#: sources remembered for "logged once per source"; past this the set starts over
_MAX_REMEMBERED_SOURCES = 4096
_LOOPBACK: tuple[Network, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class OscListener:
    """Receives OSC over UDP on ``host:port`` and hands each message's command to ``sink``.

    ``sink`` must not block (the daemon's bounded command queue); it returns
    ``False`` when it had no room, and the datagram is counted in ``overflow``.
    Loopback senders are always allowed; others only inside ``allow``.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sink: Callable[[CommandWithCapture], bool],
        *,
        allow: Sequence[Network] = (),
    ) -> None:
        self._host = host
        self._port = port
        self._sink = sink
        self._allow = tuple(allow)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._refused_sources: set[str] = set()
        self._last_overflow_log = 0.0
        #: datagrams dropped because the command queue was full
        self.overflow = 0
        #: datagrams dropped because the sender is not allowed
        self.refused = 0
        #: datagrams that were not OSC
        self.malformed = 0

    @property
    def address(self) -> tuple[str, int]:
        """The bound address (the real port when 0 was asked for)."""
        if self._sock is None:
            return self._host, self._port
        bound = self._sock.getsockname()
        return bound[0], bound[1]

    def start(self) -> None:
        sock = socket.socket(_family(self._host), socket.SOCK_DGRAM)
        try:
            sock.bind((self._host, self._port))
        except OSError as exc:
            sock.close()
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise PortInUseError(
                    f"OSC port {self._port} on {self._host} is already in use (another musicgen-bridge, or a patch "
                    f"listening there?); choose another with --osc-port"
                ) from exc
            raise ConfigError(
                f"cannot listen for OSC on {self._host}:{self._port} ({exc.strerror}); "
                "choose an address of this machine with --osc-host"
            ) from exc
        # a large receive buffer absorbs bursts (a fader sweep) while the thread catches up
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        except OSError:
            logger.debug("could not enlarge the OSC receive buffer")
        sock.settimeout(_POLL_SECONDS)
        self._sock = sock
        self._thread = threading.Thread(target=self._run, name="osc-listener", daemon=True)
        self._thread.start()
        logger.info("listening for OSC on %s:%s", *self.address)

    def stop(self, timeout: float = 2.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("the OSC listener did not stop within %.1f s", timeout)
        if self._sock is not None:
            self._sock.close()

    def _run(self) -> None:
        assert self._sock is not None
        sock = self._sock
        while not self._stopping.is_set():
            try:
                data, source = sock.recvfrom(_MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError as exc:
                if self._stopping.is_set():
                    return
                # e.g. ECONNREFUSED from an earlier ICMP on some systems: the socket is still good
                logger.debug("OSC receive failed: %s", exc)
                continue
            try:
                self.handle_datagram(data, source[0], source[1])
            except Exception:  # the listener must outlive any one datagram
                logger.exception("dropped a datagram from %s that broke the OSC parser", source[0])

    def _allowed(self, host: str) -> bool:
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in (*_LOOPBACK, *self._allow))

    def handle_datagram(self, data: bytes, host: str, port: int) -> None:
        """Check, parse and hand on one datagram (public so tests and other transports can feed bytes)."""
        if not self._allowed(host):
            self.refused += 1
            if host not in self._refused_sources:
                if len(self._refused_sources) >= _MAX_REMEMBERED_SOURCES:
                    self._refused_sources.clear()
                self._refused_sources.add(host)
                logger.warning("dropping OSC from %s: not in --allow (logged once per source)", host)
            return
        origin = Origin("osc", host, port)
        try:
            packet = osc_packet.OscPacket(data)
        # python-osc raises its ParseError for most junk, but a bad string is a UnicodeDecodeError (a ValueError)
        except (osc_packet.ParseError, ValueError, IndexError, struct.error) as exc:
            self.malformed += 1
            reason = str(exc)[:80] if isinstance(exc, osc_packet.ParseError) else type(exc).__name__
            error = MalformedDatagramError(
                f"a {len(data)}-byte datagram is not an OSC message ({reason}); send OSC messages such as '{A.PING}'"
            )
            self._put(ReportError(error.code, error.message, origin))
            return
        # bundle time tags are not honoured: a trigger runs when it arrives
        for timed in packet.messages:
            message = timed.message
            command = parse_message(message.address, message.params, origin)
            if command is not None:
                self._put(command)

    def _put(self, command: CommandWithCapture) -> None:
        if self._sink(command):
            return
        self.overflow += 1
        now = time.monotonic()
        if now - self._last_overflow_log >= 1.0:
            self._last_overflow_log = now
            logger.warning("OSC flood: %d messages dropped so far, the command queue is full", self.overflow)


def build_datagram(address: str, args: Sequence[Any]) -> bytes:
    """One OSC message as bytes; floats go as float32, ints as int32 (int64 past that), text as strings."""
    builder = OscMessageBuilder(address)
    for arg in args:
        if isinstance(arg, bool):
            # Max cannot read OSC's T/F types; 1/0 it can
            builder.add_arg(int(arg))
        elif arg is None:
            builder.add_arg("none")
        else:
            builder.add_arg(arg)
    return builder.build().dgram


#: how many OSC hosts are remembered as followers of jobs other inputs start
_KNOWN_HOSTS = 8


class OscNotifier:
    """Sends replies to the sender's host on ``reply_port`` and every notification to each ``notify`` target too."""

    def __init__(self, reply_port: int, notify: Sequence[tuple[str, int]] = ()) -> None:
        self.reply_port = reply_port
        self._notify = tuple(notify)
        self._sock4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock6: socket.socket | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._hosts: list[str] = []

    def remember(self, origin: Origin) -> None:
        """Note a host that sends OSC: it hears about jobs that MIDI, the inbox or capture start, too."""
        if origin.kind != "osc" or not origin.host:
            return
        with self._lock:
            hosts = self._hosts
            if hosts and hosts[-1] == origin.host:
                return
            if origin.host in hosts:
                hosts.remove(origin.host)
            hosts.append(origin.host)
            del hosts[:-_KNOWN_HOSTS]

    def targets(self, origin: Origin | None) -> list[tuple[str, int]]:
        targets: list[tuple[str, int]] = []
        if origin is not None and origin.kind == "osc" and origin.host:
            # replies go to the reply port, not the sender's port: Max's [udpsend] sends from an ephemeral port
            targets.append((origin.host, self.reply_port))
        elif origin is not None and origin.kind != "internal":
            # a job a controller or the inbox started: every host that talks OSC to us follows it
            with self._lock:
                targets.extend((host, self.reply_port) for host in self._hosts)
        for target in self._notify:
            if target not in targets:
                targets.append(target)
        return targets

    def send(self, address: str, args: Sequence[Any], origin: Origin | None = None) -> None:
        """Send one message; a host that is not listening is not an error (UDP has no receiver to fail)."""
        targets = self.targets(origin)
        if not targets or self._closed:
            return
        data = build_datagram(address, args)
        for host, port in targets:
            try:
                self._socket_for(host).sendto(data, (host, port))
            except OSError as exc:
                logger.debug("could not send %s to %s:%s: %s", address, host, port, exc)

    def _socket_for(self, host: str) -> socket.socket:
        if _family(host) == socket.AF_INET:
            return self._sock4
        with self._lock:
            if self._sock6 is None:
                self._sock6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
            return self._sock6

    def close(self) -> None:
        self._closed = True
        self._sock4.close()
        if self._sock6 is not None:
            self._sock6.close()


