"""``serve`` with MIDI on a real JACK server: a note from another process fires the same job OSC would."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bridge.core import addresses as A
from support.jack import JackServer, python_command
from tests.daemon.test_restart import free_udp_port, wait_until_serving
from tests.support.fake_daw import FakeDaw

pytestmark = pytest.mark.jack
ROOT = Path(__file__).resolve().parents[2]


def test_note_and_preset_from_a_controller_make_takes(jack_server: JackServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[midi.presets.dusty]\nprompt = "dusty boom bap drums"\nbpm = 90\nbars = 1\nnote = 36\n')
    log = tmp_path / "serve.log"
    # a controller with a name of its own, which the daemon connects to with --midi-in: a port named
    # "MusicGen Bridge" may still linger from another test's client while JACK tears it down
    keys = f"Test Pads {uuid.uuid4().hex[:8]}"
    controller = subprocess.Popen(
        python_command("send", "--virtual", keys, "903C64", "902450"),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert controller.stdout is not None and controller.stdout.readline().strip() == "ready"
        with FakeDaw() as daw:
            port = free_udp_port()
            daw.connect("127.0.0.1", port)
            args = [
                sys.executable, "-m", "bridge", "serve", "--config", str(config), "--midi-api", "jack",
                "--midi-in", keys, "--osc-port", str(port), "--reply-port", str(daw.reply_port),
                "--out", str(tmp_path / "out"), "--state-dir", str(tmp_path / "state"),
            ]
            env = {**os.environ, "PYTHONPATH": str(ROOT), "JACK_NO_START_SERVER": "1"}
            with log.open("wb") as sink:
                process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
            try:
                wait_until_serving(daw, process, log)
                daw.send(A.SET_PROMPT, "marimba", "riff")
                daw.send(A.SET_BPM, 120)
                daw.send(A.SET_BARS, 1)
                daw.sync()
                # note 60 fires the sticky state; note 36 fires the preset
                controller.communicate("go\n", timeout=20)
                first = daw.wait_for(A.JOB_DONE, timeout=60)
                second = daw.wait_for(A.JOB_DONE, timeout=60)
                done = sorted((first, second), key=lambda args: float(args[2]))
                assert [float(d[2]) for d in done] == [90.0, 120.0]
                assert "dusty-boom-bap" in Path(done[0][1]).name and "marimba-riff" in Path(done[1][1]).name
            finally:
                process.send_signal(signal.SIGTERM)
                assert process.wait(timeout=10) == 0, log.read_text()[-3000:]
    finally:
        if controller.poll() is None:
            controller.kill()
            controller.communicate()
