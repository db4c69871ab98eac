"""A real HTTP server on 127.0.0.1 that replays the Music Gen endpoint's answers from a script.

Not a mock: the client under test speaks real HTTP over a real socket, with real
timeouts, keep-alive and truncated bodies. Use it as a context manager::

    with VendorServer() as server:
        server.files["take.wav"] = make_wav_bytes(1.0)
        server.script_generate(success(output=[server.file_url("take.wav")]))
        client = EndpointClient(EndpointSettings(base_url=server.url, api_key="k"))
        ...
        assert len(server.requests_to("music_gen")) == 1

Routes (``server.url`` is ``http://127.0.0.1:<port>/api/v6/voice``):

==============================  ==================================================
``POST {url}/music_gen``        next reply of :meth:`VendorServer.script_generate`
``POST {url}/fetch/<id>``       next reply of :meth:`VendorServer.script_fetch`
``GET /files/<name>``           replies queued by :meth:`VendorServer.add_file`
                                (404s, cut-short bodies), then ``server.files[name]``
any ``script(method, path)``    next reply of that script
==============================  ==================================================

A script is a queue of :class:`Reply` values (or callables taking the
:class:`Recorded` request and returning one). When it runs out, its ``then``
reply repeats forever; without one the server answers HTTP 500 and notes it in
``server.unexpected``, so a test can assert nothing unplanned was asked.
Every request is recorded, in order, in ``server.requests``.

Builders for the vendor's shapes: :func:`success`, :func:`processing`,
:func:`still_processing`, :func:`failed`, :func:`error`, :func:`html_page`.
"""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Union

import numpy as np
import soundfile as sf

__all__ = [
    "API_PREFIX",
    "Recorded",
    "Reply",
    "VendorServer",
    "error",
    "failed",
    "html_page",
    "make_wav_bytes",
    "processing",
    "still_processing",
    "success",
]

API_PREFIX = "/api/v6/voice"


@dataclass(frozen=True)
class Reply:
    """One scripted answer.

    ``json`` wins over ``body``. ``delay`` holds the answer back (a slow
    endpoint, past the client's read timeout). ``cut_after`` sends the headers
    with the full Content-Length but only that many bytes, then drops the
    connection (a transfer cut short).
    """

    status: int = 200
    json: Any = None
    body: bytes | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None
    delay: float = 0.0
    cut_after: int | None = None

    def payload(self) -> tuple[bytes, str]:
        if self.json is not None:
            return json.dumps(self.json).encode(), self.content_type or "application/json"
        raw = self.body if self.body is not None else b""
        data = raw.encode() if isinstance(raw, str) else raw
        default = "text/html; charset=utf-8" if data.lstrip()[:1] == b"<" else "application/octet-stream"
        return data, self.content_type or default


ReplySource = Union[Reply, Callable[["Recorded"], Reply]]


@dataclass(frozen=True)
class Recorded:
    """A request as the server saw it. ``json`` is the parsed body, or ``None``."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: bytes
    json: Any
    at: float


# -- the vendor's shapes ------------------------------------------------------


def success(
    id: int | str = 310815,
    output: Sequence[str] = (),
    proxy_links: Sequence[str] = (),
    *,
    generation_time: float = 7.8882811069488525,
    meta: Mapping[str, Any] | None = None,
    **extra: Any,
) -> Reply:
    body: dict[str, Any] = {
        "status": "success",
        "generationTime": generation_time,
        "id": id,
        "output": list(output),
        "proxy_links": list(proxy_links),
        "meta": dict(meta) if meta is not None else {
            "base64": "no",
            "filename": "30ea5aee-fba8-4b65-bf71-2fc2b6b197c0.wav",
            "input_text": "marimba, percussion, bass, tropical house, melodic riff, G# minor, 96 bpm",
            "max_new_token": 256,
            "sampling_rate": 32000,
            "temp": "no",
        },
    }
    body.update(extra)
    return Reply(json=body)


def processing(
    id: int | str = 310815,
    *,
    eta: float | None = 100,
    fetch_result: str | None = None,
    future_links: Sequence[str] = (),
    proxy_links: Sequence[str] = (),
    **extra: Any,
) -> Reply:
    """The generation POST's "queued" answer (``output`` is an empty list here)."""
    body: dict[str, Any] = {
        "status": "processing",
        "tip": "Your request is processing. Use the fetch_result URL to get the result.",
        "eta": eta,
        "message": "Request processing",
        "fetch_result": fetch_result,
        "id": id,
        "output": [],
        "future_links": list(future_links),
        "proxy_links": list(proxy_links),
    }
    body.update(extra)
    return Reply(json={k: v for k, v in body.items() if v is not None})


