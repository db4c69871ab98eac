"""``musicgen-bridge serve`` as a performer runs it, wired to a (fake) AbletonOSC on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bridge.core import addresses as A
from tests.daemon.test_restart import free_udp_port, wait_until_serving
from tests.support.fake_ableton import FakeAbleton
from tests.support.fake_daw import FakeDaw

ROOT = Path(__file__).resolve().parents[2]


def test_serve_takes_tempo_from_ableton_and_reports_in_lives_status_bar(tmp_path: Path) -> None:
    reply_to_bridge = free_udp_port()
    log = tmp_path / "serve.log"
    with FakeAbleton(reply_port=reply_to_bridge, tempo=128.0, root_note=9, scale_name="Minor") as live, FakeDaw() as daw:
        port = free_udp_port()
        daw.connect("127.0.0.1", port)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "MUSICGEN_BRIDGE_TEMPO_SOURCE": "ableton",
            "MUSICGEN_BRIDGE_ABLETON_PORT": str(live.port),
            "MUSICGEN_BRIDGE_ABLETON_REPLY_PORT": str(reply_to_bridge),
        }
        args = [
            sys.executable, "-m", "bridge", "serve", "--osc-port", str(port), "--reply-port", str(daw.reply_port),
            "--out", str(tmp_path / "out"), "--state-dir", str(tmp_path / "state"),
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(daw, process, log)
            daw.send(A.SET_PROMPT, "dark", "techno")
            daw.send(A.SET_BARS, 2)
            daw.send(A.GENERATE, 1)
            done = daw.wait_for(A.JOB_DONE, timeout=60)
            assert float(done[2]) == 128.0  # the song's tempo, asked of Live at trigger time
            assert done[3] == "A minor"  # Live 12's root note and scale
            assert Path(done[1]).exists()
            shown = live.wait_for("/live/api/show_message", timeout=5)
            assert Path(done[1]).name in " ".join(map(str, shown)) or "dark techno" in " ".join(map(str, shown))
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0, log.read_text()[-3000:]
