"""``kill -9`` mid-generation, then a restart: the accepted job is polled by id (never POSTed again) and its take lands once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.core import addresses as A
from tests.support.fake_daw import FakeDaw

from tests.support import vendor_server

ROOT = Path(__file__).resolve().parents[2]


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server() -> Iterator[object]:
    with vendor_server.VendorServer() as running:
        yield running


def serve(port: int, daw: FakeDaw, out: Path, state: Path, endpoint: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MODELSLAB_API_KEY": "test-key-not-secret", "PYTHONPATH": str(ROOT)}
    args = [
        sys.executable, "-m", "bridge", "serve", "--osc-host", "127.0.0.1", "--osc-port", str(port),
        "--reply-port", str(daw.reply_port), "--out", str(out), "--state-dir", str(state), "--endpoint", endpoint,
    ]
    with log.open("ab") as sink:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)


def wait_until_serving(daw: FakeDaw, process: subprocess.Popen[bytes], log: Path) -> None:
    # the child needs a moment to import and bind; a host would ping until it answers
    for attempt in range(60):
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        daw.send(A.PING, f"up-{attempt}")
        try:
            daw.wait_for(A.PONG, where=lambda a: str(a[0]).startswith("up-"), timeout=0.25)
            return
        except AssertionError:
            continue
    raise AssertionError(f"serve never answered a ping:\n{log.read_text()[-3000:]}")


def takes_in(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.wav") if ".incoming" not in p.parts)


def test_kill_9_then_restart_resumes_by_id(tmp_path: Path, server: object, daw: FakeDaw) -> None:
    vs = vendor_server
    out, state, log = tmp_path / "out", tmp_path / "state", tmp_path / "serve.log"
    port = free_udp_port()
    daw.connect("127.0.0.1", port)
    server.script_generate(vs.processing(id=4242, eta=0.2))  # type: ignore[attr-defined]
    server.script_fetch(then=vs.still_processing())  # type: ignore[attr-defined]

    first = serve(port, daw, out, state, server.url, log)  # type: ignore[attr-defined]
    try:
        wait_until_serving(daw, first, log)
        daw.send(A.SET_PROMPT, "marimba", "riff")
        daw.send(A.SET_BPM, 96)
        daw.send(A.SET_BARS, 4)
        daw.send(A.GENERATE, 1)
        job_id = daw.wait_for(A.JOB_QUEUED, timeout=10)[0]
        daw.wait_for(A.JOB_STATUS, where=lambda a: a[0] == job_id and a[1] == "generating", timeout=10)
        # a fetch has been answered "processing": the endpoint id is in the journal
        daw.wait_for(A.JOB_PROGRESS, where=lambda a: a[0] == job_id and a[1] > 0.05, timeout=10)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(5)
    assert takes_in(out) == []

    server.files["take.wav"] = vs.make_wav_bytes(12.0)  # type: ignore[attr-defined]
    server.script_fetch(then=vs.success(id=4242, output=[server.file_url("take.wav")]))  # type: ignore[attr-defined]
    second = serve(port, daw, out, state, server.url, log)  # type: ignore[attr-defined]
    try:
        done = daw.wait_for(A.JOB_DONE, where=lambda a: a[0] == job_id, timeout=20)
        assert Path(done[1]).exists()
        assert len(server.requests_to("music_gen")) == 1  # type: ignore[attr-defined]
        assert takes_in(out) == [Path(done[1])]
    finally:
        second.send_signal(signal.SIGTERM)
        # SIGTERM stops cleanly within 5 s
        assert second.wait(5) == 0, log.read_text()[-3000:]

    # a third start has nothing to do: the finished take is never written twice
    fetches = len(server.requests_to("/fetch/"))  # type: ignore[attr-defined]
    third = serve(port, daw, out, state, server.url, log)  # type: ignore[attr-defined]
    try:
        wait_until_serving(daw, third, log)
        daw.sync()
    finally:
        third.send_signal(signal.SIGTERM)
        assert third.wait(5) == 0
    assert len(server.requests_to("/fetch/")) == fetches  # type: ignore[attr-defined]
    assert len(server.requests_to("music_gen")) == 1  # type: ignore[attr-defined]
    assert len(takes_in(out)) == 1
