"""Engines that turn a :class:`RenderRequest` into audio, chosen by name.

``procedural`` is the offline arranger and synthesizer shipped with the bridge.
A neural engine (local MusicGen weights) implements the same
:class:`Engine` protocol and is added to :data:`ENGINES`; nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable

from bridge.engine.base import Engine, RenderRequest
from bridge.engine.procedural import ProceduralEngine
from bridge.errors import ConfigError

__all__ = ["ENGINES", "Engine", "ProceduralEngine", "RenderRequest", "create_engine"]

#: engine name -> factory
ENGINES: dict[str, Callable[[], Engine]] = {
    "procedural": ProceduralEngine,
}


def create_engine(name: str = "procedural") -> Engine:
    """The engine called ``name``; a :class:`ConfigError` that lists the known names otherwise."""
    factory = ENGINES.get(name.strip().lower()) if isinstance(name, str) else None
    if factory is None:
        known = ", ".join(sorted(ENGINES))
        raise ConfigError(f"unknown engine {name!r}; known engines: {known}")
    return factory()
