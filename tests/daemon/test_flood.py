"""A flood of 10,000 datagrams: no crash, bounded memory, and the daemon still answers a ping."""

from __future__ import annotations

import socket
import threading
import time
import tracemalloc

from bridge.core import addresses as A
from bridge.core.tempo import TempoInfo
from bridge.daemon.osc_io import build_datagram
from tests.daemon.conftest import StartDaemon
from tests.support.fake_daw import FakeDaw

FLOOD = 10_000


def flood(target: tuple[str, int], datagrams: list[bytes]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        for number in range(FLOOD):
            sender.sendto(datagrams[number % len(datagrams)], target)


def assert_answers_ping(daw: FakeDaw) -> None:
    """A ping sent while the kernel buffer is still full is lost like any UDP datagram: a host asks again."""
    for attempt in range(10):
        daw.send(A.PING, f"after-{attempt}")
        try:
            daw.wait_for(A.PONG, where=lambda a: str(a[0]).startswith("after-"), timeout=1.0)
            return
        except AssertionError:
            continue
    raise AssertionError("the daemon never answered a ping after the flood")


def test_flood_while_the_controller_is_stuck(start_daemon: StartDaemon, daw: FakeDaw) -> None:
    gate = threading.Event()
    asked = threading.Event()

    class SlowHost:
        name = "slow"

        def current(self, timeout: float = 0.25) -> TempoInfo | None:
            asked.set()
            gate.wait(30)
            return None

        def close(self) -> None:
            pass

    daemon = start_daemon(tempo_source=SlowHost(), command_queue_size=64)
    daw.send(A.SET_PROMPT, "x")
    daw.send(A.GENERATE, 1)
    assert asked.wait(5)
    mixed = [
        build_datagram(A.SET_BPM, [120]),
        build_datagram(A.SET_PROMPT, ["y" * 1000]),
        build_datagram(A.PING, ["flood"]),
        b"\x00\x01junk",
        build_datagram("/musicgen/unknown", [1.5]),
        build_datagram(A.SET_PROMPT, ["z" * 5_000]),
    ]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        flood(daw.target, mixed)
        # the kernel drops much of a flood itself; the listener drains the rest after the sender is done
        deadline = time.monotonic() + 10
        while daemon.listener.overflow < 100 and time.monotonic() < deadline:
            threading.Event().wait(0.01)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        gate.set()
    # the queue held at most its bound; everything past it was dropped and counted
    assert daemon.listener.overflow >= 100
    assert daemon.controller._commands.qsize() <= 64
    assert daemon.controller.dropped == daemon.listener.overflow
    assert peak - before < 40 * 2**20
    assert daw.wait_for(A.JOB_QUEUED)
    assert_answers_ping(daw)


def test_flood_of_good_messages_over_udp(start_daemon: StartDaemon, daw: FakeDaw) -> None:
    daemon = start_daemon()
    flood(daw.target, [build_datagram(A.SET_BPM, [bpm]) for bpm in range(60, 160)])
    assert_answers_ping(daw)
    assert 60.0 <= daemon.state.bpm <= 159.0
