"""The vendor's answers, parsed into values. Pure: no I/O, no clock unless one is passed.

The Music Gen endpoint answers in a handful of shapes (see
``/work/shared/vendor/music_gen_endpoint.txt`` and the cases in
``tests/endpoint/test_client_response.py``):

* ``{"status": "success", "id": 310815, "output": [...], "proxy_links": [...], "meta": {...}}``
* ``{"status": "processing", "id": ..., "eta": 100, "fetch_result": URL, "future_links": [...]}``
  from the generation POST, and ``{"status": "processing", "output": ""}`` (output a
  *string*, no id, no eta) from a fetch made too early;
* errors: ``{"status": "error", "message": ...}`` at HTTP 200 (with the key sometimes
  spelt ``messege``, the message sometimes an object of field errors),
  ``{"status": "failed"}`` from a fetch, HTTP 401/402/403/429/5xx, HTML pages, junk.

:func:`parse_submission` turns a success or processing answer into a
:class:`Submission` and every error shape into exactly one
:class:`~bridge.errors.EndpointError` subclass, via :func:`parse_error`, with a
message that says what the endpoint said and what the musician can do.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from bridge.errors import (
    AuthError,
    BadRequestError,
    EndpointError,
    QuotaError,
    RateLimitedError,
    redact,
)

__all__ = [
    "DASHBOARD_URL",
    "PRICING_URL",
    "Submission",
    "iter_http_links",
    "parse_endpoint_id",
    "parse_error",
    "parse_links",
    "parse_retry_after",
    "parse_submission",
    "parse_vendor_message",
]

DASHBOARD_URL = "https://modelslab.com/dashboard/api-keys"
PRICING_URL = "https://modelslab.com/pricing"

#: how much of a vendor message or body goes into one of our messages: enough to read, not a page of HTML
_PREVIEW_CHARS = 160

_QUOTA_WORDS = ("credit", "balance", "subscription", "insufficient fund", "top up", "upgrade your plan")
_AUTH_WORDS = ("api key", "invalid key", "unauthori", "authenticat", "key is invalid", "wrong key")
_RATE_WORDS = ("rate limit", "too many requests", "queued requests")
_PROCESSING = frozenset({"processing", "queued", "pending", "starting", "in_progress"})
_FAILED = frozenset({"failed", "failure", "cancelled", "canceled"})


@dataclass(frozen=True, slots=True)
class Submission:
    """What the endpoint said about one generation: done (with links) or still processing.

    ``links`` are in the order worth trying: ``output``, then ``proxy_links``,
    then ``future_links``/``links`` (files that 404 until they exist).
    """

    endpoint_id: str | None
    status: Literal["success", "processing"]
    links: tuple[str, ...] = ()
    fetch_url: str | None = None
    #: the endpoint's estimate of seconds until done, from the moment it answered
    eta: float | None = None
    generation_time: float | None = None
    meta: dict[str, Any] = field(default_factory=dict, hash=False)
    #: the vendor's ``message``/``tip`` on a processing answer, for logs
    message: str | None = None

    @property
    def done(self) -> bool:
        return self.status == "success"

    def replace(self, **changes: Any) -> Submission:
        return dataclasses.replace(self, **changes)


def parse_endpoint_id(value: object) -> str | None:
    """The vendor sends ids as ints or strings; we keep strings. ``None``/empty/bools: no id."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    text = str(value).strip()
    return text or None


def _as_link_list(value: object) -> list[str]:
    # output is a list when done and "" while a fetch is still processing; tolerate one bare URL too
    if isinstance(value, str):
        return [value.strip()] if value.strip() else []
    if isinstance(value, (list, tuple)):
        return [item.strip() for item in value if isinstance(item, str) and item.strip()]
    return []


def parse_links(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Every audio link in an answer, best first, each once."""
    ordered: list[str] = []
    for name in ("output", "proxy_links", "future_links", "links"):
        for link in _as_link_list(data.get(name)):
            if link not in ordered:
                ordered.append(link)
    return tuple(ordered)


def _as_float(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None


def parse_retry_after(value: object, *, now: datetime | None = None) -> float | None:
    """Seconds to wait, from a body's ``retry_after`` or a ``Retry-After`` header (seconds or HTTP date)."""
    seconds = _as_float(value.strip() if isinstance(value, str) else value)
    if seconds is not None or not isinstance(value, str):
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max((when - now).total_seconds(), 0.0)


def _flatten(value: object) -> str:
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, Mapping):
        parts = []
        for name, item in value.items():
            text = _flatten(item)
            parts.append(f"{name}: {text}" if text else str(name))
        return "; ".join(parts)
    if isinstance(value, (list, tuple)):
        return " ".join(_flatten(item) for item in value if item is not None)
    return "" if value is None else str(value)


