"""Render time of the procedural engine: 30 s of stereo at 32 kHz, median of several runs.

Run with ``.venv/bin/python tests/bench/bench_render.py [runs]``; not a pytest
module (pytest collects only ``test_*.py``). The bar is under 1 s per 30 s
take on one core, that is a real-time factor above 30.
"""

from __future__ import annotations

import statistics
import sys
import time

from bridge.engine import RenderRequest, create_engine

SECONDS = 30.0
SAMPLE_RATE = 32_000
PROMPTS = (
    "deep house groove with piano stabs and a warm pad, G# minor, 124 bpm",
    "ambient pad with a slow flute melody, calm, Eb major, 60 bpm",
    "sitar and tabla, indian meditation, C# minor, 40 bpm",
    "drum and bass with a dark synth lead, F minor, 174 bpm",
    "classical strings and piano, no drums, F# major, 66 bpm",
)


def main(runs: int = 5) -> None:
    engine = create_engine()
    engine.render(RenderRequest(PROMPTS[0], 1.0, SAMPLE_RATE))  # imports and caches warmed
    print(f"{SECONDS:g} s stereo at {SAMPLE_RATE} Hz, median of {runs} runs")
    medians = []
    for seed, prompt in enumerate(PROMPTS):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            engine.render(RenderRequest(prompt, SECONDS, SAMPLE_RATE, seed=seed))
            times.append(time.perf_counter() - started)
        median = statistics.median(times)
        medians.append(median)
        print(f"  {median:6.3f} s  real-time x{SECONDS / median:5.1f}  {prompt}")
    worst = max(medians)
    print(f"overall median {statistics.median(medians):.3f} s, worst {worst:.3f} s "
          f"(real-time x{SECONDS / worst:.1f}); bar: under 1 s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
