"""How much time does EndpointClient itself add to a generation? Run: ``.venv/bin/python tests/bench/bench_client.py``.

A local VendorServer answers at once (success + a tiny WAV), so what is left is
the client's own work: building the payload, parsing, the temporary file,
libsndfile's check, the rename. Printed beside the same requests done bare.
Not collected by pytest (the file name does not start with ``test_``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

# a script, not a test: make tests/support importable the way pytest does for the test packages
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support.vendor_server import VendorServer, make_wav_bytes, success  # noqa: E402

from bridge.core.request import EndpointRequest  # noqa: E402
from bridge.endpoint import EndpointClient, EndpointSettings  # noqa: E402

REQUEST = EndpointRequest(prompt="marimba, tropical house, 96 bpm", duration=30, output_format="wav", sampling_rate=32000)


def measure(run: Callable[[int], None], n: int, warmup: int = 20) -> list[float]:
    for i in range(warmup):
        run(i)
    times = []
    for i in range(n):
        started = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - started)
    return times


def p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=500, help="generations per row (default 500)")
    parser.add_argument("--seconds", type=float, default=0.1, help="length of the served WAV (default 0.1 s)")
    args = parser.parse_args()

    with VendorServer() as server, tempfile.TemporaryDirectory() as tmp:
        wav = make_wav_bytes(args.seconds, 32_000)
        link = server.add_file("take.wav", wav)
        server.script_generate(then=success(310815, output=[link]))
        dest = Path(tmp)
        payload = REQUEST.to_payload("bench-key")

        def bare_post(_: int) -> None:
            requests.post(f"{server.url}/music_gen", json=payload, timeout=(10, 120)).json()

        session = requests.Session()

        def session_post_get(i: int) -> None:
            # the same two requests with keep-alive and a plain write: what any client must do
            body = session.post(f"{server.url}/music_gen", json=payload, timeout=(10, 120)).json()
            data = session.get(body["output"][0], timeout=(10, 120)).content
            (dest / f"bare-{i}.wav").write_bytes(data)

        client = EndpointClient(EndpointSettings(base_url=server.url, api_key="bench-key"))

        def ours(i: int) -> None:
            sub = client.submit(REQUEST)
            client.download(sub.links, dest, "wav", endpoint_id=sub.endpoint_id, filename=f"ours-{i}.wav")

        rows = [
            ("bare requests.post (new connection each)", measure(bare_post, args.n)),
            ("bare session post + get + write", measure(session_post_get, args.n)),
            ("EndpointClient submit + download", measure(ours, args.n)),
        ]
        client.close()
        session.close()

    print(f"{args.n} generations each, WAV of {len(wav)} bytes, server on loopback answering at once")
    print(f"{'':44} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, times in rows:
        print(f"{name:44} {p(times, 0.5):8.3f} {p(times, 0.99):8.3f} {statistics.fmean(times) * 1000:8.3f}")
    base_post, base_pair, mine = (p(t, 0.5) for _, t in rows)
    print(f"ratio p50 client / bare requests.post:        {mine / base_post:5.2f}x")
    print(f"ratio p50 client / bare session post+get:     {mine / base_pair:5.2f}x")
    print(f"client overhead over bare post+get, p50:      {mine - base_pair:6.3f} ms per generation")


if __name__ == "__main__":
    main()
