"""The local endpoint's generations: admission, a bounded worker pool, rendered files and their lifetime.

No HTTP here: :class:`JobBoard` takes checked calls and hands back jobs and file
paths; :mod:`bridge.endpoint.local` speaks the vendor's JSON around it.

Admission is counted, not queued: every generation holds a slot from
:meth:`JobBoard.admit` (before its clip is even downloaded) until it is done or
failed, so ``max_queued`` bounds everything unfinished, rendering included,
exactly like the vendor's "Maximum 5 queued requests" limit.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import queue
import threading
import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path

import numpy as np

from bridge.audio.encode import encode_audio
from bridge.endpoint.local_wire import MusicGenCall
from bridge.engine.base import Engine, RenderRequest
from bridge.errors import BridgeError, BusyError, StorageError

__all__ = ["Job", "JobBoard", "JobState"]

logger = logging.getLogger(__name__)

#: a first guess of render wall time per second of audio, until a render has been timed
_INITIAL_SPEED = 0.2
#: how far an engine's output may miss the asked length before it counts as a failed render
_LENGTH_SLACK_SECONDS = 1.0


class JobState(str, Enum):
    QUEUED = "queued"
    RENDERING = "rendering"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED)


class Job:
    """One generation. Not a frozen value: its state moves on, under the board's lock, until ``finished`` is set."""

    __slots__ = (
        "id", "call", "render", "filename", "seed", "on_finished",
        "state", "started", "generation_time", "error", "finished_at", "finished",
    )  # fmt: skip

    def __init__(
        self,
        job_id: int,
        call: MusicGenCall,
        render: RenderRequest,
        filename: str,
        seed: int,
        on_finished: Callable[[Job], None] | None,
    ) -> None:
        self.id = job_id
        self.call = call
        self.render = render
        self.filename = filename
        self.seed = seed
        self.on_finished = on_finished
        self.state = JobState.QUEUED
        #: perf_counter() when rendering began
        self.started: float | None = None
        self.generation_time: float | None = None
        self.error: str | None = None
        #: the board's clock when the job finished; files and the job are forgotten file_ttl later
        self.finished_at: float | None = None
        self.finished = threading.Event()


def _conform(audio: object, frames: int, sample_rate: int) -> np.ndarray:
    """The engine's audio as float32 ``(frames, channels)`` of exactly the asked length."""
    array = np.asarray(audio, dtype=np.float32)
    if array.ndim == 1:
        array = array[:, np.newaxis]
    if array.ndim != 2 or array.shape[1] == 0:
        raise ValueError(f"it returned audio of shape {array.shape}, not (frames, channels)")
    if abs(array.shape[0] - frames) > _LENGTH_SLACK_SECONDS * sample_rate:
        raise ValueError(
            f"it returned {array.shape[0] / sample_rate:.2f} s of audio for {frames / sample_rate:.2f} s asked"
        )
    # a few frames off is rounding in the engine; the file must hold the length the request asked for
    if array.shape[0] > frames:
        return array[:frames]
    if array.shape[0] < frames:
        return np.pad(array, ((0, frames - array.shape[0]), (0, 0)))
    return array


