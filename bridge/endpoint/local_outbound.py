"""The local endpoint's outgoing HTTP: downloading an ``init_audio`` URL and posting webhooks.

Both talk to addresses a client chose, so both have short timeouts and the
download a size cap; neither can hang a request thread or a render worker.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any

import requests

from bridge.errors import ClipError, redact

__all__ = ["MAX_CLIP_BYTES", "WebhookSender", "download_clip"]

logger = logging.getLogger(__name__)

#: far above 30 s of 48 kHz stereo WAV (11 MB); a clip longer than 30 s is fine, it is cut after decoding
MAX_CLIP_BYTES = 64 * 1024 * 1024
_CHUNK = 64 * 1024


def download_clip(
    url: str,
    *,
    max_bytes: int = MAX_CLIP_BYTES,
    timeout: float = 10.0,
    deadline: float = 60.0,
    session: requests.Session | None = None,
) -> bytes:
    """The body of ``url``; :class:`ClipError` for a failed, refused, oversized or too slow download.

    ``timeout`` bounds connecting and each read; ``deadline`` the whole transfer,
    so a server that trickles bytes cannot hold a request thread for ever.
    """
    shown = redact(url[:200])
    getter = session or requests
    started = time.monotonic()
    try:
        with getter.get(url, stream=True, timeout=timeout, headers={"Accept": "audio/*"}) as response:
            if response.status_code >= 400:
                raise ClipError(
                    f"init_audio could not be downloaded from {shown}: HTTP {response.status_code}; "
                    "send a URL that serves the audio file itself"
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise ClipError(
                    f"init_audio at {shown} is {int(declared)} bytes, over the {max_bytes} byte limit; "
                    "send at most 30 s of audio"
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_content(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise ClipError(
                        f"init_audio at {shown} is over the {max_bytes} byte limit; send at most 30 s of audio"
                    )
                if time.monotonic() - started > deadline:
                    raise ClipError(f"init_audio at {shown} took over {deadline:.0f} s to download; send a faster URL")
                chunks.append(chunk)
    except requests.RequestException as exc:
        raise ClipError(f"init_audio could not be downloaded from {shown}: {type(exc).__name__}: {exc}") from exc
    return b"".join(chunks)


class WebhookSender:
    """Posts final results to webhooks from one background thread, one at a time, never raising.

    A webhook is a courtesy to the caller: a dead receiver is logged and
    forgotten, and cannot slow a render worker, which only enqueues.
    """

    def __init__(self, *, timeout: float = 5.0, session: requests.Session | None = None) -> None:
        self._timeout = timeout
        self._session = session or requests.Session()
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="local-endpoint-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued (for up to ``timeout``), then end the thread."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("webhook sender still busy after %.0f s; leaving it", timeout)
        self._thread = None
        self._session.close()

    def send(self, url: str, payload: Mapping[str, Any]) -> None:
        self._queue.put((url, dict(payload)))

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            url, payload = item
            try:
                response = self._session.post(url, json=payload, timeout=self._timeout)
                if response.status_code >= 400:
                    logger.warning("webhook %s answered HTTP %s", redact(url[:200]), response.status_code)
            except requests.RequestException as exc:
                logger.warning("webhook %s failed: %s", redact(url[:200]), redact(str(exc)))
