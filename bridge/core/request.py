"""What a musician asks for, and the vendor request built from it. Pure: no I/O.

A :class:`GenerationSpec` is the musician's side (prompt, key, tempo, length,
seed, conditioning clip). :func:`build_request` turns it into an
:class:`EndpointRequest`, the vendor's fields, validated in full before anything
is sent: an out-of-range value is a :class:`UsageError`, never a silent clamp.

The vendor has two field sets. ``tokens`` (the original docs): ``sampling_rate``
and ``max_new_token`` (256 to 1024). ``duration`` (added March 2026):
``duration`` (30 to 480 s), ``output_format`` and ``bitrate``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from bridge.core.music import (
    Key,
    bars_to_seconds,
    find_bpm_in_prompt,
    find_key_in_prompt,
    seconds_to_tokens,
    tokens_to_seconds,
)
from bridge.errors import UsageError

__all__ = [
    "API_FIELD_SETS",
    "BITRATES",
    "DURATION_RANGE",
    "MAX_CLIP_SECONDS",
    "OUTPUT_FORMATS",
    "PROMPT_MAX_CHARS",
    "TOKEN_RANGE",
    "EndpointRequest",
    "GenerationSpec",
    "RequestOptions",
    "build_request",
    "style_prompt",
]

ApiFields = Literal["tokens", "duration"]
API_FIELD_SETS: tuple[str, ...] = ("duration", "tokens")
TOKEN_RANGE = (256, 1024)
DURATION_RANGE = (30, 480)
SAMPLING_RATE_MIN = 10_000
SAMPLING_RATE_MAX = 192_000
OUTPUT_FORMATS = ("wav", "mp3", "flac")
BITRATES = ("128k", "192k", "320k")
#: the endpoint conditions on at most 30 s of melody
MAX_CLIP_SECONDS = 30.0
PROMPT_MAX_CHARS = 2000
#: the length asked of a tokens-style endpoint when the musician gave none (10 s)
DEFAULT_TOKENS = 500
SEED_MAX = 2**32 - 1


@dataclass(frozen=True, slots=True)
class GenerationSpec:
    """One take as the musician asked for it. Snapshotted at trigger time."""

    prompt: str
    key: Key | None = None
    bpm: float | None = None
    bars: float | None = None
    beats_per_bar: int = 4
    seconds: float | None = None
    seed: int | None = None
    clip: Path | None = None

    def replace(self, **changes: Any) -> GenerationSpec:
        return dataclasses.replace(self, **changes)

    @property
    def loop_seconds(self) -> float | None:
        """The exact length a bar-based take must have; ``None`` when no bars (or no tempo) were given."""
        if self.bars is None or self.bpm is None:
            return None
        return bars_to_seconds(self.bars, self.bpm, self.beats_per_bar)

    @property
    def target_seconds(self) -> float | None:
        """How long the take should be (bars win over seconds); ``None``: as long as the endpoint makes it."""
        loop = self.loop_seconds
        return loop if loop is not None else self.seconds


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """The endpoint-side settings that shape a request (from config)."""

    fields: ApiFields = "duration"
    sampling_rate: int = 32_000
    output_format: str = "wav"
    bitrate: str | None = None
    temp: bool = False
    webhook: str | None = None
    track_id: int | None = None


@dataclass(frozen=True, slots=True)
class EndpointRequest:
    """The vendor's fields, validated. ``init_audio`` is a URL or a ``data:audio/wav;base64,`` URI."""

    prompt: str
    fields: ApiFields = "duration"
    init_audio: str | None = None
    base64: bool = False
    sampling_rate: int | None = None
    max_new_token: int | None = None
    duration: int | None = None
    output_format: str | None = None
    bitrate: str | None = None
    temp: bool = False
    webhook: str | None = None
    track_id: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def expected_format(self) -> str:
        """The container the finished file must decode as."""
        return self.output_format or "wav"

    @property
    def seconds(self) -> float:
        if self.duration is not None:
            return float(self.duration)
        return tokens_to_seconds(self.max_new_token or TOKEN_RANGE[0])

    def to_payload(self, api_key: str | None) -> dict[str, Any]:
        """The JSON body for POST .../music_gen. The key goes in here and nowhere else."""
        body: dict[str, Any] = {"key": api_key or "", "prompt": self.prompt}
        if self.init_audio is not None:
            body["init_audio"] = self.init_audio
        body["base64"] = self.base64
        body["temp"] = self.temp
        if self.fields == "tokens":
            body["sampling_rate"] = self.sampling_rate
            body["max_new_token"] = self.max_new_token
        else:
            body["duration"] = self.duration
            body["output_format"] = self.output_format
            if self.bitrate is not None:
                body["bitrate"] = self.bitrate
            if self.sampling_rate is not None:
                body["sampling_rate"] = self.sampling_rate
        body["webhook"] = self.webhook
        body["track_id"] = self.track_id
        if self.seed is not None:
            body["seed"] = self.seed
        return body

    def describe(self) -> dict[str, Any]:
        """The request fields for sidecars and logs: everything but the key and the clip's bytes."""
        body = self.to_payload(None)
        body.pop("key")
        if self.base64 and self.init_audio:
            body["init_audio"] = f"<base64 wav, {len(self.init_audio)} chars>"
        return body


