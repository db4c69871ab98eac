"""Fixtures: a daemon on 127.0.0.1 port 0 with a fake take maker, and a fake DAW wired to its reply port."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from bridge.daemon.service import Daemon, DaemonOptions
from tests.support.fake_daw import FakeDaw
from tests.support.fake_take_maker import FakeTakeMaker


@pytest.fixture
def daw() -> Iterator[FakeDaw]:
    with FakeDaw() as fake:
        yield fake


@pytest.fixture
def take_maker(tmp_path: Path) -> FakeTakeMaker:
    return FakeTakeMaker(tmp_path / "takes")


@pytest.fixture
def options(tmp_path: Path, daw: FakeDaw) -> DaemonOptions:
    return DaemonOptions(journal_path=tmp_path / "state" / "jobs.db", osc_port=0, reply_port=daw.reply_port)


StartDaemon = Callable[..., Daemon]


@pytest.fixture
def start_daemon(options: DaemonOptions, daw: FakeDaw, take_maker: FakeTakeMaker) -> Iterator[StartDaemon]:
    """``start_daemon(take_maker=..., **option_changes)``: a started daemon, the DAW connected to it."""
    started: list[Daemon] = []

    def start(maker: Any = None, *, tempo_source: Any = None, capture: Any = None, **changes: Any) -> Daemon:
        daemon = Daemon(
            dataclasses.replace(options, **changes),
            maker if maker is not None else take_maker,
            tempo_source=tempo_source,
            capture=capture,
        )
        daemon.start()
        started.append(daemon)
        daw.connect(*daemon.osc_address)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


@pytest.fixture
def daemon(start_daemon: StartDaemon) -> Daemon:
    return start_daemon()


def write_wav(path: Path, seconds: float = 0.5, sr: int = 16_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.zeros(int(seconds * sr), dtype=np.float32), sr)
    return path
