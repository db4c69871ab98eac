"""The take maker end to end: a real HTTP endpoint on loopback, real files, a real full disk."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from bridge.core.music import Key
from bridge.core.progress import Progress, Stage
from bridge.core.request import GenerationSpec, RequestOptions
from bridge.endpoint.client import EndpointSettings
from bridge.endpoint.local import LocalEndpoint
from bridge.engine import create_engine
from bridge.errors import CancelledError, ClipError, StorageError
from bridge.output import OutputFolder
from bridge.pipeline import EndpointTakeMaker
from support.fullfs import tiny_filesystem
from support.vendor_server import VendorServer, make_wav_bytes, success

FAST = dict(backoff_base=0.01, backoff_max=0.05, poll_initial=0.05, poll_max=0.1, deadline=20.0)


def maker_for(url: str, out: Path, **options: object) -> EndpointTakeMaker:
    return EndpointTakeMaker(
        EndpointSettings(base_url=url, api_key="sk-test-key-123", **FAST),
        RequestOptions(**options),  # type: ignore[arg-type]
        OutputFolder(out),
    )


def run(maker: EndpointTakeMaker, spec: GenerationSpec, cancel: threading.Event | None = None):
    stages: list[Stage] = []
    accepted: list[str] = []
    take = maker.make(
        spec,
        progress=lambda p: stages.append(p.stage),
        cancel=cancel or threading.Event(),
        on_accepted=accepted.append,
    )
    return take, stages, accepted


@pytest.fixture(scope="module")
def local_endpoint():
    with LocalEndpoint(create_engine()) as endpoint:
        yield endpoint


def test_take_from_the_built_in_endpoint_lands_on_the_grid(local_endpoint: LocalEndpoint, tmp_path: Path) -> None:
    spec = GenerationSpec("marimba, tropical house", key=Key(8, True), bpm=96, bars=4)
    take, stages, accepted = run(maker_for(local_endpoint.url, tmp_path), spec)
    assert take.path.parent == tmp_path and take.path.exists()
    assert sf.info(str(take.path)).frames == round(4 * 4 * 60 / 96 * 32000)
    assert take.spec.seed is not None and take.spec.seed >= 0  # a random seed is chosen and reported
    assert accepted == [take.endpoint_id]
    assert stages[0] == Stage.PREPARING and Stage.DOWNLOADING in stages
    sidecar = json.loads(take.path.with_suffix(".json").read_text())
    assert sidecar["seed"] == take.spec.seed and sidecar["endpoint_id"] == take.endpoint_id
    assert "sk-test-key-123" not in take.path.with_suffix(".json").read_text()
    assert list((tmp_path / ".incoming").iterdir()) == []


def test_clip_is_sent_as_base64_wav_at_the_endpoint_rate(tmp_path: Path) -> None:
    clip = tmp_path / "clip.wav"
    sf.write(str(clip), np.zeros((48000 * 2, 2), dtype=np.float32) + 0.1, 48000)
    with VendorServer() as server:
        server.files["x.wav"] = make_wav_bytes(1.0)
        server.script_generate(success(output=[server.file_url("x.wav")]))
        take, _, _ = run(maker_for(server.url, tmp_path / "out"), GenerationSpec("x", clip=clip))
        body = server.requests_to("music_gen")[0].json
    assert body["base64"] is True and body["init_audio"].startswith("data:audio/wav;base64,")
    import base64, io

    sent = sf.info(io.BytesIO(base64.b64decode(body["init_audio"].split(",", 1)[1])))
    assert (sent.samplerate, sent.channels, round(sent.duration, 2)) == (32000, 1, 2.0)
    assert take.path.exists()


def test_a_non_audio_clip_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    clip = tmp_path / "notes.txt"
    clip.write_text("not audio")
    with VendorServer() as server:
        with pytest.raises(ClipError, match="not audio libsndfile can read"):
            run(maker_for(server.url, tmp_path / "out"), GenerationSpec("x", clip=clip))
        assert server.requests == []


def test_full_disk_keeps_the_paid_generation_and_resume_writes_it_without_asking_again(tmp_path: Path) -> None:
    spec = GenerationSpec("x", seed=5)
    with VendorServer() as server, tiny_filesystem(tmp_path / "disk", size_kb=1400) as disk:
        # 5 s stereo 16-bit downloads as 640 kB; the 24-bit take needs 960 kB more: it does not fit
        server.files["take.wav"] = make_wav_bytes(5.0, channels=2)
        server.script_generate(success(id=4242, output=[server.file_url("take.wav")]))
        maker = maker_for(server.url, disk / "takes")
        with pytest.raises(StorageError, match="disk is full.*kept at"):
            run(maker, spec)
        kept = list((disk / "takes" / ".incoming").iterdir())
        assert [p.name for p in kept] == ["modelslab-4242.wav"]
        subprocess.run(["mount", "-o", "remount,size=4m", str(disk)], check=True)
        before = len(server.requests)
        take = maker.resume(spec, "4242", progress=lambda p: None, cancel=threading.Event())
        assert len(server.requests) == before  # no fetch, no POST: the kept file was used
        assert take.path.exists() and take.endpoint_id == "4242"
        assert not (disk / "takes" / ".incoming" / "modelslab-4242.wav").exists()
        assert len(server.requests_to("music_gen")) == 1


def test_resume_polls_by_id_and_never_posts(tmp_path: Path) -> None:
    with VendorServer() as server:
        server.files["late.wav"] = make_wav_bytes(1.0)
        server.script_fetch(success(id=77, output=[server.file_url("late.wav")]))
        take = maker_for(server.url, tmp_path).resume(
            GenerationSpec("x"), "77", progress=lambda p: None, cancel=threading.Event()
        )
        assert server.requests_to("music_gen") == []
        assert len(server.requests_to("fetch/77")) == 1
    assert take.path.exists()


def test_cancel_after_download_writes_nothing(tmp_path: Path) -> None:
    cancel = threading.Event()

    def cancel_when_downloading(progress: Progress) -> None:
        if progress.stage == Stage.DOWNLOADING:
            cancel.set()

    with VendorServer() as server:
        server.files["x.wav"] = make_wav_bytes(1.0)
        server.script_generate(success(output=[server.file_url("x.wav")]))
        maker = maker_for(server.url, tmp_path)
        with pytest.raises(CancelledError):
            maker.make(GenerationSpec("x"), progress=cancel_when_downloading, cancel=cancel, on_accepted=lambda i: None)
    assert not list(tmp_path.glob("*.wav")) and not list((tmp_path / ".incoming").iterdir())


def test_resume_after_the_take_was_written_announces_it_without_writing_again(tmp_path: Path) -> None:
    spec = GenerationSpec("x", seed=9)
    with VendorServer() as server:
        server.files["x.wav"] = make_wav_bytes(1.0)
        server.script_generate(success(id=555, output=[server.file_url("x.wav")]))
        maker = maker_for(server.url, tmp_path)
        first, _, _ = run(maker, spec)
        before = len(server.requests)
        again = maker.resume(spec, "555", progress=lambda p: None, cancel=threading.Event())
        assert len(server.requests) == before
    assert again.path == first.path
    assert len(list(tmp_path.glob("*.wav"))) == 1
