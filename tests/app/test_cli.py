"""``musicgen-bridge generate`` in a subprocess, offline, as a new user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import soundfile as sf

from support.vendor_server import VendorServer, error

ROOT = Path(__file__).parents[2]


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def test_generate_offline_prints_the_wav_path(tmp_path: Path) -> None:
    result = cli("generate", "sitar, tabla, flute, meditative", "--key", "G# minor", "--bpm", "96", "--bars", "2", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.is_absolute() and path.parent == tmp_path and path.suffix == ".wav"
    assert sf.info(str(path)).frames == round(2 * 4 * 60 / 96 * 32000)
    assert "built-in local endpoint" in result.stderr
    assert "generating" in result.stderr or "uploading" in result.stderr


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    result = cli("generate", "x", "--key", "H minor", "--out", str(tmp_path))
    assert result.returncode == 2 and "not a key: 'H minor'" in result.stderr
    result = cli("generate", "x", "--bars", "4", "--out", str(tmp_path))
    assert result.returncode == 2 and "--bars needs --bpm" in result.stderr
    result = cli("generate", "--nope")
    assert result.returncode == 2


def test_endpoint_refusing_the_key_exits_1_with_one_line_and_no_key(tmp_path: Path) -> None:
    with VendorServer() as server:
        server.script_generate(error("Invalid API key"))
        result = cli(
            "generate", "x", "--out", str(tmp_path), "--endpoint", server.url,
            env={"MODELSLAB_API_KEY": "sk-very-secret-999"},
        )
        assert len(server.requests_to("music_gen")) == 1 and server.requests_to("fetch/") == []
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("musicgen-bridge generate: AUTH: ") and "MODELSLAB_API_KEY" in last
    assert "sk-very-secret-999" not in result.stderr + result.stdout
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]  # no stray files


def test_missing_clip_exits_2(tmp_path: Path) -> None:
    result = cli("generate", "x", "--clip", str(tmp_path / "nope.wav"), "--out", str(tmp_path))
    assert result.returncode == 2 and "the file does not exist" in result.stderr


def test_python_dash_m_and_the_console_script_agree() -> None:
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.startswith("musicgen-bridge ")


def test_python_osc_root_warnings_are_kept_out_of_the_log() -> None:
    import logging

    from pythonosc import osc_message

    from bridge.cli import _drop_python_osc_root_warnings

    junk = logging.LogRecord("root", logging.WARNING, osc_message.__file__, 85, "Unhandled parameter type: x", None, None)
    ours = logging.LogRecord("bridge.daemon.osc_io", logging.WARNING, __file__, 1, "malformed datagram", None, None)
    assert _drop_python_osc_root_warnings(junk) is False
    assert _drop_python_osc_root_warnings(ours) is True
