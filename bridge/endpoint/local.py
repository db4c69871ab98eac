"""A local Music Gen endpoint: the vendor's HTTP API, served from this machine by an :class:`Engine`.

The bridge (or any client written for ModelsLab) points its endpoint URL here
and works offline::

    POST /api/v6/voice/music_gen      the vendor's body -> success | processing | error
    POST /api/v6/voice/fetch/<id>     {"key": ...}      -> processing | success | failed | error
    GET  /api/v6/voice/files/<name>   the rendered file (also under /api/v6/voice/proxy/<name>)

Layers: :mod:`.local_wire` reads and writes the vendor's JSON (pure),
:mod:`.local_jobs` admits and renders on a bounded worker pool,
:mod:`.local_outbound` downloads clips and posts webhooks. This module routes
HTTP to them; :meth:`LocalEndpoint.handle` sees only (method, path, body, host),
so the routing is the same whatever serves the socket.
"""

from __future__ import annotations

import errno
import hmac
import json
import logging
import re
import secrets
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from bridge.audio.clip import Clip, decode_clip, parse_base64_clip
from bridge.audio.encode import CONTENT_TYPES, check_encodable
from bridge.core.request import SEED_MAX
from bridge.endpoint.local_jobs import Job, JobBoard, JobState
from bridge.endpoint.local_outbound import MAX_CLIP_BYTES, WebhookSender, download_clip
from bridge.endpoint.local_wire import (
    FETCH_PREFIX,
    FILES_PREFIX,
    MUSIC_GEN_PATH,
    PROXY_PREFIX,
    VOICE_PREFIX,
    FieldError,
    MusicGenCall,
    build_error,
    build_failed,
    build_fetch_processing,
    build_meta,
    build_processing,
    build_rate_limited,
    build_success,
    parse_music_gen_body,
)
from bridge.engine.base import Engine, RenderRequest
from bridge.errors import BusyError, ClipError, ConfigError, PortInUseError, UsageError, register_secret

__all__ = ["LocalEndpoint", "Reply", "run_local_endpoint"]

logger = logging.getLogger(__name__)

