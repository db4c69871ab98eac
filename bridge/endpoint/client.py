"""The adapter for the ModelsLab Music Gen HTTP API: submit once, wait, download, verify.

The one rule this module is built around: **a generation is POSTed once.** Every
POST to ``music_gen`` costs the musician credits, so once the endpoint has given
an id the client only ever *fetches* that id (and hands it to ``on_accepted`` so
the daemon can journal it before anything else can go wrong). Everything after
that point — polling, 404ing future links, cut-short downloads, a crash — is
recovered by fetching or downloading again, never by generating again.

Retries: the generation POST is retried on connection errors, timeouts, 5xx and
429 with exponential backoff and full jitter (a 429's ``retry_after`` is a
floor), never on other 4xx. Fetches are polled 1 s doubling to 10 s. Every wait
is ``Event.wait`` on the cancel event, so a cancel lands within one slice.

Requests' errors are translated once, here, into :mod:`bridge.errors`.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import requests

from bridge import __version__
from bridge.audio.probe import AUDIO_FORMATS, AudioInfo, probe_audio
from bridge.core.progress import Progress, ProgressCallback, Stage
from bridge.core.request import EndpointRequest
from bridge.core.response import Submission, iter_http_links, parse_submission
from bridge.errors import (
    BadAudioError,
    CancelledError,
    ConfigError,
    EndpointError,
    RateLimitedError,
    StorageError,
    UpstreamTimeoutError,
    redact,
    register_secret,
)

__all__ = ["Download", "EndpointClient", "EndpointSettings"]

log = logging.getLogger(__name__)

#: how the job's 0..1 progress is shared out: submitting is quick, generating is most of the wait
_SUBMIT_END = 0.05
_GENERATE_END = 0.9
#: a GENERATING report at least this often, so a host's progress bar never looks stuck
_TICK = 0.5
#: when the endpoint gives no eta: its generations usually take tens of seconds
_GUESSED_ETA = 30.0
#: tries of one link on a dropped or cut-short transfer before falling back to the next link
_LINK_TRIES = 2
_CHUNK = 64 * 1024
_USER_AGENT = f"musicgen-bridge/{__version__}"


@dataclass(frozen=True, slots=True)
class EndpointSettings:
    base_url: str = "https://modelslab.com/api/v6/voice"
    #: kept out of repr so that logging the settings never logs the key
    api_key: str | None = field(default=None, repr=False)
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    #: total seconds to wait for one generation to be ready and downloaded (and the budget of submit's retries)
    deadline: float = 900.0
    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    poll_initial: float = 1.0
    poll_max: float = 10.0
    max_download_bytes: int = 500 * 2**20
    download_timeout: float = 120.0

    def __post_init__(self) -> None:
        if urlsplit(self.base_url).scheme not in ("http", "https") or not urlsplit(self.base_url).netloc:
            raise ConfigError(f"endpoint base_url must be an http(s) URL, got {self.base_url!r}")
        for name in (
            "connect_timeout",
            "read_timeout",
            "deadline",
            "backoff_max",
            "poll_initial",
            "poll_max",
            "download_timeout",
        ):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
                raise ConfigError(f"endpoint {name} must be a positive number of seconds, got {value!r}")
        if not isinstance(self.backoff_base, (int, float)) or self.backoff_base < 0:
            raise ConfigError(f"endpoint backoff_base must be 0 or more seconds, got {self.backoff_base!r}")
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ConfigError(f"endpoint max_attempts must be a whole number of at least 1, got {self.max_attempts!r}")
        if isinstance(self.max_download_bytes, bool) or not isinstance(self.max_download_bytes, int) or self.max_download_bytes < 1:
            raise ConfigError(f"endpoint max_download_bytes must be a positive whole number, got {self.max_download_bytes!r}")

    @property
    def generate_url(self) -> str:
        return f"{self.base_url.rstrip('/')}/music_gen"

    def fetch_url(self, endpoint_id: str) -> str:
        return f"{self.base_url.rstrip('/')}/fetch/{endpoint_id}"


@dataclass(frozen=True, slots=True)
class Download:
    """A finished generation on disk, verified as audio of the requested format."""

    path: Path
    endpoint_id: str | None
    links: tuple[str, ...]
    generation_time: float | None
    meta: dict[str, Any] = field(hash=False)
    audio: AudioInfo


class _LinkFailure(Exception):
    """One link did not give us the file. ``kind``: missing (404: may appear), transient, bad, fatal."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


