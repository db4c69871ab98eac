"""The doctor over real sockets, a real HTTP server and real folders."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from pythonosc.osc_message_builder import build_msg

from bridge.doctor import CheckRow, check_endpoint, format_table, run_doctor
from support.fake_ableton import FakeAbleton
from support.vendor_server import API_PREFIX, Reply, VendorServer, error


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def quiet_ports() -> Iterator[dict[str, int]]:
    # free ports for everything, so the doctor never touches a real 9000/11001 on this machine
    yield {"osc_port": free_port(), "ableton_send_port": free_port(), "ableton_reply_port": free_port()}


def row(rows: list[CheckRow], name: str) -> CheckRow:
    (found,) = [r for r in rows if r.name == name]
    return found


def test_all_good_is_ok(tmp_path: Path, quiet_ports: dict[str, int]) -> None:
    rows, ok = run_doctor(check_network=False, midi=False, folders=[("output", tmp_path / "out")], timeout=0.1,
                          **quiet_ports)
    assert ok, format_table(rows)
    assert row(rows, "OSC in").status == "ok"
    assert row(rows, "output folder").status == "ok" and (tmp_path / "out").is_dir()
    assert list((tmp_path / "out").iterdir()) == []  # the probe file is gone
    # AbletonOSC not running is only a warning when the tempo source is not Ableton
    assert row(rows, "AbletonOSC").status == "warn"


def test_osc_port_taken_fails_with_the_fix(quiet_ports: dict[str, int]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        rows, ok = run_doctor(check_network=False, midi=False, timeout=0.1, **{**quiet_ports, "osc_port": port})
    osc = row(rows, "OSC in")
    assert not ok and osc.status == "fail"
    assert f"UDP port {port}" in osc.detail and "--osc-port" in osc.fix
    table = format_table(rows)
    assert "FAIL" in table and "fix: another program" in table


def test_unwritable_folder_fails(tmp_path: Path, quiet_ports: dict[str, int]) -> None:
    # a path under a regular file cannot be created even by root (permission bits would not stop root)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    rows, ok = run_doctor(check_network=False, midi=False, timeout=0.1,
                          folders=[("inbox", blocker / "inbox"), ("captures", tmp_path / "caps")], **quiet_ports)
    inbox = row(rows, "inbox folder")
    assert not ok and inbox.status == "fail" and "cannot write to" in inbox.detail and "inbox folder" in inbox.fix
    assert row(rows, "captures folder").status == "ok"


def test_fake_ableton_answering_is_ok_and_needed_when_it_is_the_tempo_source(quiet_ports: dict[str, int]) -> None:
    with FakeAbleton(reply_port=quiet_ports["ableton_reply_port"]) as live:
        ports = {**quiet_ports, "ableton_send_port": live.port}
        rows, ok = run_doctor(check_network=False, midi=False, tempo_source="ableton", timeout=1.0, **ports)
        assert ok and row(rows, "AbletonOSC").status == "ok"
        assert live.wait_for("/live/test") == ()
        live.silent = True
        rows, ok = run_doctor(check_network=False, midi=False, tempo_source="ableton", timeout=0.1, **ports)
    assert not ok and row(rows, "AbletonOSC").status == "fail" and "Control Surface" in row(rows, "AbletonOSC").fix


def test_reaper_feedback_checked_only_for_the_reaper_source(quiet_ports: dict[str, int]) -> None:
    rows, _ = run_doctor(check_network=False, midi=False, timeout=0.1, **quiet_ports)
    assert not [r for r in rows if r.name == "REAPER feedback"]
    # a fake REAPER: answers the refresh action with the tempo, as REAPER does
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as reaper:
        reaper.bind(("127.0.0.1", 0))
        reaper.settimeout(2)
        feedback = free_port()
        import threading

        def answer() -> None:
            data, _ = reaper.recvfrom(1024)
            assert data == build_msg("/action", [41743]).dgram
            reaper.sendto(build_msg("/tempo/raw", [87.5]).dgram, ("127.0.0.1", feedback))

        thread = threading.Thread(target=answer)
        thread.start()
        rows, ok = run_doctor(check_network=False, midi=False, tempo_source="reaper", timeout=0.1,
                              reaper_port=feedback, reaper_listen_port=reaper.getsockname()[1], **quiet_ports)
        thread.join(timeout=3)
    assert ok and row(rows, "REAPER feedback").detail == f"tempo 87.5 bpm arrives on UDP {feedback}"
    rows, ok = run_doctor(check_network=False, midi=False, tempo_source="reaper", timeout=0.1,
                          reaper_port=free_port(), reaper_listen_port=None, **quiet_ports)
    assert not ok and "MusicGenBridge" in row(rows, "REAPER feedback").fix


def test_endpoint_key_refused_without_paying_for_a_generation() -> None:
    with VendorServer() as server:
        server.script("POST", f"{API_PREFIX}/fetch/", error("Invalid API key"))
        bad = check_endpoint(server.url, "wrong-key-123", timeout=2)
        server.script("POST", f"{API_PREFIX}/fetch/", Reply(200, {"status": "error", "message": "Request not found"}))
        good = check_endpoint(server.url, "right-key-456", timeout=2)
        assert server.requests_to("music_gen") == []  # never a generation
    assert bad.status == "fail" and "refused the API key" in bad.detail and "MODELSLAB_API_KEY" in bad.fix
    assert "wrong-key-123" not in bad.detail + bad.fix
    assert good.status == "ok" and "key accepted" in good.detail


def test_endpoint_unreachable_and_keyless() -> None:
    port = free_port()
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", port))  # bound, never listening: connection refused
        down = check_endpoint(f"http://127.0.0.1:{port}/api/v6/voice", "k", timeout=1)
    assert down.status == "fail" and "cannot reach" in down.detail
    assert check_endpoint("https://example.invalid/api", None).status == "fail"
