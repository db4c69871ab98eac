from __future__ import annotations

import pytest

from bridge.core.music import Key
from bridge.core.request import EndpointRequest, GenerationSpec, RequestOptions, build_request, style_prompt
from bridge.errors import UsageError

SPEC = GenerationSpec("marimba, tropical house", key=Key(8, True), bpm=96, bars=8)


def test_key_and_bpm_are_added_in_the_vendors_style() -> None:
    assert style_prompt("marimba,  tropical house", Key(8, True), 96) == "marimba, tropical house, G# minor, 96 bpm"


def test_key_and_bpm_already_in_the_prompt_are_not_repeated() -> None:
    assert style_prompt("sitar, G# minor, 96 bpm", Key(8, True), 96) == "sitar, G# minor, 96 bpm"


def test_duration_field_set_payload() -> None:
    payload = build_request(SPEC, RequestOptions()).to_payload("secret")
    assert payload == {
        "key": "secret",
        "prompt": "marimba, tropical house, G# minor, 96 bpm",
        "base64": False,
        "temp": False,
        "duration": 30,  # 20 s of bars is generated at the vendor's 30 s minimum, then trimmed to the grid
        "output_format": "wav",
        "sampling_rate": 32000,
        "webhook": None,
        "track_id": None,
    }


def test_tokens_field_set_payload() -> None:
    payload = build_request(SPEC, RequestOptions(fields="tokens")).to_payload("k")
    assert payload["max_new_token"] == 1000  # 20 s at 50 tokens a second
    assert payload["sampling_rate"] == 32000
    assert "duration" not in payload and "output_format" not in payload


def test_tokens_field_set_refuses_a_take_longer_than_1024_tokens() -> None:
    with pytest.raises(UsageError, match="longer than the 20.5 s the 'tokens' field set allows"):
        build_request(SPEC.replace(bars=16), RequestOptions(fields="tokens"))


def test_duration_past_480_is_an_error_not_a_clamp() -> None:
    with pytest.raises(UsageError, match="480 s maximum"):
        build_request(GenerationSpec("x", seconds=481), RequestOptions())


def test_base64_clip_is_flagged() -> None:
    req = build_request(SPEC, RequestOptions(), "data:audio/wav;base64,AAAA")
    assert req.base64 is True
    assert req.describe()["init_audio"].startswith("<base64 wav")
    assert "key" not in req.describe()


@pytest.mark.parametrize(
    "fields, match",
    [
        (dict(duration=29), "duration must be a whole number 30 to 480"),
        (dict(duration=30, output_format="ogg"), "output_format must be one of wav, mp3, flac"),
        (dict(duration=30, output_format="wav", bitrate="192k"), "bitrate applies to mp3 only"),
        (dict(duration=30, output_format="mp3", bitrate="256k"), "bitrate must be one of"),
        (dict(duration=30, output_format="wav", sampling_rate=9999), "sampling_rate must be a whole number 10000"),
        (dict(fields="tokens", sampling_rate=32000, max_new_token=255), "max_new_token must be a whole number 256 to 1024"),
        (dict(fields="tokens", sampling_rate=32000, max_new_token=1025), "max_new_token"),
        (dict(duration=30, output_format="wav", init_audio="file:///etc/passwd"), "http\\(s\\) URL or a base64 clip"),
        (dict(duration=30, output_format="wav", base64=True, init_audio="https://x/y.wav"), "base64 = true needs"),
        (dict(duration=30, output_format="wav", track_id=-1), "track_id"),
        (dict(duration=30, output_format="wav", webhook="ftp://x"), "webhook must be an http"),
    ],
)
def test_every_field_is_validated_before_sending(fields: dict, match: str) -> None:
    with pytest.raises(UsageError, match=match):
        EndpointRequest(prompt="marimba", **fields)


def test_empty_prompt_is_refused() -> None:
    with pytest.raises(UsageError, match="the prompt is empty"):
        build_request(GenerationSpec("   "), RequestOptions())


def test_bars_without_a_tempo_is_refused() -> None:
    with pytest.raises(UsageError, match="bars need a tempo"):
        build_request(GenerationSpec("x", bars=4), RequestOptions())
