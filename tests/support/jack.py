"""A real JACK server for the live tests, and the second processes that play into it.

``jack_server`` (session fixture, registered by ``tests/live/conftest.py``)
starts ``jackd --no-realtime -d dummy -r 48000 -p 256`` unless a server already
runs, waits for ``jack_lsp`` to answer, sets ``JACK_NO_START_SERVER=1`` so no
client silently starts a second one, and stops the server it started by its PID.
Without jackd the tests that need it skip, except with ``CI=true``: there
they fail, so CI cannot pass by skipping.

Run as a script this file is the "second process" (so messages really cross
process boundaries through the JACK server)::

    python tests/support/jack.py send --to "MusicGen Bridge" F07D4D4701...F7 903C64 ...
    python tests/support/jack.py clock --to "MusicGen Bridge" --bpm 120 --ticks 240
    python tests/support/jack.py play --midi-to "MusicGen Bridge" --audio-to A B --bpm 120
    (then a line "restart" on its stdin sends MIDI Start again and prints "start <frame>")

``play`` is a JACK client (JACK-Client package) that writes a known signal to
its audio outputs and MIDI clock to its MIDI output from the same process
callback, so audio frames and clock ticks share one sample-exact time line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass

RATE = 48000
PERIOD = 256
#: the known signal: sample n of channel c is ((n * MULT[c]) mod 2**24 - 2**23) / 2**23, exact in float32
MULT = (7919, 104729)
_MOD = 1 << 24
_HALF = 1 << 23


@dataclass(frozen=True)
class JackServer:
    rate: int
    period: int
    #: the jackd we started; None when one was already running
    pid: int | None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def _server_answers() -> bool:
    env = {**os.environ, "JACK_NO_START_SERVER": "1"}
    try:
        done = subprocess.run(["jack_lsp"], env=env, capture_output=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def start_jack_server() -> Iterator[JackServer]:
    """Generator behind the fixture: yields the server, then stops the one it started."""
    import pytest

    if shutil.which("jackd") is None or shutil.which("jack_lsp") is None:
        message = "jackd is not installed: apt-get install -y --no-install-recommends jackd2 libportaudio2"
        if in_ci():
            pytest.fail(f"CI=true but {message}", pytrace=False)
        pytest.skip(message)
    os.environ["JACK_NO_START_SERVER"] = "1"
    if _server_answers():
        yield JackServer(RATE, PERIOD, None)
        return
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        ["jackd", "--no-realtime", "-d", "dummy", "-r", str(RATE), "-p", str(PERIOD)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 5.0
    while not _server_answers():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(5)
            log.seek(0)
            output = log.read().decode(errors="replace")
            log.close()
            pytest.fail(f"jackd did not come up within 5 s: {output[-500:]}", pytrace=False)
        time.sleep(0.05)
    try:
        yield JackServer(RATE, PERIOD, process.pid)
    finally:
        if "sounddevice" in sys.modules:
            # PortAudio's JACK host API asserts at exit if the server went away under it
            sys.modules["sounddevice"]._terminate()
        log.close()
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)


def reload_portaudio() -> None:
    """Make PortAudio enumerate again: it lists JACK only if jackd ran when it initialised."""
    import sounddevice as sd

    sd._terminate()
    sd._initialize()


def jack_input_device() -> int:
    """The index of PortAudio's JACK input device (JACK's ``system`` ports)."""
    import sounddevice as sd

    for index, api in enumerate(sd.query_hostapis()):
        if "JACK" in api["name"] and api["default_input_device"] >= 0:
            return int(api["default_input_device"])
        del index
    raise LookupError("PortAudio sees no JACK input device")


def signal_value(frame: int, channel: int) -> float:
    return (((frame * MULT[channel]) % _MOD) - _HALF) / _HALF


def signal_frames(values: object, channel: int = 0) -> object:
    """Invert :func:`signal_value` on a numpy array: the player's frame number of each sample (mod 2**24)."""
    import numpy as np

    k = (np.round(np.asarray(values, dtype=np.float64) * _HALF).astype(np.int64) + _HALF) % _MOD
    inverse = pow(MULT[channel], -1, _MOD)
    return (k * inverse) % _MOD


def python_command(*args: str) -> list[str]:
    return [sys.executable, os.path.abspath(__file__), *args]


# -- the second process -----------------------------------------------------------


def _backend() -> object:
    import mido

    return mido.Backend("mido.backends.rtmidi/UNIX_JACK", load=True)


def _find(names: list[str], wanted: str) -> str:
    found = [n for n in names if wanted in n]
    if not found:
        raise SystemExit(f"no JACK MIDI port containing {wanted!r} in {names}")
    return found[0]


