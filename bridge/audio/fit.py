"""Fit a take to the length the musician asked for: pure numpy, no I/O.

A bar-based take must loop on the grid, so it is made exactly
``round(bars * beats_per_bar * 60 / bpm * sample_rate)`` samples long: trimmed
(with the overhang folded back into the start, so the loop seam carries the
tail instead of a cut), or padded with a decaying copy of its own tail. Short
fades keep the seam click-free.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FADE_SECONDS", "fit_length", "peak_limit"]

FADE_SECONDS = 0.005
_PEAK_CEILING = 10 ** (-1.0 / 20)  # -1 dBFS


def _fade(audio: np.ndarray, frames: int, *, fade_in: bool, fade_out: bool) -> None:
    frames = min(frames, len(audio) // 2)
    if frames <= 0:
        return
    ramp = np.linspace(0.0, 1.0, frames, dtype=np.float32)[:, None]
    if fade_in:
        audio[:frames] *= ramp
    if fade_out:
        audio[-frames:] *= ramp[::-1]


def fit_length(audio: np.ndarray, frames: int, sample_rate: int, *, loop: bool) -> np.ndarray:
    """Return ``audio`` (frames, channels) made exactly ``frames`` long.

    ``loop`` True: the result is meant to repeat, so an overhang is mixed back
    into the start (what a looper does with a release tail) and padding decays
    the take's own ending. ``loop`` False: trimmed with a fade-out, or padded
    with silence.
    """
    if audio.ndim == 1:
        audio = audio[:, None]
    audio = np.asarray(audio, dtype=np.float32)
    fade = max(1, round(FADE_SECONDS * sample_rate))
    have = len(audio)
    if have >= frames:
        out = audio[:frames].copy()
        overhang = audio[frames:]
        if loop and len(overhang):
            tail = overhang[: min(len(overhang), frames)].copy()
            # the overhang fades out as it wraps, so the wrapped part never ends in a step
            tail *= np.linspace(1.0, 0.0, len(tail), dtype=np.float32)[:, None]
            out[: len(tail)] += tail
        _fade(out, fade, fade_in=False, fade_out=not loop or not len(overhang))
        return peak_limit(out)
    missing = frames - have
    if loop and have:
        # ring out the take's last 100 ms, mirrored back and forth (no seams) and decaying over
        # ~0.3 s, rather than stopping dead into silence
        source = audio[-min(have, max(1, sample_rate // 10)) :]
        mirrored = np.concatenate([source, source[::-1]])
        reps = int(np.ceil(missing / len(mirrored)))
        pad = np.tile(mirrored, (reps, 1))[:missing]
        decay = np.exp(-np.arange(missing, dtype=np.float32) / np.float32(0.07 * sample_rate))
        pad *= decay[:, None]
        out = np.concatenate([audio, pad])
        _fade(out, fade, fade_in=False, fade_out=True)
    else:
        out = np.concatenate([audio, np.zeros((missing, audio.shape[1]), dtype=np.float32)])
    return peak_limit(out)


def peak_limit(audio: np.ndarray) -> np.ndarray:
    """Scale down (never up) so the peak is at or below -1 dBFS; folding a tail back can add level."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > _PEAK_CEILING:
        audio = audio * np.float32(_PEAK_CEILING / peak)
    return audio
