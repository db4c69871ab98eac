"""A small numpy synthesizer: note events in, stereo float audio out, at any sample rate.

Each note is synthesised whole with vectorised numpy (no per-sample Python),
and cached by (voice, pitch, length): a loop plays the same few notes over and
over, so most notes of a take are a cache hit and one slice-add. Every voice
has its own mono bus with a fixed pan; a comb-filter room is shared by the
tonal voices.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from bridge.engine.arranger import NoteEvent

__all__ = ["VOICES", "render_notes"]

logger = logging.getLogger(__name__)

#: -1 dBFS, with a hair of room for float32 rounding
PEAK = 10 ** (-1.0 / 20) * 0.999
_TWO_PI = 2.0 * np.pi
#: points per wavetable cycle; a power of two, so that wrapping is a bit mask
_TABLE_SIZE = 4096


def _hz(pitch: float) -> float:
    return 440.0 * 2.0 ** ((pitch - 69.0) / 12.0)


@dataclass(frozen=True, slots=True)
class _Context:
    sr: int
    brightness: float
    rng: np.random.Generator

    def t(self, n: int) -> np.ndarray:
        return np.arange(n) / self.sr

    def t32(self, n: int) -> np.ndarray:
        """Time in float32: enough for envelopes, not for phases (see :func:`_sine`)."""
        return (np.arange(n) / self.sr).astype(np.float32)

    def noise(self, n: int) -> np.ndarray:
        return self.rng.standard_normal(n)


def _sine(cycles: np.ndarray | float) -> np.ndarray:
    """``sin(2 pi cycles)``: the phase is reduced to one cycle in float64, the sine taken in float32.

    float32 sine is about ten times faster in numpy (SIMD); reducing first keeps
    the phase exact however long the note.
    """
    cycles = np.asarray(cycles)
    return np.sin((cycles - np.rint(cycles)).astype(np.float32) * np.float32(_TWO_PI))


def _decay(t32: np.ndarray, tau: float) -> np.ndarray:
    return np.exp(t32 * np.float32(-1.0 / tau))


def _partials(ctx: _Context, freq: float, n: int, ratios: Iterable[float], amps: Iterable[float],
              taus: Iterable[float], phase_bend: np.ndarray | None = None) -> np.ndarray:
    """Decaying sine partials; those above 0.45 of the sample rate are left out rather than aliased."""
    t32 = ctx.t32(n)
    base = freq * ctx.t(n) if phase_bend is None else phase_bend
    # whole-number harmonics only need the fundamental's phase within its cycle: reduce it once
    base_frac = (base - np.rint(base)).astype(np.float32)
    out = np.zeros(n, dtype=np.float32)
    for ratio, amp, tau in zip(ratios, amps, taus):
        if freq * ratio >= 0.45 * ctx.sr:
            continue
        # a partial is computed only until it has fallen 60 dB: upper partials die young
        m = min(n, int(6.9 * tau * ctx.sr) + 1)
        if float(ratio).is_integer():
            wave = np.sin(base_frac[:m] * np.float32(_TWO_PI * ratio))
        else:
            wave = _sine(ratio * base[:m])
        out[:m] += np.float32(amp) * wave * _decay(t32[:m], tau)
    return out


def _envelope(ctx: _Context, n: int, held: int, attack: float, decay: float, sustain: float,
              release: float) -> np.ndarray:
    """Attack ramp, exponential fall to ``sustain`` while held, exponential release after."""
    t = ctx.t32(n)
    env = np.minimum(t / np.float32(max(attack, 1e-4)), np.float32(1.0))
    falling = _decay(np.maximum(t - np.float32(attack), 0), max(decay, 1e-4))
    env *= np.float32(sustain) + np.float32(1.0 - sustain) * falling
    off = np.float32(held / ctx.sr)
    env *= np.where(t > off, _decay(np.maximum(t - off, 0), max(release / 4.0, 1e-4)), np.float32(1.0))
    return env


def _fade_tail(x: np.ndarray, sr: int) -> np.ndarray:
    # every sound ends at zero, so that cutting it off never clicks
    m = min(len(x), int(0.005 * sr))
    if m:
        x[-m:] *= np.linspace(1.0, 0.0, m)
    return x


def _lowpass(x: np.ndarray, width: int) -> np.ndarray:
    """Moving average: the cheapest lowpass that numpy does in one pass."""
    if width <= 1:
        return x
    c = np.cumsum(np.concatenate([np.zeros(width), x]))
    return (c[width:] - c[:-width]) / width


@functools.lru_cache(maxsize=256)
def _saw_table(harmonics: int, rolloff: float, size: int = _TABLE_SIZE) -> np.ndarray:
    """One band-limited, lowpassed saw cycle; read-only, shared by every render."""
    k = np.arange(1, harmonics + 1)
    amps = (1.0 / k) / (1.0 + (k / rolloff) ** 2)
    phase = np.arange(size) / size
    table = (amps[:, None] * np.sin(_TWO_PI * k[:, None] * phase[None, :])).sum(axis=0).astype(np.float32)
    table.flags.writeable = False
    return table


def _table_osc(table: np.ndarray, phase: np.ndarray) -> np.ndarray:
    """Nearest-sample table read: with 4096 points per cycle the error is far below the saw's own rolloff."""
    return table[(phase * _TABLE_SIZE).astype(np.int64) & (_TABLE_SIZE - 1)]


