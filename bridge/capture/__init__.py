"""Audio capture: a ring buffer of the last minute of an input, cut into takes on bar lines."""

from bridge.capture.device import AudioCapture, BarClock
from bridge.capture.ring import AudioRing

__all__ = ["AudioCapture", "AudioRing", "BarClock"]
