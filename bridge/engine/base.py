"""The seam between the local endpoint and whatever makes the music.

The local endpoint only knows :class:`Engine`. Today the one engine is the
offline procedural arranger (:mod:`bridge.engine.procedural`); a neural engine
(MusicGen weights installed by the user) can implement the same protocol later
and be chosen by name in :func:`bridge.engine.create_engine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = ["Engine", "RenderRequest"]


@dataclass(frozen=True, slots=True)
class RenderRequest:
    """Everything an engine may use. The prompt carries key and tempo in the vendor's style."""

    prompt: str
    seconds: float
    sample_rate: int = 32_000
    seed: int | None = None
    #: conditioning melody, mono float32, at ``melody_rate``; at most 30 s
    melody: np.ndarray | None = None
    melody_rate: int | None = None


class Engine(Protocol):
    name: str

    def render(self, request: RenderRequest) -> np.ndarray:
        """Audio as float32 of shape ``(frames, channels)`` at ``request.sample_rate``, peak <= -1 dBFS."""
        ...
