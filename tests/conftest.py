"""Shared fixtures. Every test runs with its own HOME and XDG folders, so no test reads or
writes the developer's real config, journal or music folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_MUSIC_DIR"):
        monkeypatch.delenv(var, raising=False)
    for var in list(os.environ):
        if var.startswith("MUSICGEN_BRIDGE_") or var == "MODELSLAB_API_KEY":
            monkeypatch.delenv(var)
    return home
