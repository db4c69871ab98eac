"""Job stages and progress reports, shared by the endpoint client, the take maker and the daemon."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable, Protocol
import threading

from bridge.core.request import GenerationSpec

__all__ = ["Progress", "ProgressCallback", "Stage", "Take", "TakeMaker"]


class Stage(str, Enum):
    QUEUED = "queued"
    PREPARING = "preparing"
    SUBMITTING = "submitting"
    GENERATING = "generating"
    DOWNLOADING = "downloading"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (Stage.DONE, Stage.FAILED, Stage.CANCELLED)


@dataclass(frozen=True, slots=True)
class Progress:
    stage: Stage
    #: 0 to 1 over the whole job
    fraction: float = 0.0
    #: the endpoint's estimate, when it gave one
    seconds_left: float | None = None


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class Take:
    """A finished take, written into the output folder."""

    path: Path
    spec: GenerationSpec
    seconds: float
    sample_rate: int
    endpoint_id: str | None = None
    generation_time: float | None = None


class TakeMaker(Protocol):
    """Turns a spec into a finished take in the output folder (see :mod:`bridge.pipeline`)."""

    def make(
        self,
        spec: GenerationSpec,
        *,
        progress: ProgressCallback,
        cancel: threading.Event,
        on_accepted: Callable[[str], None],
    ) -> Take:
        """Submit once; ``on_accepted(endpoint_id)`` is called as soon as the endpoint gives an id."""
        ...

    def resume(
        self,
        spec: GenerationSpec,
        endpoint_id: str,
        *,
        progress: ProgressCallback,
        cancel: threading.Event,
    ) -> Take:
        """Finish a generation the endpoint already accepted: poll by id, never POST again."""
        ...
