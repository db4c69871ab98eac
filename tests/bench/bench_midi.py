"""MIDI note in -> Command handed to the sink, beside a bare rtmidi callback, on the same JACK server.

    jackd --no-realtime -d dummy -r 48000 -p 256 &   # or any running JACK server
    JACK_NO_START_SERVER=1 .venv/bin/python tests/bench/bench_midi.py [notes]

One output port (mido, JACK API) sends a note; the time from just before
``send()`` to the sink call (bridge) or to rtmidi's callback (bare) is measured,
one note at a time. Both include JACK's delivery, which waits for the next
process cycle (up to one 5.3 ms period), so the difference is the bridge's own cost.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import mido  # noqa: E402
import rtmidi  # noqa: E402

from bridge.midi import MidiInput  # noqa: E402


def measure(port_name: str, arrived: threading.Event, stamp: list[float], notes: int) -> np.ndarray:
    backend = mido.Backend("mido.backends.rtmidi/UNIX_JACK", load=True)
    target = next(n for n in backend.get_output_names() if port_name in n)
    out = backend.open_output(target)
    time.sleep(0.2)
    note = mido.Message("note_on", note=60, velocity=100)
    latencies = []
    for _ in range(notes):
        arrived.clear()
        sent = time.monotonic()
        out.send(note)
        if not arrived.wait(1.0):
            raise SystemExit("a note did not arrive")
        latencies.append(stamp[0] - sent)
        time.sleep(0.003 + 0.004 * np.random.random())  # spread the sends over the JACK period
    out.close()
    return np.array(latencies) * 1000


def main() -> None:
    os.environ.setdefault("JACK_NO_START_SERVER", "1")
    notes = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    arrived, stamp = threading.Event(), [0.0]

    def sink(command: object) -> None:
        stamp[0] = time.monotonic()
        arrived.set()

    bridge = MidiInput(sink, api="jack", virtual_name="Bench Bridge")
    bridge.start()
    bridge_ms = measure("Bench Bridge", arrived, stamp, notes)
    bridge.close()

    bare = rtmidi.MidiIn(rtapi=rtmidi.API_UNIX_JACK, name="Bench Bare")

    def callback(event: object, data: object) -> None:
        stamp[0] = time.monotonic()
        arrived.set()

    bare.set_callback(callback)
    bare.open_virtual_port("Bench Bare")
    bare_ms = measure("Bench Bare", arrived, stamp, notes)
    bare.close_port()

    print(f"{'path':34} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}   ({notes} notes, JACK)")
    for name, values in (("bare rtmidi callback", bare_ms), ("bridge: note -> Generate in sink", bridge_ms)):
        print(f"{name:34} {np.percentile(values, 50):8.3f} {np.percentile(values, 99):8.3f} {values.max():8.3f}")


if __name__ == "__main__":
    main()
