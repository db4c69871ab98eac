"""The one exception tree of musicgen-bridge.

Every error the bridge raises on purpose is a :class:`BridgeError`. Each class
carries a stable wire ``code``: the string a host sees in ``/musicgen/error``
and ``/musicgen/job/error``, the CLI prints, and the journal stores. Codes never
change once released; new failures get new classes.

    BridgeError                      BRIDGE_ERROR
    ├── ConfigError                  CONFIG
    ├── UsageError                   BAD_ARGUMENT   (a value from a user or host is wrong)
    │   ├── UnknownAddressError      UNKNOWN_ADDRESS
    │   ├── MalformedDatagramError   MALFORMED      (a datagram that is not OSC)
    │   └── SysexError               BAD_SYSEX      (a bridge SysEx message that cannot be read)
    ├── ClipError                    BAD_CLIP       (conditioning clip missing/unreadable/not audio)
    ├── BusyError                    BUSY           (the job queue is full)
    ├── CancelledError               CANCELLED
    ├── StorageError                 STORAGE        (output folder not writable, disk full)
    ├── MidiError                    MIDI
    ├── AudioDeviceError             AUDIO_DEVICE
    ├── PortInUseError               PORT_IN_USE
    └── EndpointError                UPSTREAM       (anything the Music Gen endpoint did)
        ├── AuthError                AUTH
        ├── QuotaError               QUOTA
        ├── RateLimitedError         RATE_LIMITED
        ├── BadRequestError          BAD_REQUEST
        ├── UpstreamTimeoutError     UPSTREAM_TIMEOUT
        └── BadAudioError            BAD_AUDIO

Messages say what failed, the value seen, and what to do. They never contain
the API key: :func:`redact` is applied to every message on construction.
"""

from __future__ import annotations

import re
import threading

__all__ = [
    "AudioDeviceError",
    "AuthError",
    "BadAudioError",
    "BadRequestError",
    "BridgeError",
    "BusyError",
    "CancelledError",
    "ClipError",
    "ConfigError",
    "EndpointError",
    "MalformedDatagramError",
    "MidiError",
    "PortInUseError",
    "QuotaError",
    "RateLimitedError",
    "StorageError",
    "SysexError",
    "UnknownAddressError",
    "UpstreamTimeoutError",
    "UsageError",
    "register_secret",
    "redact",
]

_secrets_lock = threading.Lock()
_secrets: set[str] = set()
_REDACTED = "***"


def register_secret(secret: str | None) -> None:
    """Remember a secret (the API key) so that no error message can carry it."""
    if secret and len(secret) >= 4:
        with _secrets_lock:
            _secrets.add(secret)


def redact(text: str) -> str:
    """Replace every registered secret, and anything shaped like ``key=...``, with ``***``."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, _REDACTED)
    # a key can also arrive inside an echoed URL or JSON body from the vendor
    return re.sub(r'(?i)("key"\s*:\s*"|[?&]key=)[^"&\s]+', r"\1" + _REDACTED, text)


class BridgeError(Exception):
    """Root of every error the bridge raises on purpose."""

    code = "BRIDGE_ERROR"
    #: whether trying the same thing again later may succeed
    retryable = False

    def __init__(self, message: str) -> None:
        self.message = redact(message)
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ConfigError(BridgeError):
    """A setting in a file, the environment or a flag is wrong."""

    code = "CONFIG"


class UsageError(BridgeError, ValueError):
    """A value sent by a user or a host is wrong; the message says what to send instead."""

    code = "BAD_ARGUMENT"


class UnknownAddressError(UsageError):
    code = "UNKNOWN_ADDRESS"


class SysexError(UsageError):
    """A SysEx message with the bridge's header that cannot be read."""

    code = "BAD_SYSEX"


class MalformedDatagramError(UsageError):
    """A datagram that is not OSC (a truncated packet, a stray HTTP request)."""

    code = "MALFORMED"


class ClipError(UsageError):
    """The conditioning clip is missing, unreadable, too large or not audio."""

    code = "BAD_CLIP"


class BusyError(BridgeError):
    code = "BUSY"
    retryable = True


class CancelledError(BridgeError):
    code = "CANCELLED"


class StorageError(BridgeError, OSError):
    """The output, journal or captures folder cannot be written (permissions, disk full)."""

    code = "STORAGE"
    retryable = True


class MidiError(BridgeError, OSError):
    code = "MIDI"


class AudioDeviceError(BridgeError, OSError):
    code = "AUDIO_DEVICE"


class PortInUseError(BridgeError, OSError):
    code = "PORT_IN_USE"


class EndpointError(BridgeError):
    """The Music Gen endpoint failed or answered something we cannot use."""

    code = "UPSTREAM"
    retryable = True

    def __init__(self, message: str, *, endpoint_id: str | None = None) -> None:
        super().__init__(message)
        #: the endpoint's generation id, when it had accepted the request: resume by polling it
        self.endpoint_id = endpoint_id


class AuthError(EndpointError):
    code = "AUTH"
    retryable = False


class QuotaError(EndpointError):
    code = "QUOTA"
    retryable = False


class RateLimitedError(EndpointError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: float | None = None, endpoint_id: str | None = None) -> None:
        super().__init__(message, endpoint_id=endpoint_id)
        self.retry_after = retry_after


class BadRequestError(EndpointError, UsageError):
    code = "BAD_REQUEST"
    retryable = False


class UpstreamTimeoutError(EndpointError):
    code = "UPSTREAM_TIMEOUT"


class BadAudioError(EndpointError):
    code = "BAD_AUDIO"
