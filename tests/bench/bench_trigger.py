"""Trigger -> done overhead with an instant endpoint, without a clip and with a 30 s clip.

Run: ``.venv/bin/python tests/bench/bench_trigger.py [-n 300]``. Goals: p50 under 20 ms without a
clip, under 60 ms with one. Two rows each:

- ``daemon``: an instant take maker that writes nothing, so what is measured is the daemon alone
  (parse, snapshot, clip check, journal commits, queue hand-off, notifications);
- ``pipeline``: the real take maker against an HTTP endpoint on loopback that answers at once with a
  1 s take, so the clip's encoding and upload, the download and its check, and writing the take and
  its sidecar are all in the figure: everything the bridge adds to what the endpoint itself takes.
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
from bridge.core.request import RequestOptions  # noqa: E402
from bridge.daemon.service import Daemon, DaemonOptions  # noqa: E402
from bridge.endpoint.client import EndpointSettings  # noqa: E402
from bridge.output import OutputFolder  # noqa: E402
from bridge.pipeline import EndpointTakeMaker  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from support.vendor_server import VendorServer, make_wav_bytes, success  # noqa: E402


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
        rows = []
        with Daemon(options, InstantTakeMaker(take)) as daemon:
            rows.append(("daemon", "no clip", measure(daemon, replies, n, None), 20.0))
            rows.append(("daemon", "30 s clip", measure(daemon, replies, n, clip), 60.0))
        with VendorServer() as server:
            server.files["take.wav"] = make_wav_bytes(1.0, channels=2)
            server.script_generate(then=success(output=[server.file_url("take.wav")]))
            maker = EndpointTakeMaker(
                EndpointSettings(base_url=server.url, api_key="bench"), RequestOptions(), OutputFolder(root / "out")
            )
            pipeline_options = DaemonOptions(journal_path=root / "p.db", osc_port=0, reply_port=replies.getsockname()[1])
            with Daemon(pipeline_options, maker) as daemon:
                rows.append(("pipeline", "no clip", measure(daemon, replies, max(n // 3, 30), None), 20.0))
                rows.append(("pipeline", "30 s clip", measure(daemon, replies, max(n // 3, 30), clip), 60.0))
        replies.close()
    for what, name, values, goal in rows:
        p50 = statistics.median(values)
        p99 = statistics.quantiles(values, n=100)[98]
        print(f"{what:9s}{name:10s} p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  goal p50 < {goal:.0f} ms: {'met' if p50 < goal else 'NOT met'}")


if __name__ == "__main__":
    main()
