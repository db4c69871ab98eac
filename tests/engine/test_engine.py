"""The offline engine, judged by what it sounds like to an independent listener (:mod:`support.analysis`)."""

from __future__ import annotations

import numpy as np
import pytest

import bridge.engine
from bridge.core.music import Key
from bridge.engine import Engine, ProceduralEngine, RenderRequest, create_engine
from bridge.engine.arranger import build_arrangement, build_plan
from bridge.engine.prompt import parse_prompt
from bridge.errors import ClipError, ConfigError, UsageError
from support.analysis import dominant_pitch_classes, estimate_key, estimate_tempo

from .prompts import PROMPTS

SR = 32_000
TAKE_SECONDS = 16.0
PEAK_LIMIT = 10 ** (-1 / 20)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return create_engine()


@pytest.fixture(scope="module")
def table_takes(engine: Engine) -> list[np.ndarray]:
    return [engine.render(RenderRequest(prompt, TAKE_SECONDS, SR)) for prompt, *_ in PROMPTS]


def _melody(rate: int, seconds: float, seed: int, tonic: int = 2, tonal: bool = False) -> np.ndarray:
    """A tune of sine notes (with an octave partial) on a major scale, varied note lengths.

    ``tonal`` leans on the tonic triad, as real tunes do; without it any of the
    scale's relative keys fits the tune equally well.
    """
    rng = np.random.default_rng(seed)
    degrees = [0, 2, 4, 5, 7, 9, 11]
    weights = [0.3, 0.08, 0.2, 0.08, 0.2, 0.08, 0.06] if tonal else [1 / 7] * 7
    parts, t = [], 0.0
    while t < seconds:
        length = float(rng.choice([0.25, 0.5, 0.75, 1.0]))
        pitch = 60 + tonic + int(rng.choice(degrees, p=weights)) + 12 * int(rng.integers(2))
        n = int(length * rate)
        tt = np.arange(n) / rate
        f = 440.0 * 2 ** ((pitch - 69) / 12)
        env = np.minimum(1.0, tt / 0.01) * np.minimum(1.0, (length - tt) / 0.02)
        parts.append(0.5 * env * (np.sin(2 * np.pi * f * tt) + 0.3 * np.sin(4 * np.pi * f * tt)))
        t += length
    return np.concatenate(parts)[: int(seconds * rate)].astype(np.float32)


def _agreement(take: np.ndarray, clip: np.ndarray, clip_rate: int) -> float:
    heard = dominant_pitch_classes(take, SR)
    sung = dominant_pitch_classes(clip, clip_rate)
    n = min(len(heard), len(sung))
    voiced = sung[:n] >= 0
    return float(np.mean(heard[:n][voiced] == sung[:n][voiced]))


# ---- the seam -----------------------------------------------------------------------------------------

def test_public_names_are_locked() -> None:
    assert sorted(bridge.engine.__all__) == ["ENGINES", "Engine", "ProceduralEngine", "RenderRequest", "create_engine"]


def test_create_engine_defaults_to_the_procedural_engine() -> None:
    engine = create_engine()
    assert isinstance(engine, ProceduralEngine)
    assert engine.name == "procedural"
    assert isinstance(create_engine("Procedural"), ProceduralEngine)


def test_create_engine_names_the_known_engines_for_an_unknown_name() -> None:
    with pytest.raises(ConfigError, match=r"unknown engine 'musicgen-large'; known engines: procedural"):
        create_engine("musicgen-large")


# ---- the prompt table: what a listener hears ----------------------------------------------------------

def test_prompt_table_covers_every_key_spelling_and_tempo_range() -> None:
    keys = {(tonic, minor) for _, tonic, minor, _ in PROMPTS}
    assert len(PROMPTS) == 40
    assert len(keys) == 24
    tempi = sorted(bpm for *_, bpm in PROMPTS)
    assert tempi[0] == 40 and tempi[-1] == 240
    assert sum(bpm < 80 for bpm in tempi) >= 8 and sum(bpm > 160 for bpm in tempi) >= 6
    text = " | ".join(prompt for prompt, *_ in PROMPTS)
    for spelling in ("Ab minor", "G#m ", "g sharp minor", "F# major", "Bbm,", "key of Eb minor", "Gb major"):
        assert spelling in text


