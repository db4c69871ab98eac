from __future__ import annotations

import numpy as np
import pytest

from bridge.capture.ring import AudioRing, RingOverwrittenError


def frames(start: int, count: int, channels: int = 2) -> np.ndarray:
    n = np.arange(start, start + count, dtype=np.float32)
    return np.stack([n, -n], axis=1)[:, :channels]


@pytest.mark.parametrize(
    ("capacity", "blocks"),
    [(10, [3, 3, 3]), (10, [4, 4, 4, 4]), (10, [10, 10]), (10, [7, 9, 1, 5]), (16, [256]), (1000, [256] * 10)],
)
def test_reads_back_exactly_what_was_written(capacity: int, blocks: list[int]) -> None:
    ring = AudioRing(capacity, 2)
    written = 0
    for size in blocks:
        ring.write(frames(written, size))
        written += size
    assert ring.written == written
    assert ring.oldest == max(0, written - capacity)
    np.testing.assert_array_equal(ring.read(ring.oldest, written), frames(ring.oldest, written - ring.oldest))
    np.testing.assert_array_equal(ring.read(written - 1, written), frames(written - 1, 1))


def test_out_of_range_reads_fail() -> None:
    ring = AudioRing(8, 1)
    ring.write(frames(0, 12, 1))
    with pytest.raises(RingOverwrittenError, match="older than the ring holds"):
        ring.read(3, 10)
    with pytest.raises(RingOverwrittenError, match="not written yet"):
        ring.read(10, 13)
    with pytest.raises(ValueError):
        ring.read(10, 9)
    assert ring.read(12, 12).shape == (0, 1)


def test_write_does_not_allocate_ring_storage() -> None:
    ring = AudioRing(64, 2)
    storage = ring._buffer
    for i in range(20):
        ring.write(frames(i * 17, 17))
    assert ring._buffer is storage