class JobBoard:
    """Admits, renders and keeps generations; thread-safe."""

    def __init__(
        self,
        engine: Engine,
        storage: Path,
        *,
        max_queued: int = 5,
        workers: int = 2,
        file_ttl: float = 24 * 3600,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_queued < 1 or workers < 1:
            raise ValueError(f"max_queued and workers must be at least 1, got {max_queued} and {workers}")
        self.max_queued = max_queued
        self._engine = engine
        self._storage = storage
        self._workers = workers
        self._ttl = file_ttl
        self._clock = clock
        self._lock = threading.Lock()
        # ids go on from the wall clock, not from 1: a bridge restarted after a crash must never find
        # its journaled id answered by a different generation of a new local endpoint
        self._ids = itertools.count(int(time.time() * 1000) % 10**12)
        self._jobs: dict[int, Job] = {}
        #: finished file name -> (path, its job)
        self._files: dict[str, tuple[Path, Job]] = {}
        self._unfinished = 0
        #: admitted ids not yet submitted or withdrawn
        self._reserved: set[int] = set()
        self._speed = _INITIAL_SPEED
        self._last_sweep = clock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stopping = False

    # -- lifecycle

    def start(self) -> None:
        for index in range(self._workers):
            thread = threading.Thread(target=self._work, name=f"local-endpoint-render-{index}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 5.0) -> None:
        """Fail what has not started, let running renders end, join the workers (each up to ``timeout``)."""
        with self._lock:
            self._stopping = True
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                self._finish(job, error="the local endpoint stopped before this generation was rendered")
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
            if thread.is_alive():
                logger.warning("render worker %s still busy after %.0f s; leaving it", thread.name, timeout)
        self._threads.clear()

    # -- admission

    def admit(self) -> int:
        """Reserve a slot and an id for one generation; :class:`BusyError` when ``max_queued`` are unfinished."""
        with self._lock:
            if self._stopping:
                raise BusyError("the local endpoint is stopping; send the request again once it is back")
            if self._unfinished >= self.max_queued:
                raise BusyError(f"{self._unfinished} generations are unfinished, the most this endpoint holds")
            self._unfinished += 1
            job_id = next(self._ids)
            self._reserved.add(job_id)
            return job_id

    def withdraw(self, job_id: int) -> None:
        """Give back an admitted slot whose request was refused before it was submitted (a bad clip)."""
        with self._lock:
            if job_id in self._reserved:
                self._reserved.discard(job_id)
                self._unfinished -= 1

    def submit(
        self,
        job_id: int,
        call: MusicGenCall,
        render: RenderRequest,
        *,
        filename: str,
        seed: int,
        on_finished: Callable[[Job], None] | None = None,
    ) -> Job:
        """Queue an admitted generation; ``on_finished`` runs on the worker once it is done or failed."""
        job = Job(job_id, call, render, filename, seed, on_finished)
        with self._lock:
            if job_id not in self._reserved:
                raise ValueError(f"generation {job_id} was not admitted, or was already submitted")
            self._reserved.discard(job_id)
            self._jobs[job_id] = job
            stopping = self._stopping
            if not stopping:
                # put under the lock: stop() drains the queue after it sets _stopping, so nothing slips past it
                self._queue.put(job)
        if stopping:
            self._finish(job, error="the local endpoint stopped before this generation was rendered")
        return job

    # -- lookups

    def job(self, job_id: int) -> Job | None:
        """The generation ``job_id``; ``None`` when unknown or expired."""
        with self._lock:
            job = self._jobs.get(job_id)
            expired = job is not None and self._expired(job, self._clock())
        if expired:
            self.sweep(force=True)
            return None
        return job

    def file(self, name: str) -> Path | None:
        """The path of a finished file by its exact name; anything else (``..``, unknown names) is ``None``."""
        with self._lock:
            entry = self._files.get(name)
            expired = entry is not None and self._expired(entry[1], self._clock())
        if expired:
            self.sweep(force=True)
            return None
        return entry[0] if entry is not None else None

    def _expired(self, job: Job, now: float) -> bool:
        return job.finished_at is not None and now - job.finished_at >= self._ttl

    def eta(self, job: Job) -> int:
        """Whole seconds until ``job`` should be done: the work ahead of it shared by the workers, plus its own."""
        with self._lock:
            if job.state.finished:
                return 0
            now = time.perf_counter()
            ahead = sum(
                self._remaining(other, now)
                for other in self._jobs.values()
                if other.id < job.id and not other.state.finished
            )
            seconds = ahead / self._workers + self._remaining(job, now)
        return max(1, math.ceil(seconds))

    def retry_after(self) -> int:
        """Whole seconds until a slot should free up."""
        with self._lock:
            now = time.perf_counter()
            pending = [self._remaining(job, now) for job in self._jobs.values() if not job.state.finished]
        return max(1, math.ceil(min(pending, default=1.0)))

    def _remaining(self, job: Job, now: float) -> float:
        expected = job.render.seconds * self._speed
        if job.started is not None:
            return max(expected - (now - job.started), 0.0)
        return expected

    # -- lifetime

    def sweep(self, *, force: bool = False) -> None:
        """Forget generations finished more than ``file_ttl`` ago and delete their files.

        Lazy: called on requests, it does the work at most every ``file_ttl / 4``
        (and at least every minute), so a quiet endpoint costs nothing. Lookups
        never hand out an expired entry in between; they force a sweep instead.
        """
        now = self._clock()
        expired: list[Path] = []
        with self._lock:
            if not force and now - self._last_sweep < min(60.0, self._ttl / 4):
                return
            self._last_sweep = now
            for job_id, job in list(self._jobs.items()):
                if self._expired(job, now):
                    del self._jobs[job_id]
                    entry = self._files.pop(job.filename, None)
                    if entry is not None:
                        expired.append(entry[0])
        for path in expired:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                logger.warning("could not delete expired file %s: %s", path, exc)
        if expired:
            logger.debug("deleted %s expired files", len(expired))

    # -- work

    def _work(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            self._render(job)

    def _render(self, job: Job) -> None:
        request = job.render
        with self._lock:
            job.state = JobState.RENDERING
            job.started = time.perf_counter()
        frames = round(request.seconds * request.sample_rate)
        try:
            audio = _conform(self._engine.render(request), frames, request.sample_rate)
            data = encode_audio(audio, request.sample_rate, job.call.output_format, bitrate=job.call.request.bitrate)
            path = self._write(job.filename, data)
        except BridgeError as exc:
            self._finish(job, error=str(exc))
        except Exception as exc:
            # the engine is someone else's code: whatever it raises fails this generation, never the worker
            logger.warning("generation %s: the %s engine failed", job.id, self._engine.name, exc_info=True)
            self._finish(job, error=f"the {self._engine.name} engine failed: {exc}")
        else:
            self._finish(job, path=path)

    def _write(self, name: str, data: bytes) -> Path:
        path = self._storage / name
        # written aside and renamed, so a future link never serves half a file
        partial = self._storage / f".{name}.part"
        try:
            partial.write_bytes(data)
            os.replace(partial, path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise StorageError(
                f"cannot write the generated file {path}: {exc.strerror or exc}; "
                "free disk space or choose another storage_dir"
            ) from exc
        return path

    def _finish(self, job: Job, *, path: Path | None = None, error: str | None = None) -> None:
        with self._lock:
            now = time.perf_counter()
            job.generation_time = now - job.started if job.started is not None else 0.0
            job.finished_at = self._clock()
            if path is not None:
                job.state = JobState.DONE
                self._files[job.filename] = (path, job)
                if job.render.seconds > 0:
                    measured = job.generation_time / job.render.seconds
                    self._speed = 0.7 * self._speed + 0.3 * measured
            else:
                job.state = JobState.FAILED
                job.error = error or "the generation failed"
            self._unfinished -= 1
        job.finished.set()
        if job.state is JobState.DONE:
            logger.info(
                "generation %s done: %.1f s at %s Hz as %s in %.2f s",
                job.id, job.render.seconds, job.render.sample_rate, job.filename, job.generation_time,
            )  # fmt: skip
        else:
            logger.warning("generation %s failed: %s", job.id, job.error)
        if job.on_finished is not None:
            try:
                job.on_finished(job)
            except Exception:
                logger.exception("generation %s: the completion callback failed", job.id)