#: a base64 clip rides in the body: room for it (4/3 of MAX_CLIP_BYTES) and the JSON around it
MAX_BODY_BYTES = MAX_CLIP_BYTES * 4 // 3 + 64 * 1024
_INVALID_KEY = "Invalid API key"
# a Host header is echoed into links, so only a plain host[:port] is trusted; anything else gets the bound address
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")
_ID_RE = re.compile(r"^\d{1,18}$")


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer: a JSON body, or a file to stream."""

    status: int = 200
    payload: Mapping[str, Any] | None = None
    file: Path | None = None
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def error(cls, message: str | Mapping[str, list[str]], status: int = 200) -> Reply:
        # the vendor answers a refused request with HTTP 200 and "status": "error"; so does this endpoint
        return cls(status=status, payload=build_error(message))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], endpoint: LocalEndpoint) -> None:
        self.endpoint = endpoint
        super().__init__(address, _Handler)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    """Reads the request, asks :meth:`LocalEndpoint.handle`, writes the reply. Nothing else."""

    server: _Server
    server_version = "musicgen-bridge-local"

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_HEAD(self) -> None:
        self._dispatch("HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        # http.server writes every request to stderr; here it is debug detail, the INFO line is per generation
        logger.debug("%s " + format, self.address_string(), *args)

    def _dispatch(self, method: str) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._send(Reply.error("Content-Length is not a number", status=400), method)
            return
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True
            self._send(
                Reply.error(f"the request body is {length} bytes, over the {MAX_BODY_BYTES} byte limit", status=413),
                method,
            )
            return
        body = self.rfile.read(length) if length else b""
        try:
            reply = self.server.endpoint.handle(method, self.path, body, self.headers.get("Host"))
        except Exception:
            logger.exception("the local endpoint failed on %s %s", method, urlsplit(self.path).path)
            reply = Reply.error("the local endpoint failed on this request; see its log", status=500)
        self._send(reply, method)

    def _send(self, reply: Reply, method: str) -> None:
        try:
            if reply.file is not None:
                self._send_file(reply, method)
                return
            data = json.dumps(reply.payload or {}).encode("utf-8")
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("client went away before the reply to %s %s", method, urlsplit(self.path).path)

    def _send_file(self, reply: Reply, method: str) -> None:
        assert reply.file is not None
        try:
            handle = reply.file.open("rb")
        except FileNotFoundError:
            # swept (file_ttl) between the lookup and here
            self._send(Reply.error("file not found", status=404), method)
            return
        with handle:
            size = reply.file.stat().st_size
            self.send_response(200)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            if method != "HEAD":
                shutil.copyfileobj(handle, self.wfile, 256 * 1024)


class LocalEndpoint:
    """The vendor's Music Gen API on loopback, rendered by ``engine``.

    ``max_queued`` bounds unfinished generations (more is HTTP 429), ``workers``
    renders run at once, a render that finishes within ``instant_seconds`` is
    answered at once (otherwise "processing" and a fetch URL), files live
    ``file_ttl`` seconds in ``storage_dir`` (default: a temporary folder that
    :meth:`stop` removes). ``clock`` only times file lifetimes; tests pass a fake.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        max_queued: int = 5,
        workers: int = 2,
        instant_seconds: float = 2.0,
        file_ttl: float = 24 * 3600,
        storage_dir: Path | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_queued < 1:
            raise ConfigError(f"max_queued must be at least 1, got {max_queued}")
        if workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}")
        if instant_seconds < 0 or file_ttl <= 0:
            raise ConfigError(
                f"instant_seconds must be 0 or more and file_ttl above 0, got {instant_seconds} and {file_ttl}"
            )
        self._engine = engine
        self._host = host
        self._port = port
        self._api_key = api_key or None
        register_secret(self._api_key)
        self._max_queued = max_queued
        self._workers = workers
        self._instant = instant_seconds
        self._ttl = file_ttl
        self._storage_dir = storage_dir
        self._clock = clock
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._jobs: JobBoard | None = None
        self._webhooks: WebhookSender | None = None
        self._storage: Path | None = None
        self._owns_storage = False
        self._origin = ""
        self._stopped = threading.Event()

    # -- lifecycle

    @property
    def url(self) -> str:
        """The base URL clients are given, ``http://127.0.0.1:PORT/api/v6/voice``."""
        if not self._origin:
            raise RuntimeError("the local endpoint is not started; call start() first")
        return self._origin + VOICE_PREFIX

    def start(self) -> str:
        """Bind, start the workers, serve in a background thread; return :attr:`url`."""
        with self._lock:
            if self._server is not None:
                return self.url
            storage = self._open_storage()
            server_class = _Server6 if ":" in self._host else _Server
            try:
                server = server_class((self._host, self._port), self)
            except OSError as exc:
                self._close_storage(storage)
                if exc.errno == errno.EADDRINUSE:
                    raise PortInUseError(
                        f"cannot listen on {self._host}:{self._port}: the port is in use; choose another port"
                    ) from exc
                raise ConfigError(f"cannot listen on {self._host}:{self._port}: {exc.strerror or exc}") from exc
            port = server.server_address[1]
            shown = "127.0.0.1" if self._host in ("", "0.0.0.0") else self._host
            if shown == "::":
                shown = "::1"
            self._origin = f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"
            self._jobs = JobBoard(
                self._engine,
                storage,
                max_queued=self._max_queued,
                workers=self._workers,
                file_ttl=self._ttl,
                clock=self._clock,
            )
            self._jobs.start()
            self._webhooks = WebhookSender()
            self._webhooks.start()
            self._storage = storage
            self._server = server
            self._stopped.clear()
            self._thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="local-endpoint-http", daemon=True
            )
            self._thread.start()
        logger.debug("local endpoint listening at %s, files in %s", self.url, storage)
        return self.url

    def stop(self) -> None:
        """Stop listening, fail unstarted generations, join every thread (with timeouts), remove a temp folder."""
        with self._lock:
            server, thread, jobs, webhooks = self._server, self._thread, self._jobs, self._webhooks
            self._server = self._thread = self._jobs = self._webhooks = None
            storage, self._storage = self._storage, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(5.0)
        if jobs is not None:
            jobs.stop()
        if webhooks is not None:
            webhooks.stop()
        if storage is not None:
            self._close_storage(storage)
        self._stopped.set()
        logger.debug("local endpoint at %s stopped", self._origin)

    def serve_forever(self) -> None:
        """Start if needed and block until :meth:`stop` (from another thread) or Ctrl-C; always stops."""
        self.start()
        try:
            # a timeout on the wait keeps the main thread responsive to SIGINT on every platform
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            logger.debug("interrupted; stopping the local endpoint")
        finally:
            self.stop()

    def __enter__(self) -> LocalEndpoint:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _open_storage(self) -> Path:
        if self._storage_dir is None:
            self._owns_storage = True
            return Path(tempfile.mkdtemp(prefix="musicgen-local-"))
        self._owns_storage = False
        try:
            self._storage_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"cannot use {self._storage_dir} for generated files: {exc.strerror or exc}; choose another storage_dir"
            ) from exc
        return self._storage_dir

    def _close_storage(self, storage: Path) -> None:
        if self._owns_storage:
            shutil.rmtree(storage, ignore_errors=True)

    # -- routing

    def handle(self, method: str, target: str, body: bytes, host: str | None = None) -> Reply:
        """Answer one request. ``target`` is the raw request path; ``host`` the Host header, used for links."""
        jobs = self._jobs
        if jobs is None:
            return Reply.error("the local endpoint is stopping", status=503)
        jobs.sweep()
        path = urlsplit(target).path
        origin = self._link_origin(host) or self._origin
        if path in (MUSIC_GEN_PATH, MUSIC_GEN_PATH + "/"):
            if method != "POST":
                return Reply.error(f"use POST for {MUSIC_GEN_PATH}", status=405)
            return self._music_gen(jobs, body, origin)
        if path.startswith(FETCH_PREFIX):
            if method != "POST":
                return Reply.error(f"use POST for {FETCH_PREFIX}<id>", status=405)
            return self._fetch(jobs, path[len(FETCH_PREFIX):].rstrip("/"), body, origin)
        for prefix in (FILES_PREFIX, PROXY_PREFIX):
            if path.startswith(prefix):
                if method not in ("GET", "HEAD"):
                    return Reply.error(f"use GET for {prefix}<name>", status=405)
                return self._file(jobs, path[len(prefix):])
        return Reply.error(
            f"no such endpoint: {method} {path[:100]}; this local endpoint serves POST {MUSIC_GEN_PATH}, "
            f"POST {FETCH_PREFIX}<id> and GET {FILES_PREFIX}<name>",
            status=404,
        )

    def _link_origin(self, host: str | None) -> str | None:
        if host and _HOST_RE.match(host):
            return f"http://{host}"
        return None

    def _key_ok(self, body: object) -> bool:
        if self._api_key is None:
            return True
        key = body.get("key") if isinstance(body, Mapping) else None
        # constant time: the answer must not tell how much of a guessed key was right
        return isinstance(key, str) and hmac.compare_digest(key.encode(), self._api_key.encode())

    def _music_gen(self, jobs: JobBoard, raw: bytes, origin: str) -> Reply:
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            return Reply.error(f"the request body is not valid JSON ({exc}); send the vendor's JSON object")
        if not self._key_ok(body):
            return Reply.error(_INVALID_KEY)
        try:
            call = parse_music_gen_body(body)
            check_encodable(call.output_format, call.sample_rate, bitrate=call.request.bitrate)
        except FieldError as exc:
            return Reply.error(exc.fields)
        except UsageError as exc:
            return Reply.error(str(exc))
        try:
            job_id = jobs.admit()
        except BusyError:
            retry_after = jobs.retry_after()
            return Reply(
                status=429,
                payload=build_rate_limited(self._max_queued, retry_after),
                headers=(("Retry-After", str(retry_after)),),
            )
        try:
            clip = self._read_clip(call)
        except ClipError as exc:
            jobs.withdraw(job_id)
            return Reply.error(str(exc))
        except BaseException:
            jobs.withdraw(job_id)
            raise
        request = call.request
        # a seed is always chosen and reported in meta: any take can be made again
        seed = request.seed if request.seed is not None else secrets.randbelow(SEED_MAX + 1)
        filename = f"{uuid.uuid4().hex}.{call.output_format}"
        render = RenderRequest(
            prompt=request.prompt,
            seconds=request.seconds,
            sample_rate=call.sample_rate,
            seed=seed,
            melody=clip.samples if clip is not None else None,
            melody_rate=clip.sample_rate if clip is not None else None,
        )
        webhooks = self._webhooks
        notify = self._webhook_notifier(origin, webhooks) if request.webhook and webhooks else None
        job = jobs.submit(job_id, call, render, filename=filename, seed=seed, on_finished=notify)
        logger.debug("generation %s accepted: %.2f s at %s Hz", job_id, render.seconds, render.sample_rate)
        if job.finished.wait(self._instant):
            return Reply(payload=self._final(job, origin))
        return Reply(
            payload=build_processing(
                job.id,
                eta=jobs.eta(job),
                fetch_url=f"{origin}{FETCH_PREFIX}{job.id}",
                file_url=f"{origin}{FILES_PREFIX}{filename}",
                proxy_url=f"{origin}{PROXY_PREFIX}{filename}",
                meta=build_meta(call, filename=filename, seed=seed),
            )
        )

    def _read_clip(self, call: MusicGenCall) -> Clip | None:
        if call.clip_base64 is not None:
            data = parse_base64_clip(call.clip_base64, label="init_audio")
        elif call.clip_url is not None:
            data = download_clip(call.clip_url)
        else:
            return None
        return decode_clip(data, label="init_audio")

    def _fetch(self, jobs: JobBoard, id_text: str, raw: bytes, origin: str) -> Reply:
        try:
            body = json.loads(raw or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            return Reply.error(f"the request body is not valid JSON ({exc}); send {{\"key\": \"...\"}}")
        if not self._key_ok(body):
            return Reply.error(_INVALID_KEY)
        job = jobs.job(int(id_text)) if _ID_RE.match(id_text) else None
        if job is None:
            return Reply.error(
                f"no generation with id {id_text[:40]!r}: it is unknown here, or finished over "
                f"{self._ttl / 3600:g} h ago and was deleted; generate it again"
            )
        if not job.finished.is_set():
            return Reply(payload=build_fetch_processing(job.id, eta=jobs.eta(job)))
        return Reply(payload=self._final(job, origin))

    def _file(self, jobs: JobBoard, name: str) -> Reply:
        # only names this endpoint made, looked up exactly: '..', '%2e%2e', '/' never reach the filesystem
        path = jobs.file(name)
        if path is None:
            return Reply.error("file not found; it is still being generated, or expired", status=404)
        return Reply(file=path, content_type=CONTENT_TYPES.get(path.suffix.lstrip("."), "application/octet-stream"))

    def _final(self, job: Job, origin: str) -> dict[str, Any]:
        if job.state is JobState.DONE:
            return build_success(
                job.id,
                generation_time=job.generation_time or 0.0,
                file_url=f"{origin}{FILES_PREFIX}{job.filename}",
                proxy_url=f"{origin}{PROXY_PREFIX}{job.filename}",
                meta=build_meta(job.call, filename=job.filename, seed=job.seed),
            )
        return build_failed(job.id, job.error or "the generation failed")

    def _webhook_notifier(self, origin: str, webhooks: WebhookSender) -> Callable[[Job], None]:
        # the sender is bound now: stop() fails unstarted jobs after it has let go of self._webhooks
        def notify(job: Job) -> None:
            webhook = job.call.request.webhook
            if webhook is None:
                return
            payload = self._final(job, origin)
            payload["track_id"] = job.call.request.track_id
            webhooks.send(webhook, payload)

        return notify


def run_local_endpoint(host: str, port: int, api_key: str | None) -> None:
    """The ``musicgen-bridge local-endpoint`` command: serve with the default engine until Ctrl-C."""
    # imported here: the endpoint itself needs only the Engine protocol, the command needs a real engine
    from bridge.engine import create_engine

    register_secret(api_key)
    engine = create_engine()
    endpoint = LocalEndpoint(engine, host=host, port=port, api_key=api_key)
    url = endpoint.start()
    logger.info("local Music Gen endpoint (engine %s) at %s; Ctrl-C stops it", engine.name, url)
    endpoint.serve_forever()