def _check_int(name: str, value: object, low: int, high: int, hint: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise UsageError(f"{name} must be a whole number {low} to {high}, got {value!r}{hint}")


def _validate(req: EndpointRequest) -> None:
    if not isinstance(req.prompt, str) or not req.prompt.strip():
        raise UsageError("the prompt is empty; describe the music, e.g. 'marimba, tropical house, 96 bpm'")
    if len(req.prompt) > PROMPT_MAX_CHARS:
        raise UsageError(f"the prompt is {len(req.prompt)} characters; keep it under {PROMPT_MAX_CHARS}")
    if req.fields not in API_FIELD_SETS:
        raise UsageError(f"api_fields must be one of {', '.join(API_FIELD_SETS)}, got {req.fields!r}")
    if req.sampling_rate is not None:
        _check_int("sampling_rate", req.sampling_rate, SAMPLING_RATE_MIN, SAMPLING_RATE_MAX)
    if req.fields == "tokens":
        if req.sampling_rate is None:
            raise UsageError("sampling_rate is required with api_fields = 'tokens'")
        _check_int(
            "max_new_token",
            req.max_new_token,
            *TOKEN_RANGE,
            hint=" (50 tokens a second: 5.1 s to 20.5 s; use api_fields = 'duration' for longer takes)",
        )
        if req.duration is not None or req.output_format is not None or req.bitrate is not None:
            raise UsageError("duration, output_format and bitrate need api_fields = 'duration'")
    else:
        _check_int("duration", req.duration, *DURATION_RANGE, hint=" seconds")
        if req.max_new_token is not None:
            raise UsageError("max_new_token needs api_fields = 'tokens'")
        if req.output_format not in OUTPUT_FORMATS:
            raise UsageError(f"output_format must be one of {', '.join(OUTPUT_FORMATS)}, got {req.output_format!r}")
        if req.bitrate is not None:
            if req.bitrate not in BITRATES:
                raise UsageError(f"bitrate must be one of {', '.join(BITRATES)}, got {req.bitrate!r}")
            if req.output_format != "mp3":
                raise UsageError(f"bitrate applies to mp3 only; output_format is {req.output_format!r}")
    if req.base64:
        if not (req.init_audio or "").startswith("data:audio/wav;base64,"):
            raise UsageError("base64 = true needs init_audio as 'data:audio/wav;base64,<...>'")
    elif req.init_audio is not None and not req.init_audio.lower().startswith(("http://", "https://")):
        raise UsageError(f"init_audio must be an http(s) URL or a base64 clip, got {req.init_audio[:60]!r}")
    if req.webhook is not None and not req.webhook.lower().startswith(("http://", "https://")):
        raise UsageError(f"webhook must be an http(s) URL, got {req.webhook[:60]!r}")
    if req.track_id is not None:
        _check_int("track_id", req.track_id, 0, 2**63 - 1)
    if req.seed is not None:
        _check_int("seed", req.seed, 0, SEED_MAX)


def style_prompt(prompt: str, key: Key | None, bpm: float | None) -> str:
    """Append key and tempo in the vendor's style (``..., G# minor, 96 bpm``) unless already written."""
    text = " ".join(prompt.split())
    parts = [text] if text else []
    if key is not None and find_key_in_prompt(text) is None:
        parts.append(key.name())
    if bpm is not None and find_bpm_in_prompt(text) is None:
        parts.append(f"{bpm:g} bpm")
    return ", ".join(parts)


def build_request(spec: GenerationSpec, options: RequestOptions, init_audio: str | None = None) -> EndpointRequest:
    """The vendor request for a spec. ``init_audio`` is the clip already encoded (URL or data URI).

    A take shorter than the endpoint's minimum is generated at the minimum and
    trimmed afterwards (to the bar grid when bars were given); a take longer than
    its maximum is an error that says what to ask for instead.
    """
    if spec.bpm is None and spec.bars is not None:
        raise UsageError("bars need a tempo; send a bpm too, or a length in seconds instead")
    seconds = spec.target_seconds
    if seconds is not None and (not math.isfinite(seconds) or seconds <= 0):
        raise UsageError(f"the take length must be a positive number of seconds, got {seconds!r}")
    common: dict[str, Any] = {
        "prompt": style_prompt(spec.prompt, spec.key, spec.bpm),
        "fields": options.fields,
        "init_audio": init_audio,
        "base64": bool(init_audio and init_audio.startswith("data:")),
        "temp": options.temp,
        "webhook": options.webhook,
        "track_id": options.track_id,
        "seed": spec.seed,
    }
    if options.fields == "tokens":
        tokens = DEFAULT_TOKENS if seconds is None else max(seconds_to_tokens(seconds), TOKEN_RANGE[0])
        if tokens > TOKEN_RANGE[1]:
            raise UsageError(
                f"{seconds:.1f} s is longer than the {tokens_to_seconds(TOKEN_RANGE[1]):.1f} s the "
                "'tokens' field set allows; ask for fewer bars or seconds, or set api_fields = 'duration'"
            )
        return EndpointRequest(**common, sampling_rate=options.sampling_rate, max_new_token=tokens)
    duration = DURATION_RANGE[0] if seconds is None else max(math.ceil(seconds - 1e-9), DURATION_RANGE[0])
    if duration > DURATION_RANGE[1]:
        raise UsageError(
            f"{seconds:.1f} s is longer than the endpoint's {DURATION_RANGE[1]} s maximum; ask for fewer bars or seconds"
        )
    return EndpointRequest(
        **common,
        sampling_rate=options.sampling_rate,
        duration=duration,
        output_format=options.output_format,
        bitrate=options.bitrate,
    )
