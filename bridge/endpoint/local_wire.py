"""The local endpoint's wire format: the vendor's JSON in and out. Pure: no sockets, threads or files.

:func:`parse_music_gen_body` checks a POST .../music_gen body field by field
the way the vendor (a Laravel app) does, so a client sees the same
``{"status": "error", "message": {"field": ["..."]}}`` locally as upstream,
then builds a :class:`bridge.core.request.EndpointRequest` from it, whose own
validation (the one the client uses before sending) has the last word. The
``build_*`` functions write the vendor's reply shapes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bridge.core.request import (
    BITRATES,
    DURATION_RANGE,
    OUTPUT_FORMATS,
    PROMPT_MAX_CHARS,
    SAMPLING_RATE_MAX,
    SAMPLING_RATE_MIN,
    SEED_MAX,
    TOKEN_RANGE,
    EndpointRequest,
)
from bridge.errors import UsageError

__all__ = [
    "DEFAULT_MAX_NEW_TOKEN",
    "DEFAULT_SAMPLING_RATE",
    "FETCH_PREFIX",
    "FILES_PREFIX",
    "MUSIC_GEN_PATH",
    "PROXY_PREFIX",
    "VOICE_PREFIX",
    "FieldError",
    "MusicGenCall",
    "build_error",
    "build_failed",
    "build_fetch_processing",
    "build_meta",
    "build_processing",
    "build_rate_limited",
    "build_success",
    "parse_music_gen_body",
]

VOICE_PREFIX = "/api/v6/voice"
MUSIC_GEN_PATH = VOICE_PREFIX + "/music_gen"
FETCH_PREFIX = VOICE_PREFIX + "/fetch/"
FILES_PREFIX = VOICE_PREFIX + "/files/"
#: the vendor's second CDN; here the same files under a second path, so clients that prefer proxy_links work
PROXY_PREFIX = VOICE_PREFIX + "/proxy/"

#: the vendor's documented default
DEFAULT_SAMPLING_RATE = 32_000
#: what the vendor's meta reports when no max_new_token was sent (5.12 s)
DEFAULT_MAX_NEW_TOKEN = TOKEN_RANGE[0]

_DATA_URI_RE = re.compile(r"^data:[^,]*;base64,", re.IGNORECASE)
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


class FieldError(UsageError):
    """One or more body fields are wrong: ``fields`` is the vendor's ``{"field": ["message", ...]}``."""

    def __init__(self, fields: Mapping[str, list[str]]) -> None:
        self.fields = {name: list(messages) for name, messages in fields.items()}
        super().__init__("; ".join(message for messages in self.fields.values() for message in messages))


@dataclass(frozen=True, slots=True)
class MusicGenCall:
    """A checked POST .../music_gen body. No key: it is checked on the raw body and never kept with a job.

    The conditioning clip lives here rather than in ``request.init_audio``: the
    local endpoint decodes any audio type, raw base64 included, where the
    client-side request only ever sends ``data:audio/wav;base64,``.
    """

    request: EndpointRequest
    #: an http(s) URL the server downloads
    clip_url: str | None = None
    #: base64 text (a data URI or bare), decoded by the server
    clip_base64: str | None = None

    @property
    def sample_rate(self) -> int:
        return self.request.sampling_rate or DEFAULT_SAMPLING_RATE

    @property
    def output_format(self) -> str:
        return self.request.expected_format


def _label(name: str) -> str:
    return name.replace("_", " ")


def _read_int(
    body: Mapping[str, Any], name: str, low: int, high: int, errors: dict[str, list[str]], *, between: bool = False
) -> int | None:
    """Laravel's ``nullable|integer|min|max`` (or ``between``): JSON numbers and digit strings; a whole float counts."""
    value = body.get(name)
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,20}\s*", value):
        number = int(value)
    if number is None:
        errors.setdefault(name, []).append(f"The {_label(name)} field must be an integer.")
        return None
    if not low <= number <= high:
        if between:
            message = f"The {_label(name)} field must be between {low} and {high}."
        elif number < low:
            message = f"The {_label(name)} field must be at least {low}."
        else:
            message = f"The {_label(name)} field must not be greater than {high}."
        errors.setdefault(name, []).append(message)
        return None
    return number