def _safe(url: str) -> str:
    # links and fetch URLs come from the vendor: one could carry the key, and log lines are not redacted for us
    return redact(url)


def _short(url: str) -> str:
    # the whole of a signed CDN URL drowns the message; host and file name identify it
    url = redact(url)
    parts = urlsplit(url)
    name = parts.path.rsplit("/", 1)[-1] or parts.path
    return f"{parts.netloc}/…/{name}" if parts.netloc else url[:60]


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class EndpointClient:
    """Talks to one Music Gen endpoint. ``session`` is injectable (tests, proxies); ``jitter`` returns 0..1.

    One client may be shared by threads only if its session may: give each worker
    its own client when in doubt (``requests.Session`` is not documented thread-safe).
    """

    def __init__(
        self,
        settings: EndpointSettings | None = None,
        *,
        session: requests.Session | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.settings = settings or EndpointSettings()
        register_secret(self.settings.api_key)
        self._own_session = session is None
        self._session = session or requests.Session()
        self._jitter = jitter

    def close(self) -> None:
        if self._own_session:
            self._session.close()

    def __enter__(self) -> EndpointClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the generation -------------------------------------------------------

    def submit(self, request: EndpointRequest, *, cancel: threading.Event | None = None) -> Submission:
        """The one generation POST, retried only while the endpoint cannot have taken it on.

        Returns a success (with links) or a processing answer that has an id.
        """
        settings = self.settings
        deadline_at = time.monotonic() + settings.deadline
        submission = self._call(
            settings.generate_url,
            request.to_payload(settings.api_key),
            what="generation",
            endpoint_id=None,
            deadline_at=deadline_at,
            cancel=cancel,
            cancelled="cancelled before the endpoint accepted the generation; nothing was charged",
        )
        if submission.status == "processing" and submission.endpoint_id is None:
            raise EndpointError(
                "the endpoint says the generation is processing but gave no id, so it cannot be fetched: "
                "send the take again later"
            )
        log.info("generation %s: %s", submission.endpoint_id or "(no id)", submission.status)
        return submission

    def fetch(
        self,
        endpoint_id: str,
        *,
        fetch_url: str | None = None,
        cancel: threading.Event | None = None,
    ) -> Submission:
        """Ask once how generation ``endpoint_id`` is doing (retrying only transport failures)."""
        return self._call(
            self._fetch_url_for(endpoint_id, fetch_url),
            {"key": self.settings.api_key or ""},
            what=f"fetch of generation {endpoint_id}",
            endpoint_id=endpoint_id,
            deadline_at=time.monotonic() + self.settings.deadline,
            cancel=cancel,
            cancelled=f"cancelled while fetching generation {endpoint_id}",
        )

    def wait(
        self,
        submission: Submission,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> Submission:
        """Until the generation is done: wait out its eta, then fetch with backoff. Never POSTs it again."""
        return self._wait(submission, time.monotonic() + self.settings.deadline, progress, cancel)

    def resume(
        self,
        endpoint_id: str,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        fetch_url: str | None = None,
    ) -> Submission:
        """Finish waiting for a generation the endpoint accepted earlier (after a crash or a timeout)."""
        return self.wait(
            Submission(endpoint_id=str(endpoint_id), status="processing", fetch_url=fetch_url),
            progress=progress,
            cancel=cancel,
        )

    def download(
        self,
        links: Sequence[str],
        dest_dir: Path,
        expected_format: str,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        endpoint_id: str | None = None,
        filename: str | None = None,
    ) -> Path:
        """The first link that yields audio of ``expected_format``, saved into ``dest_dir``.

        ``filename`` defaults to ``modelslab-<endpoint_id>.<format>``. The file
        appears under its final name only once verified.
        """
        path, _ = self._download(
            links,
            Path(dest_dir),
            expected_format,
            deadline_at=time.monotonic() + self.settings.deadline,
            progress=progress,
            cancel=cancel,
            endpoint_id=endpoint_id,
            filename=filename,
        )
        return path

    def finish(
        self,
        submission: Submission,
        dest_dir: Path,
        expected_format: str,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        filename: str | None = None,
    ) -> Download:
        """Wait for a submission and download it, within one deadline. ``resume`` + ``download`` in one."""
        deadline_at = time.monotonic() + self.settings.deadline
        done = self._wait(submission, deadline_at, progress, cancel)
        path, audio = self._download(
            done.links,
            Path(dest_dir),
            expected_format,
            deadline_at=deadline_at,
            progress=progress,
            cancel=cancel,
            endpoint_id=done.endpoint_id,
            filename=filename,
        )
        if progress:
            progress(Progress(Stage.DOWNLOADING, 1.0, 0.0))
        return Download(
            path=path,
            endpoint_id=done.endpoint_id,
            links=done.links,
            generation_time=done.generation_time,
            meta=dict(done.meta),
            audio=audio,
        )

    def generate(
        self,
        request: EndpointRequest,
        dest_dir: Path,
        *,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        on_accepted: Callable[[str], None] | None = None,
    ) -> Download:
        """Submit once, hand the id to ``on_accepted`` at once, wait, download and verify."""
        if progress:
            progress(Progress(Stage.SUBMITTING, 0.0))
        submission = self.submit(request, cancel=cancel)
        if submission.endpoint_id is not None and on_accepted is not None:
            # before any waiting: if the bridge dies from here on, the journal can resume this id
            on_accepted(submission.endpoint_id)
        if progress:
            progress(Progress(Stage.SUBMITTING, _SUBMIT_END, submission.eta))
        return self.finish(submission, dest_dir, request.expected_format, progress=progress, cancel=cancel)

    # -- requests -------------------------------------------------------------

    def _post(self, url: str, body: dict[str, Any], *, timeout: float, endpoint_id: str | None) -> requests.Response:
        """One POST, one INFO line. Transport failures become our errors; answers are returned as they are."""
        started = time.monotonic()
        try:
            response = self._session.post(
                url,
                json=body,
                headers={"User-Agent": _USER_AGENT, "Accept": "application/json"},
                timeout=(self.settings.connect_timeout, timeout),
                # a 307/308 would re-send the body, key included, to wherever it points
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            log.info("POST %s: no answer after %.2f s", _safe(url), time.monotonic() - started)
            raise UpstreamTimeoutError(
                f"the endpoint did not answer within {timeout:g} s ({url}): it may be overloaded; "
                "try again later, or raise read_timeout",
                endpoint_id=endpoint_id,
            ) from exc
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            log.info("POST %s: failed after %.2f s: %s", _safe(url), time.monotonic() - started, redact(str(exc)))
            raise EndpointError(
                f"could not reach the endpoint at {url} ({type(exc).__name__}): check the network "
                "connection and the base_url setting",
                endpoint_id=endpoint_id,
            ) from exc
        except requests.RequestException as exc:
            raise EndpointError(f"could not send the request to {url}: {exc}", endpoint_id=endpoint_id) from exc
        log.info("POST %s -> HTTP %d in %.2f s", _safe(url), response.status_code, time.monotonic() - started)
        return response

    def _ask(self, url: str, body: dict[str, Any], endpoint_id: str | None) -> Submission:
        """POST and parse. Raises ``_Retry(err)`` for the failures worth trying again."""
        try:
            response = self._post(url, body, timeout=self.settings.read_timeout, endpoint_id=endpoint_id)
        except EndpointError as err:
            raise _Retry(err, None) from err
        if 300 <= response.status_code < 400:
            location = response.headers.get("Location", "(no Location header)")
            raise EndpointError(
                f"the endpoint redirected {_safe(url)} to {_safe(location)} (HTTP {response.status_code}): "
                "set base_url to the new address; the bridge does not follow redirects with the API key",
                endpoint_id=endpoint_id,
            )
        try:
            return parse_submission(response.status_code, response.content, response.headers, endpoint_id=endpoint_id)
        except RateLimitedError as err:
            raise _Retry(err, err.retry_after) from err
        except EndpointError as err:
            if response.status_code >= 500:
                raise _Retry(err, None) from err
            raise

    def _call(
        self,
        url: str,
        body: dict[str, Any],
        *,
        what: str,
        endpoint_id: str | None,
        deadline_at: float,
        cancel: threading.Event | None,
        cancelled: str,
    ) -> Submission:
        settings = self.settings
        for attempt in range(1, settings.max_attempts + 1):
            self._check(cancel, cancelled)
            try:
                return self._ask(url, body, endpoint_id)
            except _Retry as retry:
                err = retry.error
                delay = self._backoff(attempt)
                if retry.retry_after is not None:
                    delay = max(delay, retry.retry_after)
                if attempt == settings.max_attempts or time.monotonic() + delay > deadline_at:
                    log.warning("%s failed after %d attempt(s): %s", what, attempt, err)
                    raise err from err.__cause__
                log.warning(
                    "%s failed (%s); retrying in %.2f s (attempt %d of %d)",
                    what, err.code, delay, attempt, settings.max_attempts,
                )
                self._pause(delay, cancel, cancelled)
        raise AssertionError("unreachable: the last attempt raises or returns")

    def _backoff(self, attempt: int) -> float:
        # full jitter: spreads the retries of many bridges (or many takes) instead of synchronising them
        settings = self.settings
        return self._jitter() * min(settings.backoff_max, settings.backoff_base * 2 ** (attempt - 1))

    # -- waiting --------------------------------------------------------------

    def _check(self, cancel: threading.Event | None, message: str) -> None:
        if cancel is not None and cancel.is_set():
            raise CancelledError(message)

    def _pause(
        self,
        seconds: float,
        cancel: threading.Event | None,
        message: str,
        tick: Callable[[], None] | None = None,
    ) -> None:
        """Sleep that a cancel interrupts at once; ``tick`` runs at least every ``_TICK`` seconds."""
        event = cancel if cancel is not None else threading.Event()
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            if event.wait(min(left, _TICK) if tick else left):
                raise CancelledError(message)
            if tick:
                tick()
        self._check(cancel, message)

    def _fetch_url_for(self, endpoint_id: str, given: str | None) -> str:
        default = self.settings.fetch_url(endpoint_id)
        if not given or given == default:
            return default
        if _origin(given) == _origin(self.settings.base_url):
            return given
        # the fetch POST carries the API key: it only goes to the host we were configured with
        log.warning("ignoring fetch_result %s: not on %s; fetching %s", _safe(given), self.settings.base_url, default)
        return default

    def _wait(
        self,
        submission: Submission,
        deadline_at: float,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> Submission:
        if submission.done:
            return submission
        endpoint_id = submission.endpoint_id
        if endpoint_id is None:
            raise EndpointError("cannot wait for a generation without an id: send the take again")
        settings = self.settings
        url = self._fetch_url_for(endpoint_id, submission.fetch_url)
        cancelled = (
            f"cancelled while generation {endpoint_id} was being made: the endpoint may still finish "
            f"(and charge for) it; its id is {endpoint_id}"
        )
        started = time.monotonic()
        eta_end = started + submission.eta if submission.eta is not None else None

        def report() -> None:
            if progress is None:
                return
            now = time.monotonic()
            span = (eta_end - started) if eta_end is not None and eta_end > started else _GUESSED_ETA
            share = min((now - started) / span, 0.95) if span > 0 else 0.95
            left = max(eta_end - now, 0.0) if eta_end is not None else None
            progress(Progress(Stage.GENERATING, _SUBMIT_END + (_GENERATE_END - _SUBMIT_END) * share, left))

        report()
        if eta_end is not None:
            # no point asking before the endpoint's own estimate; the musician still sees the bar move
            self._pause(max(min(eta_end, deadline_at) - time.monotonic(), 0.0), cancel, cancelled, report)
        delay = settings.poll_initial
        last_problem: str | None = None
        body = {"key": settings.api_key or ""}
        while True:
            self._check(cancel, cancelled)
            retry_after: float | None = None
            try:
                current = self._ask(url, body, endpoint_id)
            except _Retry as retry:
                # a fetch is harmless to repeat: keep polling through outages until the deadline
                last_problem = retry.error.message
                retry_after = retry.retry_after
                log.warning("fetch of generation %s failed (%s); polling on", endpoint_id, retry.error.code)
            else:
                if current.done:
                    if progress:
                        progress(Progress(Stage.GENERATING, _GENERATE_END, 0.0))
                    return current.replace(
                        endpoint_id=current.endpoint_id or endpoint_id,
                        fetch_url=current.fetch_url or url,
                    )
                last_problem = None
                if current.eta is not None:
                    eta_end = time.monotonic() + current.eta
            now = time.monotonic()
            if now >= deadline_at:
                self._timed_out(endpoint_id, started, last_problem)
            pause = max(delay, retry_after or 0.0)
            self._pause(min(pause, deadline_at - now), cancel, cancelled, report)
            delay = min(delay * 2, settings.poll_max)

    def _timed_out(self, endpoint_id: str, started: float, problem: str | None) -> NoReturn:
        seen = f" (last answer: {problem})" if problem else ""
        raise UpstreamTimeoutError(
            f"generation {endpoint_id} was not ready after {time.monotonic() - started:.0f} s{seen}: "
            "its id is kept, so it can be fetched later without paying again; "
            "raise the deadline setting for long takes",
            endpoint_id=endpoint_id,
        )

    # -- downloading ----------------------------------------------------------

    def _download(
        self,
        links: Sequence[str],
        dest_dir: Path,
        expected_format: str,
        *,
        deadline_at: float,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
        endpoint_id: str | None,
        filename: str | None,
    ) -> tuple[Path, AudioInfo]:
        fmt = expected_format.lower()
        if fmt not in AUDIO_FORMATS:
            raise BadAudioError(
                f"cannot download as {expected_format!r}: use one of {', '.join(sorted(AUDIO_FORMATS))}",
                endpoint_id=endpoint_id,
            )
        which = f"generation {endpoint_id}" if endpoint_id else "the generation"
        kept = f"; its id {endpoint_id} is kept, so it can be downloaded again later" if endpoint_id else ""
        cancelled = f"cancelled while downloading {which}"
        target = dest_dir / (filename or f"modelslab-{endpoint_id or uuid.uuid4().hex}.{fmt}")
        try:
            dest_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create the download folder '{dest_dir}': {exc.strerror or exc}") from exc

        failures: dict[str, str] = {}
        candidates: list[str] = []
        for link, reason in iter_http_links(links):
            if reason is None:
                candidates.append(link)
            else:
                log.warning("skipping link %s of %s: %s", _safe(link)[:80], which, reason)
                failures[link] = reason
        if not candidates:
            seen = "; ".join(f"{_safe(link)[:60]!r}: {why}" for link, why in failures.items()) or "none at all"
            raise EndpointError(f"the endpoint gave no downloadable links for {which} ({seen}){kept}", endpoint_id=endpoint_id)

        pending = list(candidates)
        any_bad = False
        delay = self.settings.poll_initial
        while True:
            for link in list(pending):
                failure: _LinkFailure | None = None
                for attempt in range(1, _LINK_TRIES + 1):
                    self._check(cancel, cancelled)
                    try:
                        return self._download_one(link, target, fmt, progress, cancel, cancelled)
                    except _LinkFailure as exc:
                        failure = exc
                    failures[link] = failure.reason
                    log.warning("download of %s from %s failed: %s", which, _short(link), failure.reason)
                    if failure.kind != "transient" or attempt == _LINK_TRIES:
                        break
                    self._pause(min(self._backoff(attempt), max(deadline_at - time.monotonic(), 0.0)), cancel, cancelled)
                assert failure is not None
                if failure.kind != "missing":
                    pending.remove(link)
                    any_bad = any_bad or failure.kind == "bad"
            summary = "; ".join(f"{_short(link)}: {why}" for link, why in failures.items())
            if not pending:
                error = BadAudioError if any_bad else EndpointError
                raise error(f"could not download {which}: {summary}{kept}", endpoint_id=endpoint_id)
            now = time.monotonic()
            if now >= deadline_at:
                raise UpstreamTimeoutError(
                    f"the files of {which} were still missing when the deadline passed: {summary}{kept}",
                    endpoint_id=endpoint_id,
                )
            # future links 404 until the file exists: ask again, backing off like a fetch
            self._pause(min(delay, deadline_at - now), cancel, cancelled)
            delay = min(delay * 2, self.settings.poll_max)

    def _download_one(
        self,
        link: str,
        target: Path,
        fmt: str,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
        cancelled: str,
    ) -> tuple[Path, AudioInfo]:
        settings = self.settings
        cap = settings.max_download_bytes
        # a dot name with .part: DAW folder watchers and Finder/Explorer previews skip it until the rename
        part = target.parent / f".{uuid.uuid4().hex}.part"
        started = time.monotonic()
        written = 0
        length: int | None = None
        try:
            try:
                response = self._session.get(
                    link,
                    stream=True,
                    # identity: so Content-Length is the byte count we must receive (audio barely compresses)
                    headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"},
                    timeout=(settings.connect_timeout, settings.download_timeout),
                )
                with response:
                    status = response.status_code
                    if status != 200:
                        log.info("GET %s -> HTTP %d in %.2f s", _safe(link), status, time.monotonic() - started)
                        if status in (404, 410):
                            raise _LinkFailure("missing", f"HTTP {status} (not there yet)")
                        if status >= 500 or status in (408, 429):
                            raise _LinkFailure("transient", f"HTTP {status}")
                        raise _LinkFailure("fatal", f"HTTP {status}")
                    length = _content_length(response)
                    if length is not None and length > cap:
                        raise _LinkFailure("bad", _too_big(length, cap))
                    with part.open("wb") as handle:
                        last_report = 0.0
                        for chunk in response.iter_content(_CHUNK):
                            if cancel is not None and cancel.is_set():
                                raise CancelledError(cancelled)
                            written += len(chunk)
                            if written > cap:
                                raise _LinkFailure("bad", _too_big(written, cap))
                            handle.write(chunk)
                            now = time.monotonic()
                            if progress and length and now - last_report >= _TICK:
                                last_report = now
                                share = (1.0 - _GENERATE_END) * written / length
                                progress(Progress(Stage.DOWNLOADING, _GENERATE_END + share, None))
                    log.info("GET %s -> HTTP 200, %d bytes in %.2f s", _safe(link), written, time.monotonic() - started)
                    if length is not None and written != length:
                        raise _LinkFailure("transient", f"cut short: got {written} of {length} bytes")
            except requests.Timeout as exc:
                log.info("GET %s: timed out after %.2f s", _safe(link), time.monotonic() - started)
                raise _LinkFailure("transient", f"no data for {settings.download_timeout:g} s") from exc
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
                log.info("GET %s: dropped after %d bytes, %.2f s", _safe(link), written, time.monotonic() - started)
                # requests reads whole chunks, so bytes of the last, broken chunk never reach `written`
                promised = f"all {length} bytes" if length is not None else "the end of the file"
                raise _LinkFailure("transient", f"cut short: the connection dropped before {promised} arrived") from exc
            except requests.RequestException as exc:
                raise _LinkFailure("fatal", f"could not be fetched ({type(exc).__name__})") from exc
            except OSError as exc:
                raise StorageError(
                    f"cannot write the download into '{target.parent}': {exc.strerror or exc}; "
                    "check the folder is writable and the disk has room"
                ) from exc
            try:
                audio = probe_audio(part, fmt, name=_short(link))
            except BadAudioError as exc:
                raise _LinkFailure("bad", exc.message) from exc
            try:
                os.replace(part, target)
            except OSError as exc:
                raise StorageError(f"cannot move the download to '{target}': {exc.strerror or exc}") from exc
            return target, audio
        finally:
            # never leave a partial file behind, whatever went wrong
            part.unlink(missing_ok=True)


class _Retry(Exception):
    def __init__(self, error: EndpointError, retry_after: float | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.retry_after = retry_after


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _too_big(size: int, cap: int) -> str:
    return (
        f"{size / 2**20:.1f} MiB is over the {cap / 2**20:.1f} MiB cap (max_download_bytes); "
        "raise it if the takes really are this large"
    )
