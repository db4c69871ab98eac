"""EndpointClient against a real HTTP server on loopback: submit, retries, polling, deadlines, cancel, secrets."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

import pytest

from bridge.core.progress import Progress, Stage
from bridge.endpoint import EndpointClient, EndpointSettings
from bridge.errors import (
    AuthError,
    BadRequestError,
    CancelledError,
    ConfigError,
    EndpointError,
    QuotaError,
    RateLimitedError,
    UpstreamTimeoutError,
)
from support.client_settings import KEY, REQUEST, fast
from support.vendor_server import (
    Reply,
    VendorServer,
    error,
    failed,
    html_page,
    make_wav_bytes,
    processing,
    still_processing,
    success,
)

def make_client(server: VendorServer, **changes: object) -> EndpointClient:
    return EndpointClient(fast(server, **changes))


def generation_posts(server: VendorServer) -> list:
    return server.requests_to("/music_gen")


def fetch_posts(server: VendorServer) -> list:
    return server.requests_to("/fetch/")


# -- the happy paths -------------------------------------------------------------


def test_success_is_submitted_once_downloaded_and_verified(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    wav = make_wav_bytes(0.5, 32_000)
    link = server.add_file("e143f35e.wav", wav)
    server.script_generate(success(310815, output=[link]))
    accepted: list[str] = []
    reports: list[Progress] = []

    take = client.generate(REQUEST, tmp_path, progress=reports.append, on_accepted=accepted.append)

    assert accepted == ["310815"]
    assert take.endpoint_id == "310815"
    assert take.path.read_bytes() == wav
    assert take.path.parent == tmp_path and take.path.suffix == ".wav"
    assert (take.audio.frames, take.audio.sample_rate, take.audio.channels, take.audio.format) == (16_000, 32_000, 1, "wav")
    assert take.generation_time == pytest.approx(7.888, abs=0.01)
    assert take.meta["sampling_rate"] == 32000
    assert take.links == (link,)
    (post,) = generation_posts(server)
    assert post.json == REQUEST.to_payload(KEY)
    assert [r.path for r in server.requests] == ["/api/v6/voice/music_gen", "/files/e143f35e.wav"]
    assert [p.stage for p in reports][0] == Stage.SUBMITTING and reports[-1] == Progress(Stage.DOWNLOADING, 1.0, 0.0)
    fractions = [p.fraction for p in reports]
    assert fractions == sorted(fractions)
    assert sorted(p.name for p in tmp_path.iterdir()) == [take.path.name]
    assert server.unexpected == []


def test_processing_is_polled_until_success_through_string_outputs(server: VendorServer, client: EndpointClient, tmp_path: Path) -> None:
    link = server.add_file("done.wav", make_wav_bytes())
    server.script_generate(processing(310815, eta=0.3, fetch_result=server.fetch_url(310815)))
    server.script_fetch(still_processing(), still_processing(), success(310815, output=[link]))

    take = client.generate(REQUEST, tmp_path)

    assert take.endpoint_id == "310815"
    assert len(generation_posts(server)) == 1
    fetches = fetch_posts(server)
    assert [f.path for f in fetches] == ["/api/v6/voice/fetch/310815"] * 3
    assert all(f.json == {"key": KEY} for f in fetches)
    # nothing is asked before the endpoint's own estimate
    assert fetches[0].at - generation_posts(server)[0].at >= 0.3


def test_without_fetch_result_the_id_is_fetched_from_base_url(server: VendorServer, client: EndpointClient) -> None:
    server.script_generate(processing("abc-9", eta=None))
    server.script_fetch(success("abc-9", output=["https://cdn/x.wav"]))
    done = client.wait(client.submit(REQUEST))
    assert done.links == ("https://cdn/x.wav",)
    assert [f.path for f in fetch_posts(server)] == ["/api/v6/voice/fetch/abc-9"]


def test_a_fetch_result_on_another_host_never_gets_the_key(server: VendorServer, client: EndpointClient, caplog: pytest.LogCaptureFixture) -> None:
    server.script_generate(processing(5, eta=None, fetch_result="http://collector.invalid/fetch/5"))
    server.script_fetch(success(5, output=["https://cdn/x.wav"]))
    with caplog.at_level(logging.WARNING):
        client.wait(client.submit(REQUEST))
    assert [f.path for f in fetch_posts(server)] == ["/api/v6/voice/fetch/5"]
    assert "ignoring fetch_result http://collector.invalid/fetch/5" in caplog.text


def test_resume_polls_an_old_id_and_never_posts_a_generation(server: VendorServer, client: EndpointClient) -> None:
    server.script_fetch(still_processing(), success(310815, output=["https://cdn/x.wav"]))
    done = client.resume("310815")
    assert done.done and done.endpoint_id == "310815"
    assert generation_posts(server) == [] and len(fetch_posts(server)) == 2


def test_fetch_asks_once(server: VendorServer, client: EndpointClient) -> None:
    server.script_fetch(still_processing())
    sub = client.fetch("310815")
    assert (sub.status, sub.endpoint_id, sub.links) == ("processing", "310815", ())
    assert len(fetch_posts(server)) == 1


def test_progress_is_reported_at_least_once_a_second_while_generating(server: VendorServer, client: EndpointClient) -> None:
    server.script_generate(processing(1, eta=1.6, fetch_result=server.fetch_url(1)))
    server.script_fetch(success(1, output=["https://cdn/x.wav"]))
    seen: list[tuple[float, Progress]] = []
    client.wait(client.submit(REQUEST), progress=lambda p: seen.append((time.monotonic(), p)))
    generating = [(t, p) for t, p in seen if p.stage == Stage.GENERATING]
    assert len(generating) >= 4
    gaps = [b[0] - a[0] for a, b in zip(generating, generating[1:])]
    assert max(gaps) <= 1.0
    fractions = [p.fraction for _, p in generating]
    assert fractions == sorted(fractions) and 0.05 <= fractions[0] and fractions[-1] == 0.9
    lefts = [p.seconds_left for _, p in generating[:-1]]
    assert lefts[0] == pytest.approx(1.6, abs=0.2) and lefts == sorted(lefts, reverse=True)


# -- retries of the one generation POST ----------------------------------------------


def test_5xx_is_retried_until_one_post_succeeds(server: VendorServer, client: EndpointClient) -> None:
    server.script_generate(error("Server Error", status=500), html_page(503), success(310815, output=["https://cdn/x.wav"]))
    sub = client.submit(REQUEST)
    assert sub.endpoint_id == "310815"
    assert len(generation_posts(server)) == 3  # two refused, exactly one accepted
    assert server.unexpected == []


def test_5xx_gives_up_after_max_attempts(server: VendorServer) -> None:
    server.script_generate(then=html_page(503))
    with make_client(server, max_attempts=3) as client, pytest.raises(
        EndpointError, match=r"unavailable \(HTTP 503, an HTML page .*\): ModelsLab may be down"
    ):
        client.submit(REQUEST)
    assert len(generation_posts(server)) == 3


def test_429_retry_after_from_the_body_is_honoured(server: VendorServer, client: EndpointClient) -> None:
    server.script_generate(
        error("Rate limit exceeded. Maximum 5 queued requests allowed.", status=429, retry_after=0.3),
        success(1, output=["https://cdn/x.wav"]),
    )
    client.submit(REQUEST)
    first, second = generation_posts(server)
    assert second.at - first.at >= 0.3


def test_429_retry_after_header_is_honoured(server: VendorServer, client: EndpointClient) -> None:
    server.script_generate(
        Reply(status=429, json={"status": "error", "message": "Too Many Requests"}, headers={"Retry-After": "0.25"}),
        success(1, output=["https://cdn/x.wav"]),
    )
    client.submit(REQUEST)
    first, second = generation_posts(server)
    assert second.at - first.at >= 0.25


def test_a_retry_after_past_the_deadline_is_raised_at_once(server: VendorServer, client: EndpointClient) -> None:
    server.script_generate(error("Rate limit exceeded. Maximum 5 queued requests allowed.", status=429, retry_after=60))
    started = time.monotonic()
    with pytest.raises(RateLimitedError, match=r"rate-limiting .*: try again in 60 s") as info:
        client.submit(REQUEST)
    assert info.value.retry_after == 60.0 and info.value.code == "RATE_LIMITED"
    assert time.monotonic() - started < 1.0
    assert len(generation_posts(server)) == 1


@pytest.mark.parametrize(
    ("reply", "cls", "match"),
    [
        (error("Invalid API key"), AuthError, r"the API key was refused .*set MODELSLAB_API_KEY"),
        (error("Invalid API key", field_name="messege"), AuthError, r"the API key was refused"),
        (error("Unauthenticated.", status=401), AuthError, r"the API key was refused"),
        (html_page(403, "403 Forbidden"), AuthError, r"refused \(HTTP 403, an HTML page"),
        (error("Insufficient credits", status=402), QuotaError, r"out of credits .*: top up at https://modelslab.com/pricing"),
        (error("Your subscription has expired"), QuotaError, r"out of credits"),
        (error({"prompt": ["The prompt field is required."]}), BadRequestError, r"prompt: The prompt field is required"),
        (error("duration is invalid", status=422), BadRequestError, r"rejected the request \(HTTP 422"),
        (Reply(status=200, body="OK"), EndpointError, r"with 'OK' instead of JSON"),
    ],
)
def test_other_refusals_are_never_retried(server: VendorServer, client: EndpointClient, reply: Reply, cls: type, match: str) -> None:
    server.script_generate(reply)
    with pytest.raises(cls, match=match) as info:
        client.submit(REQUEST)
    assert type(info.value) is cls and info.value.endpoint_id is None
    assert len(generation_posts(server)) == 1
    assert server.unexpected == []


def test_a_slow_endpoint_hits_the_read_timeout_and_is_retried(server: VendorServer) -> None:
    server.script_generate(Reply(json=success(1, output=["https://cdn/x.wav"]).json, delay=1.0), success(2, output=["https://cdn/y.wav"]))
    with make_client(server, read_timeout=0.3) as client:
        started = time.monotonic()
        sub = client.submit(REQUEST)
    assert sub.endpoint_id == "2"
    assert time.monotonic() - started < 0.9
    assert len(generation_posts(server)) == 2


def test_a_slow_endpoint_that_never_answers_is_an_upstream_timeout(server: VendorServer) -> None:
    server.script_generate(then=Reply(json={"status": "processing"}, delay=2.0))
    with make_client(server, read_timeout=0.3, max_attempts=2) as client, pytest.raises(
        UpstreamTimeoutError, match=r"did not answer within 0.3 s .*raise read_timeout"
    ):
        client.submit(REQUEST)
    assert len(generation_posts(server)) == 2


def test_a_refused_connection_is_retried_then_reported(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port that was just free: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = EndpointSettings(base_url=f"http://127.0.0.1:{port}/api/v6/voice", api_key=KEY, max_attempts=2, backoff_base=0.01)
    with EndpointClient(settings) as client, pytest.raises(EndpointError, match=r"could not reach the endpoint at .*check the network"):
        client.submit(REQUEST)


def test_a_redirect_is_not_followed_with_the_key(server: VendorServer, client: EndpointClient) -> None:
    server.script_generate(Reply(status=308, headers={"Location": "http://elsewhere.invalid/music_gen"}))
    with pytest.raises(EndpointError, match=r"redirected .* to http://elsewhere.invalid/music_gen \(HTTP 308\): set base_url"):
        client.submit(REQUEST)
    assert len(generation_posts(server)) == 1


def test_processing_without_an_id_is_never_polled(server: VendorServer, client: EndpointClient) -> None:
    server.script_generate(Reply(json={"status": "processing", "eta": 5, "output": []}))
    with pytest.raises(EndpointError, match=r"processing but gave no id"):
        client.submit(REQUEST)
    assert fetch_posts(server) == []


# -- once an id exists, only fetches -----------------------------------------------------


def test_failing_fetches_never_repost_the_generation(server: VendorServer) -> None:
    server.script_generate(processing(310815, eta=None, fetch_result=server.fetch_url(310815)))
    server.script_fetch(error("Server Error", status=500), html_page(502), then=error("Server Error", status=500))
    accepted: list[str] = []
    with make_client(server, deadline=0.8) as client, pytest.raises(
        UpstreamTimeoutError, match=r"generation 310815 was not ready after 1 s \(last answer: the endpoint failed .*\): its id is kept"
    ) as info:
        client.generate(REQUEST, Path("/nonexistent-never-reached"), on_accepted=accepted.append)
    assert info.value.endpoint_id == "310815" and accepted == ["310815"]
    assert len(generation_posts(server)) == 1
    assert len(fetch_posts(server)) >= 4


def test_still_processing_past_the_deadline_is_an_upstream_timeout(server: VendorServer) -> None:
    server.script_generate(processing(42, eta=0.1, fetch_result=server.fetch_url(42)))
    server.script_fetch(then=still_processing())
    with make_client(server, deadline=0.6) as client:
        started = time.monotonic()
        with pytest.raises(UpstreamTimeoutError, match=r"generation 42 was not ready") as info:
            client.wait(client.submit(REQUEST))
    assert 0.6 <= time.monotonic() - started < 1.5
    assert info.value.endpoint_id == "42" and info.value.code == "UPSTREAM_TIMEOUT"
    assert len(generation_posts(server)) == 1


def test_a_failed_generation_carries_its_id(server: VendorServer, client: EndpointClient) -> None:
    server.script_generate(processing(310815, eta=None))
    server.script_fetch(still_processing(), failed(310815, "CUDA out of memory"))
    with pytest.raises(EndpointError, match=r"generation 310815 failed \('CUDA out of memory'\): send the take again") as info:
        client.wait(client.submit(REQUEST))
    assert info.value.endpoint_id == "310815" and type(info.value) is EndpointError
    assert len(generation_posts(server)) == 1


def test_an_auth_error_while_fetching_carries_the_id(server: VendorServer, client: EndpointClient) -> None:
    server.script_fetch(error("Invalid API key", status=401))
    with pytest.raises(AuthError, match=r"API key was refused") as info:
        client.resume("310815")
    assert info.value.endpoint_id == "310815"


def test_a_rate_limited_fetch_waits_and_polls_on(server: VendorServer, client: EndpointClient) -> None:
    server.script_fetch(error("Rate limit exceeded", status=429, retry_after=0.3), success(9, output=["https://cdn/x.wav"]))
    assert client.resume("9").done
    first, second = fetch_posts(server)
    assert second.at - first.at >= 0.3


# -- cancel ------------------------------------------------------------------------------


def cancel_after(seconds: float) -> threading.Event:
    cancel = threading.Event()
    timer = threading.Timer(seconds, cancel.set)
    timer.daemon = True
    timer.start()
    return cancel


def test_cancel_during_the_eta_wait_is_prompt(server: VendorServer, client: EndpointClient) -> None:
    server.script_generate(processing(310815, eta=30, fetch_result=server.fetch_url(310815)))
    submission = client.submit(REQUEST)
    cancel = cancel_after(0.2)
    started = time.monotonic()
    with pytest.raises(CancelledError, match=r"cancelled while generation 310815 was being made"):
        client.wait(submission, cancel=cancel)
    assert time.monotonic() - started < 0.7
    assert fetch_posts(server) == []


def test_cancel_during_polling_is_prompt(server: VendorServer) -> None:
    server.script_fetch(then=still_processing())
    cancel = cancel_after(0.3)
    with make_client(server, poll_initial=5.0, poll_max=5.0) as client:
        started = time.monotonic()
        with pytest.raises(CancelledError):
            client.resume("310815", cancel=cancel)
    assert time.monotonic() - started < 0.8
    assert len(fetch_posts(server)) == 1 and generation_posts(server) == []


def test_cancel_before_submitting_sends_nothing(server: VendorServer, client: EndpointClient) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError, match="nothing was charged"):
        client.submit(REQUEST, cancel=cancel)
    assert server.requests == []


def test_cancel_during_backoff_of_a_retry(server: VendorServer) -> None:
    server.script_generate(error("Rate limit exceeded", status=429, retry_after=3))
    cancel = cancel_after(0.2)
    with make_client(server) as client:
        started = time.monotonic()
        with pytest.raises(CancelledError):
            client.submit(REQUEST, cancel=cancel)
    assert time.monotonic() - started < 0.7


# -- settings, logging, secrets ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"base_url": "modelslab.com/api"}, r"base_url must be an http\(s\) URL"),
        ({"read_timeout": 0}, r"read_timeout must be a positive number of seconds, got 0"),
        ({"max_attempts": 0}, r"max_attempts must be a whole number of at least 1"),
        ({"max_download_bytes": -1}, r"max_download_bytes must be a positive whole number"),
    ],
)
def test_bad_settings_are_config_errors(changes: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        EndpointSettings(**changes)


def test_settings_repr_leaves_the_key_out() -> None:
    assert KEY not in repr(EndpointSettings(api_key=KEY))


def test_one_info_line_per_request(server: VendorServer, client: EndpointClient, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    link = server.add_file("x.wav", make_wav_bytes(), missing_times=1)
    server.script_generate(processing(3, eta=None))
    server.script_fetch(still_processing(), success(3, output=[link]))
    with caplog.at_level(logging.INFO, logger="bridge.endpoint.client"):
        client.generate(REQUEST, tmp_path)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and r.getMessage().startswith(("POST ", "GET "))]
    assert len(lines) == len(server.requests) == 5
    assert lines[0].startswith(f"POST {server.url}/music_gen -> HTTP 200 in ")


def test_the_key_never_reaches_a_message_or_a_log(server: VendorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Every failure path, with the vendor echoing the key back in its errors."""
    scenarios = [
        ("generate", [error(f"Invalid API key {KEY}")], []),
        ("generate", [error(f"Insufficient credits for key {KEY}", status=402)], []),
        ("generate", [error({"key": [f"The key {KEY} is invalid."]})], []),
        ("generate", [error("Rate limit exceeded", status=429, retry_after=60)], []),
        ("generate", [Reply(status=500, body=f"<html><title>error {KEY}</title></html>")] * 4, []),
        ("generate", [Reply(status=200, body=f'{{"key": "{KEY}", oops')], []),
        ("generate", [processing(7, eta=None)], [failed(7, f"failed for {KEY}")]),
        ("generate", [processing(7, eta=None)], [error(f"bad key {KEY}", status=403)]),
        ("generate", [success(7, output=[server.add_file("junk.wav", f"<html>{KEY}</html>".encode(), content_type="text/html")])], []),
        ("generate", [success(7, output=[f"ftp://x/?key={KEY}"])], []),
    ]
    errors: list[BaseException] = []
    with caplog.at_level(logging.DEBUG):
        for _, generate_replies, fetch_replies in scenarios:
            server.script_generate(*generate_replies)
            server.script_fetch(*fetch_replies)
            with make_client(server, max_attempts=4) as client:
                with pytest.raises(EndpointError) as info:
                    client.generate(REQUEST, tmp_path)
                errors.append(info.value)
        with make_client(server, read_timeout=0.2, max_attempts=1) as client:
            server.script_generate(Reply(json={}, delay=1.0))
            with pytest.raises(UpstreamTimeoutError) as info:
                client.submit(REQUEST)
            errors.append(info.value)
    assert len(errors) == len(scenarios) + 1
    for err in errors:
        assert KEY not in str(err) and KEY not in repr(err.args), err
        chained = err.__cause__
        while chained is not None:
            assert KEY not in str(chained)
            chained = chained.__cause__
    assert KEY not in caplog.text
    assert any(r.json and r.json.get("key") == KEY for r in server.requests)  # it was sent, just never shown
    assert list(tmp_path.iterdir()) == []