def still_processing() -> Reply:
    """A fetch made too early: ``output`` is a string and there is no id or eta."""
    return Reply(json={"status": "processing", "message": "try again later.", "output": ""})


def failed(id: int | str = 310815, message: str = "Generation failed, please try again") -> Reply:
    return Reply(json={"status": "failed", "id": id, "message": message, "output": []})


def error(message: Any, status: int = 200, *, field_name: str = "message", headers: Mapping[str, str] | None = None, **extra: Any) -> Reply:
    """``{"status": "error", <field_name>: message}``; ``field_name="messege"`` for the vendor's typo."""
    return Reply(status=status, json={"status": "error", field_name: message, **extra}, headers=dict(headers or {}))


def html_page(status: int = 503, title: str = "503 Service Temporarily Unavailable") -> Reply:
    page = f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center><hr><center>nginx</center></body></html>"
    return Reply(status=status, body=page)


def make_wav_bytes(seconds: float = 0.25, sr: int = 32_000, fmt: str = "wav", *, channels: int = 1) -> bytes:
    """A real audio file (a quiet 220 Hz sine) in ``fmt``: wav, flac, mp3 or ogg."""
    frames = max(int(seconds * sr), 1)
    tone = 0.2 * np.sin(2 * np.pi * 220.0 * np.arange(frames) / sr).astype(np.float32)
    data = np.repeat(tone[:, None], channels, axis=1)
    buffer = io.BytesIO()
    sf.write(buffer, data, sr, format=fmt.upper())
    return buffer.getvalue()


# -- the server ----------------------------------------------------------------


class _Script:
    def __init__(self, replies: Iterable[ReplySource], then: ReplySource | None) -> None:
        self.queue: deque[ReplySource] = deque(replies)
        self.then = then


