"""The pure job model: snapshots, seeds, ids, stage machine, journal form of a spec."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bridge.core.jobs import (
    JobIdFactory,
    StickyState,
    build_specs,
    check_transition,
    spec_from_dict,
    spec_to_dict,
    variation_seeds,
)
from bridge.core.music import Key
from bridge.core.progress import Stage
from bridge.core.request import GenerationSpec
from bridge.core.tempo import TempoInfo
from bridge.errors import UsageError

RNG = random.Random(3)


def test_overrides_beat_host_tempo_which_beats_sticky() -> None:
    state = StickyState(prompt="p", bpm=100.0, key=Key(0, False), beats_per_bar=4, seed=1)
    host = TempoInfo(bpm=120.0, beats_per_bar=3, key=Key(2, True), source="ableton")
    (spec,) = build_specs(state, {"bpm": 140.0}, host, RNG)
    assert (spec.bpm, spec.beats_per_bar, spec.key, spec.seed) == (140.0, 3, Key(2, True), 1)
    (spec,) = build_specs(state, {}, TempoInfo(source="ableton"), RNG)
    assert spec.bpm == 100.0 and spec.key == Key(0, False)


def test_bars_win_over_seconds() -> None:
    (spec,) = build_specs(StickyState(prompt="p", bpm=120.0, bars=4.0, seconds=30.0), {}, None, RNG)
    assert spec.seconds is None and spec.target_seconds == pytest.approx(8.0)


@pytest.mark.parametrize(
    ("state", "overrides", "message"),
    [
        (StickyState(), {}, "no prompt: send /musicgen/set/prompt"),
        (StickyState(prompt="p", bars=4.0), {}, "bars need a tempo"),
        (StickyState(prompt="p"), {"colour": 1}, "cannot override colour"),
    ],
)
def test_bad_snapshots(state: StickyState, overrides: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        build_specs(state, overrides, None, RNG)


def test_variations_have_distinct_seeds() -> None:
    assert variation_seeds(10, 3, RNG) == [10, 11, 12]
    seeds = variation_seeds(None, 8, random.Random(0))
    assert len(set(seeds)) == 8 and all(0 <= s < 2**31 for s in seeds)
    specs = build_specs(StickyState(prompt="p", variations=4), {}, None, RNG)
    assert len({spec.seed for spec in specs}) == 4
    with pytest.raises(UsageError, match="1 to 8"):
        variation_seeds(None, 9, RNG)


def test_job_ids_are_short_unique_and_sortable() -> None:
    ids = JobIdFactory()
    made = [ids.next(1_700_000_000_000) for _ in range(50)] + [ids.next(1_600_000_000_000)]
    assert len(set(made)) == len(made)
    assert made == sorted(made)
    assert all(len(i) == 10 for i in made)
    # a restart continues after the newest id in the journal, even with the clock behind it
    again = JobIdFactory(after=made[-1]).next(1_500_000_000_000)
    assert again > made[-1]


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        (Stage.QUEUED, Stage.PREPARING, True),
        (Stage.PREPARING, Stage.GENERATING, True),
        (Stage.GENERATING, Stage.SUBMITTING, False),
        (Stage.DOWNLOADING, Stage.DONE, True),
        (Stage.QUEUED, Stage.CANCELLED, True),
        (Stage.DONE, Stage.FAILED, False),
        (Stage.CANCELLED, Stage.GENERATING, False),
    ],
)
def test_stage_machine(current: Stage, new: Stage, allowed: bool) -> None:
    assert check_transition(current, new) is allowed


def test_spec_round_trips_through_the_journal_form() -> None:
    spec = GenerationSpec("p", Key(8, True), 96.0, 4.0, 3, None, 42, Path("/a/b.wav"))
    assert spec_from_dict(spec_to_dict(spec)) == spec
    assert spec_from_dict(spec_to_dict(GenerationSpec("q"))) == GenerationSpec("q")
