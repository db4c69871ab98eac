"""The procedural arranger: a prompt's style, key and tempo in, a list of note events out.

Pure and seeded: the same :class:`ArrangementPlan` and seed always give the same
notes. Two listening results shape the harmony. Loops on i-VI-iv-V were heard
in the key of iv more than half the time; i-i-VI-V (minor) and I-IV-V-I
(major) were heard in the written key nearly always. So every progression here
starts on the tonic and holds it, the bass plays roots, and the kick and hand
drums are tuned to the tonic.

Rhythm is written so that the beat is the strongest pulse: every beat carries
an onset of about the same weight (the backbeat is matched by the kick), and
what falls between beats is quieter. A pattern whose strongest pulse is the
half-bar is heard at half tempo, one with loud off-beats at double tempo.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from bridge.core.music import Key
from bridge.engine.melody import MelodyContour
from bridge.engine.prompt import PromptStyle

__all__ = [
    "PULSE_RANGE",
    "Arrangement",
    "ArrangementPlan",
    "NoteEvent",
    "build_arrangement",
    "build_plan",
    "pulse_bpm",
]

logger = logging.getLogger(__name__)

#: tempi written as asked; outside this the parts are written at double or half time on the same grid
PULSE_RANGE = (40.0, 240.0)
_STEPS = 16  # sixteenth notes per 4/4 bar

_MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
_MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10)
#: chord symbol -> (root above the tonic, minor triad)
_CHORDS = {
    "I": (0, False), "ii": (2, True), "IV": (5, False), "V": (7, False), "vi": (9, True),
    "i": (0, True), "III": (3, False), "iv": (5, True), "VI": (8, False),
}
_PROGRESSIONS = {
    False: (("I", "IV", "V", "I"), ("I", "I", "IV", "V")),
    True: (("i", "i", "VI", "V"), ("i", "VI", "i", "V")),
}
#: chords a conditioning melody may be harmonised with, tonic first
_HARMONY_POOL = {False: ("I", "IV", "V", "vi", "ii"), True: ("i", "iv", "V", "VI", "III")}

_MELODIC = ("flute", "pan_flute", "sitar", "koto", "synth", "marimba", "vibraphone",
           "guitar", "piano", "strings", "pad")
_LEAD_RANK = ("flute", "pan_flute", "sitar", "koto", "synth", "vibraphone", "marimba",
              "guitar", "piano", "strings", "pad")
_COMP_CAPABLE = ("piano", "guitar", "marimba", "vibraphone", "koto", "synth", "sitar")
_PAD_CAPABLE = ("strings", "pad")
#: MIDI range each voice plays a lead line in
_LEAD_RANGE = {
    "flute": (72, 91), "pan_flute": (67, 86), "sitar": (57, 79), "koto": (62, 84),
    "synth": (67, 88), "marimba": (64, 86), "vibraphone": (65, 88), "guitar": (59, 81),
    "piano": (64, 86), "strings": (67, 88), "pad": (64, 84),
}

# Drum and hand-drum patterns, one character per sixteenth: X loud, x medium, o soft, - ghost.
_VEL = {"X": 1.0, "x": 0.75, "o": 0.5, "-": 0.3, ".": 0.0}
_KITS: dict[str, dict[str, str]] = {
    "pop": {"kick": "X.......X.......", "snare": "....X.......X...", "hat": "x.o.x.o.x.o.x.o."},
    "house": {"kick": "X...X...X...X...", "clap": "....x.......x...", "open_hat": "..-...-...-...-.",
              "hat": "x...x...x...x..."},
    "hiphop": {"kick": "X.......X.....-.", "snare": "....X.......X...", "hat": "x.-.x.-.x.-.x.-."},
    "rock": {"kick": "X.......X.......", "snare": "....X.......X...", "hat": "x.o.x.o.x.o.x.o."},
    "jazz": {"ride": "x..-x..-x..-x..-", "kick": "o...o...o...o...", "hat": "....x.......x..."},
    "funk": {"kick": "X.......X.-.....", "snare": "....X.......X...", "hat": "x-o-x-o-x-o-x-o-"},
    "reggae": {"kick": "X.......X.......", "rim": "....x.......x...", "hat": "x.-.x.-.x.-.x.-."},
    "latin": {"kick": "X.......X.......", "rim": "x...x.o.x...x.o.", "shaker": "x.o.x.o.x.o.x.o."},
    "dnb": {"kick": "X.......X.......", "snare": "....X.......X...", "hat": "x.o.x.o.x.o.x.o."},
    "world": {"kick": "x.......x.......", "rim": "....x.......x...", "shaker": "x.o.x.o.x.o.x.o."},
    # the kick once a bar: on 1 and 3 alone it would make the half-bar the pulse
    "ambient": {"kick": "o...............", "shaker": "o...o...o...o..."},
}
_HANDS = {"conga": "X.......x.......", "bongo": "....x.-.....x.-."}
_TAIKO = {"taiko": "X.......X.......", "taiko_rim": "....x.......x..."}
_SHAKER = "x.-.x.-.x.-.x.-."

# Bass patterns: R root, 5 fifth, O octave, A approach to the next root, . rest.
_BASS = {
    "pop": "R.......R...5...", "house": "R...R...R...R...", "hiphop": "R.......R.......",
    "rock": "R...R...R...R...", "jazz": "R...5...O...A...", "funk": "R...O...R...5...",
    "reggae": "R...5...R...5...", "latin": "R...5...R...5...", "dnb": "R.......R.......",
    "world": "R.......5.......", "ambient": "R...............", "classical": "R...5...R...5...",
}
_COMP_STYLE = {
    "pop": "block", "house": "block", "hiphop": "block", "rock": "strum", "jazz": "block",
    "funk": "strum", "reggae": "block", "latin": "arp", "dnb": "block", "world": "arp",
    "ambient": "arp", "classical": "arp",
}
_DEFAULT_PARTS: dict[str, dict[str, str | None]] = {
    "pop": {"lead": "synth", "comp": "piano", "pad": "pad", "bass": "bass"},
    "house": {"lead": "synth", "comp": "piano", "pad": "pad", "bass": "synth_bass"},
    "hiphop": {"lead": "vibraphone", "comp": "piano", "pad": None, "bass": "synth_bass"},
    "rock": {"lead": "synth", "comp": "guitar", "pad": None, "bass": "bass"},
    "jazz": {"lead": "vibraphone", "comp": "piano", "pad": None, "bass": "bass"},
    "funk": {"lead": "synth", "comp": "guitar", "pad": None, "bass": "bass"},
    "reggae": {"lead": "flute", "comp": "guitar", "pad": None, "bass": "bass"},
    "latin": {"lead": "flute", "comp": "guitar", "pad": None, "bass": "bass"},
    "dnb": {"lead": "synth", "comp": None, "pad": "pad", "bass": "synth_bass"},
    "world": {"lead": "flute", "comp": "marimba", "pad": None, "bass": "bass"},
    "ambient": {"lead": "flute", "comp": "vibraphone", "pad": "pad", "bass": "bass"},
    "classical": {"lead": "flute", "comp": "piano", "pad": "strings", "bass": "bass"},
}
#: sixteenths between restrikes of a held note, for voices that decay
_RESTRIKE = {"marimba": 2, "koto": 4, "sitar": 4, "guitar": 4, "piano": 4, "vibraphone": 8}
_GENRE_HANDS = ("world", "latin")
_GENRE_NO_KIT = ("classical",)
_REVERB = {"ambient": 0.35, "classical": 0.28, "world": 0.2, "jazz": 0.18}


@dataclass(frozen=True, slots=True)
class NoteEvent:
    """One note for the synthesizer. Drums carry a pitch too: they are tuned to the key."""

    start: float
    duration: float
    pitch: int
    velocity: float
    voice: str


@dataclass(frozen=True, slots=True)
class ArrangementPlan:
    """Which parts play and how: everything decided from the prompt before any note is written."""

    key: Key
    #: the tempo asked for: the beat grid of the take
    bpm: float
    genre: str
    lead: str
    comp: tuple[str, ...]
    pad: str | None
    bass: str | None
    kit: str | None
    taiko: bool
    hands: bool
    shaker: bool
    drone: bool
    density: float
    brightness: float
    reverb: float


@dataclass(frozen=True, slots=True)
class Arrangement:
    plan: ArrangementPlan
    #: the tempo the parts are written at: ``plan.bpm`` times a power of two inside :data:`PULSE_RANGE`
    pulse_bpm: float
    chords: tuple[str, ...]
    notes: tuple[NoteEvent, ...]


def pulse_bpm(bpm: float) -> float:
    """The tempo the parts are written at: ``bpm`` doubled or halved into :data:`PULSE_RANGE`.

    The beats still land on the asked-for grid: 300 bpm is written as 150 bpm
    (each written beat is two of the host's), 30 bpm as 60.
    """
    low, high = PULSE_RANGE
    pulse = bpm
    while pulse < low:
        pulse *= 2
    while pulse > high:
        pulse /= 2
    return pulse


def build_plan(style: PromptStyle, key: Key, bpm: float) -> ArrangementPlan:
    genre = style.genre or "pop"
    defaults = _DEFAULT_PARTS[genre]
    melodic = [name for name in style.instruments if name in _MELODIC]
    bass = next((name for name in style.instruments if name in ("bass", "synth_bass")), None)
    if melodic:
        lead = min(melodic, key=_LEAD_RANK.index)
        rest = [name for name in melodic if name != lead]
        pads = [name for name in rest if name in _PAD_CAPABLE]
        comp = tuple(name for name in rest if name in _COMP_CAPABLE)
        pad = pads[0] if pads else None
        if not comp and lead in _COMP_CAPABLE and pad is None:
            # one named instrument plays both the tune and its chords, as a soloist would
            comp = (lead,)
    else:
        lead = str(defaults["lead"])
        comp = (defaults["comp"],) if defaults["comp"] else ()
        pad = defaults["pad"]
    if bass is None and not style.drums_forbidden:
        # the bass is always there: it carries the tonic that makes the key heard
        bass = defaults["bass"] or "bass"
    named = set(style.instruments)
    kit: str | None = None
    if not style.drums_forbidden and ("drums" in named or genre not in _GENRE_NO_KIT):
        kit = genre if genre in _KITS else "pop"
    taiko = "taiko" in named
    hands = not style.drums_forbidden and ("tabla" in named or "percussion" in named or genre in _GENRE_HANDS)
    if taiko and "drums" not in named and genre not in ("house", "dnb", "hiphop", "rock"):
        # taiko are the drums of the piece unless a kit was asked for too
        kit = None
    return ArrangementPlan(
        key=key,
        bpm=bpm,
        genre=genre,
        lead=lead,
        comp=comp,
        pad=pad,
        bass=bass,
        kit=kit,
        taiko=taiko,
        hands=hands,
        shaker="percussion" in named and not style.drums_forbidden,
        drone="sitar" in named,
        density=style.density,
        brightness=style.brightness,
        reverb=_REVERB.get(genre, 0.12) + 0.1 * (style.density < 0.3),
    )


def _chord_pcs(key: Key, symbol: str) -> tuple[int, int, int]:
    root, minor = _CHORDS[symbol]
    r = (key.tonic + root) % 12
    return (r, (r + (3 if minor else 4)) % 12, (r + 7) % 12)


def _scale(key: Key, symbol: str) -> tuple[int, ...]:
    steps = list(_MINOR_SCALE if key.minor else _MAJOR_SCALE)
    if key.minor and symbol == "V":
        # the V chord in minor takes the raised seventh: the leading tone that pulls to the tonic
        steps[6] = 11
    return tuple(sorted((key.tonic + s) % 12 for s in steps))


def _nearest(pc: int, target: float, low: int, high: int) -> int:
    """The MIDI note of pitch class ``pc`` nearest ``target`` inside ``low..high``."""
    candidates = [n for n in range(low, high + 1) if n % 12 == pc]
    return min(candidates, key=lambda n: (abs(n - target), n))


class _Writer:
    """Accumulates note events on the pulse grid."""

    def __init__(self, pulse: float, bars: int, rng: np.random.Generator) -> None:
        self.step = 60.0 / pulse / 4
        self.bar = self.step * _STEPS
        self.bars = bars
        self.rng = rng
        self.notes: list[NoteEvent] = []

    def add(self, bar: int, step: float, steps: float, pitch: int, velocity: float, voice: str) -> None:
        if velocity <= 0:
            return
        start = bar * self.bar + step * self.step
        self.notes.append(NoteEvent(start, steps * self.step, int(pitch), float(min(velocity, 1.0)), voice))

    def pattern(self, pattern: str, voice: str, pitch: int, gain: float = 1.0, keep: set[int] | None = None) -> None:
        for bar in range(self.bars):
            for step, char in enumerate(pattern):
                if _VEL[char] and (keep is None or step in keep):
                    # a little velocity spread, never timing spread: the grid is the host's
                    vel = _VEL[char] * gain * (1.0 + 0.06 * self.rng.standard_normal())
                    self.add(bar, step, 1, pitch, vel, voice)


def _allowed_steps(pulse: float, density: float) -> set[int]:
    """The sixteenths drums may play: subdivisions only where they do not become the pulse.

    Below about 72 bpm off-beat eighths are a faster pulse of their own (a
    listener taps them), so slow takes keep to the beat.
    """
    steps = set(range(0, _STEPS, 4))
    if pulse >= 72:
        steps |= set(range(2, _STEPS, 4))
    if 90 <= pulse <= 130 and density > 0.75:
        steps |= set(range(1, _STEPS, 2))
    return steps


def _melodic_steps(pulse: float) -> set[int]:
    """The sixteenths tuned parts may start notes on: eighths at moderate tempi, beats otherwise."""
    if 72 <= pulse <= 150:
        return set(range(0, _STEPS, 2))
    return set(range(0, _STEPS, 4))


def _write_drums(w: _Writer, plan: ArrangementPlan, pulse: float, quiet: float) -> None:
    """``quiet`` scales the tuned drums (kick, taiko, hand drums): under a conditioning tune their pitch competes."""
    key = plan.key
    tuned = quiet ** 0.5
    # above 55 Hz, where a chroma (and an ear) still hears its pitch
    kick_pitch = _nearest(key.tonic, 40, 35, 46)
    keep = _allowed_steps(pulse, plan.density)
    if plan.kit is not None:
        kit = dict(_KITS[plan.kit])
        if plan.taiko:
            kit.pop("kick", None)
            kit.pop("snare", None)
        backbeat = kit.get("snare") or kit.get("clap") or kit.get("rim")
        kick = kit.get("kick")
        if backbeat and kick:
            # a soft kick under the backbeat, so that 2 and 4 do not outweigh 1 and 3 (heard as half time)
            kit["kick"] = "".join("o" if b in "Xx" and k == "." else k for k, b in zip(kick, backbeat))
        for voice, pattern in kit.items():
            pitch = kick_pitch if voice == "kick" else 60
            gain = 0.6 + 0.4 * plan.density if voice in ("hat", "shaker", "open_hat", "ride") else 1.0
            gain *= tuned if voice == "kick" else 1.0
            w.pattern(pattern, voice, pitch, gain, keep)
        if pulse > 150:
            # fast: kick and backbeat on every beat (accent still on 2 and 4, as in Motown or
            # fast punk); a backbeat alone is heard, by people and machines, as half time
            if "kick" in kit and backbeat:
                w.pattern("....x.......x...", "kick", kick_pitch, tuned, keep)
            for voice, pattern in kit.items():
                if voice != "kick" and pattern[4] != "." and pattern[12] != "." and pattern[0] == pattern[8] == ".":
                    w.pattern("o.......o.......", voice, 60, 1.0, keep)
    if plan.taiko:
        w.pattern(_TAIKO["taiko"], "taiko", _nearest(key.tonic, 40, 36, 47), tuned, keep)
        w.pattern(_TAIKO["taiko_rim"], "taiko", _nearest((key.tonic + 7) % 12, 47, 43, 54), 0.85 * tuned, keep)
    if plan.hands:
        w.pattern(_HANDS["conga"], "conga", _nearest(key.tonic, 55, 50, 61), tuned, keep)
        w.pattern(_HANDS["bongo"], "bongo", _nearest((key.tonic + 7) % 12, 67, 62, 73), 0.9 * tuned, keep)
    if plan.shaker:
        w.pattern(_SHAKER, "shaker", 60, 0.7, keep)


def _write_harmony(w: _Writer, plan: ArrangementPlan, chords: list[str], pulse: float, quiet: float) -> None:
    key = plan.key
    keep = _melodic_steps(pulse)
    for bar in range(w.bars):
        symbol = chords[bar]
        triad = _chord_pcs(key, symbol)
        next_root = _chord_pcs(key, chords[(bar + 1) % len(chords)])[0]
        if plan.bass is not None:
            root = _nearest(triad[0], 40, 36, 47)
            bass_notes = {"R": root, "5": root + 7, "O": root + 12,
                          "A": root + (2 if (next_root - triad[0]) % 12 < 6 else -1)}
            pattern = _BASS.get(plan.genre, _BASS["pop"])
            hits = [i for i, c in enumerate(pattern) if c != "."]
            for n, step in enumerate(hits):
                length = (hits[n + 1] if n + 1 < len(hits) else _STEPS) - step
                vel = (1.0 if step == 0 else 0.8) * quiet ** 0.5
                w.add(bar, step, length * 0.9, bass_notes[pattern[step]], vel, plan.bass)
        voicing = sorted(_nearest(pc, 60, 53, 67) for pc in triad)
        if plan.pad is not None:
            pad_notes = [_nearest(triad[0], 48, 43, 54)] + voicing
            for pitch in pad_notes:
                w.add(bar, 0, _STEPS, pitch, 0.7 * quiet, plan.pad)
        if plan.drone:
            # a tanpura-like drone on tonic and fifth: the sitar's own way of stating the key
            for pitch in (_nearest(key.tonic, 48, 43, 54), _nearest((key.tonic + 7) % 12, 55, 50, 61)):
                w.add(bar, 0, _STEPS, pitch, 0.45 * quiet, "sitar_drone")
        for instrument in plan.comp:
            style = _COMP_STYLE.get(plan.genre, "block")
            if style in ("block", "strum"):
                for step in range(0, _STEPS, 4):
                    vel = (0.8 if step == 0 else 0.6) * quiet
                    for i, pitch in enumerate(voicing):
                        # a strum is a chord played low string first, a few ms apart
                        offset = 0.06 * i if style == "strum" else 0.0
                        w.add(bar, step + offset, 3.5, pitch, vel, instrument)
            else:
                arp = voicing + [voicing[1] + 12]
                order = [0, 1, 2, 3, 2, 1, 2, 1]
                steps = sorted(s for s in keep if s % 2 == 0)
                for n, step in enumerate(steps):
                    pitch = arp[order[n % len(order)]]
                    vel = (0.8 if step % 4 == 0 else 0.45) * quiet
                    w.add(bar, step, 4, pitch, vel, instrument)


@dataclass(frozen=True, slots=True)
class _RiffNote:
    step: int
    #: chord tone index (0 root, 1 third, 2 fifth, 3 octave) when ``chordal``, else a scale step from the last note
    value: int
    chordal: bool


def _write_riff(rng: np.random.Generator, density: float, keep: set[int]) -> list[_RiffNote]:
    """A two-bar motif: chord tones on the beats, stepwise passing notes between."""
    notes: list[_RiffNote] = []
    for step in range(2 * _STEPS):
        if step % _STEPS not in keep or step % 2:
            continue
        on_beat = step % 4 == 0
        if step == 0:
            notes.append(_RiffNote(0, 0, True))
        elif on_beat and rng.random() < 0.55 + 0.3 * density:
            # the third is what tells major from minor: it is sung as often as the root
            notes.append(_RiffNote(step, int(rng.choice(4, p=[0.35, 0.35, 0.2, 0.1])), True))
        elif not on_beat and rng.random() < 0.1 + 0.4 * density:
            notes.append(_RiffNote(step, int(rng.choice([-1, 1])), False))
    return notes


def _write_lead(w: _Writer, plan: ArrangementPlan, chords: list[str], pulse: float) -> None:
    keep = _melodic_steps(pulse)
    riff = _write_riff(w.rng, plan.density, keep)
    variation = _write_riff(w.rng, plan.density, keep)
    low, high = _LEAD_RANGE.get(plan.lead, (64, 86))
    last = (low + high) / 2
    for phrase in range(0, w.bars, 2):
        # every fourth phrase answers with a varied second bar, as a player would
        motif = riff if phrase % 8 != 6 else [n for n in riff if n.step < _STEPS] + [
            n for n in variation if n.step >= _STEPS]
        for i, note in enumerate(motif):
            bar = phrase + note.step // _STEPS
            if bar >= w.bars:
                break
            symbol = chords[bar]
            if note.chordal:
                triad = _chord_pcs(plan.key, symbol)
                pc = triad[note.value % 3]
                pitch = _nearest(pc, last + (12 if note.value == 3 else 0), low, high)
            else:
                scale = _scale(plan.key, symbol)
                pitch = int(last)
                for _ in range(12):
                    pitch += note.value
                    if pitch % 12 in scale:
                        break
                pitch = min(max(pitch, low), high)
            following = motif[i + 1].step + phrase * _STEPS if i + 1 < len(motif) else (phrase + 2) * _STEPS
            length = min(following - (phrase * _STEPS + note.step), 8)
            vel = 0.85 if note.step % 4 == 0 else 0.55
            w.add(bar, note.step % _STEPS, length * 0.95, pitch, vel, plan.lead)
            last = float(pitch)


def _write_following_lead(w: _Writer, plan: ArrangementPlan, contour: MelodyContour) -> None:
    """The lead sings the clip's pitch classes, one sixteenth at a time, tied where they repeat."""
    low, high = _LEAD_RANGE.get(plan.lead, (64, 86))
    last = (low + high) / 2
    total = w.bars * _STEPS
    step = 0
    while step < total:
        t = step * w.step
        pc = contour.pitch_class_at(t, t + w.step)
        run = 1
        while step + run < total and contour.pitch_class_at((step + run) * w.step, (step + run + 1) * w.step) == pc:
            run += 1
        if pc >= 0:
            pitch = _nearest(pc, last, low, high)
            # a plucked or struck voice dies away under a long note: restrike it, as a marimba rolls
            strike = _RESTRIKE.get(plan.lead, run)
            for offset in range(0, run, strike):
                s = step + offset
                w.add(s // _STEPS, s % _STEPS, min(strike, run - offset), pitch, 0.9 if offset == 0 else 0.7, plan.lead)
            last = float(pitch)
        step += run


def _harmonise(contour: MelodyContour, key: Key, bars: int, bar_seconds: float) -> list[str]:
    """Per bar, the chord of the pool whose tones hold most of the clip's weight there."""
    chords: list[str] = []
    n = len(contour.pitch_classes)
    for bar in range(bars):
        first = int(bar * bar_seconds / contour.frame_seconds)
        last = max(int((bar + 1) * bar_seconds / contour.frame_seconds), first + 1)
        idx = np.arange(first, last) % n
        pcs, weights = contour.pitch_classes[idx], contour.weights[idx]
        hist = np.bincount(pcs[pcs >= 0], weights=weights[pcs >= 0], minlength=12)
        pool = _HARMONY_POOL[key.minor]

        def score(symbol: str) -> float:
            fit = sum(hist[pc] for pc in _chord_pcs(key, symbol))
            # the tonic chord wins ties: it is what keeps the key audible
            return fit + (0.15 * hist.sum() if symbol == pool[0] else 0.0)

        chords.append(max(pool, key=score))
    return chords


def build_arrangement(
    plan: ArrangementPlan, seconds: float, seed: int, contour: MelodyContour | None = None
) -> Arrangement:
    """Every note of a take of ``seconds`` (the last bar may run past the end; the synthesizer cuts it)."""
    rng = np.random.default_rng(seed)
    pulse = pulse_bpm(plan.bpm)
    bar_seconds = 4 * 60.0 / pulse
    bars = max(math.ceil(seconds / bar_seconds), 1)
    w = _Writer(pulse, bars, rng)
    if contour is None:
        progression = _PROGRESSIONS[plan.key.minor][int(rng.integers(2))]
        chords = [progression[bar % 4] for bar in range(bars)]
        quiet = 1.0
    else:
        chords = _harmonise(contour, plan.key, bars, bar_seconds)
        # the accompaniment steps back so that the conditioning tune is what is heard
        quiet = 0.35
    _write_harmony(w, plan, chords, pulse, quiet)
    if contour is None:
        _write_lead(w, plan, chords, pulse)
    else:
        _write_following_lead(w, plan, contour)
    _write_drums(w, plan, pulse, quiet)
    notes = tuple(sorted((n for n in w.notes if n.start < seconds), key=lambda n: (n.start, n.voice, n.pitch)))
    logger.debug("arranged %d notes over %d bars at %.1f bpm (pulse %.1f): %s", len(notes), bars, plan.bpm, pulse,
                 " ".join(chords[:4]))
    return Arrangement(plan=plan, pulse_bpm=pulse, chords=tuple(chords), notes=notes)
