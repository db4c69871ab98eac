"""Trigger -> done overhead with an instant take maker, without a clip and with a 30 s clip.

Run: ``.venv/bin/python tests/bench/bench_trigger.py [-n 300]``. Goals: p50 under 20 ms without a
clip, under 60 ms with one. The take maker writes nothing and returns at once, so what is measured
is the daemon: parse, snapshot, clip check, journal commits, queue hand-off, notifications.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from pythonosc import osc_packet  # noqa: E402

from bridge.core import addresses as A  # noqa: E402
from bridge.core.progress import Progress, Stage, Take  # noqa: E402
from bridge.core.request import GenerationSpec  # noqa: E402
from bridge.daemon.osc_io import build_datagram  # noqa: E402
from bridge.daemon.service import Daemon, DaemonOptions  # noqa: E402


class InstantTakeMaker:
    """Reports the stages and returns one prepared take: the endpoint costs nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def make(self, spec: GenerationSpec, *, progress, cancel: threading.Event, on_accepted) -> Take:  # type: ignore[no-untyped-def]
        progress(Progress(Stage.SUBMITTING, 0.05))
        on_accepted("instant")
        progress(Progress(Stage.DOWNLOADING, 0.9))
        return Take(self.path, spec, 1.0, 32_000, endpoint_id="instant")

    def resume(self, spec: GenerationSpec, endpoint_id: str, *, progress, cancel: threading.Event) -> Take:  # type: ignore[no-untyped-def]
        return Take(self.path, spec, 1.0, 32_000, endpoint_id=endpoint_id)


def wait_done(replies: socket.socket) -> None:
    while True:
        data, _ = replies.recvfrom(65_535)
        for timed in osc_packet.OscPacket(data).messages:
            if timed.message.address in (A.JOB_DONE, A.ERROR, A.JOB_ERROR):
                if timed.message.address != A.JOB_DONE:
                    raise SystemExit(f"trigger failed: {timed.message.params}")
                return


def measure(daemon: Daemon, replies: socket.socket, n: int, clip: Path | None) -> list[float]:
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target = daemon.osc_address
    sender.sendto(build_datagram(A.SET_PROMPT, ["bench"]), target)
    sender.sendto(build_datagram(A.SET_CLIP, [str(clip)] if clip else []), target)
    times = []
    for number in range(n + 20):
        started = perf_counter()
        sender.sendto(build_datagram(A.GENERATE, [1]), target)
        wait_done(replies)
        if number >= 20:
            times.append((perf_counter() - started) * 1000)
    sender.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        take = root / "take.wav"
        sf.write(str(take), np.zeros(32_000, dtype=np.float32), 32_000)
        clip = root / "clip 30s.wav"
        sf.write(str(clip), (0.1 * np.random.default_rng(0).standard_normal((44_100 * 30, 2))).astype(np.float32), 44_100)
        replies = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        replies.bind(("127.0.0.1", 0))
        replies.settimeout(5.0)
        options = DaemonOptions(journal_path=root / "j.db", osc_port=0, reply_port=replies.getsockname()[1])
        with Daemon(options, InstantTakeMaker(take)) as daemon:
            plain = measure(daemon, replies, n, None)
            clipped = measure(daemon, replies, n, clip)
        replies.close()
    for name, values, goal in (("no clip", plain, 20.0), ("30 s clip", clipped, 60.0)):
        p50 = statistics.median(values)
        p99 = statistics.quantiles(values, n=100)[98]
        print(f"{name:10s} p50 {p50:.2f} ms  p99 {p99:.2f} ms  goal p50 < {goal:.0f} ms: {'met' if p50 < goal else 'NOT met'}")


if __name__ == "__main__":
    main()
