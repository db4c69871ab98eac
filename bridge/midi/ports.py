"""Choosing the MIDI system (mido on python-rtmidi) and listing ports and audio devices.

The rtmidi API is chosen by our short names or, with none given, by mido's own
``MIDO_BACKEND`` environment variable (``mido.backends.rtmidi/UNIX_JACK``).
rtmidi has no fallback from one API to another: on a machine without an ALSA
sequencer (``/dev/snd/seq``) the ALSA API fails and only ``jack`` works.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import mido

from bridge.errors import MidiError

__all__ = ["MIDI_APIS", "api_label", "list_ports", "open_backend"]

log = logging.getLogger(__name__)

#: our --midi-api names -> rtmidi's API names as mido spells them
MIDI_APIS: dict[str, str] = {
    "alsa": "LINUX_ALSA",
    "jack": "UNIX_JACK",
    "coremidi": "MACOSX_CORE",
    "windows_mm": "WINDOWS_MM",
}
_RTMIDI = "mido.backends.rtmidi"
FIX_HINT = "try --midi-api jack (with jackd running) or run with --no-midi"


def open_backend(api: str | None = None) -> mido.Backend:
    """The mido backend for ``api`` (``alsa``, ``jack``, ``coremidi``, ``windows_mm``), else ``MIDO_BACKEND``'s."""
    if api is None:
        backend = mido.Backend(use_environ=True)
    else:
        rt_api = MIDI_APIS.get(api.lower())
        if rt_api is None:
            raise MidiError(f"unknown MIDI API {api!r}: use one of {', '.join(MIDI_APIS)}, or --no-midi")
        backend = mido.Backend(f"{_RTMIDI}/{rt_api}")
    try:
        backend.load()
    except ImportError as exc:
        raise MidiError(f"cannot load the MIDI backend {backend.name!r}: {exc}; install python-rtmidi, or run with --no-midi") from exc
    if backend.api:
        compiled = backend.module.get_api_names()
        if backend.api not in compiled:
            raise MidiError(
                f"this python-rtmidi has no {backend.api} support (it has {', '.join(compiled) or 'none'}); {FIX_HINT}"
            )
    return backend


def api_label(api: str | None) -> str:
    if api:
        return api
    return os.environ.get("MIDO_BACKEND") or "default (alsa on Linux)"


def list_ports(api: str | None = None) -> dict[str, Any]:
    """MIDI inputs and outputs of ``api`` and the audio devices PortAudio sees, for ``musicgen-bridge ports``.

    Failures are reported in ``midi_error``/``audio_error`` instead of raised: the
    listing is how a user finds out what is wrong.
    """
    result: dict[str, Any] = {
        "midi_api": api_label(api),
        "midi_inputs": [],
        "midi_outputs": [],
        "midi_error": None,
        "audio_inputs": [],
        "audio_outputs": [],
        "audio_error": None,
    }
    try:
        backend = open_backend(api)
        result["midi_inputs"] = list(backend.get_input_names())
        result["midi_outputs"] = list(backend.get_output_names())
    except MidiError as exc:
        result["midi_error"] = exc.message
    except OSError as exc:  # rtmidi's SystemError: no ALSA sequencer, no JACK server
        result["midi_error"] = f"MIDI ({api_label(api)}) unavailable: {exc}; {FIX_HINT}"
    try:
        import sounddevice as sd
    except (OSError, ImportError) as exc:  # OSError: libportaudio2 is not installed
        result["audio_error"] = f"audio devices unavailable: {exc}; install libportaudio2"
        return result
    try:
        hostapis = sd.query_hostapis()
        devices = sd.query_devices()
    except sd.PortAudioError as exc:
        result["audio_error"] = f"audio devices unavailable: {exc}"
        return result
    for device in devices:
        entry = {
            "index": device["index"],
            "name": device["name"],
            "hostapi": hostapis[device["hostapi"]]["name"],
            "rate": int(device["default_samplerate"]),
        }
        if device["max_input_channels"] > 0:
            result["audio_inputs"].append({**entry, "channels": device["max_input_channels"]})
        if device["max_output_channels"] > 0:
            result["audio_outputs"].append({**entry, "channels": device["max_output_channels"]})
    return result
