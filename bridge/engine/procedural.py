"""The offline engine: a prompt read by :mod:`~bridge.engine.prompt`, arranged, synthesised.

No weights and no network: what it makes is a sketch in the asked-for key and
tempo, with the named instruments, that a DAW can loop and a musician can play
over while the real endpoint is away.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

import numpy as np

from bridge.core.music import Key, parse_bpm
from bridge.engine.arranger import PULSE_RANGE, build_arrangement, build_plan
from bridge.engine.base import RenderRequest
from bridge.engine.melody import estimate_key, parse_melody
from bridge.engine.prompt import parse_prompt
from bridge.engine.synth import render_notes
from bridge.errors import UsageError

__all__ = ["DEFAULT_BPM", "ProceduralEngine", "derive_seed"]

logger = logging.getLogger(__name__)

DEFAULT_BPM = 100.0
#: the sample rates the synthesizer is written for; below 8 kHz even a bass line aliases
SAMPLE_RATE_RANGE = (8_000, 192_000)


def derive_seed(prompt: str) -> int:
    """A seed from the prompt text alone: the same prompt without a seed always sounds the same.

    ``hash()`` is salted per process, so a digest is used instead.
    """
    return int.from_bytes(hashlib.sha256(prompt.encode("utf-8")).digest()[:4], "big")


class ProceduralEngine:
    """Implements :class:`bridge.engine.base.Engine` with a seeded arranger and a numpy synthesizer.

    Tempo: the prompt's ``NN bpm`` is the beat grid, 20 to 300 bpm (the range
    the bridge accepts anywhere). 40 to 240 bpm is written as asked; outside
    that the parts are written at double time (below 40) or half time (above
    240) on the same grid, so that bars still line up with the host. A tempo
    outside 20 to 300 is a :class:`UsageError`.
    """

    name = "procedural"

    def render(self, request: RenderRequest) -> np.ndarray:
        started = time.perf_counter()
        seconds, sample_rate = _check_request(request)
        style = parse_prompt(request.prompt)
        bpm = DEFAULT_BPM if style.bpm is None else _check_bpm(style.bpm)
        seed = derive_seed(request.prompt) if request.seed is None else _check_seed(request.seed)
        contour = None if request.melody is None else parse_melody(request.melody, request.melody_rate)
        key = style.key
        if key is None:
            if contour is not None:
                # MusicGen-melody has no key in such a prompt either: the clip's own key is what it follows
                key = estimate_key(contour.histogram())
            else:
                rng = np.random.default_rng(seed)
                minor = style.minor_mood if style.minor_mood is not None else bool(rng.integers(2))
                key = Key(int(rng.integers(12)), minor)
        plan = build_plan(style, key, bpm)
        arrangement = build_arrangement(plan, seconds, seed, contour)
        frames = round(seconds * sample_rate)
        audio = render_notes(arrangement.notes, frames, sample_rate, seed=seed,
                             brightness=plan.brightness, reverb=plan.reverb)
        logger.info(
            "procedural take: %s, %g bpm, %s, lead %s, %.1f s at %d Hz in %.2f s",
            key, bpm, plan.genre, plan.lead, seconds, sample_rate, time.perf_counter() - started,
        )
        return audio


def _check_request(request: RenderRequest) -> tuple[float, int]:
    seconds = float(request.seconds)
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"the take length must be a positive number of seconds, got {request.seconds!r}")
    low, high = SAMPLE_RATE_RANGE
    rate = request.sample_rate
    if isinstance(rate, bool) or not isinstance(rate, int) or not low <= rate <= high:
        raise UsageError(f"sample rate must be a whole number of Hz from {low} to {high}, got {rate!r}")
    return seconds, rate


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise UsageError(f"seed must be a whole number 0 or more, got {seed!r}; send none for one from the prompt")
    return int(seed)


def _check_bpm(bpm: float) -> float:
    try:
        return parse_bpm(bpm)
    except UsageError:
        low, high = PULSE_RANGE
        raise UsageError(
            f"the prompt asks for {bpm:g} bpm; the procedural engine plays 20 to 300 bpm "
            f"({low:g} to {high:g} as written, outside that at double or half time); write a tempo in that range"
        ) from None
