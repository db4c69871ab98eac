"""The job queue: a bounded queue feeding worker threads that call the take maker.

Every state change is journalled first, then logged (one INFO line with the job
id) and announced. Announcements are made under the queue's lock, so a host
always sees ``queued`` before ``preparing`` and positions in order; they are
UDP sends and never block.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.core import addresses as A
from bridge.core.commands import Origin
from bridge.core.jobs import JobIdFactory, check_transition
from bridge.core.progress import Progress, Stage, Take, TakeMaker
from bridge.core.request import GenerationSpec
from bridge.daemon.journal import Journal, JournalEntry
from bridge.errors import BridgeError, BusyError, CancelledError, UsageError

__all__ = ["Announce", "JobQueue"]

logger = logging.getLogger(__name__)

#: ``announce(address, args, origin)``: send a notification to the origin's host and every --notify target
Announce = Callable[[str, Sequence[Any], "Origin | None"], None]

#: finished jobs remembered so that cancelling one says "already done" rather than "no such job"
_FINISHED_MEMORY = 512


@dataclass(eq=False)
class _Job:
    """A job while the daemon holds it. Mutable, guarded by the queue's lock."""

    id: str
    spec: GenerationSpec
    origin: Origin | None
    stage: Stage = Stage.QUEUED
    endpoint_id: str | None = None
    fraction: float = 0.0
    seconds_left: float | None = None
    #: monotonic time of the last eta, to count it down between reports
    eta_at: float = 0.0
    cancel: threading.Event = field(default_factory=threading.Event)
    #: cancelled because the daemon stops: keep the journal entry so a restart finishes it
    shutdown: bool = False