@pytest.mark.parametrize(("prompt", "tonic", "minor", "bpm"), PROMPTS, ids=[p[0][:32] for p in PROMPTS])
def test_prompt_is_read_as_the_musician_means_it(prompt: str, tonic: int, minor: bool, bpm: float) -> None:
    style = parse_prompt(prompt)
    assert style.key == Key(tonic, minor)
    assert style.bpm == bpm


def test_listener_hears_the_asked_tempo_and_key_in_at_least_38_of_40(table_takes: list[np.ndarray]) -> None:
    misses = []
    for (prompt, tonic, minor, bpm), take in zip(PROMPTS, table_takes):
        tempo = estimate_tempo(take, SR)
        key = estimate_key(take, SR)
        tempo_ok = abs(tempo / bpm - 1.0) <= 0.04
        key_ok = (key.tonic, key.minor) == (tonic, minor)
        if not (tempo_ok and key_ok):
            misses.append(f"{prompt!r}: heard {tempo:.1f} bpm in {key.name()}")
    assert len(misses) <= 2, "\n".join(misses)


def test_every_take_is_stereo_float32_finite_and_peaks_at_or_below_minus_1_dbfs(
    table_takes: list[np.ndarray],
) -> None:
    for (prompt, *_), take in zip(PROMPTS, table_takes):
        assert take.dtype == np.float32 and take.shape == (round(TAKE_SECONDS * SR), 2), prompt
        assert np.all(np.isfinite(take)), prompt
        peak = float(np.max(np.abs(take)))
        assert 0.5 * PEAK_LIMIT < peak <= PEAK_LIMIT, (prompt, peak)


# ---- output format ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("seconds", "rate"), [(2.5, 32_000), (1.23456, 44_100), (3.0, 22_050), (0.7, 48_000)])
def test_take_has_exactly_the_asked_length_at_the_asked_rate(engine: Engine, seconds: float, rate: int) -> None:
    take = engine.render(RenderRequest("marimba and bass, C major, 120 bpm", seconds, rate, seed=3))
    assert take.shape == (round(seconds * rate), 2)
    assert take.dtype == np.float32
    assert float(np.max(np.abs(take))) <= PEAK_LIMIT


def test_a_take_rendered_at_44100_is_in_tune_and_in_time(engine: Engine) -> None:
    # rendered at the rate directly, not resampled: pitch and tempo must not shift with the rate
    take = engine.render(RenderRequest("piano and strings, E minor, 90 bpm", 16.0, 44_100, seed=1))
    assert abs(estimate_tempo(take, 44_100) / 90 - 1) <= 0.04
    assert estimate_key(take, 44_100).name() == "E minor"


@pytest.mark.parametrize(
    ("request_", "match"),
    [
        (RenderRequest("house, 124 bpm", 0.0), r"positive number of seconds, got 0\.0"),
        (RenderRequest("house, 124 bpm", float("nan")), r"positive number of seconds"),
        (RenderRequest("house, 124 bpm", 2.0, sample_rate=4_000), r"sample rate .* 8000 to 192000, got 4000"),
        (RenderRequest("house, 500 bpm", 2.0), r"asks for 500 bpm; .* 20 to 300 bpm"),
    ],
)
def test_impossible_requests_are_usage_errors_that_say_what_to_send(
    engine: Engine, request_: RenderRequest, match: str
) -> None:
    with pytest.raises(UsageError, match=match):
        engine.render(request_)


# ---- seeds --------------------------------------------------------------------------------------------

