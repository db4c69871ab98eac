"""Ping -> pong round trip through the daemon, beside a bare python-osc echo server on the same machine.

Run: ``.venv/bin/python tests/bench/bench_osc.py [-n 2000]``. Goal: daemon p99 under 1 ms.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pythonosc.dispatcher import Dispatcher  # noqa: E402
from pythonosc.osc_server import BlockingOSCUDPServer  # noqa: E402

from bridge.core import addresses as A  # noqa: E402
from bridge.daemon.osc_io import build_datagram  # noqa: E402
from bridge.daemon.service import Daemon, DaemonOptions  # noqa: E402
from tests.support.fake_take_maker import FakeTakeMaker  # noqa: E402


def round_trips(target: tuple[str, int], replies: socket.socket, n: int) -> list[float]:
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    times = []
    for number in range(n + 100):
        data = build_datagram(A.PING, [f"t{number}"])
        started = time.perf_counter()
        sender.sendto(data, target)
        replies.recvfrom(65_535)
        if number >= 100:  # warm-up
            times.append((time.perf_counter() - started) * 1000)
    sender.close()
    return times


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=2000)
    n = parser.parse_args().n
    replies = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    replies.bind(("127.0.0.1", 0))
    replies.settimeout(2.0)
    reply_port = replies.getsockname()[1]

    # the bare baseline: python-osc's own server answering on the same reply port
    echo_out = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dispatcher = Dispatcher()

    def pong(address: str, *args: object) -> None:
        # returns None: python-osc would otherwise try to send the handler's result back as a message
        echo_out.sendto(build_datagram(A.PONG, [*args, "x"]), ("127.0.0.1", reply_port))

    dispatcher.map(A.PING, pong)
    echo = BlockingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    bare = round_trips(echo.server_address, replies, n)
    echo.shutdown()
    echo.server_close()
    echo_out.close()

    with tempfile.TemporaryDirectory() as state:
        options = DaemonOptions(journal_path=Path(state) / "j.db", osc_port=0, reply_port=reply_port)
        with Daemon(options, FakeTakeMaker(Path(state) / "takes")) as daemon:
            ours = round_trips(daemon.osc_address, replies, n)
    replies.close()

    for name, values in (("python-osc echo", bare), ("musicgen-bridge", ours)):
        print(f"{name:16s} p50 {statistics.median(values):.3f} ms  p99 {percentile(values, 99):.3f} ms  (n={len(values)})")
    print(f"ratio p50 {statistics.median(ours) / statistics.median(bare):.2f}  p99 {percentile(ours, 99) / percentile(bare, 99):.2f}")
    print(f"goal ping p99 < 1 ms: {'met' if percentile(ours, 99) < 1.0 else 'NOT met'}")


if __name__ == "__main__":
    main()