def _read_bool(body: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> bool:
    value = body.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    errors.setdefault(name, []).append(f"The {_label(name)} field must be true or false.")
    return False


def _read_str(body: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.setdefault(name, []).append(f"The {_label(name)} field must be a string.")
        return None
    return value


def _read_choice(
    body: Mapping[str, Any], name: str, choices: tuple[str, ...], errors: dict[str, list[str]]
) -> str | None:
    value = _read_str(body, name, errors)
    if value is None:
        return None
    if value not in choices:
        errors.setdefault(name, []).append(
            f"The selected {_label(name)} is invalid; use one of {', '.join(choices)}."
        )
        return None
    return value


def parse_music_gen_body(body: object) -> MusicGenCall:
    """Check a decoded JSON body; raise :class:`FieldError` (per field) or :class:`UsageError` (the whole)."""
    if not isinstance(body, Mapping):
        raise UsageError(f"the request body must be a JSON object, got {type(body).__name__}")
    errors: dict[str, list[str]] = {}

    prompt = body.get("prompt")
    if prompt is None or (isinstance(prompt, str) and not prompt.strip()):
        errors["prompt"] = ["The prompt field is required."]
    elif not isinstance(prompt, str):
        errors["prompt"] = ["The prompt field must be a string."]
    elif len(prompt) > PROMPT_MAX_CHARS:
        errors["prompt"] = [f"The prompt field must not be greater than {PROMPT_MAX_CHARS} characters."]

    sampling_rate = _read_int(body, "sampling_rate", SAMPLING_RATE_MIN, SAMPLING_RATE_MAX, errors)
    max_new_token = _read_int(body, "max_new_token", *TOKEN_RANGE, errors, between=True)
    duration = _read_int(body, "duration", *DURATION_RANGE, errors, between=True)
    output_format = _read_choice(body, "output_format", OUTPUT_FORMATS, errors)
    bitrate = _read_choice(body, "bitrate", BITRATES, errors)
    use_base64 = _read_bool(body, "base64", errors)
    temp = _read_bool(body, "temp", errors)
    webhook = _read_str(body, "webhook", errors)
    if webhook is not None and not re.match(r"(?i)^https?://[^\s/]+", webhook):
        errors.setdefault("webhook", []).append("The webhook field must be a valid URL.")
    track_id = _read_int(body, "track_id", 0, 2**63 - 1, errors)
    seed = _read_int(body, "seed", 0, SEED_MAX, errors)
    init_audio = _read_str(body, "init_audio", errors)

    # the two field sets may not be mixed: the vendor routes a body by which set it carries
    duration_set = any(body.get(name) is not None for name in ("duration", "output_format", "bitrate"))
    if duration_set and body.get("max_new_token") is not None and "max_new_token" not in errors:
        errors.setdefault("max_new_token", []).append(
            "The max new token field prohibits duration, output format and bitrate from being present."
        )
    if duration_set and body.get("duration") is None:
        present = "output format" if body.get("output_format") is not None else "bitrate"
        errors.setdefault("duration", []).append(f"The duration field is required when {present} is present.")

    clip_url: str | None = None
    clip_base64: str | None = None
    if init_audio is not None and init_audio.strip():
        text = init_audio.strip()
        if _DATA_URI_RE.match(text):
            clip_base64 = text
        elif re.match(r"(?i)^https?://", text):
            if use_base64:
                errors.setdefault("init_audio", []).append(
                    "The init audio field must be base64 audio when base64 is true."
                )
            clip_url = text
        elif use_base64:
            clip_base64 = text
        else:
            errors.setdefault("init_audio", []).append(
                "The init audio field must be a valid URL, or base64 audio with base64 true."
            )

    if errors:
        raise FieldError(errors)
    assert isinstance(prompt, str)  # narrowed by the checks above
    if duration_set:
        request = EndpointRequest(
            prompt=prompt,
            fields="duration",
            init_audio=clip_url,
            sampling_rate=sampling_rate,
            duration=duration,
            output_format=output_format or "wav",
            bitrate=bitrate,
            temp=temp,
            webhook=webhook,
            track_id=track_id,
            seed=seed,
        )
    else:
        request = EndpointRequest(
            prompt=prompt,
            fields="tokens",
            init_audio=clip_url,
            sampling_rate=sampling_rate or DEFAULT_SAMPLING_RATE,
            max_new_token=max_new_token or DEFAULT_MAX_NEW_TOKEN,
            temp=temp,
            webhook=webhook,
            track_id=track_id,
            seed=seed,
        )
    return MusicGenCall(request=request, clip_url=clip_url, clip_base64=clip_base64)


def build_error(message: str | Mapping[str, list[str]]) -> dict[str, Any]:
    return {"status": "error", "message": message if isinstance(message, str) else dict(message)}


def build_meta(call: MusicGenCall, *, filename: str, seed: int) -> dict[str, Any]:
    """The vendor's ``meta``: what was generated, with the seed that reproduces it."""
    request = call.request
    meta: dict[str, Any] = {"base64": "yes" if call.clip_base64 is not None else "no"}
    if call.clip_url is not None:
        meta["conditioning_melody"] = call.clip_url
    meta["filename"] = filename
    meta["input_text"] = request.prompt
    if request.fields == "tokens":
        meta["max_new_token"] = request.max_new_token
    else:
        meta["duration"] = request.duration
        meta["output_format"] = request.expected_format
        if request.bitrate is not None:
            meta["bitrate"] = request.bitrate
    meta["sampling_rate"] = call.sample_rate
    meta["seed"] = seed
    meta["temp"] = "yes" if request.temp else "no"
    return meta


def build_success(
    job_id: int, *, generation_time: float, file_url: str, proxy_url: str, meta: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "status": "success",
        "generationTime": generation_time,
        "id": job_id,
        "output": [file_url],
        "proxy_links": [proxy_url],
        "meta": dict(meta),
    }


def build_processing(
    job_id: int, *, eta: int, fetch_url: str, file_url: str, proxy_url: str, meta: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "status": "processing",
        "tip": "Your file is being generated; fetch it with the id (POST fetch_result), or wait for the webhook.",
        "eta": eta,
        "message": f"The generation is queued or rendering; it should be ready in about {eta} seconds.",
        "fetch_result": fetch_url,
        "id": job_id,
        "output": [],
        "future_links": [file_url],
        "proxy_links": [proxy_url],
        "meta": dict(meta),
    }


def build_fetch_processing(job_id: int, *, eta: int) -> dict[str, Any]:
    # "output" is a string here, not a list: that is what the vendor's fetch sends while it works
    return {"status": "processing", "id": job_id, "eta": eta, "message": "try again later.", "output": ""}


def build_failed(job_id: int, message: str) -> dict[str, Any]:
    return {"status": "failed", "id": job_id, "message": message, "output": []}


def build_rate_limited(max_queued: int, retry_after: int) -> dict[str, Any]:
    return {
        "status": "error",
        "message": f"Rate limit exceeded. Maximum {max_queued} queued requests allowed.",
        "retry_after": retry_after,
    }