def test_same_request_gives_the_same_audio(engine: Engine) -> None:
    request = RenderRequest("koto and taiko, japanese, F minor, 116 bpm", 6.0, seed=42)
    assert np.array_equal(engine.render(request), create_engine().render(request))


def test_no_seed_derives_one_from_the_prompt(engine: Engine) -> None:
    first = engine.render(RenderRequest("lofi hip hop with piano, Ab minor, 84 bpm", 5.0))
    again = ProceduralEngine().render(RenderRequest("lofi hip hop with piano, Ab minor, 84 bpm", 5.0))
    other = engine.render(RenderRequest("lofi hip hop with piano, Ab minor, 84 bpm ", 5.0))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_different_seeds_give_different_takes_in_the_same_key_and_tempo(engine: Engine) -> None:
    takes = [engine.render(RenderRequest("marimba and flute, D major, 100 bpm", 12.0, seed=s)) for s in (1, 2)]
    diff = float(np.sqrt(np.mean((takes[0] - takes[1]) ** 2)))
    level = float(np.sqrt(np.mean(takes[0] ** 2)))
    assert diff > 0.3 * level
    for take in takes:
        assert abs(estimate_tempo(take, SR) / 100 - 1) <= 0.04
        assert estimate_key(take, SR).name() == "D major"


# ---- tempi outside 40-240 -----------------------------------------------------------------------------

@pytest.mark.parametrize(("asked", "heard"), [(300, 150), (30, 60)])
def test_tempi_outside_40_to_240_are_written_at_half_or_double_time_on_the_same_grid(
    engine: Engine, asked: float, heard: float
) -> None:
    take = engine.render(RenderRequest(f"drums and bass, A minor, {asked:g} bpm", 16.0, seed=1))
    assert abs(estimate_tempo(take, SR) / heard - 1) <= 0.04


# ---- melody conditioning ------------------------------------------------------------------------------

@pytest.mark.parametrize("prompt", ["flute and strings, 100 bpm", "marimba and taiko, 80 bpm"])
def test_lead_follows_the_conditioning_melody(engine: Engine, prompt: str) -> None:
    rate = 22_050
    clip, other = _melody(rate, 12.0, seed=1), _melody(rate, 12.0, seed=2)
    take = engine.render(RenderRequest(prompt, 12.0, SR, seed=5, melody=clip, melody_rate=rate))
    # chance is about 1 in 12; a different tune in the same scale is the control
    assert _agreement(take, clip, rate) >= 0.5
    assert _agreement(take, other, rate) <= 0.25


def test_melody_without_a_key_in_the_prompt_sets_the_key(engine: Engine) -> None:
    rate = 32_000
    clip = _melody(rate, 12.0, seed=3, tonic=7, tonal=True)
    assert estimate_key(clip, rate).name() == "G major"
    take = engine.render(RenderRequest("piano and bass, 96 bpm", 12.0, SR, seed=1, melody=clip, melody_rate=rate))
    assert estimate_key(take, SR).name() == "G major"


def test_only_the_first_30_seconds_of_a_clip_count(engine: Engine) -> None:
    rate = 16_000
    head = _melody(rate, 30.0, seed=4)
    with_tail = np.concatenate([head, _melody(rate, 10.0, seed=5)])
    with_other_tail = np.concatenate([head, _melody(rate, 10.0, seed=6)])

    def take(clip: np.ndarray) -> np.ndarray:
        # a take longer than 30 s: the engine loops what it heard, so a used tail would show
        return engine.render(RenderRequest("vibraphone and pad, 120 bpm", 34.0, seed=2, melody=clip, melody_rate=rate))

    first = take(with_tail)
    assert np.array_equal(first, take(with_other_tail))
    assert np.array_equal(first, take(head))
    assert not np.array_equal(first, take(head[: 20 * rate]))


