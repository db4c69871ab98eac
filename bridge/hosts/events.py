"""Job outcomes handed to host integrations (Live's status bar and clip slots, a controller's pad light).

The daemon's job threads must never wait on a host, so :class:`HostEvents` only
enqueues what it observes; its own thread calls the slow handlers (AbletonOSC's
``has_clip`` confirmation takes up to half a second).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from bridge.core import addresses as A
from bridge.core.commands import Origin

__all__ = ["HostEvents", "OutcomeHandler"]

log = logging.getLogger(__name__)


class OutcomeHandler(Protocol):
    def job_done(self, job_id: str, path: Path | str, prompt: str | None = None) -> object: ...

    def job_failed(self, job_id: str | None, code: str, message: str) -> None: ...


def _prompt_of(path: Path) -> str | None:
    """The prompt of a take, from its sidecar (the done message carries the path, not the prompt)."""
    try:
        return json.loads(path.with_suffix(".json").read_text(encoding="utf-8")).get("prompt")
    except (OSError, ValueError, AttributeError):
        return None


class HostEvents:
    """An observer for :class:`bridge.daemon.service.Daemon` that forwards done/failed to handlers."""

    def __init__(self, handlers: Sequence[OutcomeHandler], *, max_pending: int = 256) -> None:
        self._handlers = tuple(handlers)
        self._queue: queue.Queue[tuple[str, list[Any]] | None] = queue.Queue(max_pending)
        self._thread = threading.Thread(target=self._run, name="host-events", daemon=True)
        self._thread.start()

    def __call__(self, address: str, args: list[Any], origin: Origin | None = None) -> None:
        if address not in (A.JOB_DONE, A.JOB_ERROR):
            return
        try:
            self._queue.put_nowait((address, args))
        except queue.Full:
            log.warning("host integrations are behind; %s for %s not forwarded", address, args[:1])

    def close(self, timeout: float = 2.0) -> None:
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            address, args = item
            for handler in self._handlers:
                try:
                    if address == A.JOB_DONE:
                        path = Path(str(args[1]))
                        handler.job_done(str(args[0]), path, _prompt_of(path))
                    else:
                        handler.job_failed(str(args[0]), str(args[1]), str(args[2]))
                except Exception:  # one host's failure must not stop the others hearing
                    log.exception("host integration %s failed on %s", type(handler).__name__, address)

