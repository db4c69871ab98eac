"""Trigger files (the REAPER action's way in): a render plus its trigger start a job; the reply file answers."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from bridge.core.progress import Stage
from bridge.daemon.service import Daemon, DaemonOptions
from bridge.errors import QuotaError
from bridge.inbox import InboxWatcher
from support.fake_take_maker import FakeTakeMaker


def wait_for_file(path: Path, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def run_inbox(tmp_path: Path, maker: FakeTakeMaker) -> tuple[Path, Daemon, InboxWatcher]:
    folder = tmp_path / "inbox"
    watcher = InboxWatcher(folder, lambda command: daemon.submit(command), settle=0.2)
    daemon = Daemon(
        DaemonOptions(journal_path=tmp_path / "journal.db", osc_port=0, reply_port=9),
        maker,
        observers=[watcher.observe],
    )
    daemon.start()
    watcher.start()
    return folder, daemon, watcher


def render(folder: Path, stem: str, trigger: object) -> Path:
    (folder / f"{stem}.json").write_text(json.dumps(trigger))
    wav = folder / f"{stem}.wav"
    sf.write(str(wav), (0.3 * np.sin(np.arange(8000) / 5)).astype(np.float32), 8000)
    return wav


def test_trigger_file_starts_a_job_with_its_fields_and_gets_a_done_reply(tmp_path: Path) -> None:
    maker = FakeTakeMaker(tmp_path / "takes")
    folder, daemon, watcher = run_inbox(tmp_path, maker)
    try:
        trigger = {"musicgen_bridge": 1, "generate": True, "source": "reaper", "prompt": "dub chords",
                   "bpm": 87.5, "beats_per_bar": 3, "bars": 2, "reply": "../../etc/evil.json"}
        wav = render(folder, "region-1", trigger)
        reply = wait_for_file(folder / "region-1.done.json")
    finally:
        watcher.close()
        daemon.stop()
    assert reply["status"] == "done" and Path(reply["path"]).exists()
    [call] = maker.calls
    spec = call.spec
    assert (spec.prompt, spec.bpm, spec.beats_per_bar, spec.bars) == ("dub chords", 87.5, 3, 2)
    assert spec.clip == wav.resolve()
    assert not (tmp_path / "etc").exists()  # the reply's name comes from the render, never from the trigger
    assert daemon.state.clip is None  # a trigger's render conditions its own job only


def test_a_failed_job_and_a_bad_trigger_are_answered(tmp_path: Path) -> None:
    maker = FakeTakeMaker(tmp_path / "takes", fail=QuotaError("out of credits: top up your ModelsLab balance"), fail_at=Stage.GENERATING)
    folder, daemon, watcher = run_inbox(tmp_path, maker)
    try:
        render(folder, "a", {"musicgen_bridge": 1, "generate": True, "prompt": "x"})
        failed = wait_for_file(folder / "a.done.json")
        render(folder, "b", {"musicgen_bridge": 1, "generate": True, "prompt": "x", "bpm": "fast"})
        bad = wait_for_file(folder / "b.done.json")
    finally:
        watcher.close()
        daemon.stop()
    assert failed["status"] == "failed" and failed["code"] == "QUOTA" and "credits" in failed["message"]
    assert bad["status"] == "failed" and bad["code"] == "BAD_ARGUMENT" and "bpm must be int or float" in bad["message"]
    assert len(maker.calls) == 1
