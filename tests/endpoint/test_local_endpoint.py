"""The local endpoint end to end: real HTTP with ``requests`` against a started server on 127.0.0.1 port 0.

The engines here implement the real :class:`Engine` protocol: a seeded sine,
optionally held at a gate (to catch "processing"), failing, or meeting a
barrier (to prove renders run in parallel). The last test runs the shipped
engine from :func:`bridge.engine.create_engine`.
"""

from __future__ import annotations

import base64
import glob
import http.client
import io
import json
import logging
import os
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
import requests
import soundfile as sf

from bridge.endpoint.local import LocalEndpoint
from bridge.engine.base import RenderRequest

KEY = "local-test-key-5f2a"
TIMEOUT = 10.0
PROMPT = "marimba, percussion, bass, tropical house, melodic riff, G# minor, 96 bpm"


class SineEngine:
    """A seeded sine; records every request. ``gate``: hold each render until set. ``fail``: raise."""

    name = "sine"

    def __init__(
        self,
        *,
        gate: threading.Event | None = None,
        fail: bool = False,
        barrier: threading.Barrier | None = None,
    ) -> None:
        self.gate = gate
        self.fail = fail
        self.barrier = barrier
        self.requests: list[RenderRequest] = []
        self._lock = threading.Lock()

    def render(self, request: RenderRequest) -> np.ndarray:
        with self._lock:
            self.requests.append(request)
        if self.barrier is not None:
            self.barrier.wait(TIMEOUT)  # raises BrokenBarrierError unless enough renders run at once
        if self.gate is not None and not self.gate.wait(TIMEOUT):
            raise RuntimeError("the test gate never opened")
        if self.fail:
            raise RuntimeError("the synth exploded")
        frames = round(request.seconds * request.sample_rate)
        freq = 110.0 + (request.seed or 0) % 880
        tone = 0.5 * np.sin(2 * np.pi * freq * np.arange(frames) / request.sample_rate)
        return np.stack([tone, tone], axis=1).astype(np.float32)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., LocalEndpoint]]:
    """Start a LocalEndpoint (files under tmp_path unless told); every one is stopped after the test."""
    started: list[LocalEndpoint] = []

    def start(engine: Any = None, **options: Any) -> LocalEndpoint:
        options.setdefault("storage_dir", tmp_path / "files")
        # "success" at once unless a test asks for less: a loaded CI machine must not turn it into "processing"
        options.setdefault("instant_seconds", TIMEOUT)
        endpoint = LocalEndpoint(engine or SineEngine(), **options)
        endpoint.start()
        started.append(endpoint)
        return endpoint

    yield start
    for endpoint in started:
        endpoint.stop()


def generate(endpoint: LocalEndpoint, **fields: Any) -> requests.Response:
    body = {"key": KEY, "prompt": PROMPT, **fields}
    return requests.post(endpoint.url + "/music_gen", json=body, timeout=TIMEOUT)


def fetch(url: str, key: str = KEY) -> dict[str, Any]:
    response = requests.post(url, json={"key": key}, timeout=TIMEOUT)
    assert response.status_code == 200
    return response.json()


