"""The conditioning melody as MusicGen-melody sees it: the dominant pitch class, frame by frame.

MusicGen-melody conditions on the argmax of a chromagram of the first 30 s of
the clip; timbre, octave and rhythm below the frame rate are thrown away. The
procedural engine reads the same thing, so that a clip steers it the way it
steers the neural model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from bridge.core.music import Key
from bridge.core.request import MAX_CLIP_SECONDS
from bridge.errors import ClipError

__all__ = ["MelodyContour", "estimate_key", "parse_melody"]

logger = logging.getLogger(__name__)

#: seconds between chroma frames; MusicGen's chroma runs at about 0.13 s per frame
FRAME_SECONDS = 0.125
#: frames quieter than this, relative to the loudest, carry no pitch
_SILENCE_DB = -40.0
_LOW_HZ, _HIGH_HZ = 80.0, 4000.0

# Krumhansl-Kessler probe-tone profiles, tonic first
_MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass(frozen=True, slots=True)
class MelodyContour:
    """Dominant pitch class per frame (``-1`` where the clip is silent), and each frame's weight."""

    pitch_classes: np.ndarray
    weights: np.ndarray
    frame_seconds: float

    @property
    def seconds(self) -> float:
        return len(self.pitch_classes) * self.frame_seconds

    def pitch_class_at(self, start: float, end: float) -> int:
        """The pitch class that holds most weight between two times; the clip loops when the take is longer."""
        n = len(self.pitch_classes)
        first = int(np.floor(start / self.frame_seconds + 1e-9))
        last = max(int(np.ceil(end / self.frame_seconds - 1e-9)), first + 1)
        idx = np.arange(first, last) % n
        pcs, w = self.pitch_classes[idx], self.weights[idx]
        voiced = pcs >= 0
        if not voiced.any():
            return -1
        return int(np.argmax(np.bincount(pcs[voiced], weights=w[voiced], minlength=12)))

    def histogram(self) -> np.ndarray:
        voiced = self.pitch_classes >= 0
        return np.bincount(self.pitch_classes[voiced], weights=self.weights[voiced], minlength=12)


def parse_melody(clip: np.ndarray, rate: int | None) -> MelodyContour:
    """Read the first 30 s of a mono clip into a :class:`MelodyContour`.

    Raises :class:`ClipError` when the clip is not audio the engine can read.
    """
    if rate is None or int(rate) <= 0:
        raise ClipError(f"a conditioning melody needs its sample rate; got melody_rate={rate!r}")
    rate = int(rate)
    audio = np.asarray(clip, dtype=np.float64)
    if audio.ndim == 2:
        # a stereo clip is forgiven: the chroma of the mix is what matters
        audio = audio.mean(axis=1)
    if audio.ndim != 1:
        raise ClipError(f"a conditioning melody must be mono samples, got an array of shape {audio.shape}")
    audio = audio[: int(MAX_CLIP_SECONDS * rate)]
    if not np.all(np.isfinite(audio)):
        raise ClipError("the conditioning melody has NaN or infinite samples; send a clean clip")
    hop = max(int(round(FRAME_SECONDS * rate)), 1)
    if len(audio) < hop:
        raise ClipError(f"the conditioning melody is {len(audio) / rate:.3f} s long; send at least {FRAME_SECONDS} s")
    # two frames per window: enough frequency resolution for a semitone at 100 Hz
    n_fft = 1 << int(np.ceil(np.log2(2 * hop)))
    n_frames = len(audio) // hop
    padded = np.concatenate([audio, np.zeros(n_fft)])
    starts = np.arange(n_frames) * hop
    frames = padded[starts[:, None] + np.arange(n_fft)[None, :]] * np.hanning(n_fft)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    band = (freqs >= _LOW_HZ) & (freqs <= _HIGH_HZ)
    pcs_of_bins = np.mod(np.round(12 * np.log2(freqs[band] / 440.0)) + 9, 12).astype(int)
    chroma = np.zeros((n_frames, 12))
    for pc in range(12):
        chroma[:, pc] = power[:, band][:, pcs_of_bins == pc].sum(axis=1)
    energy = chroma.sum(axis=1)
    loud = energy > energy.max() * 10 ** (_SILENCE_DB / 10) if energy.max() > 0 else np.zeros(n_frames, bool)
    pitch_classes = np.where(loud, chroma.argmax(axis=1), -1)
    weights = np.where(loud, np.sqrt(chroma.max(axis=1)), 0.0)
    if not loud.any():
        raise ClipError("the conditioning melody is silent; send a clip with a melody in it")
    logger.debug("melody: %d frames of %.3f s, %d voiced", n_frames, FRAME_SECONDS, int(loud.sum()))
    return MelodyContour(pitch_classes, weights / weights.max(), hop / rate)


def estimate_key(histogram: np.ndarray) -> Key:
    """The key whose Krumhansl-Kessler profile best fits a pitch-class histogram."""
    histogram = np.asarray(histogram, dtype=float)
    if np.ptp(histogram) == 0:
        # every pitch class equally likely: nothing to fit, and corrcoef would divide by zero
        return Key(0, False)
    best: tuple[float, Key] | None = None
    for tonic in range(12):
        for minor, profile in ((False, _MAJOR_PROFILE), (True, _MINOR_PROFILE)):
            r = float(np.corrcoef(histogram, np.roll(profile, tonic))[0, 1])
            if best is None or r > best[0]:
                best = (r, Key(tonic, minor))
    assert best is not None
    return best[1]
