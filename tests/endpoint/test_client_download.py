"""Downloads: link fallback, future links that 404 until ready, cut-short transfers, verification, size cap."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from bridge.audio.probe import AudioInfo, probe_audio
from bridge.endpoint import EndpointClient
from bridge.errors import BadAudioError, CancelledError, EndpointError, StorageError, UpstreamTimeoutError
from support.vendor_server import Reply, VendorServer, make_wav_bytes, processing, still_processing, success

from support.client_settings import KEY, REQUEST, fast


def gets(server: VendorServer) -> list[str]:
    return [r.path.removeprefix("/files/") for r in server.requests if r.method == "GET"]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_links_fall_back_output_then_proxy_then_future(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    good = make_wav_bytes(0.3)
    output = server.add_file("out.wav", b"<html><body>Access Denied</body></html>", content_type="text/html")
    proxy = server.add_file("proxy.wav", good, before=[Reply(status=503)] * 5)  # down for longer than its tries
    future = server.add_file("future.wav", good)

    path = client.download([output, proxy, future], tmp_path, "wav", endpoint_id="310815")

    assert path.read_bytes() == good
    assert path.name == "modelslab-310815.wav"
    assert gets(server) == ["out.wav", "proxy.wav", "proxy.wav", "future.wav"]
    assert leftovers(tmp_path) == ["modelslab-310815.wav"]


def test_a_future_link_that_404s_until_ready_is_waited_for(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    good = make_wav_bytes(0.3)
    future = server.add_file("future.wav", good, missing_times=3)
    path = client.download([future], tmp_path, "wav", endpoint_id="7")
    assert path.read_bytes() == good
    assert gets(server) == ["future.wav"] * 4


def test_a_link_that_never_appears_runs_into_the_deadline(server: VendorServer, tmp_path: Path) -> None:
    missing = server.file_url("never.wav")
    with EndpointClient(fast(server, deadline=0.5)) as client:
        started = time.monotonic()
        with pytest.raises(UpstreamTimeoutError, match=r"files of generation 9 were still missing .*HTTP 404.*its id 9 is kept") as info:
            client.download([missing], tmp_path, "wav", endpoint_id="9")
    assert 0.5 <= time.monotonic() - started < 1.5
    assert info.value.endpoint_id == "9"
    assert len(gets(server)) >= 3
    assert leftovers(tmp_path) == []


def test_a_cut_short_download_is_retried(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    good = make_wav_bytes(0.5)
    link = server.add_file("take.wav", good, cut_times=1)
    path = client.download([link], tmp_path, "wav", endpoint_id="1")
    assert path.read_bytes() == good
    assert gets(server) == ["take.wav", "take.wav"]


def test_a_link_cut_short_every_time_falls_to_the_next(server: VendorServer, client: EndpointClient, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good = make_wav_bytes(0.5)
    flaky = server.add_file("flaky.wav", good, cut_times=10, cut_after=100)
    proxy = server.add_file("proxy.wav", good)
    with caplog.at_level(logging.WARNING):
        path = client.download([flaky, proxy], tmp_path, "wav", endpoint_id="1")
    assert path.read_bytes() == good
    assert gets(server) == ["flaky.wav", "flaky.wav", "proxy.wav"]
    assert "flaky.wav failed: cut short: the connection dropped before all" in caplog.text
    assert leftovers(tmp_path) == [path.name]


def test_every_link_failing_keeps_the_id_for_later(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    a = server.add_file("a.wav", make_wav_bytes(), before=[Reply(status=403)])
    b = server.add_file("b.wav", make_wav_bytes(), cut_times=5)
    with pytest.raises(EndpointError, match=r"could not download generation 310815: .*a.wav: HTTP 403; .*b.wav: .*; its id 310815 is kept") as info:
        client.download([a, b], tmp_path, "wav", endpoint_id="310815")
    assert type(info.value) is EndpointError and info.value.endpoint_id == "310815"
    assert leftovers(tmp_path) == []


def test_a_download_that_is_not_audio_is_bad_audio(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    page = server.add_file("x.wav", b"<!DOCTYPE html><html><title>Error</title></html>", content_type="text/html")
    with pytest.raises(BadAudioError, match=r"x.wav' is not a WAV file \(text starting '<!DOCTYPE html>.*the endpoint sent something other than audio") as info:
        client.download([page], tmp_path, "wav", endpoint_id="5")
    assert info.value.endpoint_id == "5" and info.value.code == "BAD_AUDIO"
    assert leftovers(tmp_path) == []


def test_audio_of_the_wrong_format_is_bad_audio(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    flac = server.add_file("x.wav", make_wav_bytes(0.2, fmt="flac"))
    with pytest.raises(BadAudioError, match=r"is FLAC audio, not the WAV that was asked for: set output_format to 'flac'"):
        client.download([flac], tmp_path, "wav", endpoint_id="5")
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("fmt", ["wav", "flac", "mp3"])
def test_each_requested_format_is_verified(server: VendorServer, client: EndpointClient, tmp_path: Path, fmt: str) -> None:
    link = server.add_file(f"take.{fmt}", make_wav_bytes(0.5, 32_000, fmt), content_type=f"audio/{fmt}")
    path = client.download([link], tmp_path, fmt, endpoint_id="5")
    assert path.suffix == f".{fmt}"
    info = probe_audio(path, fmt)
    assert (info.sample_rate, info.channels, info.format) == (32_000, 1, fmt)
    assert info.seconds == pytest.approx(0.5, abs=0.1)


def test_the_size_cap_stops_a_huge_download(server: VendorServer, tmp_path: Path) -> None:
    big = server.add_file("big.wav", make_wav_bytes(1.0))  # 64 kB
    with EndpointClient(fast(server, max_download_bytes=10_000)) as client:
        with pytest.raises(BadAudioError, match=r"big.wav: 0.1 MiB is over the 0.0 MiB cap \(max_download_bytes\)"):
            client.download([big], tmp_path, "wav", endpoint_id="5")
    assert leftovers(tmp_path) == []


def test_non_http_links_are_skipped_with_a_reason(server: VendorServer, client: EndpointClient, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good = server.add_file("good.wav", make_wav_bytes())
    with caplog.at_level(logging.WARNING):
        path = client.download(["ftp://cdn/x.wav", "data:audio/wav;base64,AAAA", good], tmp_path, "wav", endpoint_id="5")
    assert path.exists()
    assert "skipping link ftp://cdn/x.wav of generation 5: not an http(s) URL (scheme 'ftp')" in caplog.text
    assert gets(server) == ["good.wav"]


def test_no_http_link_at_all_is_an_endpoint_error(client: EndpointClient, tmp_path: Path) -> None:
    with pytest.raises(EndpointError, match=r"no downloadable links for generation 5 \('file:///x.wav': not an http\(s\) URL"):
        client.download(["file:///x.wav"], tmp_path, "wav", endpoint_id="5")


def test_cancel_while_waiting_for_a_future_link(server: VendorServer, tmp_path: Path) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    with EndpointClient(fast(server, poll_initial=5.0, poll_max=5.0)) as client:
        started = time.monotonic()
        with pytest.raises(CancelledError, match="cancelled while downloading generation 5"):
            client.download([server.file_url("later.wav")], tmp_path, "wav", endpoint_id="5", cancel=cancel)
    assert time.monotonic() - started < 0.8
    assert leftovers(tmp_path) == []


def test_an_unwritable_destination_is_a_storage_error(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StorageError, match=r"cannot create the download folder"):
        client.download([server.add_file("a.wav", make_wav_bytes())], blocker, "wav")


def test_generate_end_to_end_with_future_links(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    """Processing with future links, fetched until success; the file 404s a little longer (CDN lag)."""
    good = make_wav_bytes(0.4)
    future = server.add_file("future.wav", good, missing_times=2)
    server.script_generate(processing(310815, eta=0.1, fetch_result=server.fetch_url(310815), future_links=[future]))
    server.script_fetch(still_processing(), success(310815, output=[future]))
    accepted: list[str] = []
    take = client.generate(REQUEST, tmp_path, on_accepted=accepted.append)
    assert accepted == ["310815"]
    assert take.path.read_bytes() == good
    assert take.audio == AudioInfo(frames=12_800, sample_rate=32_000, channels=1, format="wav")
    assert len(server.requests_to("/music_gen")) == 1
    assert server.requests_to("/music_gen")[0].json["key"] == KEY


def test_resume_then_download_is_finish(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    link = server.add_file("x.wav", make_wav_bytes())
    server.script_fetch(success(77, output=[link]))
    take = client.finish(client.fetch("77"), tmp_path, "wav")
    assert take.endpoint_id == "77" and take.path.exists()
    assert server.requests_to("/music_gen") == []


def test_probe_rejects_an_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "e.wav"
    empty.write_bytes(b"")
    with pytest.raises(BadAudioError, match=r"'e.wav' is not a WAV file \(an empty file"):
        probe_audio(empty, "wav")


def test_probe_rejects_an_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(BadAudioError, match=r"cannot check for format 'aiff': use one of flac, mp3, wav"):
        probe_audio(tmp_path / "x", "aiff")