class JobQueue:
    """``queue_size`` waiting jobs at most, run by ``concurrency`` workers.

    ``journal`` is optional (tests of the queue alone); with one, every job is
    recorded before it is announced and a restart can :meth:`restore` it.
    """

    def __init__(
        self,
        take_maker: TakeMaker,
        announce: Announce,
        *,
        concurrency: int = 2,
        queue_size: int = 32,
        journal: Journal | None = None,
        tick_seconds: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if concurrency < 1:
            raise UsageError(f"concurrency must be at least 1, got {concurrency}")
        if queue_size < 1:
            raise UsageError(f"queue_size must be at least 1, got {queue_size}")
        self._take_maker = take_maker
        self._announce = announce
        self._concurrency = concurrency
        self._queue_size = queue_size
        self._journal = journal
        self._tick = tick_seconds
        self._clock = clock
        self._ids = JobIdFactory(journal.newest_id() if journal is not None else None)
        self._lock = threading.RLock()
        self._wakeup = threading.Condition(self._lock)
        self._pending: deque[_Job] = deque()
        self._running: dict[str, _Job] = {}
        self._finished: OrderedDict[str, Stage] = OrderedDict()
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        for number in range(self._concurrency):
            thread = threading.Thread(target=self._work, name=f"job-worker-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)
        ticker = threading.Thread(target=self._ticker, name="job-progress", daemon=True)
        ticker.start()
        self._threads.append(ticker)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the workers; running jobs are cancelled but stay in the journal, so a restart finishes them."""
        with self._wakeup:
            self._stopping.set()
            for job in self._running.values():
                job.shutdown = True
                job.cancel.set()
            self._wakeup.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning("%s did not stop within %.1f s", thread.name, timeout)
        with self._lock:
            if self._pending:
                logger.info("%d queued job(s) kept in the journal for the next start", len(self._pending))

    # --- commands --------------------------------------------------------------------------------

    def submit(self, specs: Sequence[GenerationSpec], origin: Origin | None) -> list[str]:
        """Queue one job per spec, all or none; :class:`BusyError` when the queue has no room for all."""
        with self._wakeup:
            if self._stopping.is_set():
                raise BusyError("the bridge is shutting down; send the trigger again after it restarts")
            room = self._queue_size - len(self._pending)
            if len(specs) > room:
                raise BusyError(
                    f"the job queue is full ({len(self._pending)} of {self._queue_size} waiting, {len(specs)} asked); "
                    "wait for a /musicgen/job/done, cancel with /musicgen/cancel, or raise --queue-size"
                )
            ids = []
            for spec in specs:
                job = _Job(self._ids.next(int(time.time() * 1000)), spec, origin)
                if self._journal is not None:
                    self._journal.add(job.id, spec, origin=origin)
                self._pending.append(job)
                logger.info("job %s queued (position %d): %r", job.id, len(self._pending), spec.prompt[:60])
                self._announce(A.JOB_QUEUED, (job.id, len(self._pending)), job.origin)
                self._announce(A.JOB_STATUS, (job.id, Stage.QUEUED.value), job.origin)
                ids.append(job.id)
            self._wakeup.notify(len(specs))
            return ids

    def restore(self, entry: JournalEntry) -> None:
        """Take back a job a previous run left unfinished: resume it by endpoint id, or send it."""
        origin = entry.origin
        job = _Job(entry.id, entry.spec, origin, endpoint_id=entry.endpoint_id)
        if entry.endpoint_id:
            logger.info("job %s resumed: polling endpoint id %s", job.id, entry.endpoint_id)
        elif entry.state is Stage.SUBMITTING:
            # the POST may have reached the endpoint before the crash; sending again is the only way to a take
            logger.warning("job %s was being submitted when the bridge stopped; sending it again", job.id)
        else:
            logger.info("job %s restored from the journal: sending it", job.id)
        with self._wakeup:
            # restored jobs were accepted before: they do not count against the queue bound
            self._pending.append(job)
            self._announce(A.JOB_QUEUED, (job.id, len(self._pending)), job.origin)
            self._wakeup.notify()

    def cancel(self, target: str | None) -> list[str]:
        """Cancel a job id, ``"all"`` or (``None``) the newest unfinished job; the ids it applied to."""
        with self._wakeup:
            live = [*self._pending, *self._running.values()]
            if target is None:
                if not live:
                    raise UsageError("nothing to cancel: no job is queued or running")
                chosen = [max(live, key=lambda job: job.id)]
            elif target == "all":
                chosen = live
            else:
                chosen = [job for job in live if job.id == target]
                if not chosen:
                    if target in self._finished:
                        raise UsageError(f"job {target!r} has already finished ({self._finished[target].value})")
                    raise UsageError(
                        f"no job {target[:40]!r} is queued or running; send /musicgen/cancel with an id from "
                        "/musicgen/job/queued, 'all', or nothing for the newest job"
                    )
            moved = False
            for job in chosen:
                if job in self._pending:
                    self._pending.remove(job)
                    moved = True
                    self._finish(job, Stage.CANCELLED)
                else:
                    logger.info("job %s cancel requested while %s", job.id, job.stage.value)
                    job.cancel.set()
            if moved:
                self._announce_positions()
            return [job.id for job in chosen]

    def stage(self, job_id: str) -> Stage | None:
        """A job's stage now, or ``None`` when the queue never held it (or forgot it)."""
        with self._lock:
            for job in (*self._pending, *self._running.values()):
                if job.id == job_id:
                    return job.stage
            return self._finished.get(job_id)

    @property
    def counts(self) -> tuple[int, int]:
        """``(waiting, running)``."""
        with self._lock:
            return len(self._pending), len(self._running)

    # --- workers ---------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._wakeup:
                while not self._pending and not self._stopping.is_set():
                    self._wakeup.wait()
                if self._stopping.is_set():
                    return
                job = self._pending.popleft()
                self._running[job.id] = job
                self._advance(job, Progress(Stage.GENERATING if job.endpoint_id else Stage.PREPARING))
                self._announce_positions()
            try:
                self._run(job)
            except Exception:  # a worker outlives any one job
                logger.exception("job %s: the worker failed unexpectedly", job.id)
            finally:
                with self._lock:
                    self._running.pop(job.id, None)

    def _run(self, job: _Job) -> None:
        def progress(report: Progress) -> None:
            with self._lock:
                self._advance(job, report)

        def on_accepted(endpoint_id: str) -> None:
            # journalled before the take maker polls: a crash from here on resumes instead of POSTing again
            with self._lock:
                job.endpoint_id = endpoint_id
                if self._journal is not None:
                    self._journal.set_endpoint_id(job.id, endpoint_id)
            logger.info("job %s accepted by the endpoint as %s", job.id, endpoint_id)

        try:
            if job.endpoint_id:
                take = self._take_maker.resume(job.spec, job.endpoint_id, progress=progress, cancel=job.cancel)
            else:
                take = self._take_maker.make(job.spec, progress=progress, cancel=job.cancel, on_accepted=on_accepted)
        except BaseException as exc:
            with self._lock:
                if job.shutdown:
                    logger.info("job %s paused at %s: the bridge is stopping", job.id, job.stage.value)
                elif isinstance(exc, CancelledError) or job.cancel.is_set():
                    self._finish(job, Stage.CANCELLED)
                elif isinstance(exc, BridgeError):
                    self._finish(job, Stage.FAILED, error=exc)
                elif isinstance(exc, Exception):
                    logger.error("job %s failed with an unexpected %s", job.id, type(exc).__name__, exc_info=exc)
                    self._finish(job, Stage.FAILED, error=BridgeError(f"internal error: {type(exc).__name__}: {exc}"))
                else:
                    raise
            return
        with self._lock:
            self._finish(job, Stage.DONE, take=take)

    def _ticker(self) -> None:
        # progress at least once a second while a job runs, even when the endpoint reports nothing
        while not self._stopping.wait(self._tick):
            with self._lock:
                for job in list(self._running.values()):
                    self._announce_progress(job)

    # --- state changes (called with the lock held) ------------------------------------------------

    def _seconds_left(self, job: _Job) -> float:
        if job.seconds_left is None:
            return -1.0
        return max(0.0, job.seconds_left - (self._clock() - job.eta_at))

    def _announce_progress(self, job: _Job) -> None:
        self._announce(A.JOB_PROGRESS, (job.id, float(job.fraction), float(self._seconds_left(job))), job.origin)

    def _advance(self, job: _Job, report: Progress) -> None:
        if job.stage.finished:
            return
        fraction = report.fraction if 0.0 <= report.fraction <= 1.0 else job.fraction
        job.fraction = max(job.fraction, fraction)
        if report.seconds_left is not None:
            job.seconds_left = report.seconds_left
            job.eta_at = self._clock()
        if report.stage.finished or not check_transition(job.stage, report.stage):
            return
        job.stage = report.stage
        if self._journal is not None:
            self._journal.set_state(job.id, job.stage)
        logger.info("job %s %s", job.id, job.stage.value)
        self._announce(A.JOB_STATUS, (job.id, job.stage.value), job.origin)
        self._announce_progress(job)

    def _announce_positions(self) -> None:
        for position, waiting in enumerate(self._pending, start=1):
            self._announce(A.JOB_QUEUED, (waiting.id, position), waiting.origin)

    def _finish(self, job: _Job, stage: Stage, *, take: Take | None = None, error: BridgeError | None = None) -> None:
        job.stage = stage
        self._finished[job.id] = stage
        while len(self._finished) > _FINISHED_MEMORY:
            self._finished.popitem(last=False)
        if stage is Stage.DONE and take is not None:
            path = take.path.resolve()
            if self._journal is not None:
                self._journal.set_done(job.id, path, take.seconds)
            spec = take.spec
            logger.info("job %s done: %s (%.1f s)", job.id, path, take.seconds)
            self._announce(A.JOB_STATUS, (job.id, stage.value), job.origin)
            self._announce(
                A.JOB_DONE,
                (
                    job.id,
                    str(path),
                    float(spec.bpm) if spec.bpm is not None else 0.0,
                    spec.key.name() if spec.key is not None else "none",
                    float(spec.bars) if spec.bars is not None else 0.0,
                    float(take.seconds),
                    int(spec.seed) if spec.seed is not None else -1,
                ),
                job.origin,
            )
            return
        if self._journal is not None:
            self._journal.set_state(
                job.id, stage, error_code=error.code if error else None, error=error.message if error else None
            )
        if error is not None:
            logger.info("job %s failed: %s %s", job.id, error.code, error.message)
        else:
            logger.info("job %s %s", job.id, stage.value)
        self._announce(A.JOB_STATUS, (job.id, stage.value), job.origin)
        if error is not None:
            self._announce(A.JOB_ERROR, (job.id, error.code, error.message), job.origin)
