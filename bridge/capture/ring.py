"""A preallocated ring of the last N seconds of audio: one writer (the audio callback), any number of readers.

The writer never allocates or locks: a block is copied into at most two slices
of a numpy array made once, then the frame counter moves on. A reader copies a
range out and then checks the counter again; if the writer lapped the range
while it copied, the copy is torn and the read fails rather than returning a
mix of old and new audio. The counter is a Python int set with one store, which
the GIL makes atomic for the reader.
"""

from __future__ import annotations

import numpy as np

__all__ = ["AudioRing", "RingOverwrittenError"]


class RingOverwrittenError(LookupError):
    """The asked-for frames are no longer (or not yet) in the ring."""


class AudioRing:
    def __init__(self, frames: int, channels: int, dtype: type = np.float32) -> None:
        if frames <= 0 or channels <= 0:
            raise ValueError(f"a ring needs frames > 0 and channels > 0, got {frames} x {channels}")
        self._buffer = np.zeros((frames, channels), dtype=dtype)
        self.capacity = frames
        self.channels = channels
        #: frames written since the start: the absolute frame number of the next frame
        self.written = 0

    def write(self, block: np.ndarray) -> None:
        """Copy ``block`` (frames x channels) in; called from the audio callback only."""
        count = block.shape[0]
        if count > self.capacity:
            # a block larger than the ring keeps only its newest frames
            block = block[count - self.capacity :]
            self.written += count - self.capacity
            count = self.capacity
        start = self.written % self.capacity
        first = min(count, self.capacity - start)
        self._buffer[start : start + first] = block[:first]
        if first < count:
            self._buffer[: count - first] = block[first:]
        self.written += count

    @property
    def oldest(self) -> int:
        """The absolute frame number of the oldest frame still held."""
        return max(0, self.written - self.capacity)

    def read(self, start: int, stop: int) -> np.ndarray:
        """A copy of absolute frames ``start`` .. ``stop`` (exclusive)."""
        if stop < start:
            raise ValueError(f"read range ends before it starts: {start}..{stop}")
        if stop > self.written:
            raise RingOverwrittenError(f"frames up to {stop} are not written yet (written: {self.written})")
        if start < self.oldest:
            raise RingOverwrittenError(
                f"frame {start} is older than the ring holds (oldest: {self.oldest}, {self.capacity} frames)"
            )
        count = stop - start
        out = np.empty((count, self.channels), dtype=self._buffer.dtype)
        begin = start % self.capacity
        first = min(count, self.capacity - begin)
        out[:first] = self._buffer[begin : begin + first]
        if first < count:
            out[first:] = self._buffer[: count - first]
        if start < self.written - self.capacity:
            # the writer lapped us while we copied
            raise RingOverwrittenError(f"frames from {start} were overwritten while being read")
        return out
