"""An independent listener for the tests: tempo and key from audio alone.

It must not import :mod:`bridge.engine`: a test that asks the engine's own
tables what it meant to play cannot fail. It uses textbook methods (Müller,
*Fundamentals of Music Processing*, ch. 6 and 5; Krumhansl & Kessler 1982).

Tempo: spectral flux of a log-compressed magnitude spectrogram, local-mean
subtracted, autocorrelated; the answer is a peak between 40 and 240 BPM. Any
periodic pattern also repeats at two, three, four times its period, so the
highest autocorrelation peak is as often the half-tempo (or bar) lag as the
beat. Like the YIN pitch tracker, the rule is therefore: the *shortest* lag
whose peak is within :data:`OCTAVE_TOLERANCE` of the best. A sub-beat lag
(eighths) wins only if the off-beats are nearly as strong as the beats, which
is when a listener would tap them too. There is no knowledge of the asked-for
tempo and no 2x forgiveness.

Key: a chromagram (FFT bins 55 Hz to 2 kHz folded to pitch classes, each frame
normalised), averaged over time, correlated with the 24 rotated
Krumhansl-Kessler probe-tone profiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "OCTAVE_TOLERANCE",
    "KeyEstimate",
    "chroma_frames",
    "dominant_pitch_classes",
    "estimate_key",
    "estimate_tempo",
    "onset_strength",
]

PITCH_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
#: a shorter-lag peak this close to the best one is taken as the beat (see module docstring)
OCTAVE_TOLERANCE = 0.85
_FRAME_RATE = 200.0  # onset envelope frames per second
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def _mono(audio: np.ndarray) -> np.ndarray:
    x = np.asarray(audio, dtype=np.float64)
    return x.mean(axis=1) if x.ndim == 2 else x


def _stft_mag(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    n_frames = 1 + max(len(x) - n_fft, 0) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(n_frames)[:, None]
    padded = np.concatenate([x, np.zeros(n_fft)])
    return np.abs(np.fft.rfft(padded[idx] * np.hanning(n_fft), axis=1))


def onset_strength(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, float]:
    """Spectral-flux novelty curve and its frame rate (about 200 frames per second)."""
    hop = max(int(round(sample_rate / _FRAME_RATE)), 1)
    n_fft = 1 << int(np.ceil(np.log2(0.032 * sample_rate)))
    mag = _stft_mag(_mono(audio), n_fft, hop)
    # logarithmic compression (gamma = 100): quiet sounds count, loud ones do not swamp
    log_mag = np.log1p(10.0 * mag)
    flux = np.maximum(np.diff(log_mag, axis=0), 0.0).sum(axis=1)
    rate = sample_rate / hop
    width = max(int(0.3 * rate), 1)
    local = np.convolve(flux, np.ones(width) / width, mode="same")
    novelty = np.maximum(flux - local, 0.0)
    # smooth over ~25 ms: onsets are spikes a frame wide, and a beat period that is not a whole
    # number of frames would otherwise split its autocorrelation peak between two lags
    smooth = np.hanning(max(int(0.025 * rate), 3) + 2)[1:-1]
    return np.convolve(novelty, smooth / smooth.sum(), mode="same"), rate


def estimate_tempo(audio: np.ndarray, sample_rate: int, low: float = 40.0, high: float = 240.0) -> float:
    """Tempo in BPM between ``low`` and ``high`` (see the module docstring for the rule)."""
    novelty, rate = onset_strength(audio, sample_rate)
    novelty = novelty - novelty.mean()
    n = len(novelty)
    spectrum = np.fft.rfft(novelty, 2 * n)
    acf = np.fft.irfft(np.abs(spectrum) ** 2)[:n]
    acf /= acf[0] if acf[0] > 0 else 1.0
    # search a little past both ends, so that a peak right at 40 or 240 BPM is still a local maximum
    lag_min = max(int(np.floor(60.0 / high * rate * 0.97)), 1)
    lag_max = min(int(np.ceil(60.0 / low * rate * 1.03)), n - 2)
    lags = np.arange(lag_min, lag_max + 1)
    values = acf[lags]
    in_range = (lags >= 60.0 / high * rate - 1) & (lags <= 60.0 / low * rate + 1)
    peaks = [i for i in range(1, len(lags) - 1)
             if in_range[i] and values[i] >= values[i - 1] and values[i] > values[i + 1]]
    if not peaks:
        raise ValueError("no periodicity between %g and %g BPM" % (low, high))
    best = max(values[i] for i in peaks)
    # "within the tolerance of the best" must also hold when every peak is negative
    chosen = min(i for i in peaks if values[i] >= best - (1.0 - OCTAVE_TOLERANCE) * abs(best))
    # parabolic interpolation: a 5 ms frame is 2% of a 240 BPM beat, too coarse on its own
    a, b, c = values[chosen - 1], values[chosen], values[chosen + 1]
    shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    lag = lags[chosen] + shift
    return 60.0 * rate / lag


def chroma_frames(audio: np.ndarray, sample_rate: int, frame_seconds: float = 0.125,
                  window_seconds: float = 0.25) -> np.ndarray:
    """Chroma vectors (frames, 12) from 55 Hz to 2 kHz, one per ``frame_seconds``."""
    hop = max(int(round(frame_seconds * sample_rate)), 1)
    n_fft = 1 << int(np.ceil(np.log2(max(window_seconds * sample_rate, 2 * hop))))
    power = _stft_mag(_mono(audio), n_fft, hop) ** 2
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    band = (freqs >= 55.0) & (freqs <= 2000.0)
    pcs = np.mod(np.round(12 * np.log2(freqs[band] / 440.0)) + 9, 12).astype(int)
    chroma = np.zeros((power.shape[0], 12))
    for pc in range(12):
        chroma[:, pc] = power[:, band][:, pcs == pc].sum(axis=1)
    return np.sqrt(chroma)


def dominant_pitch_classes(audio: np.ndarray, sample_rate: int, frame_seconds: float = 0.125) -> np.ndarray:
    """Argmax pitch class per frame; -1 where a frame is 40 dB below the loudest."""
    chroma = chroma_frames(audio, sample_rate, frame_seconds)
    energy = chroma.sum(axis=1)
    quiet = energy < energy.max() * 10 ** (-40 / 20)
    return np.where(quiet, -1, chroma.argmax(axis=1))


@dataclass(frozen=True)
class KeyEstimate:
    tonic: int
    minor: bool
    correlation: float

    def name(self) -> str:
        return f"{PITCH_NAMES[self.tonic]} {'minor' if self.minor else 'major'}"


def estimate_key(audio: np.ndarray, sample_rate: int) -> KeyEstimate:
    """The best of 24 Krumhansl-Kessler profiles for the time-averaged chroma."""
    # half-second windows: at 55 Hz a semitone is 3 Hz, finer than a quarter-second FFT resolves
    chroma = chroma_frames(audio, sample_rate, 0.25, window_seconds=0.5)
    totals = chroma.sum(axis=1, keepdims=True)
    # each frame counts once, however loud: a kick-heavy bar must not outvote the harmony
    profile = (chroma / np.where(totals > 0, totals, 1.0)).mean(axis=0)
    best = KeyEstimate(0, False, -2.0)
    for tonic in range(12):
        for minor, template in ((False, _MAJOR), (True, _MINOR)):
            r = float(np.corrcoef(profile, np.roll(template, tonic))[0, 1])
            if r > best.correlation:
                best = KeyEstimate(tonic, minor, r)
    return best
