"""REAPER: the ReaScript (syntax and logic under Lua), its installer, and the tempo feedback over real UDP."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from importlib import resources
from pathlib import Path

import pytest
from pythonosc.osc_message_builder import build_msg

from bridge.errors import ConfigError, PortInUseError
from bridge.hosts import reaper as reaper_host
from bridge.hosts.reaper import ReaperTempoSource, install_reaper_script

HERE = Path(__file__).parent
SCRIPT = Path(str(resources.files("bridge") / "data" / "musicgen_bridge.lua"))
PATTERN = Path(str(resources.files("bridge") / "data" / "MusicGenBridge.ReaperOSC"))


def lua_tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name.replace("5.4", ""))
    if found is None:
        pytest.fail(f"{name} is not installed: apt-get install lua5.4 (it provides lua5.4 and luac5.4)")
    return found


def test_script_is_valid_lua() -> None:
    result = subprocess.run([lua_tool("luac5.4"), "-p", str(SCRIPT)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_script_logic_under_lua_with_a_stand_in_reaper(tmp_path: Path) -> None:
    result = subprocess.run(
        [lua_tool("lua5.4"), str(HERE / "test_reaper.lua"), str(SCRIPT), str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("12 passed"), result.stdout


def test_pattern_file_asks_only_for_the_tempo() -> None:
    lines = [line.split() for line in PATTERN.read_text().splitlines() if line.strip() and not line.startswith("#")]
    actions = {words[0]: words[1:] for words in lines}
    assert actions["TEMPO"] == ["f/tempo/raw"]
    # every bank size is zero: no per-track, FX, marker or region feedback floods the port
    assert all(actions[name] == ["0"] for name in actions if name.endswith("_COUNT"))
    assert set(actions) - {"TEMPO", "ACTION"} <= {
        name for name in actions if name.startswith(("DEVICE_", "REAPER_"))
    }
    # the noisy feedback of REAPER's Default.ReaperOSC is not there
    assert not {"TIME", "BEAT", "SAMPLES", "FRAMES", "MASTER_VU", "TRACK_VU"} & set(actions)


def test_install_into_a_resource_folder(tmp_path: Path) -> None:
    (tmp_path / "reaper.ini").write_text("[REAPER]\n")
    inbox = tmp_path / "My Inbox" / "in"
    installed = install_reaper_script(tmp_path, inbox_dir=inbox)
    assert installed == tmp_path / "Scripts" / "MusicGen Bridge" / "musicgen_bridge.lua"
    assert installed.read_bytes() == SCRIPT.read_bytes()
    assert (tmp_path / "OSC" / "MusicGenBridge.ReaperOSC").read_bytes() == PATTERN.read_bytes()
    settings = installed.parent / "musicgen_bridge_settings.lua"
    # the settings file is real Lua that yields the inbox path
    probe = tmp_path / "probe.lua"
    probe.write_text(f'print(dofile([[{settings}]]).inbox)\n')
    result = subprocess.run([lua_tool("lua5.4"), str(probe)], capture_output=True, text=True, timeout=30)
    assert result.stdout.strip() == str(inbox.resolve())
    # installing again replaces, never fails
    assert install_reaper_script(tmp_path) == installed


def test_install_finds_the_linux_resource_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reaper_host.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match=r"REAPER's resource folder was not found .*--reaper-dir"):
        install_reaper_script(None)
    (tmp_path / "REAPER").mkdir()
    (tmp_path / "REAPER" / "reaper.ini").write_text("")
    assert install_reaper_script(None).is_relative_to(tmp_path / "REAPER")


def test_install_into_a_missing_folder_says_what_to_pass(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"does not exist.*--reaper-dir"):
        install_reaper_script(tmp_path / "nope")


def send(port: int, address: str, *args: object) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(build_msg(address, list(args)).dgram, ("127.0.0.1", port))


def wait_until(condition, timeout: float = 2.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_tempo_feedback_over_udp() -> None:
    source = ReaperTempoSource(0)
    try:
        assert source.current(timeout=0.05) is None  # nothing from REAPER yet
        send(source.port, "/tempo/raw", 96.25)
        info = source.current(timeout=2.0)
        assert info is not None and (info.bpm, info.source, info.beats_per_bar) == (96.25, "reaper", None)
        # the latest value wins; junk and other feedback are ignored
        for junk in (b"not osc", build_msg("/tempo/raw", ["fast"]).dgram, build_msg("/tempo/raw", [9999.0]).dgram):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                sock.sendto(junk, ("127.0.0.1", source.port))
        send(source.port, "/track/1/name", "Drums")
        send(source.port, "/tempo/raw", 140.0)
        assert wait_until(lambda: (info := source.current(0)) is not None and info.bpm == 140.0)
        assert source.datagrams >= 4
    finally:
        source.close()


def test_refresh_is_asked_of_reaper_on_start() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as fake_reaper:
        fake_reaper.bind(("127.0.0.1", 0))
        fake_reaper.settimeout(2.0)
        source = ReaperTempoSource(0, reaper_port=fake_reaper.getsockname()[1])
        try:
            data, _ = fake_reaper.recvfrom(1024)
        finally:
            source.close()
    assert data == build_msg("/action", [41743]).dgram


def test_feedback_port_taken_is_a_clear_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        with pytest.raises(PortInUseError, match=rf"UDP port {port} .*REAPER's OSC feedback.*reaper_port"):
            ReaperTempoSource(port)


def test_close_is_prompt() -> None:
    source = ReaperTempoSource(0)
    started = time.monotonic()
    source.close()
    assert time.monotonic() - started < 1.0