@pytest.mark.parametrize(
    ("melody", "rate", "match"),
    [
        (np.zeros(16_000, np.float32), 16_000, r"silent"),
        (np.ones(16_000, np.float32), None, r"needs its sample rate"),
        (np.full(16_000, np.nan, np.float32), 16_000, r"NaN"),
        (np.ones((4, 4, 4), np.float32), 16_000, r"mono samples"),
    ],
)
def test_unusable_clips_are_clip_errors(engine: Engine, melody: np.ndarray, rate: int | None, match: str) -> None:
    with pytest.raises(ClipError, match=match):
        engine.render(RenderRequest("flute, 100 bpm", 2.0, melody=melody, melody_rate=rate))


# ---- what the prompt's words change -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "instrument"),
    [
        ("marimba", "marimba"), ("vibraphone", "vibraphone"), ("sitar", "sitar"), ("koto", "koto"),
        ("flute", "flute"), ("pan flute", "pan_flute"), ("bass", "bass"), ("piano", "piano"),
        ("strings", "strings"), ("pad", "pad"), ("taiko", "taiko"), ("tabla", "tabla"),
        ("percussion", "percussion"), ("drums", "drums"), ("guitar", "guitar"), ("synth", "synth"),
    ],
)
def test_instrument_words_are_recognised(phrase: str, instrument: str) -> None:
    assert parse_prompt(f"a tune with {phrase}, 100 bpm").instruments == (instrument,)


def test_genre_phrases_are_not_read_as_instruments() -> None:
    style = parse_prompt("drum and bass with a pan flute, 174 beats per minute")
    assert style.genre == "dnb"
    assert style.instruments == ("pan_flute",)
    assert style.bpm == 174


def _drum_hits(prompt: str) -> dict[str, list[float]]:
    style = parse_prompt(prompt)
    plan = build_plan(style, style.key or Key(0, False), style.bpm or 120.0)
    hits: dict[str, list[float]] = {}
    for note in build_arrangement(plan, 8.0, seed=1).notes:
        if note.voice in {"kick", "snare", "clap", "hat", "open_hat", "ride", "rim", "shaker", "conga", "bongo", "taiko"}:
            hits.setdefault(note.voice, []).append(note.start)
    return hits


def test_house_is_four_on_the_floor() -> None:
    kicks = _drum_hits("deep house, 120 bpm")["kick"]
    assert np.allclose(kicks, np.arange(16) * 0.5)


def test_classical_has_no_drums_and_ambient_is_sparser_than_energetic_rock() -> None:
    assert _drum_hits("classical piano and strings, 90 bpm") == {}
    ambient = sum(len(v) for v in _drum_hits("calm ambient pad, 90 bpm").values())
    rock = sum(len(v) for v in _drum_hits("energetic rock with drums, 90 bpm").values())
    assert ambient < 0.6 * rock


def test_taiko_and_tabla_bring_tuned_hand_drums() -> None:
    hits = _drum_hits("taiko and tabla, D minor, 100 bpm")
    assert {"taiko", "conga", "bongo"} <= set(hits)


@pytest.mark.parametrize(
    ("prompt", "key"),
    [
        ("dark trap, G#m, 140 bpm", Key(8, True)),
        ("lofi in Ebm with vinyl crackle", Key(3, True)),
        ("a ballad in the key of Ab, 70 bpm", Key(8, False)),
        ("folk tune in the key of f sharp minor", Key(6, True)),
        ("synthwave, F#, 100 bpm", Key(6, False)),
        ("g sharp minor, slow", Key(8, True)),
        ("A dreamy track with a flute", None),
        ("a minimal beat, 120 bpm", None),
    ],
)
def test_keys_are_found_in_shorthand_but_not_in_ordinary_words(prompt: str, key: Key | None) -> None:
    assert parse_prompt(prompt).key == key


def test_a_negative_seed_is_a_usage_error(engine: Engine) -> None:
    with pytest.raises(UsageError, match=r"seed must be a whole number 0 or more, got -1"):
        engine.render(RenderRequest("house, 120 bpm", 1.0, seed=-1))