def _saws(ctx: _Context, freq: float, n: int, detune_cents: Iterable[float], rolloff: float,
          vibrato: float = 0.0) -> np.ndarray:
    """Detuned band-limited saws: a table per harmonic count, read at each detuned phase."""
    t = ctx.t(n)
    harmonics = max(1, min(40, int(0.45 * ctx.sr / freq)))
    table = _saw_table(harmonics, round(rolloff, 2))
    # vibrato as phase modulation: the integral of a sine wobble in frequency, no cumsum needed
    wobble = vibrato / (_TWO_PI * 5.2) * (1 - np.cos(_TWO_PI * 5.2 * t)) * np.minimum(t / 0.4, 1.0) if vibrato else 0.0
    out = np.zeros(n)
    for i, cents in enumerate(detune_cents):
        f = freq * 2 ** (cents / 1200)
        out += _table_osc(table, f * (t + wobble) + 0.37 * i)
    return out


# ---- tonal voices -------------------------------------------------------------------------------------

def _marimba(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    f = _hz(pitch)
    tau = float(np.clip(0.5 * (440.0 / f) ** 0.5, 0.15, 1.0))
    n = int(ctx.sr * min(5 * tau, 2.5))
    x = _partials(ctx, f, n, (1.0, 3.93, 9.23), (1.0, 0.3 * ctx.brightness + 0.1, 0.08), (tau, tau / 4, tau / 12))
    click = min(n, int(0.003 * ctx.sr))
    x[:click] += 0.3 * ctx.noise(click) * np.linspace(1, 0, click)
    return x


def _vibraphone(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    f = _hz(pitch)
    n = held + int(0.4 * ctx.sr)
    x = _partials(ctx, f, n, (1.0, 4.0, 10.0), (1.0, 0.22, 0.05), (1.8, 0.4, 0.1))
    t = ctx.t(n)
    # the motor-driven tremolo is what says "vibraphone"
    x *= 1.0 + 0.25 * _sine(5.5 * t)
    return x * _envelope(ctx, n, held, 0.002, 10.0, 1.0, 0.4)


def _plucked(ctx: _Context, pitch: int, held: int, position: float, ring: float, partials: int,
             bend: float, buzz: float = 0.0) -> np.ndarray:
    f = _hz(pitch)
    n = max(held, int(ring * 1.2 * ctx.sr)) + int(0.15 * ctx.sr)
    t = ctx.t(n)
    k = np.arange(1, partials + 1)
    amps = np.abs(np.sin(np.pi * k * position)) / k ** (1.3 - 0.5 * ctx.brightness)
    taus = ring / k ** 0.6
    # a plucked string starts a touch sharp and settles: integrate the bent frequency into a phase
    phase = f * t + f * bend * 0.04 * (1 - np.exp(-t / 0.04))
    x = _partials(ctx, f, n, k, amps, taus, phase_bend=phase)
    if buzz:
        # the sitar's jawari bridge: a bright buzz that sweeps and fades
        x += buzz * np.tanh(3 * x) * _decay(ctx.t32(n), ring / 2) * (1 + _sine(2.5 * t)) / 2
    return x * _envelope(ctx, n, held, 0.001, 10.0, 1.0, 0.15)


def _sitar(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    return _plucked(ctx, pitch, held, 0.12, 1.4, 16, 0.35, buzz=0.5)


def _sitar_drone(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = held + int(0.5 * ctx.sr)
    x = _saws(ctx, _hz(pitch), n, (-3.0, 3.0), 3.0 + 4 * ctx.brightness)
    return x * _envelope(ctx, n, held, 0.6, 10.0, 1.0, 0.5) * 0.5


def _koto(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    return _plucked(ctx, pitch, held, 0.22, 1.0, 10, 0.25)


def _guitar(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    return _plucked(ctx, pitch, held, 0.16, 1.6, 12, 0.08)


def _piano(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    f = _hz(pitch)
    n = held + int(0.25 * ctx.sr)
    k = np.arange(1, 13)
    # string stiffness stretches the upper partials; that slight inharmonicity reads as "piano"
    ratios = k * np.sqrt(1 + 0.0004 * k**2)
    amps = 1.0 / k ** (1.6 - 0.6 * ctx.brightness)
    ring = float(np.clip(2.5 * (261.0 / f) ** 0.5, 0.6, 5.0))
    x = _partials(ctx, f, n, ratios, amps, ring / k**0.7)
    hammer = min(n, int(0.004 * ctx.sr))
    x[:hammer] += 0.15 * ctx.noise(hammer) * np.linspace(1, 0, hammer)
    return x * _envelope(ctx, n, held, 0.002, 10.0, 1.0, 0.25)


def _flute(ctx: _Context, pitch: int, held: int, breath: float = 0.08, vibrato: float = 0.004) -> np.ndarray:
    f = _hz(pitch)
    n = held + int(0.12 * ctx.sr)
    t = ctx.t(n)
    onset = np.minimum(t / 0.3, 1.0)
    phase = f * t - f * vibrato * onset * np.cos(_TWO_PI * 5.0 * t) / (_TWO_PI * 5.0)
    tone = _sine(phase) + 0.18 * _sine(2 * phase) + 0.06 * _sine(3 * phase)
    # breath: noise narrowed around the pitch by ring-modulating lowpassed noise onto it
    width = max(int(ctx.sr / 400), 1)
    air = _lowpass(ctx.noise(n), width) * np.sqrt(width) * _sine(phase)
    chiff = ctx.noise(n) * _decay(ctx.t32(n), 0.02) * 0.5
    x = tone + breath * 4 * air + breath * chiff
    return x * _envelope(ctx, n, held, 0.04, 0.3, 0.85, 0.12)


def _pan_flute(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    return _flute(ctx, pitch, held, breath=0.2, vibrato=0.0015)


def _bass(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    f = _hz(pitch)
    n = held + int(0.08 * ctx.sr)
    t = ctx.t(n)
    x = _sine(f * t) + 0.35 * _sine(2 * f * t) + 0.12 * _sine(3 * f * t)
    # gentle drive only: hard saturation adds the fifth harmonic, a major third above the root
    x = np.tanh(0.8 * x)
    return x * _envelope(ctx, n, held, 0.004, 0.5, 0.55, 0.08)


def _synth_bass(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    f = _hz(pitch)
    n = held + int(0.06 * ctx.sr)
    t = ctx.t(n)
    # sub-heavy: the fifth harmonic of a saw is a major third, and a loud one turns minor keys major
    x = 0.3 * _saws(ctx, f, n, (0.0,), 1.5 + ctx.brightness) + _sine(f * t) + 0.4 * _sine(2 * f * t)
    return x * _envelope(ctx, n, held, 0.003, 0.25, 0.6, 0.06)


def _pad(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = held + int(0.8 * ctx.sr)
    x = _saws(ctx, _hz(pitch), n, (-9.0, 0.0, 8.0), 2.0 + 5 * ctx.brightness)
    return x * _envelope(ctx, n, held, 0.35, 10.0, 1.0, 0.8) / 2


def _strings(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = held + int(0.4 * ctx.sr)
    x = _saws(ctx, _hz(pitch), n, (-6.0, 0.0, 5.0), 4.0 + 6 * ctx.brightness, vibrato=0.003)
    return x * _envelope(ctx, n, held, 0.18, 10.0, 1.0, 0.4) / 2


def _synth(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = held + int(0.1 * ctx.sr)
    x = _saws(ctx, _hz(pitch), n, (-5.0, 5.0), 5.0 + 10 * ctx.brightness, vibrato=0.002)
    return x * _envelope(ctx, n, held, 0.005, 0.3, 0.6, 0.1) / 1.5


# ---- drums --------------------------------------------------------------------------------------------

def _sweep(ctx: _Context, n: int, f_end: float, ratio: float, tau: float) -> np.ndarray:
    """A sine whose pitch falls from ``ratio * f_end`` to ``f_end``: the body of every drum."""
    t = ctx.t(n)
    phase = f_end * t + f_end * (ratio - 1) * tau * (1 - np.exp(-t / tau))
    return _sine(phase)


def _kick(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = int(0.45 * ctx.sr)
    t = ctx.t(n)
    # tuned to the tonic: the kick is the loudest pitched thing in a mix
    # the pitch drop is over within 40 ms, so the body rings at the tuned pitch, not a tone above it
    x = _sweep(ctx, n, _hz(pitch), 3.0, 0.012) * np.exp(-t / 0.22)
    click = min(n, int(0.002 * ctx.sr))
    x[:click] += 0.5 * ctx.noise(click)
    return x


def _snare(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = int(0.3 * ctx.sr)
    t = ctx.t(n)
    body = _sweep(ctx, n, 185.0, 1.5, 0.01) * np.exp(-t / 0.05)
    rattle = np.diff(ctx.noise(n + 1)) * np.exp(-t / 0.09)
    return 0.6 * body + 0.35 * rattle


def _hat(ctx: _Context, pitch: int, held: int, tau: float = 0.025) -> np.ndarray:
    n = int(min(8 * tau, 0.5) * ctx.sr)
    t = ctx.t(n)
    return np.diff(ctx.noise(n + 2), n=2) * np.exp(-t / tau) * 0.25


def _open_hat(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    return _hat(ctx, pitch, held, tau=0.12)


def _ride(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = int(0.9 * ctx.sr)
    t = ctx.t(n)
    bell = _partials(ctx, 520.0, n, (1.0, 2.76, 5.4), (0.3, 0.2, 0.15), (0.5, 0.3, 0.2))
    return (np.diff(ctx.noise(n + 1)) * 0.2 + bell) * np.exp(-t / 0.35) * 0.5


def _clap(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = int(0.25 * ctx.sr)
    t = ctx.t(n)
    bursts = sum(np.exp(-np.maximum(t - d, 0) / 0.006) * (t >= d) for d in (0.0, 0.011, 0.022))
    tail = np.exp(-np.maximum(t - 0.022, 0) / 0.07) * (t >= 0.022)
    return np.diff(ctx.noise(n + 1)) * (0.6 * bursts + 0.4 * tail) * 0.5


def _rim(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = int(0.08 * ctx.sr)
    t = ctx.t(n)
    return (np.sin(_TWO_PI * 1700 * t) * 0.5 + 0.3 * np.diff(ctx.noise(n + 1))) * np.exp(-t / 0.012)


def _shaker(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = int(0.12 * ctx.sr)
    t = ctx.t(n)
    return np.diff(ctx.noise(n + 1)) * np.minimum(t / 0.012, 1.0) * np.exp(-t / 0.04) * 0.3


def _hand_drum(ctx: _Context, pitch: int, tau: float) -> np.ndarray:
    n = int(6 * tau * ctx.sr)
    t = ctx.t(n)
    body = _sweep(ctx, n, _hz(pitch), 1.15, 0.02) * np.exp(-t / tau)
    slap = ctx.noise(n) * np.exp(-t / 0.006) * 0.3
    return body + slap


def _conga(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    return _hand_drum(ctx, pitch, 0.17)


def _bongo(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    return _hand_drum(ctx, pitch, 0.09)


def _taiko(ctx: _Context, pitch: int, held: int) -> np.ndarray:
    n = int(1.2 * ctx.sr)
    t = ctx.t(n)
    body = _sweep(ctx, n, _hz(pitch), 1.6, 0.05) * np.exp(-t / 0.4)
    skin = _lowpass(ctx.noise(n), max(int(ctx.sr / 2000), 1)) * np.exp(-t / 0.08) * 2.0
    return body + skin


@dataclass(frozen=True, slots=True)
class _Voice:
    make: Callable[[_Context, int, int], np.ndarray]
    gain: float
    #: -1 left to 1 right
    pan: float
    #: share sent to the room
    send: float


VOICES: dict[str, _Voice] = {
    "marimba": _Voice(_marimba, 0.5, -0.25, 0.5),
    "vibraphone": _Voice(_vibraphone, 0.4, 0.2, 0.6),
    "sitar": _Voice(_sitar, 0.35, 0.15, 0.4),
    "sitar_drone": _Voice(_sitar_drone, 0.2, -0.3, 0.6),
    "koto": _Voice(_koto, 0.45, 0.2, 0.5),
    "guitar": _Voice(_guitar, 0.32, -0.3, 0.4),
    "piano": _Voice(_piano, 0.3, -0.1, 0.5),
    "flute": _Voice(_flute, 0.3, 0.15, 0.6),
    "pan_flute": _Voice(_pan_flute, 0.3, 0.15, 0.6),
    "bass": _Voice(_bass, 0.55, 0.0, 0.0),
    "synth_bass": _Voice(_synth_bass, 0.45, 0.0, 0.0),
    "pad": _Voice(_pad, 0.14, 0.0, 0.8),
    "strings": _Voice(_strings, 0.16, 0.0, 0.7),
    "synth": _Voice(_synth, 0.22, 0.1, 0.5),
    "kick": _Voice(_kick, 0.9, 0.0, 0.0),
    "snare": _Voice(_snare, 0.55, 0.05, 0.2),
    "clap": _Voice(_clap, 0.5, -0.05, 0.3),
    "hat": _Voice(_hat, 0.35, 0.3, 0.0),
    "open_hat": _Voice(_open_hat, 0.3, 0.3, 0.1),
    "ride": _Voice(_ride, 0.3, 0.35, 0.1),
    "rim": _Voice(_rim, 0.35, -0.2, 0.2),
    "shaker": _Voice(_shaker, 0.35, -0.35, 0.1),
    "conga": _Voice(_conga, 0.5, -0.3, 0.2),
    "bongo": _Voice(_bongo, 0.4, 0.35, 0.2),
    "taiko": _Voice(_taiko, 0.8, 0.0, 0.4),
}


def _room(send: np.ndarray, sr: int) -> np.ndarray:
    """A stereo Schroeder room: parallel feedback combs, run a delay-length block at a time.

    Each block of a comb depends only on the block one delay earlier, so the
    recursion vectorises over blocks instead of samples.
    """
    dark = _lowpass(send, max(int(sr / 5000), 1))
    out = np.zeros((len(send), 2))
    for ch, delays_ms in enumerate(((29.7, 37.1, 41.1, 43.7), (30.9, 35.3, 39.9, 45.1))):
        for ms in delays_ms:
            d = max(int(ms * sr / 1000), 1)
            y = dark.copy()
            for i in range(d, len(y), d):
                y[i:i + d] += 0.78 * y[i - d:i - d + len(y[i:i + d])]
            out[:, ch] += y
    return out / 4


def render_notes(notes: Iterable[NoteEvent], frames: int, sample_rate: int, *, seed: int,
                 brightness: float = 0.5, reverb: float = 0.12) -> np.ndarray:
    """Mix note events into ``(frames, 2)`` float32, normalised to a peak of -1 dBFS."""
    ctx = _Context(sample_rate, brightness, np.random.default_rng(seed))
    cache: dict[tuple[str, int, int], np.ndarray] = {}
    buses: dict[str, np.ndarray] = {}
    count = 0
    for note in notes:
        count += 1
        voice = VOICES[note.voice]
        start = int(round(note.start * sample_rate))
        if start >= frames:
            continue
        held = max(int(round(note.duration * sample_rate)), 1)
        sound_key = (note.voice, note.pitch, held)
        sound = cache.get(sound_key)
        if sound is None:
            sound = _fade_tail(voice.make(ctx, note.pitch, held), sample_rate)
            cache[sound_key] = sound
        bus = buses.get(note.voice)
        if bus is None:
            bus = buses[note.voice] = np.zeros(frames)
        end = min(start + len(sound), frames)
        bus[start:end] += note.velocity * sound[: end - start]
    left, right, send = np.zeros(frames), np.zeros(frames), np.zeros(frames)
    for name, bus in buses.items():
        voice = VOICES[name]
        # constant-power pan
        angle = (voice.pan + 1) * np.pi / 4
        left += voice.gain * np.cos(angle) * bus
        right += voice.gain * np.sin(angle) * bus
        send += voice.gain * voice.send * bus
    mix = np.stack([left, right], axis=1)
    if reverb > 0 and send.any():
        mix += reverb * _room(send, sample_rate)
    tail = min(frames, int(0.02 * sample_rate))
    if tail:
        mix[-tail:] *= np.linspace(1.0, 0.0, tail)[:, None]
    peak = float(np.max(np.abs(mix))) if frames else 0.0
    if peak > 0:
        mix *= PEAK / peak
    logger.debug("rendered %d notes from %d distinct sounds into %d frames", count, len(cache), frames)
    return mix.astype(np.float32)
