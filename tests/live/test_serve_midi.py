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


def send_note(daw: FakeDaw, port_name: str, note: str) -> str:
    """Play one note into the bridge from another process; the job it queued.

    The non-realtime dummy JACK server can drop a cycle's MIDI in an xrun on a loaded machine,
    so a note that queued nothing within 5 s is played once more, as a performer would hit the pad again.
    """
    for _ in range(2):
        subprocess.run(python_command("send", "--to", port_name, note), check=True, timeout=20, capture_output=True)
        try:
            return str(daw.wait_for(A.JOB_QUEUED, timeout=5)[0])
        except AssertionError:
            continue
    raise AssertionError(f"note {note} never queued a job")


def test_note_and_preset_from_a_controller_make_takes(jack_server: JackServer, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[midi.presets.dusty]\nprompt = "dusty boom bap drums"\nbpm = 90\nbars = 1\nnote = 36\n')
    log = tmp_path / "serve.log"
    # a port name of its own: "MusicGen Bridge" may still linger from another test's client
    port_name = f"Bridge {uuid.uuid4().hex[:8]}"
    with FakeDaw() as daw:
        port = free_udp_port()
        daw.connect("127.0.0.1", port)
        args = [
            sys.executable, "-m", "bridge", "serve", "--config", str(config), "--midi-api", "jack",
            "--midi-port-name", port_name, "--osc-port", str(port), "--reply-port", str(daw.reply_port),
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
            sticky_job = send_note(daw, port_name, "903C64")  # note 60: the sticky state
            sticky = daw.wait_for(A.JOB_DONE, where=lambda a: a[0] == sticky_job, timeout=60)
            preset_job = send_note(daw, port_name, "902450")  # note 36: the preset
            preset = daw.wait_for(A.JOB_DONE, where=lambda a: a[0] == preset_job, timeout=60)
            assert float(sticky[2]) == 120.0 and "marimba-riff" in Path(sticky[1]).name
            assert float(preset[2]) == 90.0 and "dusty-boom-bap" in Path(preset[1]).name
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0, log.read_text()[-3000:]
