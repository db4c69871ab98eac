"""AbletonTempoSource and AbletonNotifier against a fake AbletonOSC over real UDP on loopback."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.core.music import Key
from bridge.errors import PortInUseError
from bridge.hosts.ableton import (
    AbletonClient,
    AbletonNotifier,
    AbletonTempoSource,
    build_tempo_info,
    parse_live_key,
)
from support.fake_ableton import FakeAbleton


@pytest.fixture
def client() -> Iterator[AbletonClient]:
    # reply port 0: a free port, so tests never fight a real AbletonOSC client over 11001
    client = AbletonClient("127.0.0.1", send_port=9, reply_port=0)
    yield client
    client.close()


def live(client: AbletonClient, **kwargs: object) -> FakeAbleton:
    fake = FakeAbleton(reply_port=client.reply_port, **kwargs)  # type: ignore[arg-type]
    client.send_port = fake.port
    return fake


@pytest.mark.parametrize(
    ("root", "scale", "expected"),
    [
        (7, "Minor", Key(7, True)),
        (3, "Major", Key(3, False)),
        (2, "Dorian", Key(2, True)),
        (5, "Mixolydian", Key(5, False)),
        (9, "Harmonic Minor", Key(9, True)),
        (0, "Minor Pentatonic", Key(0, True)),
        (0, "Chromatic", None),
        (0, "Whole Tone", None),
        (12, "Major", None),
        (True, "Major", None),
        (1.5, "Major", None),
        (4, None, None),
    ],
)
def test_live_scales_fold_onto_major_or_minor(root: object, scale: object, expected: Key | None) -> None:
    assert parse_live_key(root, scale) == expected


@pytest.mark.parametrize(
    ("numerator", "denominator", "beats"),
    [(4, 4, 4), (3, 4, 3), (6, 8, 3), (12, 8, 6), (2, 2, 4)],
)
def test_time_signature_counts_quarter_note_beats(numerator: int, denominator: int, beats: int) -> None:
    info, _ = build_tempo_info({
        "/live/song/get/signature_numerator": (numerator,),
        "/live/song/get/signature_denominator": (denominator,),
    })
    assert info is not None and info.beats_per_bar == beats


def test_odd_metre_is_left_to_the_sticky_value_and_says_why() -> None:
    info, notes = build_tempo_info({
        "/live/song/get/tempo": (90.0,),
        "/live/song/get/signature_numerator": (7,),
        "/live/song/get/signature_denominator": (8,),
    })
    assert info is not None and info.bpm == 90.0 and info.beats_per_bar is None
    assert any("7/8" in note for note in notes)


def test_tempo_signature_and_key_from_live_12(client: AbletonClient) -> None:
    source = AbletonTempoSource(client=client)
    with live(client, tempo=128.5, numerator=3, denominator=4, root_note=8, scale_name="Minor") as fake:
        info = source.current(timeout=1.0)
        asked = {fake.received.get(timeout=1)[0] for _ in range(5)}
    assert info is not None
    assert (info.bpm, info.beats_per_bar, info.key, info.source) == (128.5, 3, Key(8, True), "ableton")
    assert asked == {
        "/live/song/get/tempo",
        "/live/song/get/signature_numerator",
        "/live/song/get/signature_denominator",
        "/live/song/get/root_note",
        "/live/song/get/scale_name",
    }


def test_live_11_gives_tempo_without_key(client: AbletonClient, caplog: pytest.LogCaptureFixture) -> None:
    source = AbletonTempoSource(client=client, timeout=0.3)
    with live(client, tempo=100.0, root_note=None, scale_name=None), caplog.at_level("INFO"):
        info = source.current()
    assert info is not None and info.bpm == 100.0 and info.beats_per_bar == 4 and info.key is None
    assert "root_note/scale_name" in caplog.text


def test_silent_live_falls_back_within_the_timeout(client: AbletonClient, caplog: pytest.LogCaptureFixture) -> None:
    source = AbletonTempoSource(client=client, timeout=0.2)
    with live(client, silent=True) as fake, caplog.at_level("WARNING"):
        started = time.monotonic()
        info = source.current()
        elapsed = time.monotonic() - started
        assert fake.wait_for("/live/song/get/tempo") == ()  # it was asked; it just never answered
    assert info is None
    assert 0.15 <= elapsed < 0.6
    assert "did not answer" in caplog.text and "sticky" in caplog.text


def test_no_ableton_at_all_falls_back(client: AbletonClient) -> None:
    # nothing listens on the send port: ICMP unreachable must not break the source
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unused:
        unused.bind(("127.0.0.1", 0))
        client.send_port = unused.getsockname()[1]
    source = AbletonTempoSource(client=client, timeout=0.1)
    assert source.current() is None
    assert source.current() is None


def test_late_replies_do_not_leak_into_the_next_trigger(client: AbletonClient) -> None:
    source = AbletonTempoSource(client=client, timeout=0.3)
    with live(client, tempo=90.0) as fake:
        assert source.current() is not None and source.current().bpm == 90.0  # type: ignore[union-attr]
        fake.tempo = 140.0
        info = source.current()
    assert info is not None and info.bpm == 140.0


def test_taken_reply_port_is_a_clear_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", 0))
        port = holder.getsockname()[1]
        with pytest.raises(PortInUseError, match=rf"UDP port {port} .*AbletonOSC replies.*already in use.*tempo source"):
            AbletonTempoSource(reply_port=port)


def test_the_source_binds_its_reply_port_and_frees_it_on_close() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = AbletonTempoSource(reply_port=port)
    with pytest.raises(PortInUseError):
        AbletonTempoSource(reply_port=port)
    source.close()
    AbletonTempoSource(reply_port=port).close()


def test_done_and_error_show_in_the_status_bar(client: AbletonClient) -> None:
    with live(client) as fake:
        notifier = AbletonNotifier(host="127.0.0.1", send_port=fake.port)  # no slot: binds no reply port
        notifier.job_done("j1", Path("/tmp/take 1.wav"), prompt="lofi piano")
        assert "take ready: /tmp/take 1.wav" in fake.wait_for("/live/api/show_message")[0]
        notifier.job_failed("j2", "AUTH", "the endpoint refused the API key")
        assert fake.wait_for("/live/api/show_message") == ("MusicGen failed (AUTH): the endpoint refused the API key",)
        notifier.close()


def test_take_goes_into_the_first_empty_slot_and_is_confirmed(client: AbletonClient, tmp_path: Path) -> None:
    take = tmp_path / "take.wav"
    take.write_bytes(b"RIFF")
    with live(client, offers_create_audio_clip=True) as fake:
        fake.clips[(1, 2)] = "/old.wav"
        notifier = AbletonNotifier(slot=(1, 2), client=client, timeout=0.3)
        placement = notifier.job_done("j1", take, prompt="dub techno")
        assert fake.wait_for("/live/api/show_message") == ("MusicGen: dub techno in track 2, scene 4",)
    assert placement is not None and placement.placed and (placement.track, placement.scene) == (1, 3)
    assert fake.clips[(1, 3)] == str(take.resolve())
    assert notifier.create_audio_clip_offered is True


def test_an_abletonosc_without_create_audio_clip_gets_the_path(
    client: AbletonClient, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    take = tmp_path / "take.wav"
    with live(client, offers_create_audio_clip=False) as fake, caplog.at_level("WARNING"):
        notifier = AbletonNotifier(slot=(0, 0), client=client, timeout=0.1)
        placement = notifier.job_done("j1", take)
        assert fake.wait_for("/live/api/show_message") == (f"MusicGen: take ready: {take}",)
        assert placement is not None and not placement.placed
        assert notifier.create_audio_clip_offered is False
        # remembered: the next take is not tried again, only announced
        second = notifier.job_done("j2", take)
    assert second is not None and not second.placed and "does not offer" in second.reason
    assert caplog.text.count("does not offer") == 1


def test_a_full_track_is_reported_not_overwritten(client: AbletonClient, tmp_path: Path) -> None:
    with live(client, offers_create_audio_clip=True, scenes=2) as fake:
        fake.clips.update({(0, 0): "a.wav", (0, 1): "b.wav"})
        placement = AbletonNotifier(slot=(0, 0), client=client, timeout=0.1).place_take(tmp_path / "t.wav", 0, 0)
    assert not placement.placed and "no empty clip slot" in placement.reason
    assert fake.clips == {(0, 0): "a.wav", (0, 1): "b.wav"}


def test_ping(client: AbletonClient) -> None:
    with live(client) as fake:
        assert client.ping(timeout=1.0)
        fake.silent = True
        assert not client.ping(timeout=0.1)