def fetch_until_finished(url: str, timeout: float = TIMEOUT) -> dict[str, Any]:
    """Poll the fetch URL the way a client does, with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        reply = fetch(url)
        if reply["status"] != "processing":
            return reply
        assert time.monotonic() < deadline, f"still processing after {timeout} s: {reply}"
        time.sleep(0.02)


def read_audio(url: str) -> tuple[np.ndarray, int, requests.Response]:
    response = requests.get(url, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    audio, rate = sf.read(io.BytesIO(response.content), always_2d=True)
    return audio, rate, response


def wav_bytes(samples: np.ndarray, rate: int, fmt: str = "WAV") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=fmt, subtype="PCM_16")
    return buffer.getvalue()


class _Receiver(BaseHTTPRequestHandler):
    """Loopback HTTP: records POST bodies (webhooks) and serves ``files`` (init_audio URLs)."""

    server: Any

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.server.received.put(json.loads(self.rfile.read(length)))
        self._answer(200, b"ok", "text/plain")

    def do_GET(self) -> None:
        data = self.server.files.get(self.path)
        if data is None:
            self._answer(404, b"nope", "text/plain")
        else:
            self._answer(200, data, "audio/wav")

    def _answer(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.daemon_threads = True
    server.received = queue.Queue()  # type: ignore[attr-defined]
    server.files = {}  # type: ignore[attr-defined]
    server.base = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


# -- the success shape and the audio


def test_a_quick_render_answers_success_in_the_vendors_shape(serve: Callable[..., LocalEndpoint]) -> None:
    engine = SineEngine()
    endpoint = serve(engine, api_key=KEY)
    assert endpoint.url.startswith("http://127.0.0.1:") and endpoint.url.endswith("/api/v6/voice")

    reply = generate(endpoint, seed=7)

    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"status", "generationTime", "id", "output", "proxy_links", "meta"}
    assert body["status"] == "success"
    assert isinstance(body["id"], int)
    assert isinstance(body["generationTime"], float) and body["generationTime"] >= 0
    [output] = body["output"]
    [proxy] = body["proxy_links"]
    assert output.startswith(endpoint.url + "/files/") and output.endswith(".wav")
    assert proxy != output and proxy.rsplit("/", 1)[1] == output.rsplit("/", 1)[1]
    assert body["meta"] == {
        "base64": "no",
        "filename": output.rsplit("/", 1)[1],
        "input_text": PROMPT,
        "max_new_token": 256,
        "sampling_rate": 32000,
        "seed": 7,
        "temp": "no",
    }
    [request] = engine.requests
    assert (request.prompt, request.seconds, request.sample_rate, request.seed) == (PROMPT, 256 / 50, 32000, 7)
    assert request.melody is None and request.melody_rate is None

    audio, rate, response = read_audio(output)
    assert response.headers["Content-Type"] == "audio/wav"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert (rate, audio.shape) == (32000, (round(256 / 50 * 32000), 2))
    assert requests.get(proxy, timeout=TIMEOUT).content == response.content


@pytest.mark.parametrize(
    ("fields", "rate", "seconds", "content_type"),
    [
        ({"sampling_rate": 16000, "max_new_token": 300}, 16000, 6.0, "audio/wav"),
        ({"duration": 30, "output_format": "flac", "sampling_rate": 22050}, 22050, 30.0, "audio/flac"),
        ({"duration": 30, "output_format": "wav"}, 32000, 30.0, "audio/wav"),
        ({"duration": 30, "output_format": "mp3", "bitrate": "192k", "sampling_rate": 44100}, 44100, 30.0, "audio/mpeg"),
    ],
)
def test_output_decodes_at_the_requested_rate_length_and_format(
    serve: Callable[..., LocalEndpoint], fields: dict[str, Any], rate: int, seconds: float, content_type: str
) -> None:
    endpoint = serve()

    body = generate(endpoint, **fields).json()

    assert body["status"] == "success", body
    assert body["meta"]["sampling_rate"] == rate
    audio, decoded_rate, response = read_audio(body["output"][0])
    assert response.headers["Content-Type"] == content_type
    assert decoded_rate == rate
    assert audio.shape[0] == round(seconds * rate)
    if "duration" in fields:
        assert body["meta"]["duration"] == fields["duration"]
        assert body["meta"]["output_format"] == fields["output_format"]
    if fields.get("bitrate") == "192k":
        kbps = len(response.content) * 8 / seconds / 1000
        assert 185 < kbps < 200


def test_no_seed_gets_one_chosen_reported_and_used(serve: Callable[..., LocalEndpoint]) -> None:
    engine = SineEngine()
    endpoint = serve(engine)

    first = generate(endpoint).json()
    again = generate(endpoint, seed=first["meta"]["seed"]).json()

    assert isinstance(first["meta"]["seed"], int)
    assert [r.seed for r in engine.requests] == [first["meta"]["seed"]] * 2
    assert requests.get(first["output"][0], timeout=TIMEOUT).content == requests.get(again["output"][0], timeout=TIMEOUT).content


# -- processing, fetch, future links, failures


def test_slow_render_answers_processing_then_fetch_gives_success(serve: Callable[..., LocalEndpoint]) -> None:
    gate = threading.Event()
    endpoint = serve(SineEngine(gate=gate), api_key=KEY, instant_seconds=0.05)

    body = generate(endpoint, seed=3).json()

    assert body["status"] == "processing"
    assert {"eta", "fetch_result", "id", "output", "future_links", "proxy_links", "tip", "message"} <= set(body)
    assert isinstance(body["eta"], int) and body["eta"] >= 1
    assert body["fetch_result"] == f"{endpoint.url}/fetch/{body['id']}"
    assert body["output"] == []
    [future] = body["future_links"]
    assert future.startswith(endpoint.url + "/files/")
    assert requests.get(future, timeout=TIMEOUT).status_code == 404
    assert requests.get(body["proxy_links"][0], timeout=TIMEOUT).status_code == 404

    still = fetch(body["fetch_result"])
    assert still["status"] == "processing"
    assert still["message"] == "try again later."
    assert still["output"] == ""  # a string while processing, like the vendor's

    gate.set()
    done = fetch_until_finished(body["fetch_result"])

    assert done["status"] == "success"
    assert done["id"] == body["id"]
    assert done["output"] == [future]
    assert done["meta"]["seed"] == 3
    audio, rate, _ = read_audio(future)
    assert rate == 32000 and audio.shape[0] == round(256 / 50 * 32000)


def test_a_failed_render_reads_failed_on_fetch(serve: Callable[..., LocalEndpoint]) -> None:
    gate = threading.Event()
    endpoint = serve(SineEngine(gate=gate, fail=True), instant_seconds=0.05)

    body = generate(endpoint).json()
    assert body["status"] == "processing"
    gate.set()
    done = fetch_until_finished(body["fetch_result"])

    assert done["status"] == "failed"
    assert done["id"] == body["id"]
    assert done["message"] == "the sine engine failed: the synth exploded"
    assert requests.get(body["future_links"][0], timeout=TIMEOUT).status_code == 404


def test_a_render_failing_at_once_answers_failed_at_once(serve: Callable[..., LocalEndpoint]) -> None:
    endpoint = serve(SineEngine(fail=True))

    body = generate(endpoint).json()

    assert body["status"] == "failed"
    assert "the synth exploded" in body["message"]


def test_fetching_an_unknown_id_is_an_error(serve: Callable[..., LocalEndpoint]) -> None:
    endpoint = serve()

    for generation_id in ("999", "abc"):
        reply = fetch(f"{endpoint.url}/fetch/{generation_id}")
        assert reply["status"] == "error"
        assert reply["message"].startswith(f"no generation with id '{generation_id}'")


# -- key and field validation


def test_a_wrong_or_missing_key_is_refused_like_the_vendor(serve: Callable[..., LocalEndpoint]) -> None:
    engine = SineEngine()
    endpoint = serve(engine, api_key=KEY)

    for body in ({"key": "wrong", "prompt": PROMPT}, {"prompt": PROMPT}, {"key": 12, "prompt": PROMPT}):
        reply = requests.post(endpoint.url + "/music_gen", json=body, timeout=TIMEOUT)
        assert reply.status_code == 200
        assert reply.json() == {"status": "error", "message": "Invalid API key"}
    assert engine.requests == []

    done = generate(endpoint).json()
    assert done["status"] == "success"
    assert fetch(f"{endpoint.url}/fetch/{done['id']}", key="wrong") == {"status": "error", "message": "Invalid API key"}
    assert fetch(f"{endpoint.url}/fetch/{done['id']}")["status"] == "success"


def test_without_a_configured_key_any_key_is_accepted(serve: Callable[..., LocalEndpoint]) -> None:
    endpoint = serve()

    assert generate(endpoint, key="anything").json()["status"] == "success"


def test_a_missing_prompt_is_the_vendors_field_error(serve: Callable[..., LocalEndpoint]) -> None:
    endpoint = serve(api_key=KEY)

    for prompt in (None, "", "   "):
        reply = requests.post(endpoint.url + "/music_gen", json={"key": KEY, "prompt": prompt}, timeout=TIMEOUT)
        assert reply.status_code == 200
        assert reply.json() == {"status": "error", "message": {"prompt": ["The prompt field is required."]}}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"max_new_token": 2000}, "max_new_token", "The max new token field must be between 256 and 1024."),
        ({"max_new_token": 255}, "max_new_token", "The max new token field must be between 256 and 1024."),
        ({"duration": 10}, "duration", "The duration field must be between 30 and 480."),
        ({"duration": 481}, "duration", "The duration field must be between 30 and 480."),
        ({"sampling_rate": 5000}, "sampling_rate", "The sampling rate field must be at least 10000."),
        ({"sampling_rate": "fast"}, "sampling_rate", "The sampling rate field must be an integer."),
        (
            {"duration": 30, "output_format": "ogg"},
            "output_format",
            "The selected output format is invalid; use one of wav, mp3, flac.",
        ),
        ({"duration": 30, "bitrate": "96k", "output_format": "mp3"}, "bitrate", "The selected bitrate is invalid; use one of 128k, 192k, 320k."),
        ({"output_format": "flac"}, "duration", "The duration field is required when output format is present."),
        (
            {"duration": 30, "max_new_token": 512},
            "max_new_token",
            "The max new token field prohibits duration, output format and bitrate from being present.",
        ),
        ({"base64": "maybe"}, "base64", "The base64 field must be true or false."),
        ({"webhook": "ftp://example.org/x"}, "webhook", "The webhook field must be a valid URL."),
        ({"seed": -1}, "seed", "The seed field must be at least 0."),
        ({"init_audio": "/Users/me/take.wav"}, "init_audio", "The init audio field must be a valid URL, or base64 audio with base64 true."),
    ],
)
def test_out_of_range_fields_are_field_errors(
    serve: Callable[..., LocalEndpoint], fields: dict[str, Any], field: str, message: str
) -> None:
    engine = SineEngine()
    endpoint = serve(engine)

    body = generate(endpoint, **fields).json()

    assert body["status"] == "error"
    assert body["message"][field] == [message]
    assert "id" not in body
    assert engine.requests == []


def test_rules_across_fields_come_from_the_core_request(serve: Callable[..., LocalEndpoint]) -> None:
    endpoint = serve()

    body = generate(endpoint, duration=30, output_format="wav", bitrate="192k").json()

    assert body == {"status": "error", "message": "bitrate applies to mp3 only; output_format is 'wav'"}


def test_mp3_at_a_rate_mp3_lacks_is_refused_before_rendering(serve: Callable[..., LocalEndpoint]) -> None:
    engine = SineEngine()
    endpoint = serve(engine)

    body = generate(endpoint, duration=30, output_format="mp3", sampling_rate=10000).json()

    assert body["status"] == "error"
    assert body["message"].startswith("mp3 cannot be written at 10000 Hz; use one of 8000, 11025")
    assert engine.requests == []


def test_mp3_where_libsndfile_cannot_write_it_says_so(
    serve: Callable[..., LocalEndpoint], monkeypatch: pytest.MonkeyPatch
) -> None:
    without_mp3 = {name: text for name, text in sf.available_formats().items() if name != "MP3"}
    monkeypatch.setattr(sf, "available_formats", lambda: without_mp3)
    endpoint = serve()

    body = generate(endpoint, duration=30, output_format="mp3").json()

    assert body["status"] == "error"
    assert body["message"].startswith("output_format 'mp3' is not available on this machine")
    assert body["message"].endswith("ask for wav or flac")


def test_a_body_that_is_not_json_is_an_error(serve: Callable[..., LocalEndpoint]) -> None:
    endpoint = serve()

    reply = requests.post(endpoint.url + "/music_gen", data=b"prompt=hello", timeout=TIMEOUT)

    assert reply.status_code == 200
    assert reply.json()["message"].startswith("the request body is not valid JSON")


# -- queue limit and concurrency


def test_past_max_queued_unfinished_requests_get_429_with_retry_after(serve: Callable[..., LocalEndpoint]) -> None:
    gate = threading.Event()
    endpoint = serve(SineEngine(gate=gate), max_queued=3, workers=1, instant_seconds=0.05)

    with ThreadPoolExecutor(max_workers=6) as pool:
        replies = list(pool.map(lambda _: generate(endpoint), range(6)))

    accepted = [r.json() for r in replies if r.status_code == 200]
    refused = [r for r in replies if r.status_code == 429]
    assert len(accepted) == 3 and len(refused) == 3
    assert all(body["status"] == "processing" for body in accepted)
    for reply in refused:
        body = reply.json()
        assert body["status"] == "error"
        assert body["message"] == "Rate limit exceeded. Maximum 3 queued requests allowed."
        assert isinstance(body["retry_after"], int) and body["retry_after"] >= 1
        assert reply.headers["Retry-After"] == str(body["retry_after"])

    gate.set()
    for body in accepted:
        assert fetch_until_finished(body["fetch_result"])["status"] == "success"
    # finished generations free their slots
    assert generate(endpoint).status_code == 200


def test_several_requests_at_once_all_succeed_rendered_in_parallel(serve: Callable[..., LocalEndpoint]) -> None:
    # each render waits for a second one: with fewer than two workers the barrier breaks and renders fail
    engine = SineEngine(barrier=threading.Barrier(2))
    endpoint = serve(engine, workers=2, max_queued=5)

    with ThreadPoolExecutor(max_workers=4) as pool:
        bodies = list(pool.map(lambda seed: generate(endpoint, seed=seed).json(), range(4)))

    assert [body["status"] for body in bodies] == ["success"] * 4
    assert len({body["id"] for body in bodies}) == 4
    assert len({body["output"][0] for body in bodies}) == 4
    assert sorted(r.seed for r in engine.requests) == [0, 1, 2, 3]
    for body in bodies:
        assert read_audio(body["output"][0])[1] == 32000


# -- webhook and init_audio


def test_the_webhook_gets_the_final_result_with_track_id(
    serve: Callable[..., LocalEndpoint], receiver: Any
) -> None:
    gate = threading.Event()
    endpoint = serve(SineEngine(gate=gate), instant_seconds=0.05)

    body = generate(endpoint, webhook=receiver.base + "/hook", track_id=77).json()
    assert body["status"] == "processing"
    gate.set()
    hook = receiver.received.get(timeout=TIMEOUT)

    assert hook["status"] == "success"
    assert hook["track_id"] == 77
    assert hook["id"] == body["id"]
    assert hook["output"] == body["future_links"]
    assert "key" not in hook


def test_a_failed_generation_is_posted_to_the_webhook_as_failed(
    serve: Callable[..., LocalEndpoint], receiver: Any
) -> None:
    endpoint = serve(SineEngine(fail=True))

    generate(endpoint, webhook=receiver.base + "/hook", track_id=5)
    hook = receiver.received.get(timeout=TIMEOUT)

    assert (hook["status"], hook["track_id"]) == ("failed", 5)
    assert "the synth exploded" in hook["message"]


@pytest.mark.parametrize("form", ["data-uri", "raw"])
def test_init_audio_as_base64_conditions_the_engine(serve: Callable[..., LocalEndpoint], form: str) -> None:
    engine = SineEngine()
    endpoint = serve(engine)
    left = np.full(16000 * 2, 0.5)
    right = np.full(16000 * 2, -0.25)
    encoded = base64.b64encode(wav_bytes(np.stack([left, right], axis=1), 16000)).decode()
    init_audio = "data:audio/wav;base64," + encoded if form == "data-uri" else encoded

    body = generate(endpoint, init_audio=init_audio, base64=True).json()

    assert body["status"] == "success", body
    assert body["meta"]["base64"] == "yes"
    [request] = engine.requests
    assert request.melody_rate == 16000
    assert request.melody is not None and request.melody.dtype == np.float32
    assert request.melody.shape == (32000,)
    np.testing.assert_allclose(request.melody, 0.125, atol=1e-3)  # mono: the mean of the two channels


def test_init_audio_as_a_url_is_downloaded(serve: Callable[..., LocalEndpoint], receiver: Any) -> None:
    engine = SineEngine()
    endpoint = serve(engine)
    receiver.files["/clip.flac"] = wav_bytes(np.full(8000, 0.5), 8000, fmt="FLAC")
    url = receiver.base + "/clip.flac"

    body = generate(endpoint, init_audio=url).json()

    assert body["status"] == "success", body
    assert body["meta"]["base64"] == "no"
    assert body["meta"]["conditioning_melody"] == url
    [request] = engine.requests
    assert request.melody_rate == 8000 and request.melody is not None and request.melody.shape == (8000,)


def test_an_init_audio_url_that_fails_is_an_error(serve: Callable[..., LocalEndpoint], receiver: Any) -> None:
    engine = SineEngine()
    endpoint = serve(engine, max_queued=1)

    body = generate(endpoint, init_audio=receiver.base + "/missing.wav").json()

    assert body == {
        "status": "error",
        "message": f"init_audio could not be downloaded from {receiver.base}/missing.wav: HTTP 404; "
        "send a URL that serves the audio file itself",
    }
    assert engine.requests == []
    # the refused request gave its queue slot back
    assert generate(endpoint).json()["status"] == "success"


@pytest.mark.parametrize("via", ["base64", "url"])
def test_init_audio_that_is_not_audio_is_an_error(
    serve: Callable[..., LocalEndpoint], receiver: Any, via: str
) -> None:
    engine = SineEngine()
    endpoint = serve(engine)
    junk = b"<html>this is a web page, not a song</html>"
    receiver.files["/song.wav"] = junk
    if via == "base64":
        fields = {"init_audio": "data:audio/wav;base64," + base64.b64encode(junk).decode(), "base64": True}
    else:
        fields = {"init_audio": receiver.base + "/song.wav"}

    body = generate(endpoint, **fields).json()

    assert body == {"status": "error", "message": "init_audio is not a readable audio file: Format not recognised."}
    assert engine.requests == []


def test_a_clip_over_30_s_conditions_on_its_first_30_s(serve: Callable[..., LocalEndpoint]) -> None:
    engine = SineEngine()
    endpoint = serve(engine)
    rate = 8000
    clip = np.concatenate([np.full(30 * rate, 0.25), np.full(10 * rate, -0.75)])
    encoded = base64.b64encode(wav_bytes(clip, rate)).decode()

    body = generate(endpoint, init_audio="data:audio/wav;base64," + encoded, base64=True).json()

    assert body["status"] == "success", body
    [request] = engine.requests
    assert request.melody is not None and request.melody.shape == (30 * rate,)
    np.testing.assert_allclose(request.melody, 0.25, atol=1e-3)


# -- files: names, traversal, lifetime


def test_files_are_served_only_by_their_exact_generated_name(serve: Callable[..., LocalEndpoint], tmp_path: Path) -> None:
    storage = tmp_path / "files"
    endpoint = serve(storage_dir=storage)
    name = generate(endpoint).json()["meta"]["filename"]
    (storage / "secret.wav").write_bytes(b"RIFF not yours")
    (tmp_path / "outside.txt").write_text("top secret")
    netloc = urlsplit(endpoint.url).netloc
    prefix = "/api/v6/voice/files/"

    refused = [
        prefix + "../../../../etc/passwd",
        prefix + "..%2F..%2Foutside.txt",
        prefix + "%2e%2e/outside.txt",
        prefix + "secret.wav",
        prefix + name + "/../secret.wav",
        prefix + "/" + str(tmp_path / "outside.txt"),
        prefix + name.upper(),
        "/api/v6/voice/proxy/../files/secret.wav",
    ]
    for path in refused:
        connection = http.client.HTTPConnection(netloc, timeout=TIMEOUT)
        connection.request("GET", path)  # http.client sends the path as written; requests would normalise it
        response = connection.getresponse()
        data = response.read()
        connection.close()
        assert response.status == 404, path
        assert b"secret" not in data and b"root:" not in data, path
    assert requests.get(endpoint.url + "/files/" + name, timeout=TIMEOUT).status_code == 200


def test_files_older_than_file_ttl_are_removed(serve: Callable[..., LocalEndpoint], tmp_path: Path) -> None:
    clock = FakeClock()
    storage = tmp_path / "files"
    endpoint = serve(storage_dir=storage, file_ttl=60.0, clock=clock)
    body = generate(endpoint).json()
    [output] = body["output"]
    assert requests.get(output, timeout=TIMEOUT).status_code == 200

    clock.now += 59.0
    assert requests.get(output, timeout=TIMEOUT).status_code == 200
    clock.now += 2.0
    assert requests.get(output, timeout=TIMEOUT).status_code == 404

    assert not (storage / body["meta"]["filename"]).exists()
    assert fetch(f"{endpoint.url}/fetch/{body['id']}")["status"] == "error"


def test_the_default_storage_is_a_temporary_folder_removed_on_stop() -> None:
    with LocalEndpoint(SineEngine(), instant_seconds=TIMEOUT) as endpoint:
        name = generate(endpoint).json()["meta"]["filename"]
        [path] = glob.glob(os.path.join(tempfile.gettempdir(), "musicgen-local-*", name))
    assert not os.path.exists(path)
    assert not os.path.exists(os.path.dirname(path))


def test_unknown_paths_are_404(serve: Callable[..., LocalEndpoint]) -> None:
    endpoint = serve()

    reply = requests.post(endpoint.url + "/text_to_speech", json={}, timeout=TIMEOUT)

    assert reply.status_code == 404
    assert reply.json()["message"].startswith("no such endpoint: POST /api/v6/voice/text_to_speech")


# -- logging


def test_one_info_line_per_generation_and_never_the_key(
    serve: Callable[..., LocalEndpoint], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bridge")
    endpoint = serve(api_key=KEY)

    ids = [generate(endpoint).json()["id"] for _ in range(2)]
    requests.post(endpoint.url + "/music_gen", json={"key": "not-" + KEY, "prompt": PROMPT}, timeout=TIMEOUT)

    info = [r for r in caplog.records if r.name.startswith("bridge.endpoint") and r.levelno == logging.INFO]
    assert [r.getMessage().split(":")[0] for r in info] == [f"generation {i} done" for i in ids]
    assert KEY not in caplog.text


# -- the shipped engine


def test_end_to_end_with_the_shipped_engine(serve: Callable[..., LocalEndpoint]) -> None:
    from bridge.engine import create_engine

    endpoint = serve(create_engine(), api_key=KEY)

    body = generate(endpoint, sampling_rate=22050, max_new_token=400, seed=11).json()

    assert body["status"] == "success", body
    audio, rate, _ = read_audio(body["output"][0])
    assert rate == 22050 and audio.shape[0] == round(400 / 50 * 22050)
    assert 0.0 < np.abs(audio).max() <= 1.0
    again = generate(endpoint, sampling_rate=22050, max_new_token=400, seed=11).json()
    assert requests.get(again["output"][0], timeout=TIMEOUT).content == requests.get(body["output"][0], timeout=TIMEOUT).content


# -- serving in the foreground


def test_serve_forever_returns_once_stopped_from_another_thread() -> None:
    endpoint = LocalEndpoint(SineEngine(), instant_seconds=TIMEOUT)
    url = endpoint.start()
    thread = threading.Thread(target=endpoint.serve_forever, daemon=True)
    thread.start()
    assert generate(endpoint).json()["status"] == "success"

    endpoint.stop()
    thread.join(TIMEOUT)

    assert not thread.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.post(url + "/music_gen", json={"prompt": PROMPT}, timeout=TIMEOUT)


def test_run_local_endpoint_logs_its_url_serves_and_stops_on_sigint(tmp_path: Path) -> None:
    script = (
        "import logging, sys\n"
        "logging.basicConfig(level=logging.INFO, stream=sys.stdout, format='%(name)s %(message)s')\n"
        "from bridge.endpoint.local import run_local_endpoint\n"
        f"run_local_endpoint('127.0.0.1', 0, {KEY!r})\n"
    )
    lines: queue.Queue[str] = queue.Queue()
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        stdout = process.stdout
        assert stdout is not None
        reader = threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True)
        reader.start()
        try:
            while not (line := lines.get(timeout=TIMEOUT)).startswith("bridge.endpoint.local "):
                pass
            match = re.search(r"at (http://127\.0\.0\.1:\d+/api/v6/voice);", line)
            assert match, line
            reply = requests.post(
                match.group(1) + "/music_gen", json={"key": KEY, "prompt": PROMPT, "seed": 1}, timeout=TIMEOUT
            ).json()
            assert reply["status"] in ("success", "processing"), reply

            process.send_signal(signal.SIGINT)
            assert process.wait(TIMEOUT) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(TIMEOUT)
        reader.join(TIMEOUT)
    assert KEY not in line