def _send(args: argparse.Namespace) -> None:
    import mido

    backend = _backend()
    if args.virtual:
        port = backend.open_output(args.virtual, virtual=True, client_name=args.virtual)  # type: ignore[attr-defined]
        print("ready", flush=True)
        sys.stdin.readline()  # the test connects to us, then says go
    else:
        port = backend.open_output(_find(backend.get_output_names(), args.to))  # type: ignore[attr-defined]
        time.sleep(0.1)  # rtmidi JACK connects the port asynchronously
    for text in args.messages:
        port.send(mido.Message.from_bytes(bytes.fromhex(text)))
        time.sleep(args.gap)
    time.sleep(0.1)  # let the last message leave before the port closes
    port.close()


def _clock(args: argparse.Namespace) -> None:
    import mido

    backend = _backend()
    port = backend.open_output(_find(backend.get_output_names(), args.to))  # type: ignore[attr-defined]
    time.sleep(0.1)
    tick = mido.Message("clock")
    if args.start:
        port.send(mido.Message("start"))
    t0 = time.monotonic() + 0.01
    for when in tick_times(args.bpm, args.ticks, args.drift):
        pause = t0 + when - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        port.send(tick)
    print(f"sent {args.ticks}", flush=True)
    time.sleep(0.05)
    port.close()


def tick_times(bpm: float, ticks: int, drift: float = 0.0) -> list[float]:
    """Ideal tick times from 0: steady at ``bpm``, or ramping linearly (in ticks) to ``bpm + drift``."""
    times, total = [], 0.0
    for j in range(ticks):
        times.append(total)
        total += 60.0 / (24 * (bpm + drift * j / max(1, ticks)))
    return times


def _play(args: argparse.Namespace) -> None:
    import jack
    import numpy as np

    client = jack.Client("signal-player", no_start_server=True)
    outs = [client.outports.register(f"out_{c + 1}") for c in range(2)]
    midi = client.midi_outports.register("clock")
    frames_per_tick = RATE * 60.0 / (24 * args.bpm)
    state = {"n": 0, "start": -1, "next_tick": 0, "restart": 0}
    base = np.arange(client.blocksize, dtype=np.int64)

    @client.set_process_callback
    def process(frames: int) -> None:
        n = state["n"]
        idx = base[:frames] + n
        for c, port in enumerate(outs):
            port.get_array()[:] = (((idx * MULT[c]) % _MOD) - _HALF).astype(np.float32) / np.float32(_HALF)
        midi.clear_buffer()
        if state["restart"]:
            # the test asked for Start again (a musician pressing play): a fresh clock from this period on
            state["restart"], state["start"], state["next_tick"] = 0, -1, 0
        start = state["start"]
        if start < 0 and n >= args.start_after * RATE:
            start = state["start"] = n + frames // 2
            midi.write_midi_event(start - n, b"\xfa")
        if start >= 0:
            while True:
                at = start + round(state["next_tick"] * frames_per_tick)
                if at >= n + frames:
                    break
                midi.write_midi_event(at - n, b"\xf8")
                state["next_tick"] += 1
        state["n"] = n + frames

    with client:
        for port, target in zip(outs, args.audio_to):
            client.connect(port, target)
        client.connect(midi, _find([p.name for p in client.get_ports(is_midi=True, is_input=True)], args.midi_to))
        while state["start"] < 0:
            time.sleep(0.01)
        print(f"start {state['start']}", flush=True)
        # run until the test closes our stdin; "restart" sends Start again and prints the new start frame
        for line in sys.stdin:
            if line.strip() == "restart":
                state["restart"] = 1
                while state["restart"] or state["start"] < 0:
                    time.sleep(0.005)
                print(f"start {state['start']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    send = sub.add_parser("send")
    send.add_argument("--to", default="MusicGen Bridge")
    send.add_argument("--virtual")
    send.add_argument("--gap", type=float, default=0.01)
    send.add_argument("messages", nargs="*")
    clock = sub.add_parser("clock")
    clock.add_argument("--to", default="MusicGen Bridge")
    clock.add_argument("--bpm", type=float, default=120.0)
    clock.add_argument("--drift", type=float, default=0.0)
    clock.add_argument("--ticks", type=int, default=240)
    clock.add_argument("--start", action="store_true")
    play = sub.add_parser("play")
    play.add_argument("--midi-to", required=True)
    play.add_argument("--audio-to", nargs=2, required=True)
    play.add_argument("--bpm", type=float, default=120.0)
    play.add_argument("--start-after", type=float, default=0.3)
    args = parser.parse_args()
    {"send": _send, "clock": _clock, "play": _play}[args.mode](args)


if __name__ == "__main__":
    # run as a script, this file's folder comes first on sys.path and "import jack" would import this file
    sys.path = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
    main()
