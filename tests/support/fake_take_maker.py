"""A take maker that implements the real :class:`~bridge.core.progress.TakeMaker` protocol, under a test's control.

It reports scripted stages, can hold a job at a stage until the test releases
it (cancel still works while held), can fail with any error, and writes a real
small WAV into ``out_dir``. Every call is recorded (``make`` or ``resume``).
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from bridge.core.progress import Progress, ProgressCallback, Stage, Take
from bridge.core.request import GenerationSpec
from bridge.errors import BridgeError, CancelledError

__all__ = ["Call", "FakeTakeMaker"]

_STAGES = (Stage.PREPARING, Stage.SUBMITTING, Stage.GENERATING, Stage.DOWNLOADING)


@dataclass(frozen=True)
class Call:
    kind: str  # "make" or "resume"
    spec: GenerationSpec
    endpoint_id: str | None


class FakeTakeMaker:
    """``hold_at``: the stage at which each call waits for :meth:`release` (``None``: never waits).

    ``fail``: raised after ``fail_at`` is reported (an :class:`EndpointError`, say).
    ``take_seconds``: the length of the WAV written (at 8 kHz, so it is quick).
    """

    def __init__(
        self,
        out_dir: Path,
        *,
        hold_at: Stage | None = None,
        fail: BridgeError | None = None,
        fail_at: Stage = Stage.GENERATING,
        take_seconds: float = 0.1,
        eta: float | None = 3.0,
        sample_rate: int = 8000,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.hold_at = hold_at
        self.fail = fail
        self.fail_at = fail_at
        self.take_seconds = take_seconds
        self.eta = eta
        self.sample_rate = sample_rate
        self.calls: list[Call] = []
        #: one entry per call as it reaches ``hold_at`` (the spec), so a test can wait for it
        self.held: queue.Queue[GenerationSpec] = queue.Queue()
        #: one entry per call as it notices its cancel event
        self.cancelled: queue.Queue[GenerationSpec] = queue.Queue()
        self._gate = threading.Semaphore(0)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._files = itertools.count(1)

    def release(self, n: int = 1) -> None:
        """Let ``n`` held calls go on."""
        for _ in range(n):
            self._gate.release()

    # --- the TakeMaker protocol --------------------------------------------------------------------

    def make(
        self,
        spec: GenerationSpec,
        *,
        progress: ProgressCallback,
        cancel: threading.Event,
        on_accepted: Callable[[str], None],
    ) -> Take:
        with self._lock:
            self.calls.append(Call("make", spec, None))
            endpoint_id = f"fake-{next(self._ids)}"
        return self._run(spec, progress, cancel, _STAGES, lambda: on_accepted(endpoint_id), endpoint_id)

    def resume(
        self,
        spec: GenerationSpec,
        endpoint_id: str,
        *,
        progress: ProgressCallback,
        cancel: threading.Event,
    ) -> Take:
        with self._lock:
            self.calls.append(Call("resume", spec, endpoint_id))
        return self._run(spec, progress, cancel, _STAGES[2:], None, endpoint_id)

    # --- the script ----------------------------------------------------------------------------------

    def _run(
        self,
        spec: GenerationSpec,
        progress: ProgressCallback,
        cancel: threading.Event,
        stages: tuple[Stage, ...],
        accept: Callable[[], None] | None,
        endpoint_id: str,
    ) -> Take:
        for number, stage in enumerate(stages):
            self._check(cancel, spec)
            progress(Progress(stage, fraction=number / len(_STAGES), seconds_left=self.eta))
            if stage is Stage.SUBMITTING and accept is not None:
                accept()
            if stage is self.hold_at:
                self.held.put(spec)
                while not self._gate.acquire(timeout=0.005):
                    self._check(cancel, spec)
            if self.fail is not None and stage is self.fail_at:
                raise self.fail
        self._check(cancel, spec)
        path = self.out_dir / f"take-{next(self._files):04d}.wav"
        frames = max(1, int(self.take_seconds * self.sample_rate))
        tone = 0.1 * np.sin(np.arange(frames) * 2 * np.pi * 220 / self.sample_rate).astype(np.float32)
        sf.write(str(path), tone, self.sample_rate, subtype="PCM_16")
        return Take(path=path, spec=spec, seconds=frames / self.sample_rate, sample_rate=self.sample_rate,
                    endpoint_id=endpoint_id)

    def _check(self, cancel: threading.Event, spec: GenerationSpec) -> None:
        if cancel.is_set():
            self.cancelled.put(spec)
            raise CancelledError("cancelled")

    @property
    def kinds(self) -> list[str]:
        with self._lock:
            return [call.kind for call in self.calls]