class VendorServer:
    """See the module docstring. Thread-safe; every handler runs in its own thread."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self._scripts: dict[tuple[str, str], _Script] = {}
        self._file_scripts: dict[str, deque[ReplySource]] = {}
        self._requests: list[Recorded] = []
        self.files: dict[str, bytes] = {}
        self._file_types: dict[str, str] = {}
        self.unexpected: list[str] = []
        self.closing = threading.Event()
        self._httpd = _QuietServer((host, 0), self._handler_class())
        # a short poll interval: close() (server.shutdown) returns within 50 ms, not 500
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="vendor-server", daemon=True
        )
        self._started = False

    # lifecycle
    def start(self) -> VendorServer:
        if not self._started:
            self._thread.start()
            self._started = True
        return self

    def close(self) -> None:
        self.closing.set()  # wakes every delayed reply
        if self._started:
            self._httpd.shutdown()
            self._thread.join(5)
        self._httpd.server_close()

    def __enter__(self) -> VendorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # addresses
    @property
    def root(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The base URL a client is configured with (ends ``/api/v6/voice``)."""
        return self.root + API_PREFIX

    def fetch_url(self, endpoint_id: int | str) -> str:
        return f"{self.url}/fetch/{endpoint_id}"

    def file_url(self, name: str) -> str:
        return f"{self.root}/files/{name}"

    # scripting
    def script(self, method: str, path: str, *replies: ReplySource, then: ReplySource | None = None) -> None:
        """Answer ``method path`` (``path`` ending in ``/`` matches as a prefix) with ``replies`` in turn."""
        with self._lock:
            self._scripts[(method.upper(), path)] = _Script(replies, then)

    def script_generate(self, *replies: ReplySource, then: ReplySource | None = None) -> None:
        self.script("POST", f"{API_PREFIX}/music_gen", *replies, then=then)

    def script_fetch(self, *replies: ReplySource, then: ReplySource | None = None) -> None:
        self.script("POST", f"{API_PREFIX}/fetch/", *replies, then=then)

    def add_file(
        self,
        name: str,
        data: bytes,
        *,
        missing_times: int = 0,
        cut_times: int = 0,
        cut_after: int | None = None,
        before: Sequence[ReplySource] = (),
        content_type: str = "audio/wav",
    ) -> str:
        """Serve ``data`` at ``/files/<name>``, after ``missing_times`` 404s, ``cut_times`` cut-short
        transfers (``cut_after`` bytes, default half) and any other ``before`` replies. Returns its URL."""
        queue: deque[ReplySource] = deque(before)
        queue.extend(Reply(status=404, body=_NO_SUCH_KEY, content_type="application/xml") for _ in range(missing_times))
        cut = len(data) // 2 if cut_after is None else cut_after
        queue.extend(Reply(body=data, content_type=content_type, cut_after=cut) for _ in range(cut_times))
        with self._lock:
            self.files[name] = data
            self._file_scripts[name] = queue
            self._file_types[name] = content_type
        return self.file_url(name)

    # what was asked
    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, suffix: str, method: str = "POST") -> list[Recorded]:
        """Recorded requests whose path contains ``suffix`` (``"music_gen"``, ``"/fetch/"``, a file name)."""
        return [r for r in self.requests if r.method == method and suffix in r.path]

    # internals
    def _next_reply(self, recorded: Recorded) -> Reply:
        with self._lock:
            if recorded.method == "GET" and recorded.path.startswith("/files/"):
                name = recorded.path[len("/files/"):]
                queue = self._file_scripts.get(name)
                source: ReplySource | None = queue.popleft() if queue else None
                if source is None:
                    if name in self.files:
                        return Reply(body=self.files[name], content_type=self._file_types.get(name, "audio/wav"))
                    return Reply(status=404, body=_NO_SUCH_KEY, content_type="application/xml")
            else:
                script = self._scripts.get((recorded.method, recorded.path))
                if script is None:
                    script = next(
                        (s for (m, p), s in self._scripts.items() if m == recorded.method and p.endswith("/") and recorded.path.startswith(p)),
                        None,
                    )
                if script is None:
                    self.unexpected.append(f"{recorded.method} {recorded.path}: no route")
                    return Reply(status=404, json={"status": "error", "message": f"vendor_server: no route {recorded.path}"})
                if script.queue:
                    source = script.queue.popleft()
                elif script.then is not None:
                    source = script.then
                else:
                    self.unexpected.append(f"{recorded.method} {recorded.path}: script ran out")
                    return Reply(status=500, json={"status": "error", "message": "vendor_server: script ran out"})
        return source(recorded) if callable(source) else source

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self._requests.append(recorded)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            # keep-alive, like the real endpoint behind its CDN; every reply sends a Content-Length
            protocol_version = "HTTP/1.1"
            # headers and body go out in separate writes: with Nagle on, a keep-alive client waits
            # ~40 ms for each delayed ACK, which would swamp every timing a test or bench makes
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                try:
                    parsed = json.loads(body) if body else None
                except ValueError:
                    parsed = None
                recorded = Recorded(self.command, self.path, dict(self.headers), body, parsed, time.monotonic())
                server._record(recorded)
                reply = server._next_reply(recorded)
                if reply.delay and server.closing.wait(reply.delay):
                    return
                data, content_type = reply.payload()
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.cut_after is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command == "HEAD":
                    return
                if reply.cut_after is not None:
                    self.wfile.write(data[: reply.cut_after])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the recorded requests are the log; stderr noise would hide test output

        return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that timed out or hung up mid-reply is what several tests do on purpose
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


_NO_SUCH_KEY = (
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code>'
    "<Message>The specified key does not exist.</Message></Error>"
)
