"""The vendor's answer shapes, parsed with no I/O: tables of cases."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bridge.core.response import (
    Submission,
    iter_http_links,
    parse_endpoint_id,
    parse_error,
    parse_links,
    parse_retry_after,
    parse_submission,
    parse_vendor_message,
)
from bridge.errors import (
    AuthError,
    BadRequestError,
    EndpointError,
    QuotaError,
    RateLimitedError,
    register_secret,
)

# the vendor's documented success answer, verbatim
VENDOR_SUCCESS = {
    "status": "success",
    "generationTime": 7.8882811069488525,
    "id": 310815,
    "output": ["https://pub-3626123a908346a7a8be8d9295f44e26.r2.dev/generations/e143f35e.wav"],
    "proxy_links": ["https://cdn2.stablediffusionapi.com/generations/30ea5aee.wav"],
    "meta": {"base64": "no", "filename": "30ea5aee.wav", "max_new_token": 256, "sampling_rate": 32000, "temp": "no"},
}
VENDOR_PROCESSING = {
    "status": "processing",
    "tip": "Your request is processing.",
    "eta": 100,
    "message": "Request processing",
    "fetch_result": "https://modelslab.com/api/v6/voice/fetch/310815",
    "id": 310815,
    "output": [],
    "future_links": ["https://pub.r2.dev/generations/future.wav"],
    "proxy_links": ["https://cdn2.stablediffusionapi.com/generations/proxy.wav"],
}


def body(data: object) -> bytes:
    return json.dumps(data).encode()


def test_the_vendors_success_example() -> None:
    sub = parse_submission(200, body(VENDOR_SUCCESS))
    assert sub == Submission(
        endpoint_id="310815",
        status="success",
        links=(VENDOR_SUCCESS["output"][0], VENDOR_SUCCESS["proxy_links"][0]),
        fetch_url=None,
        eta=None,
        generation_time=pytest.approx(7.8882811069488525),
        meta=VENDOR_SUCCESS["meta"],
    )
    assert sub.done


def test_processing_from_the_generation_post() -> None:
    sub = parse_submission(200, body(VENDOR_PROCESSING))
    assert sub.status == "processing" and not sub.done
    assert sub.endpoint_id == "310815"
    assert sub.eta == 100.0
    assert sub.fetch_url == "https://modelslab.com/api/v6/voice/fetch/310815"
    # proxy links before future links: proxies exist already, future links 404 until the file does
    assert sub.links == (VENDOR_PROCESSING["proxy_links"][0], VENDOR_PROCESSING["future_links"][0])
    assert sub.message == "Request processing"


def test_a_fetch_made_too_early_has_a_string_output_and_no_id() -> None:
    sub = parse_submission(200, b'{"status":"processing","message":"try again later.","output":""}', endpoint_id="310815")
    assert sub == Submission(endpoint_id="310815", status="processing", message="try again later.")


@pytest.mark.parametrize(
    ("data", "links"),
    [
        ({"output": ["a", "b"], "proxy_links": ["c"]}, ("a", "b", "c")),
        ({"output": ["a"], "proxy_links": ["a", "b"], "future_links": ["c"], "links": ["d"]}, ("a", "b", "c", "d")),
        ({"output": "", "future_links": ["f"]}, ("f",)),
        ({"output": " https://x/one.wav "}, ("https://x/one.wav",)),
        ({"output": [None, 3, "", "ok"]}, ("ok",)),
        ({"output": None}, ()),
        ({}, ()),
    ],
)
def test_links_come_best_first_and_once(data: dict, links: tuple[str, ...]) -> None:
    assert parse_links(data) == links


@pytest.mark.parametrize(
    ("value", "expected"),
    [(310815, "310815"), ("310815", "310815"), (" abc-1 ", "abc-1"), (310815.0, "310815"), (1.5, None),
     ("", None), (None, None), (True, None)],
)
def test_ids_are_normalised_to_strings(value: object, expected: str | None) -> None:
    assert parse_endpoint_id(value) == expected


NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(30, 30.0), ("30", 30.0), ("0.2", 0.2), ("Sun, 01 Mar 2026 12:00:45 GMT", 45.0),
     ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0), ("soon", None), (None, None), (-3, None), (True, None)],
)
def test_retry_after_in_seconds_or_as_a_date(value: object, expected: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"message": "Invalid API key"}, "Invalid API key"),
        ({"messege": "Invalid API key"}, "Invalid API key"),
        ({"message": {"prompt": ["The prompt field is required."]}}, "prompt: The prompt field is required."),
        ({"error": "  lots\n of   space "}, "lots of space"),
        ({}, ""),
    ],
)
def test_vendor_messages_in_every_spelling(data: dict, message: str) -> None:
    assert parse_vendor_message(data) == message


HTML_503 = "<html><head><title>503 Service Temporarily Unavailable</title></head><body>nginx</body></html>"

# status, body, headers, class (exactly), id on the error, what the musician reads
ERROR_CASES = [
    (200, {"status": "error", "message": "Invalid API key"}, {}, AuthError, None,
     r"the API key was refused \('Invalid API key'\): set MODELSLAB_API_KEY to the key from your ModelsLab dashboard"),
    (200, {"status": "error", "messege": "Invalid API key"}, {}, AuthError, None, r"API key was refused"),
    (200, {"status": "error", "message": {"prompt": ["The prompt field is required."]}}, {}, BadRequestError, None,
     r"rejected the request: prompt: The prompt field is required\.; fix that field"),
    (200, {"status": "error", "message": {"key": ["The key field is required."]}}, {}, AuthError, None,
     r"no API key was sent .*MODELSLAB_API_KEY"),
    (200, {"status": "failed", "id": 310815, "message": "Generation failed"}, {}, EndpointError, "310815",
     r"generation 310815 failed \('Generation failed'\): send the take again"),
    (401, {"message": "Unauthenticated."}, {}, AuthError, None, r"API key was refused \('Unauthenticated\.'\)"),
    (403, "<html><title>403 Forbidden</title></html>", {}, AuthError, None,
     r"API key was refused \(HTTP 403, an HTML page \('403 Forbidden'\)\)"),
    (402, {"status": "error", "message": "Insufficient credits"}, {}, QuotaError, None,
     r"out of credits \('Insufficient credits'\): top up at https://modelslab.com/pricing"),
    (200, {"status": "error", "message": "Your subscription has expired"}, {}, QuotaError, None, r"out of credits"),
    (200, {"status": "error", "message": "You have insufficient balance"}, {}, QuotaError, None, r"top up"),
    (429, {"status": "error", "message": "Rate limit exceeded. Maximum 5 queued requests allowed.", "retry_after": 30},
     {}, RateLimitedError, None, r"rate-limiting \('Rate limit exceeded\. .*'\): try again in 30 s"),
    (429, {"status": "error", "message": "Too many requests"}, {"Retry-After": "12"}, RateLimitedError, None,
     r"try again in 12 s"),
    (429, "slow down", {"retry-after": "Sun, 01 Mar 2026 12:00:05 GMT"}, RateLimitedError, None, r"try again in 5 s"),
    (500, {"status": "error", "message": "Server Error"}, {}, EndpointError, None,
     r"the endpoint failed \(HTTP 500 \('Server Error'\)\): ModelsLab may be having trouble"),
    (503, HTML_503, {}, EndpointError, None,
     r"unavailable \(HTTP 503, an HTML page \('503 Service Temporarily Unavailable'\) instead of JSON\)"),
    (502, "", {}, EndpointError, None, r"HTTP 502, an empty body"),
    (200, "OK", {}, EndpointError, None, r"HTTP 200 with 'OK' instead of JSON: check that base_url"),
    (200, "[1, 2]", {}, EndpointError, None, r"instead of JSON"),
    (404, {"message": "Not Found"}, {}, BadRequestError, None, r"HTTP 404 \('Not Found'\)\): check the base_url"),
    (422, {"status": "error", "message": "duration must be between 30 and 480"}, {}, BadRequestError, None,
     r"rejected the request \(HTTP 422"),
    (200, {"status": "error", "message": "Request not found", "id": "abc"}, {}, EndpointError, "abc",
     r"answered an error \('Request not found'\)"),
    (200, {"status": "success", "id": 7, "output": []}, {}, EndpointError, "7", r"succeeded but gave no audio links"),
    (200, {"status": "exploded"}, {}, EndpointError, None, r"unexpected status 'exploded'"),
]


@pytest.mark.parametrize(("status", "data", "headers", "cls", "endpoint_id", "match"), ERROR_CASES)
def test_every_error_shape_maps_to_one_class(status, data, headers, cls, endpoint_id, match) -> None:
    raw = data if isinstance(data, str) else body(data)
    with pytest.raises(cls, match=match) as info:
        parse_submission(status, raw, headers, now=NOW)
    assert type(info.value) is cls
    assert info.value.endpoint_id == endpoint_id


def test_codes_are_stable() -> None:
    codes = {
        type(parse_error(401, {})).__name__: parse_error(401, {}).code,
        type(parse_error(402, {})).__name__: parse_error(402, {}).code,
        type(parse_error(429, {})).__name__: parse_error(429, {}).code,
        type(parse_error(422, {})).__name__: parse_error(422, {}).code,
        type(parse_error(500, {})).__name__: parse_error(500, {}).code,
    }
    assert codes == {
        "AuthError": "AUTH",
        "QuotaError": "QUOTA",
        "RateLimitedError": "RATE_LIMITED",
        "BadRequestError": "BAD_REQUEST",
        "EndpointError": "UPSTREAM",
    }


def test_rate_limit_carries_retry_after_from_body_before_header() -> None:
    err = parse_error(429, {"retry_after": 30}, headers={"Retry-After": "5"})
    assert isinstance(err, RateLimitedError) and err.retry_after == 30.0
    assert parse_error(429, {}, headers={"Retry-After": "5"}).retry_after == 5.0  # type: ignore[attr-defined]
    assert parse_error(429, {}).retry_after is None  # type: ignore[attr-defined]


def test_a_fetch_error_keeps_the_id_we_already_know() -> None:
    with pytest.raises(EndpointError) as info:
        parse_submission(200, b'{"status":"failed","message":"oops"}', endpoint_id="310815")
    assert info.value.endpoint_id == "310815"


def test_an_echoed_key_is_redacted_from_the_message() -> None:
    register_secret("sk-echoed-7d3a9f")
    err = parse_error(200, {"status": "error", "message": "Invalid API key sk-echoed-7d3a9f"})
    assert "sk-echoed-7d3a9f" not in str(err)
    assert "***" in str(err)


def test_long_vendor_messages_are_clipped() -> None:
    err = parse_error(500, {"message": "x" * 5000})
    assert len(str(err)) < 400


@pytest.mark.parametrize(
    ("link", "reason"),
    [("https://cdn/x.wav", None), ("HTTP://cdn/x.wav", None), ("ftp://cdn/x.wav", "scheme 'ftp'"),
     ("data:audio/wav;base64,AAAA", "scheme 'data'"), ("x.wav", "scheme '(none)'")],
)
def test_only_http_links_are_downloadable(link: str, reason: str | None) -> None:
    ((_, why),) = iter_http_links([link])
    assert why == reason or (reason is not None and why is not None and reason in why)
