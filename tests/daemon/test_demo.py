"""``demo`` sends its trigger over UDP as a host would; with the real pipeline against the built-in endpoint too."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import pytest

from bridge.core import addresses as A
from bridge.daemon.demo import error_for_code, run_demo
from bridge.daemon.service import DaemonOptions
from bridge.errors import BridgeError, QuotaError
from tests.support.fake_take_maker import FakeTakeMaker


def test_demo_returns_the_take_path(tmp_path: Path) -> None:
    seen: list[tuple[str, list[Any]]] = []
    maker = FakeTakeMaker(tmp_path / "takes")
    path = run_demo(DaemonOptions(journal_path=tmp_path / "j.db"), maker, on_message=lambda a, v: seen.append((a, v)))
    assert path.exists() and path.is_absolute()
    assert [a for a, _ in seen if a == A.JOB_DONE] == [A.JOB_DONE]
    spec = maker.calls[0].spec
    assert (spec.bpm, spec.bars) == (90.0, 4.0)


def test_demo_raises_the_job_error(tmp_path: Path) -> None:
    maker = FakeTakeMaker(tmp_path / "takes", fail=QuotaError("no credits left"))
    with pytest.raises(QuotaError, match="no credits left"):
        run_demo(DaemonOptions(journal_path=tmp_path / "j.db"), maker)


def test_error_for_code_keeps_unknown_codes() -> None:
    error = error_for_code("SOMETHING_NEW", "x")
    assert type(error) is BridgeError and error.code == "SOMETHING_NEW"


def test_demo_with_the_real_pipeline_and_built_in_endpoint(tmp_path: Path) -> None:
    from bridge import app, config

    settings = config.Settings(out=tmp_path / "out", state_dir=tmp_path / "state")
    path = app.run_demo(settings)
    assert path.parent.resolve() == (tmp_path / "out").resolve() or (tmp_path / "out").resolve() in path.resolve().parents
    with wave.open(str(path)) as take:
        seconds = take.getnframes() / take.getframerate()
    # 4 bars at 90 bpm, cut to the bar grid
    assert seconds == pytest.approx(4 * 4 * 60 / 90, abs=0.01)