def parse_vendor_message(data: Mapping[str, Any]) -> str:
    """The vendor's explanation as one line (``message``, the misspelt ``messege``, ``error``, ``detail``)."""
    for name in ("message", "messege", "error", "detail", "errors"):
        text = _flatten(data.get(name))
        if text:
            return _clip(text)
    return ""


def _clip(text: str) -> str:
    # redact before cutting: a key cut in half would no longer be recognised, and half a key is still a leak
    text = redact(text)
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 3] + "..."


def _html_title(text: str) -> str | None:
    match = re.search(r"(?is)<title[^>]*>(.*?)</title>", text)
    if match:
        return _clip(" ".join(match.group(1).split())) or None
    return None


def _decode(body: bytes | str) -> tuple[dict[str, Any] | None, str]:
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else body
    try:
        data = json.loads(text)
    except ValueError:
        return None, text
    return (data if isinstance(data, dict) else None), text


def _header(headers: Mapping[str, str] | None, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _said(message: str) -> str:
    return f" ('{message}')" if message else ""


def parse_error(
    status_code: int,
    data: Mapping[str, Any] | None,
    text: str = "",
    headers: Mapping[str, str] | None = None,
    *,
    endpoint_id: str | None = None,
    now: datetime | None = None,
) -> EndpointError:
    """The one error class and message for an answer that is not a success or processing.

    ``data`` is the JSON object when the body was one, else ``None`` and ``text``
    is the raw body. ``endpoint_id`` is the id we already know (a fetch), used
    when the answer carries none. The error is returned, not raised.
    """
    if data is not None:
        endpoint_id = parse_endpoint_id(data.get("id")) or endpoint_id
        message = parse_vendor_message(data)
        status = str(data.get("status") or "").strip().lower()
        raw_message = data.get("message", data.get("messege"))
    else:
        message = ""
        status = ""
        raw_message = None
    lowered = message.lower()
    http = f"HTTP {status_code}"
    # what the vendor said, quoted, or at least the HTTP status
    seen_json = f"'{message}'" if message else http

    if data is None:
        title = _html_title(text)
        seen = f"an HTML page{_said(title or '')}" if title or "<html" in text.lower() else (
            f"'{_clip(' '.join(text.split()))}'" if text.strip() else "an empty body"
        )
        if status_code == 429:
            retry_after = parse_retry_after(_header(headers, "Retry-After"), now=now)
            return _rate_limited(f"{http}, {seen}", retry_after, endpoint_id)
        if status_code in (401, 403):
            return AuthError(_auth_message(f"{http}, {seen}"), endpoint_id=endpoint_id)
        if status_code == 402:
            return QuotaError(_quota_message(f"{http}, {seen}"), endpoint_id=endpoint_id)
        if status_code >= 500:
            return EndpointError(
                f"the endpoint is unavailable ({http}, {seen} instead of JSON): "
                "ModelsLab may be down or overloaded; try again in a few minutes",
                endpoint_id=endpoint_id,
            )
        return EndpointError(
            f"the endpoint answered {http} with {seen} instead of JSON: "
            "check that base_url points at the Music Gen API (https://modelslab.com/api/v6/voice)",
            endpoint_id=endpoint_id,
        )

    if status_code == 429 or any(word in lowered for word in _RATE_WORDS):
        retry_after = parse_retry_after(data.get("retry_after"), now=now)
        if retry_after is None:
            retry_after = parse_retry_after(_header(headers, "Retry-After"), now=now)
        return _rate_limited(seen_json, retry_after, endpoint_id)
    if status_code == 402 or any(word in lowered for word in _QUOTA_WORDS):
        return QuotaError(_quota_message(seen_json), endpoint_id=endpoint_id)
    if isinstance(raw_message, Mapping) and "key" in raw_message:
        # "The key field is required.": nothing was configured, which is an auth problem, not a bad prompt
        return AuthError(
            f"no API key was sent ('{message}'): set MODELSLAB_API_KEY to the key from your "
            f"ModelsLab dashboard ({DASHBOARD_URL})",
            endpoint_id=endpoint_id,
        )
    if status_code in (401, 403) or any(word in lowered for word in _AUTH_WORDS):
        return AuthError(_auth_message(seen_json), endpoint_id=endpoint_id)
    if isinstance(raw_message, Mapping):
        return BadRequestError(
            f"the endpoint rejected the request: {message}; fix that field and send the take again",
            endpoint_id=endpoint_id,
        )
    if status_code >= 500:
        return EndpointError(
            f"the endpoint failed ({http}{_said(message)}): ModelsLab may be having trouble; "
            "try again in a minute",
            endpoint_id=endpoint_id,
        )
    if 400 <= status_code < 500:
        hint = "check the base_url setting" if status_code in (404, 405) else "change the request and send it again"
        return BadRequestError(
            f"the endpoint rejected the request ({http}{_said(message)}): {hint}",
            endpoint_id=endpoint_id,
        )
    if status in _FAILED:
        which = f"generation {endpoint_id}" if endpoint_id else "the generation"
        return EndpointError(
            f"the endpoint reports that {which} failed{_said(message)}: send the take again",
            endpoint_id=endpoint_id,
        )
    if status == "error":
        return EndpointError(
            f"the endpoint answered an error{_said(message)}: try again; if it keeps happening, "
            "check the ModelsLab status page",
            endpoint_id=endpoint_id,
        )
    return EndpointError(
        f"the endpoint answered an unexpected status {status or '(none)'!r} ({http}{_said(message)}): "
        "the API may have changed; try again, and report it if it persists",
        endpoint_id=endpoint_id,
    )


def _auth_message(seen: str) -> str:
    return (
        f"the API key was refused ({seen}): set MODELSLAB_API_KEY to the key from your "
        f"ModelsLab dashboard ({DASHBOARD_URL})"
    )


def _quota_message(seen: str) -> str:
    return f"out of credits ({seen}): top up at {PRICING_URL}, then send the take again"


def _rate_limited(seen: str, retry_after: float | None, endpoint_id: str | None) -> RateLimitedError:
    when = f"try again in {retry_after:g} s" if retry_after is not None else "try again in a minute"
    return RateLimitedError(
        f"the endpoint is rate-limiting ({seen}): {when}, or queue fewer takes at once",
        retry_after=retry_after,
        endpoint_id=endpoint_id,
    )


def parse_submission(
    status_code: int,
    body: bytes | str,
    headers: Mapping[str, str] | None = None,
    *,
    endpoint_id: str | None = None,
    now: datetime | None = None,
) -> Submission:
    """A generation or fetch answer as a :class:`Submission`; every other shape raises an ``EndpointError``.

    ``endpoint_id`` is the id already known (when parsing a fetch): a fetch made
    too early answers without one.
    """
    data, text = _decode(body)
    if data is None or status_code >= 400 or not 200 <= status_code < 300:
        raise parse_error(status_code, data, text, headers, endpoint_id=endpoint_id, now=now)
    status = str(data.get("status") or "").strip().lower()
    found_id = parse_endpoint_id(data.get("id")) or endpoint_id
    if status == "success":
        links = parse_links(data)
        if not links:
            raise EndpointError(
                f"the endpoint says generation {found_id or '(no id)'} succeeded but gave no audio links: "
                "try fetching it again later",
                endpoint_id=found_id,
            )
        return Submission(
            endpoint_id=found_id,
            status="success",
            links=links,
            fetch_url=_fetch_url(data),
            eta=None,
            generation_time=_as_float(data.get("generationTime", data.get("generation_time"))),
            meta=dict(data["meta"]) if isinstance(data.get("meta"), Mapping) else {},
        )
    if status in _PROCESSING:
        tip = _flatten(data.get("message")) or _flatten(data.get("tip"))
        return Submission(
            endpoint_id=found_id,
            status="processing",
            links=parse_links(data),
            fetch_url=_fetch_url(data),
            eta=_as_float(data.get("eta")),
            generation_time=None,
            meta=dict(data["meta"]) if isinstance(data.get("meta"), Mapping) else {},
            message=_clip(tip) or None,
        )
    raise parse_error(status_code, data, text, headers, endpoint_id=endpoint_id, now=now)


def _fetch_url(data: Mapping[str, Any]) -> str | None:
    value = data.get("fetch_result")
    return value.strip() if isinstance(value, str) and value.strip() else None


def iter_http_links(links: Iterable[str]) -> Iterable[tuple[str, str | None]]:
    """Each link with ``None`` when it is http(s), else the reason it must be skipped."""
    for link in links:
        scheme = link.split(":", 1)[0].lower() if ":" in link else ""
        if scheme in ("http", "https"):
            yield link, None
        else:
            yield link, f"not an http(s) URL (scheme {scheme or '(none)'!r})"
