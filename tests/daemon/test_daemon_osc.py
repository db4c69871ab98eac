"""The OSC contract, end to end over real UDP on 127.0.0.1: a fake DAW talks to a running daemon."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

import bridge
from bridge.core import addresses as A
from bridge.core.commands import Generate, Origin, TempoUpdate
from bridge.core.music import Key
from bridge.core.progress import Stage
from bridge.core.tempo import TempoInfo
from bridge.daemon.service import Daemon, DaemonOptions
from bridge.errors import ConfigError, PortInUseError, QuotaError
from tests.daemon.conftest import StartDaemon, write_wav
from tests.support.fake_daw import FakeDaw
from tests.support.fake_take_maker import FakeTakeMaker


def error_reply(daw: FakeDaw, address: str, *args: Any) -> list[Any]:
    daw.send(address, *args)
    return daw.wait_for(A.ERROR)


# --- ping, set, get ----------------------------------------------------------------------------------


def test_ping_answers_pong_with_token_and_version(daemon: Daemon, daw: FakeDaw) -> None:
    assert daw.ask(A.PING, "hello", reply=A.PONG) == ["hello", bridge.__version__]
    assert daw.ask(A.PING, 42, reply=A.PONG) == [42, bridge.__version__]
    assert daw.ask(A.PING, reply=A.PONG) == ["", bridge.__version__]


SET_GET = [
    (A.SET_PROMPT, ("dark", "techno"), "prompt", "dark techno"),
    (A.SET_KEY, ("G#", "minor"), "key", "G# minor"),
    (A.SET_KEY, ("Ab min",), "key", "G# minor"),
    (A.SET_KEY, (15,), "key", "D# minor"),
    (A.SET_KEY, ("none",), "key", "none"),
    (A.SET_BPM, ("128",), "bpm", 128.0),
    (A.SET_BPM, (96.5,), "bpm", 96.5),
    (A.SET_BARS, (8,), "bars", 8.0),
    (A.SET_BEATS_PER_BAR, (3,), "beats_per_bar", 3),
    (A.SET_SECONDS, (12,), "seconds", 12.0),
    (A.SET_SEED, (42,), "seed", 42),
    (A.SET_SEED, (-1,), "seed", -1),
    (A.SET_VARIATIONS, (4,), "variations", 4),
]


@pytest.mark.parametrize(("address", "args", "name", "value"), SET_GET, ids=[f"{a}{v!r}" for a, _, _, v in SET_GET])
def test_set_then_get(daemon: Daemon, daw: FakeDaw, address: str, args: tuple, name: str, value: Any) -> None:
    daw.send(address, *args)
    assert daw.ask(A.GET_PREFIX + name) == [value]


def test_defaults_as_get_reports_them(daemon: Daemon, daw: FakeDaw) -> None:
    expected = {"prompt": "", "key": "none", "bpm": "none", "bars": "none", "beats_per_bar": 4,
                "seconds": "none", "clip": "none", "seed": -1, "variations": 1}
    assert {name: daw.ask(A.GET_PREFIX + name)[0] for name in A.STICKY_NAMES} == expected


def test_a_bad_value_leaves_the_setting_alone(daemon: Daemon, daw: FakeDaw) -> None:
    daw.send(A.SET_BPM, 100)
    code, message = error_reply(daw, A.SET_BPM, 999)
    assert code == "BAD_ARGUMENT" and "bpm must be a number 20 to 300" in message
    assert daw.ask(A.GET_PREFIX + "bpm") == [100.0]


@pytest.mark.parametrize(
    ("address", "args", "code", "words"),
    [
        ("/musicgen/sett/bpm", (1,), "UNKNOWN_ADDRESS", "unknown address"),
        ("/live/song/get/tempo", (), "UNKNOWN_ADDRESS", "/musicgen/ping"),
        (A.SET_BPM, (float("nan"),), "BAD_ARGUMENT", "20 to 300"),
        (A.SET_BPM, (), "BAD_ARGUMENT", "bpm needs a value"),
        (A.SET_PROMPT, ("x" * 60_000,), "BAD_ARGUMENT", "limit is 4096"),
        (A.SET_KEY, ("X minor",), "BAD_ARGUMENT", "not a key"),
        (A.SET_VARIATIONS, (12,), "BAD_ARGUMENT", "1 to 8"),
        (A.SET_SEED, (b"blob",), "BAD_ARGUMENT", "seed must be a number"),
        (A.CANCEL, ("nope",), "BAD_ARGUMENT", "no job 'nope' is queued or running"),
        (A.CANCEL, (), "BAD_ARGUMENT", "nothing to cancel"),
        (A.GENERATE, (), "BAD_ARGUMENT", "no prompt: send /musicgen/set/prompt"),
        (A.CAPTURE_START, (), "BAD_ARGUMENT", "capture needs an audio input: start the bridge with --capture-device"),
        (A.CAPTURE_BARS, (4,), "BAD_ARGUMENT", "--capture-device"),
    ],
)
def test_bad_input_gets_a_coded_error(daemon: Daemon, daw: FakeDaw, address: str, args: tuple, code: str, words: str) -> None:
    got_code, message = error_reply(daw, address, *args)
    assert got_code == code
    assert words in message


def test_malformed_datagrams_get_malformed_and_the_daemon_goes_on(daemon: Daemon, daw: FakeDaw) -> None:
    for junk in (b"GET / HTTP/1.1\r\n\r\n", b"/musicgen/ping\x00\x00,s\x00\x00\xff\xfe\x00\x00", b"\x00", b"#bundle\x00xx"):
        daw.send_raw(junk)
        code, message = daw.wait_for(A.ERROR)
        assert code == "MALFORMED" and "not an OSC message" in message
    assert daw.ask(A.PING, "still", reply=A.PONG)[0] == "still"


def test_a_bundle_is_unpacked(daemon: Daemon, daw: FakeDaw) -> None:
    from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
    from pythonosc.osc_message_builder import OscMessageBuilder

    bundle = OscBundleBuilder(IMMEDIATELY)
    for address, value in ((A.SET_BPM, 111), (A.PING, "in-bundle")):
        message = OscMessageBuilder(address)
        message.add_arg(value)
        bundle.add_content(message.build())
    daw.send_raw(bundle.build().dgram)
    assert daw.wait_for(A.PONG)[0] == "in-bundle"
    assert daw.ask(A.GET_PREFIX + "bpm") == [111.0]


# --- clips -------------------------------------------------------------------------------------------


def test_clip_is_checked_at_once(daemon: Daemon, daw: FakeDaw, tmp_path: Path) -> None:
    code, message = error_reply(daw, A.SET_CLIP, str(tmp_path / "take 3.wav"))
    assert code == "BAD_CLIP"
    assert f"no clip at '{tmp_path / 'take 3.wav'}': the file does not exist; send /musicgen/set/clip" in message
    code, message = error_reply(daw, A.SET_CLIP, str(tmp_path))
    assert code == "BAD_CLIP" and "is not a file" in message
    text = tmp_path / "notes.wav"
    text.write_text("<html>not audio</html>")
    code, message = error_reply(daw, A.SET_CLIP, str(text))
    assert code == "BAD_CLIP" and "is not audio libsndfile can read" in message
    assert daw.ask(A.GET_PREFIX + "clip") == ["none"]


def test_a_good_clip_is_kept_resolved_and_cleared(daemon: Daemon, daw: FakeDaw, tmp_path: Path) -> None:
    clip = write_wav(tmp_path / "my clips" / "riff.wav")
    # words split by Max are joined back into the path
    daw.send(A.SET_CLIP, *str(clip).split(" "))
    assert daw.ask(A.GET_PREFIX + "clip") == [str(clip.resolve())]
    daw.send(A.SET_CLIP)
    assert daw.ask(A.GET_PREFIX + "clip") == ["none"]


def test_clip_over_the_size_limit(start_daemon: StartDaemon, daw: FakeDaw, tmp_path: Path) -> None:
    start_daemon(max_clip_bytes=1000)
    clip = write_wav(tmp_path / "big.wav", seconds=1.0)
    code, message = error_reply(daw, A.SET_CLIP, str(clip))
    assert code == "BAD_CLIP" and "the limit is" in message


def test_a_sticky_clip_deleted_before_the_trigger(daemon: Daemon, daw: FakeDaw, tmp_path: Path) -> None:
    clip = write_wav(tmp_path / "gone.wav")
    daw.send(A.SET_PROMPT, "p")
    daw.send(A.SET_CLIP, str(clip))
    daw.sync()
    clip.unlink()
    code, message = error_reply(daw, A.GENERATE, 1)
    assert code == "BAD_CLIP" and "does not exist" in message


# --- generate ----------------------------------------------------------------------------------------


def test_button_press_triggers_and_release_is_ignored(daemon: Daemon, daw: FakeDaw, take_maker: FakeTakeMaker) -> None:
    daw.send(A.SET_PROMPT, "lofi", "beat")
    daw.send(A.GENERATE, 0)
    daw.sync("after-release")
    assert daw.unread(A.JOB_QUEUED) == [] and take_maker.calls == []
    daw.send(A.GENERATE, 1)
    job_id, position = daw.wait_for(A.JOB_QUEUED)
    assert position == 1
    done = daw.wait_for(A.JOB_DONE, where=lambda args: args[0] == job_id)
    path = Path(done[1])
    assert path.is_absolute() and path.exists()
    daw.send(A.GENERATE, 0)
    daw.sync("after-second-release")
    assert len(take_maker.calls) == 1


def test_done_reports_what_was_made(daemon: Daemon, daw: FakeDaw, take_maker: FakeTakeMaker) -> None:
    for address, args in ((A.SET_PROMPT, ("house",)), (A.SET_KEY, ("A", "minor")), (A.SET_BPM, (124,)),
                          (A.SET_BARS, (4,)), (A.SET_SEED, (7,))):
        daw.send(address, *args)
    daw.send(A.GENERATE)
    job_id, path, bpm, key, bars, seconds, seed = daw.wait_for(A.JOB_DONE)
    assert (bpm, key, bars, seed) == (124.0, "A minor", 4.0, 7)
    assert seconds == pytest.approx(take_maker.take_seconds, abs=1e-3)
    spec = take_maker.calls[0].spec
    assert (spec.prompt, spec.key, spec.bpm, spec.bars, spec.seed) == ("house", Key(9, True), 124.0, 4.0, 7)
    statuses = [args[1] for args in daw.unread(A.JOB_STATUS) if args[0] == job_id]
    assert statuses == ["queued", "preparing", "submitting", "generating", "downloading", "done"]


def test_generate_with_prompt_and_overrides_does_not_change_sticky_state(
    daemon: Daemon, daw: FakeDaw, take_maker: FakeTakeMaker, tmp_path: Path
) -> None:
    clip = write_wav(tmp_path / "c.wav")
    daw.send(A.SET_PROMPT, "sticky")
    daw.send(A.SET_BPM, 90)
    daw.send(A.GENERATE, "dark", "techno", "bpm", 140, "key", "F#m", "seconds", 10, "seed", 3, "clip", str(clip))
    daw.wait_for(A.JOB_DONE)
    spec = take_maker.calls[0].spec
    assert (spec.prompt, spec.bpm, spec.key, spec.seconds, spec.seed, spec.clip) == (
        "dark techno", 140.0, Key(6, True), 10.0, 3, clip.resolve())
    assert daw.ask(A.GET_PREFIX + "prompt") == ["sticky"]
    assert daw.ask(A.GET_PREFIX + "bpm") == [90.0]


def test_generate_override_errors(daemon: Daemon, daw: FakeDaw, tmp_path: Path) -> None:
    code, message = error_reply(daw, A.GENERATE, "x", "clip", str(tmp_path / "none.wav"))
    assert code == "BAD_CLIP"
    code, message = error_reply(daw, A.GENERATE, "x", "bars", 4)
    assert code == "BAD_ARGUMENT" and "bars need a tempo" in message


def test_snapshot_isolation(daemon: Daemon, daw: FakeDaw) -> None:
    take_maker = FakeTakeMaker(daemon.options.journal_path.parent / "iso", hold_at=Stage.GENERATING)
    daemon.stop()
    second = Daemon(daemon.options, take_maker)
    second.start()
    try:
        daw.connect(*second.osc_address)
        daw.send(A.SET_PROMPT, "first")
        daw.send(A.SET_BPM, 100)
        daw.send(A.GENERATE, 1)
        held = take_maker.held.get(timeout=5)
        daw.send(A.SET_PROMPT, "second")
        daw.send(A.SET_BPM, 150)
        daw.sync()
        take_maker.release()
        done = daw.wait_for(A.JOB_DONE)
        assert (held.prompt, held.bpm, done[2]) == ("first", 100.0, 100.0)
        daw.send(A.GENERATE, 1)
        assert take_maker.held.get(timeout=5).prompt == "second"
        take_maker.release()
        assert daw.wait_for(A.JOB_DONE)[2] == 150.0
    finally:
        second.stop()


def test_variations_make_distinct_seeds(daemon: Daemon, daw: FakeDaw, take_maker: FakeTakeMaker) -> None:
    daw.send(A.SET_PROMPT, "pads")
    daw.send(A.SET_VARIATIONS, 3)
    daw.send(A.GENERATE, 1)
    done = [daw.wait_for(A.JOB_DONE) for _ in range(3)]
    assert len({args[0] for args in done}) == 3
    assert len({args[6] for args in done}) == 3
    assert len({args[1] for args in done}) == 3
    daw.send(A.SET_SEED, 100)
    daw.send(A.GENERATE, 1)
    seeds = sorted(daw.wait_for(A.JOB_DONE)[6] for _ in range(3))
    assert seeds == [100, 101, 102]


def test_endpoint_error_becomes_job_error(start_daemon: StartDaemon, daw: FakeDaw, tmp_path: Path) -> None:
    start_daemon(FakeTakeMaker(tmp_path / "t", fail=QuotaError("out of credits; top up at the vendor")))
    daw.send(A.SET_PROMPT, "x")
    daw.send(A.GENERATE, 1)
    job_id, code, message = daw.wait_for(A.JOB_ERROR)
    assert (code, message) == ("QUOTA", "out of credits; top up at the vendor")
    assert daw.wait_for(A.JOB_STATUS, where=lambda a: a[1] == "failed")[0] == job_id


def test_unexpected_take_maker_crash_is_a_job_error(start_daemon: StartDaemon, daw: FakeDaw, tmp_path: Path) -> None:
    class Broken(FakeTakeMaker):
        def make(self, spec: Any, **kwargs: Any) -> Any:
            raise ZeroDivisionError("boom")

    start_daemon(Broken(tmp_path / "t"))
    daw.send(A.GENERATE, "x")
    _, code, message = daw.wait_for(A.JOB_ERROR)
    assert code == "BRIDGE_ERROR" and "ZeroDivisionError" in message
    assert daw.ask(A.PING, "alive", reply=A.PONG)[0] == "alive"


def test_progress_ticks_while_a_job_waits_on_the_endpoint(start_daemon: StartDaemon, daw: FakeDaw, tmp_path: Path) -> None:
    maker = FakeTakeMaker(tmp_path / "t", hold_at=Stage.GENERATING, eta=30.0)
    start_daemon(maker, progress_interval=0.2)
    daw.send(A.GENERATE, "x")
    maker.held.get(timeout=5)
    job_id = daw.wait_for(A.JOB_QUEUED)[0]
    # the take maker reports nothing while held: these come from the ticker
    ticks = [daw.wait_for(A.JOB_PROGRESS, where=lambda a: a[0] == job_id and a[1] == 0.5, timeout=2) for _ in range(4)]
    left = [tick[2] for tick in ticks]
    assert all(0 < value <= 30.0 for value in left) and left == sorted(left, reverse=True)
    maker.release()
    daw.wait_for(A.JOB_DONE)


# --- BUSY and cancel ---------------------------------------------------------------------------------


def test_busy_past_the_queue_bound(start_daemon: StartDaemon, daw: FakeDaw, tmp_path: Path) -> None:
    maker = FakeTakeMaker(tmp_path / "t", hold_at=Stage.GENERATING)
    start_daemon(maker, concurrency=1, queue_size=2)
    daw.send(A.SET_PROMPT, "x")
    daw.send(A.GENERATE, 1)
    maker.held.get(timeout=5)
    daw.send(A.GENERATE, 1)
    assert daw.wait_for(A.JOB_QUEUED, where=lambda a: a[1] == 1)
    # variations are all or none: two do not fit in the one free place
    daw.send(A.SET_VARIATIONS, 2)
    code, message = error_reply(daw, A.GENERATE, 1)
    assert code == "BUSY" and "1 of 2 waiting, 2 asked" in message and "--queue-size" in message
    daw.send(A.SET_VARIATIONS, 1)
    daw.send(A.GENERATE, 1)
    assert daw.wait_for(A.JOB_QUEUED, where=lambda a: a[1] == 2)
    code, message = error_reply(daw, A.GENERATE, 1)
    assert code == "BUSY"
    maker.release(3)
    assert len({daw.wait_for(A.JOB_DONE)[0] for _ in range(3)}) == 3


def test_cancel_a_queued_job(start_daemon: StartDaemon, daw: FakeDaw, tmp_path: Path) -> None:
    maker = FakeTakeMaker(tmp_path / "t", hold_at=Stage.GENERATING)
    start_daemon(maker, concurrency=1)
    daw.send(A.SET_PROMPT, "x")
    daw.send(A.GENERATE, 1)
    running = daw.wait_for(A.JOB_QUEUED)[0]
    maker.held.get(timeout=5)
    daw.send(A.GENERATE, 1)
    waiting = daw.wait_for(A.JOB_QUEUED, where=lambda a: a[0] != running)[0]
    daw.send(A.GENERATE, 1)
    third = daw.wait_for(A.JOB_QUEUED, where=lambda a: a[0] not in (running, waiting))[0]
    daw.send(A.CANCEL, waiting)
    assert daw.wait_for(A.JOB_STATUS, where=lambda a: a[0] == waiting and a[1] == "cancelled")
    # the job behind it moves up
    assert daw.wait_for(A.JOB_QUEUED, where=lambda a: a[0] == third and a[1] == 1)
    maker.release(2)
    daw.wait_for(A.JOB_DONE, where=lambda a: a[0] == running)
    daw.wait_for(A.JOB_DONE, where=lambda a: a[0] == third)
    assert len(maker.calls) == 2
    code, message = error_reply(daw, A.CANCEL, waiting)
    assert "already finished (cancelled)" in message


@pytest.mark.parametrize("stage", [Stage.PREPARING, Stage.SUBMITTING, Stage.GENERATING, Stage.DOWNLOADING])
def test_cancel_a_running_job_at_each_stage(start_daemon: StartDaemon, daw: FakeDaw, tmp_path: Path, stage: Stage) -> None:
    maker = FakeTakeMaker(tmp_path / "t", hold_at=stage)
    start_daemon(maker)
    daw.send(A.GENERATE, "x")
    job_id = daw.wait_for(A.JOB_QUEUED)[0]
    maker.held.get(timeout=5)
    daw.send(A.CANCEL, job_id)
    assert daw.wait_for(A.JOB_STATUS, where=lambda a: a[0] == job_id and a[1] == "cancelled")
    maker.cancelled.get(timeout=5)
    daw.sync()
    assert daw.unread(A.JOB_DONE) == [] and daw.unread(A.JOB_ERROR) == []
    assert list(maker.out_dir.iterdir()) == []
    assert daemon_stage(daw, job_id) == "cancelled"


def daemon_stage(daw: FakeDaw, job_id: str) -> str:
    return [args[1] for address, args in daw.seen if address == A.JOB_STATUS and args[0] == job_id][-1]


def test_cancel_newest_and_all(start_daemon: StartDaemon, daw: FakeDaw, tmp_path: Path) -> None:
    maker = FakeTakeMaker(tmp_path / "t", hold_at=Stage.GENERATING)
    start_daemon(maker, concurrency=1)
    daw.send(A.SET_PROMPT, "x")
    daw.send(A.SET_VARIATIONS, 3)
    daw.send(A.GENERATE, 1)
    ids = sorted({daw.wait_for(A.JOB_QUEUED)[0] for _ in range(3)})
    maker.held.get(timeout=5)
    daw.send(A.CANCEL)
    assert daw.wait_for(A.JOB_STATUS, where=lambda a: a[1] == "cancelled")[0] == ids[-1]
    daw.send(A.CANCEL, "all")
    cancelled = {daw.wait_for(A.JOB_STATUS, where=lambda a: a[1] == "cancelled")[0] for _ in range(2)}
    assert cancelled == set(ids[:2])
    assert maker.kinds == ["make"]


# --- notifications, tempo, capture -------------------------------------------------------------------


def test_replies_go_to_the_reply_port_and_notify_targets(start_daemon: StartDaemon, daw: FakeDaw) -> None:
    with FakeDaw() as watcher:
        start_daemon(notify=(f"127.0.0.1:{watcher.reply_port}",))
        # the sender's own port gets nothing: Max's [udpsend] cannot listen on it
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.bind(("127.0.0.1", 0))
        sender.settimeout(0.3)
        from bridge.daemon.osc_io import build_datagram

        sender.sendto(build_datagram(A.PING, ["direct"]), daw.target)
        assert daw.wait_for(A.PONG)[0] == "direct"
        assert watcher.wait_for(A.PONG)[0] == "direct"
        with pytest.raises(TimeoutError):
            sender.recvfrom(1024)
        sender.close()
        daw.send(A.GENERATE, "x")
        assert watcher.wait_for(A.JOB_DONE)[0] == daw.wait_for(A.JOB_DONE)[0]


def test_tempo_source_is_asked_at_trigger_time(start_daemon: StartDaemon, daw: FakeDaw, take_maker: FakeTakeMaker) -> None:
    class Host:
        name = "ableton"
        bpm = 100.0

        def current(self, timeout: float = 0.25) -> TempoInfo | None:
            return TempoInfo(bpm=self.bpm, beats_per_bar=3, source=self.name)

        def close(self) -> None:
            pass

    host = Host()
    daemon = start_daemon(tempo_source=host)
    daw.send(A.SET_PROMPT, "x")
    daw.send(A.SET_BPM, 90)
    daw.send(A.GENERATE, 1)
    daw.wait_for(A.JOB_DONE)
    host.bpm = 133.0
    daw.send(A.GENERATE, 1)
    daw.wait_for(A.JOB_DONE)
    assert [(c.spec.bpm, c.spec.beats_per_bar) for c in take_maker.calls] == [(100.0, 3), (133.0, 3)]
    # a clock's tempo reaches every host that talks OSC to the bridge, not only the one that asked
    assert daemon.submit(TempoUpdate(133.0, "midi-clock", Origin("midi")))
    assert daw.wait_for(A.TEMPO) == [133.0, "midi-clock"]
    daemon.submit(TempoUpdate(123.0, "ableton", Origin("osc", "127.0.0.1")))
    assert daw.wait_for(A.TEMPO) == [123.0, "ableton"]


def test_capture_is_forwarded_and_the_take_becomes_the_clip(start_daemon: StartDaemon, daw: FakeDaw, tmp_path: Path) -> None:
    recorded = write_wav(tmp_path / "captured.wav")
    calls: list[str] = []

    class Capture:
        def start(self) -> None:
            calls.append("start")

        def stop(self) -> Path | None:
            calls.append("stop")
            return recorded

        def bars(self, n: int, *, bpm: float | None = None, beats_per_bar: int | None = None) -> Path:
            calls.append(f"bars {n} at {bpm} bpm in {beats_per_bar}")
            return recorded

    start_daemon(capture=Capture())
    daw.send(A.SET_BPM, 96)
    daw.send(A.SET_BEATS_PER_BAR, 3)
    daw.send(A.CAPTURE_START)
    daw.send(A.CAPTURE_STOP)
    assert daw.wait_for(A.GET_PREFIX + "clip") == [str(recorded.resolve())]
    daw.send(A.CAPTURE_BARS, 2)
    assert daw.wait_for(A.GET_PREFIX + "clip") == [str(recorded.resolve())]
    assert calls == ["start", "stop", "bars 2 at 96.0 bpm in 3"]


# --- safety and lifecycle ----------------------------------------------------------------------------


def test_port_in_use_names_the_flag(options: DaemonOptions, take_maker: FakeTakeMaker) -> None:
    blocker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    blocker.bind(("127.0.0.1", 0))
    port = blocker.getsockname()[1]
    try:
        daemon = Daemon(DaemonOptions(journal_path=options.journal_path, osc_port=port), take_maker)
        with pytest.raises(PortInUseError, match=rf"OSC port {port} .* already in use.*--osc-port"):
            daemon.start()
    finally:
        blocker.close()


def test_listening_beyond_loopback_needs_allow(options: DaemonOptions, take_maker: FakeTakeMaker) -> None:
    with pytest.raises(ConfigError, match="--allow CIDR"):
        Daemon(DaemonOptions(journal_path=options.journal_path, osc_host="0.0.0.0"), take_maker)
    with pytest.raises(ConfigError, match="is not a network"):
        Daemon(DaemonOptions(journal_path=options.journal_path, allow=("10.0.0.300/8",)), take_maker)


def test_allow_list_drops_others_and_logs_once(
    start_daemon: StartDaemon, daw: FakeDaw, caplog: pytest.LogCaptureFixture
) -> None:
    from bridge.daemon.osc_io import build_datagram

    daemon = start_daemon(allow=("192.168.7.0/24",))
    listener = daemon.listener
    with caplog.at_level(logging.WARNING, logger="bridge.daemon.osc_io"):
        for _ in range(3):
            listener.handle_datagram(build_datagram(A.SET_BPM, [200]), "10.1.2.3", 5000)
    listener.handle_datagram(build_datagram(A.SET_BPM, [150]), "192.168.7.9", 5000)
    assert listener.refused == 3
    assert [r.getMessage() for r in caplog.records].count(
        "dropping OSC from 10.1.2.3: not in --allow (logged once per source)") == 1
    assert daw.ask(A.GET_PREFIX + "bpm") == [150.0]


def test_stop_is_prompt_with_a_job_running(start_daemon: StartDaemon, daw: FakeDaw, tmp_path: Path) -> None:
    import time

    maker = FakeTakeMaker(tmp_path / "t", hold_at=Stage.GENERATING)
    daemon = start_daemon(maker)
    daw.send(A.GENERATE, "x")
    maker.held.get(timeout=5)
    before = {t.name for t in threading.enumerate()}
    started = time.monotonic()
    daemon.stop()
    assert time.monotonic() - started < 5.0
    left = {t.name for t in threading.enumerate()} & before
    assert not {name for name in left if name.startswith(("job-", "controller", "osc-listener"))}


def test_jobs_other_inputs_start_are_announced_to_osc_hosts(start_daemon: StartDaemon, daw: FakeDaw) -> None:
    daemon = start_daemon()
    daw.send(A.SET_PROMPT, "pads")
    daw.sync()
    # a MIDI note (or the inbox) triggers: the Max patch that has been talking to us must see the take
    assert daemon.submit(Generate(origin=Origin("midi")))
    done = daw.wait_for(A.JOB_DONE)
    assert Path(done[1]).exists()
