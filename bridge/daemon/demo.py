"""``musicgen-bridge demo``: a daemon, and a trigger sent to it exactly as a host would send one, over UDP.

It proves the whole path a performer uses: OSC in, a job, a take in the
folder, ``/musicgen/job/done`` back on the reply port.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pythonosc import osc_packet
from pythonosc.udp_client import SimpleUDPClient

from bridge.core import addresses as A
from bridge.core.progress import TakeMaker
from bridge.daemon.service import Daemon, DaemonOptions
from bridge.errors import BridgeError, UpstreamTimeoutError

__all__ = ["DEMO_PROMPT", "run_demo", "error_for_code"]

logger = logging.getLogger(__name__)

DEMO_PROMPT = "warm lo-fi hip hop, dusty drums, mellow electric piano"


def error_for_code(code: str, message: str) -> BridgeError:
    """The :class:`BridgeError` subclass a wire code names (the root class for a code we do not know)."""
    pending: list[type[BridgeError]] = [BridgeError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            try:
                return cls(message)
            except TypeError:
                break
        pending.extend(cls.__subclasses__())
    error = BridgeError(message)
    error.code = code
    return error


def run_demo(
    options: DaemonOptions,
    take_maker: TakeMaker,
    *,
    prompt: str = DEMO_PROMPT,
    key: str = "A minor",
    bpm: float = 90.0,
    bars: float = 4.0,
    timeout: float = 120.0,
    on_message: Callable[[str, list[Any]], None] | None = None,
) -> Path:
    """Start a daemon on a free port, trigger one take over UDP, wait for ``/musicgen/job/done``; the take's path.

    ``options`` supplies everything but the ports (the demo picks free ones, so
    it runs beside a daemon already serving). ``on_message`` sees every reply
    (the CLI prints progress with it). Raises the job's error when it fails.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as replies:
        replies.bind(("127.0.0.1", 0))
        replies.settimeout(0.5)
        demo_options = dataclasses.replace(
            options, osc_host="127.0.0.1", osc_port=0, reply_port=replies.getsockname()[1], notify=(), allow=()
        )
        with Daemon(demo_options, take_maker) as daemon:
            host, port = daemon.osc_address
            client = SimpleUDPClient(host, port)
            try:
                client.send_message(A.SET_PROMPT, prompt)
                client.send_message(A.SET_KEY, key)
                client.send_message(A.SET_BPM, float(bpm))
                client.send_message(A.SET_BARS, float(bars))
                # a button press, as a Max [button] -> [udpsend] sends it
                client.send_message(A.GENERATE, 1)
            finally:
                # SimpleUDPClient has no close()
                client._sock.close()
            return _wait_for_done(replies, timeout, on_message)


def _wait_for_done(
    replies: socket.socket, timeout: float, on_message: Callable[[str, list[Any]], None] | None
) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            data, _ = replies.recvfrom(65_535)
        except TimeoutError:
            continue
        try:
            messages = [timed.message for timed in osc_packet.OscPacket(data).messages]
        except osc_packet.ParseError:
            continue
        for message in messages:
            args = list(message.params)
            if on_message is not None:
                on_message(message.address, args)
            if message.address == A.JOB_DONE:
                return Path(args[1])
            if message.address == A.JOB_ERROR:
                raise error_for_code(str(args[1]), f"the demo take failed: {args[2]}")
            if message.address == A.ERROR:
                raise error_for_code(str(args[0]), f"the demo trigger was refused: {args[1]}")
    raise UpstreamTimeoutError(
        f"no {A.JOB_DONE} within {timeout:.0f} s; run with -v to see where the job stopped"
    )
