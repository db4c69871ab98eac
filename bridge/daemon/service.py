"""The daemon: wires the OSC adapter, controller, job queue and journal, and owns their threads.

It knows only interfaces: the take maker, tempo source, capture service and
extra inputs are given to it (the composition root in :mod:`bridge.app` picks
the concrete ones).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from bridge.core.commands import CommandWithCapture, Origin
from bridge.core.jobs import StickyState
from bridge.core.progress import TakeMaker
from bridge.core.tempo import TempoSource
from bridge.daemon.controller import DEFAULT_MAX_CLIP_BYTES, CaptureService, Controller
from bridge.daemon.jobs import JobQueue
from bridge.daemon.journal import Journal
from bridge.daemon.osc_io import OscListener, OscNotifier, is_loopback_host, parse_allow, parse_notify_target
from bridge.errors import ConfigError

__all__ = ["Daemon", "DaemonOptions", "InputSource", "Observer"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DaemonOptions:
    """What the daemon needs from the configuration."""

    journal_path: Path
    osc_host: str = "127.0.0.1"
    osc_port: int = 9000
    reply_port: int = 9001
    #: extra notification targets, ``"HOST:PORT"`` or ``(host, port)``
    notify: tuple[str | tuple[str, int], ...] = ()
    #: CIDRs allowed to send besides loopback; needed when ``osc_host`` is not loopback
    allow: tuple[str, ...] = ()
    concurrency: int = 2
    queue_size: int = 32
    max_clip_bytes: int = DEFAULT_MAX_CLIP_BYTES
    #: commands waiting for the controller; past this a flood is dropped
    command_queue_size: int = 1024
    #: how often running jobs report progress (at most 1 s, the contract's promise)
    progress_interval: float = 0.5
    #: ``[presets.<name>]`` tables, for ``Generate(preset=name)`` from MIDI or the inbox
    presets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


#: sees every outbound notification ``(address, args, origin)``; must only enqueue (it runs on the job threads)
Observer = Callable[[str, list[Any], "Origin | None"], None]


class InputSource(Protocol):
    """Another input (MIDI, an inbox folder): turns its events into commands and hands them to ``submit``."""

    def start(self, submit: Callable[[CommandWithCapture], bool]) -> None: ...

    def stop(self) -> None: ...


class Daemon:
    """The running bridge. ``start()`` binds and starts every thread; ``stop()`` joins them all."""

    def __init__(
        self,
        options: DaemonOptions,
        take_maker: TakeMaker,
        *,
        tempo_source: TempoSource | None = None,
        capture: CaptureService | None = None,
        extra_inputs: Sequence[InputSource] = (),
        observers: Sequence[Observer] = (),
    ) -> None:
        if not 0 < options.progress_interval <= 1.0:
            raise ConfigError(f"progress_interval must be above 0 and at most 1 s, got {options.progress_interval!r}")
        self.options = options
        self._take_maker = take_maker
        self._tempo_source = tempo_source
        self._capture = capture
        self._inputs = tuple(extra_inputs)
        self._observers = tuple(observers)
        self._allow = parse_allow(options.allow)
        if not is_loopback_host(options.osc_host) and not self._allow:
            raise ConfigError(
                f"listening on {options.osc_host} lets other machines trigger takes; "
                "name who may with --allow CIDR (e.g. --allow 192.168.1.0/24), or keep --osc-host 127.0.0.1"
            )
        self._notify = tuple(
            target if isinstance(target, tuple) else parse_notify_target(target) for target in options.notify
        )
        self._journal: Journal | None = None
        self._notifier: OscNotifier | None = None
        self._jobs: JobQueue | None = None
        self._controller: Controller | None = None
        self._listener: OscListener | None = None
        self._started_inputs: list[InputSource] = []
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        options = self.options
        journal = Journal(options.journal_path)
        notifier = OscNotifier(options.reply_port, self._notify)
        send = self._fan_out(notifier.send)
        try:
            jobs = JobQueue(
                self._take_maker,
                send,
                concurrency=options.concurrency,
                queue_size=options.queue_size,
                journal=journal,
                tick_seconds=options.progress_interval,
            )
            controller = Controller(
                jobs,
                send,
                tempo_source=self._tempo_source,
                capture=self._capture,
                max_clip_bytes=options.max_clip_bytes,
                queue_size=options.command_queue_size,
                presets=options.presets,
            )
            def from_osc(command: CommandWithCapture) -> bool:
                notifier.remember(command.origin)
                return controller.submit(command)

            listener = OscListener(options.osc_host, options.osc_port, from_osc, allow=self._allow)
            listener.start()
        except BaseException:
            notifier.close()
            journal.close()
            raise
        self._journal, self._notifier, self._jobs = journal, notifier, jobs
        self._controller, self._listener = controller, listener
        controller.start()
        unfinished = journal.unfinished()
        for entry in unfinished:
            jobs.restore(entry)
        jobs.start()
        if unfinished:
            logger.info("finishing %d job(s) left from the last run", len(unfinished))
        for source in self._inputs:
            source.start(self.submit)
            self._started_inputs.append(source)
        host, port = listener.address
        logger.info(
            "musicgen-bridge listening on %s:%s, replies to port %s%s",
            host,
            port,
            options.reply_port,
            "".join(f", notifying {h}:{p}" for h, p in self._notify),
        )

    def stop(self, timeout: float = 5.0) -> None:
        """Stop listening, keep what is in flight in the journal, join every thread (within ``timeout``)."""
        with self._stop_lock:
            if self._stopped.is_set() or self._listener is None:
                self._stopped.set()
                return
            self._stopped.set()
            deadline = time.monotonic() + timeout

            def left(share: float = 1.0) -> float:
                return max(0.05, (deadline - time.monotonic()) * share)

            self._listener.stop(left(0.2))
            for source in self._started_inputs:
                try:
                    source.stop()
                except Exception:
                    logger.exception("an input did not stop cleanly")
            assert self._controller is not None and self._jobs is not None
            self._controller.stop(left(0.3))
            self._jobs.stop(left(0.9))
            if self._tempo_source is not None:
                try:
                    self._tempo_source.close()
                except Exception:
                    logger.exception("the tempo source did not close cleanly")
            assert self._notifier is not None and self._journal is not None
            self._notifier.close()
            self._journal.close()
            logger.info("musicgen-bridge stopped")

    def _fan_out(self, send: Callable[..., None]) -> Callable[..., None]:
        """Every notification also goes to the observers (Live's status bar, a controller's pad light)."""
        if not self._observers:
            return send
        observers = self._observers

        def send_and_observe(address: str, args: Sequence[Any], origin: Origin | None = None) -> None:
            send(address, args, origin)
            for observe in observers:
                try:
                    observe(address, list(args), origin)
                except Exception:  # an observer's bug must not stop a take from being announced
                    logger.exception("notification observer failed on %s", address)

        return send_and_observe

    def run_until_signal(self, after_start: Callable[[], None] | None = None) -> None:
        """Serve until SIGINT or SIGTERM (call from the main thread), then stop cleanly.

        The handlers are in place before the daemon answers its first datagram, so a SIGTERM
        that follows the first pong still stops cleanly; ``after_start`` (starting other
        inputs) runs under them too.
        """
        stop = threading.Event()

        def on_signal(number: int, _frame: FrameType | None) -> None:
            logger.info("%s received, stopping", signal.Signals(number).name)
            stop.set()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if self._listener is None:
                self.start()
            if after_start is not None and not stop.is_set():
                after_start()
            # a timed wait, so the main thread returns to the interpreter and runs the handler promptly
            while not stop.wait(0.2) and not self._stopped.is_set():
                pass
        finally:
            self.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def __enter__(self) -> Daemon:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- inputs and views ------------------------------------------------------------------------

    def submit(self, command: CommandWithCapture) -> bool:
        """Hand a command to the controller from any thread; ``False`` when the queue is full."""
        if self._controller is None:
            raise ConfigError("the daemon is not started; call start() first")
        return self._controller.submit(command)

    @property
    def osc_address(self) -> tuple[str, int]:
        """Where the daemon listens (the real port when port 0 was asked for)."""
        if self._listener is None:
            return self.options.osc_host, self.options.osc_port
        return self._listener.address

    @property
    def state(self) -> StickyState:
        assert self._controller is not None
        return self._controller.state

    @property
    def jobs(self) -> JobQueue:
        assert self._jobs is not None
        return self._jobs

    @property
    def listener(self) -> OscListener:
        assert self._listener is not None
        return self._listener

    @property
    def controller(self) -> Controller:
        assert self._controller is not None
        return self._controller
