"""The job model: sticky state, trigger-time snapshots, job ids and the stage machine. Pure: no I/O.

A trigger turns the sticky state (what ``/musicgen/set/*`` left behind), the
host's tempo and the trigger's own overrides into one :class:`GenerationSpec`
per variation. Each job owns its copy: a later ``/set/`` changes only later jobs.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.core.music import Key
from bridge.core.progress import Stage
from bridge.core.request import SEED_MAX, GenerationSpec
from bridge.core.tempo import TempoInfo
from bridge.errors import UsageError

__all__ = [
    "ALLOWED_TRANSITIONS",
    "MAX_VARIATIONS",
    "RANDOM_SEED_MAX",
    "STICKY_FIELDS",
    "JobIdFactory",
    "StickyState",
    "build_specs",
    "check_transition",
    "spec_from_dict",
    "spec_to_dict",
    "variation_seeds",
]

MAX_VARIATIONS = 8
#: random seeds stay within an OSC int32, which every host (Max included) reads
RANDOM_SEED_MAX = 2**31 - 1

#: stage -> the stages a job may move to from it; finished stages are final
ALLOWED_TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.QUEUED: frozenset({Stage.PREPARING, Stage.SUBMITTING, Stage.GENERATING, Stage.DOWNLOADING}),
    Stage.PREPARING: frozenset({Stage.SUBMITTING, Stage.GENERATING, Stage.DOWNLOADING}),
    Stage.SUBMITTING: frozenset({Stage.GENERATING, Stage.DOWNLOADING}),
    Stage.GENERATING: frozenset({Stage.DOWNLOADING}),
    Stage.DOWNLOADING: frozenset(),
    Stage.DONE: frozenset(),
    Stage.FAILED: frozenset(),
    Stage.CANCELLED: frozenset(),
}


def check_transition(current: Stage, new: Stage) -> bool:
    """Whether a job may move from ``current`` to ``new``.

    Any unfinished job may finish (done, failed, cancelled); otherwise stages only
    move forward, so a late or repeated progress report cannot move a job back.
    """
    if current.finished:
        return False
    if new.finished:
        return True
    return new in ALLOWED_TRANSITIONS[current]


@dataclass(frozen=True, slots=True)
class StickyState:
    """What ``/musicgen/set/*`` has set so far. ``seed=None`` means a fresh random seed per take."""

    prompt: str = ""
    key: Key | None = None
    bpm: float | None = None
    bars: float | None = None
    beats_per_bar: int = 4
    seconds: float | None = None
    clip: Path | None = None
    seed: int | None = None
    variations: int = 1

    def replace(self, **changes: Any) -> StickyState:
        return dataclasses.replace(self, **changes)

    def value(self, name: str) -> Any:
        """The current value of a sticky setting by its OSC name."""
        if name not in STICKY_FIELDS:
            raise UsageError(f"no setting {name!r}; the settings are {', '.join(STICKY_FIELDS)}")
        return getattr(self, name)


STICKY_FIELDS = tuple(field.name for field in dataclasses.fields(StickyState))


def variation_seeds(seed: int | None, count: int, rng: random.Random) -> list[int]:
    """``count`` distinct seeds: ``seed, seed+1, ...`` (reproducible) or distinct random ones.

    Random seeds are drawn here rather than left to the endpoint, so that
    ``/musicgen/job/done`` can tell the musician the seed that made the take.
    """
    if not 1 <= count <= MAX_VARIATIONS:
        raise UsageError(f"variations must be 1 to {MAX_VARIATIONS}, got {count!r}")
    if seed is not None:
        return [(seed + offset) % (SEED_MAX + 1) for offset in range(count)]
    seeds: list[int] = []
    while len(seeds) < count:
        candidate = rng.randint(0, RANDOM_SEED_MAX)
        if candidate not in seeds:
            seeds.append(candidate)
    return seeds


def build_specs(
    state: StickyState,
    overrides: Mapping[str, Any],
    tempo: TempoInfo | None,
    rng: random.Random,
) -> list[GenerationSpec]:
    """One spec per variation: the trigger's overrides win over the host's tempo, which wins over sticky values."""
    unknown = set(overrides) - set(STICKY_FIELDS)
    if unknown:
        raise UsageError(
            f"cannot override {', '.join(sorted(unknown))}; a trigger can set {', '.join(STICKY_FIELDS)}"
        )
    merged = state
    if tempo is not None:
        host: dict[str, Any] = {}
        if tempo.bpm is not None:
            host["bpm"] = tempo.bpm
        if tempo.beats_per_bar is not None:
            host["beats_per_bar"] = tempo.beats_per_bar
        if tempo.key is not None:
            host["key"] = tempo.key
        merged = merged.replace(**host)
    merged = merged.replace(**dict(overrides))
    if not merged.prompt.strip():
        raise UsageError("no prompt: send /musicgen/set/prompt <words> first, or /musicgen/generate <prompt>")
    if merged.bars is not None and merged.bpm is None:
        raise UsageError("bars need a tempo: send /musicgen/set/bpm <20-300>, or a length with /musicgen/set/seconds")
    base = GenerationSpec(
        prompt=merged.prompt,
        key=merged.key,
        bpm=merged.bpm,
        bars=merged.bars,
        beats_per_bar=merged.beats_per_bar,
        # bars win over seconds: the length is exact to the bar grid
        seconds=None if merged.bars is not None else merged.seconds,
        clip=merged.clip,
    )
    return [base.replace(seed=seed) for seed in variation_seeds(merged.seed, merged.variations, rng)]


_ID_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 36)
        digits.append(_ID_ALPHABET[digit])
    return "".join(reversed(digits))


class JobIdFactory:
    """Short, unique, sortable job ids: milliseconds since the epoch in base 36 plus a counter.

    ``lzq4k1c0-0`` style, 10 characters; ids sort in creation order as plain
    strings, across restarts too (``after`` is the newest id already used).
    Not thread-safe: one controller thread makes all ids.
    """

    def __init__(self, after: str | None = None) -> None:
        self._last = after or ""

    def next(self, now_ms: int) -> str:
        candidate = f"{_base36(now_ms, 8)}-{_base36(0, 1)}"
        if candidate <= self._last:
            # same millisecond (variations) or a clock step back: count on from the newest id
            stamp, _, counter = self._last.partition("-")
            value = int(counter or "0", 36) + 1
            if value >= 36:
                stamp, value = _base36(int(stamp, 36) + 1, 8), 0
            candidate = f"{stamp}-{_base36(value, 1)}"
        self._last = candidate
        return candidate


def spec_to_dict(spec: GenerationSpec) -> dict[str, Any]:
    """A JSON-ready form of a spec, for the journal."""
    return {
        "prompt": spec.prompt,
        "key": None if spec.key is None else spec.key.index,
        "bpm": spec.bpm,
        "bars": spec.bars,
        "beats_per_bar": spec.beats_per_bar,
        "seconds": spec.seconds,
        "seed": spec.seed,
        "clip": None if spec.clip is None else str(spec.clip),
    }


def spec_from_dict(data: Mapping[str, Any]) -> GenerationSpec:
    """The inverse of :func:`spec_to_dict`."""
    key = data.get("key")
    clip = data.get("clip")
    return GenerationSpec(
        prompt=str(data.get("prompt", "")),
        key=None if key is None else Key.from_index(int(key)),
        bpm=data.get("bpm"),
        bars=data.get("bars"),
        beats_per_bar=int(data.get("beats_per_bar", 4)),
        seconds=data.get("seconds"),
        seed=data.get("seed"),
        clip=None if clip is None else Path(clip),
    )
