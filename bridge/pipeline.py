"""The take maker: spec -> vendor request -> endpoint -> verified download -> take in the output folder.

This is the one place that joins the endpoint client and the output folder.
A download waits in the output folder's hidden ``.incoming`` folder, named
after its endpoint id, until its take is written: if writing fails (disk full)
or the bridge dies, the paid-for generation is still there, and :meth:`resume`
finds it by id instead of asking the endpoint again.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import soundfile as sf

from bridge.audio.conditioning import encode_clip
from bridge.core.progress import Progress, ProgressCallback, Stage, Take
from bridge.core.request import SEED_MAX, EndpointRequest, GenerationSpec, RequestOptions, build_request
from bridge.endpoint.client import Download, EndpointClient, EndpointSettings
from bridge.core.response import Submission
from bridge.errors import BadAudioError, CancelledError, StorageError
from bridge.output import OutputFolder

__all__ = ["EndpointTakeMaker", "resolve_seed"]

log = logging.getLogger(__name__)


def resolve_seed(spec: GenerationSpec) -> GenerationSpec:
    """A take always has a seed, so it can be made again; ``None`` or ``-1`` picks one at random."""
    if spec.seed is None or spec.seed < 0:
        return spec.replace(seed=secrets.randbelow(SEED_MAX))
    return spec


class EndpointTakeMaker:
    """Implements :class:`bridge.core.progress.TakeMaker` over an HTTP Music Gen endpoint."""

    def __init__(
        self,
        endpoint: EndpointSettings,
        options: RequestOptions,
        output: OutputFolder,
        *,
        max_clip_bytes: int = 200 * 2**20,
        client_factory: Callable[[EndpointSettings], EndpointClient] = EndpointClient,
    ) -> None:
        self.endpoint = endpoint
        self.options = options
        self.output = output
        self.max_clip_bytes = max_clip_bytes
        self._client_factory = client_factory
        # requests.Session is not documented thread-safe: one client per worker thread
        self._local = threading.local()

    @property
    def _client(self) -> EndpointClient:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._client_factory(self.endpoint)
        return client

    def build(self, spec: GenerationSpec) -> EndpointRequest:
        """The vendor request for a spec, with the clip encoded; raises before anything is sent."""
        init_audio = None
        if spec.clip is not None:
            init_audio = encode_clip(spec.clip, self.options.sampling_rate, max_bytes=self.max_clip_bytes)
        return build_request(spec, self.options, init_audio)

    def make(
        self,
        spec: GenerationSpec,
        *,
        progress: ProgressCallback,
        cancel: threading.Event,
        on_accepted: Callable[[str], None],
    ) -> Take:
        spec = resolve_seed(spec)
        progress(Progress(Stage.PREPARING, 0.0))
        request = self.build(spec)
        self.output.ensure()
        download = self._client.generate(
            request, self.output.incoming, progress=progress, cancel=cancel, on_accepted=on_accepted
        )
        return self._write(spec, request, download.path, download, cancel)

    def resume(
        self,
        spec: GenerationSpec,
        endpoint_id: str,
        *,
        progress: ProgressCallback,
        cancel: threading.Event,
    ) -> Take:
        spec = resolve_seed(spec)
        request = self.build(spec)
        self.output.ensure()
        written = self.output.find_take(endpoint_id, prompt=spec.prompt, seed=spec.seed)
        if written is not None:
            # the bridge died after writing the take but before the journal heard: announce it, do not write it again
            log.info("generation %s: its take was already written: %s", endpoint_id, written.path)
            return Take(written.path, spec, written.seconds, written.sample_rate, endpoint_id=endpoint_id)
        kept = self._kept_download(endpoint_id)
        if kept is not None:
            log.info("generation %s: its download was kept from before; writing the take", endpoint_id)
            return self._write(spec, request, kept, None, cancel, endpoint_id=endpoint_id)
        download = self._client.finish(
            Submission(endpoint_id=endpoint_id, status="processing"),
            self.output.incoming,
            request.expected_format,
            progress=progress,
            cancel=cancel,
        )
        return self._write(spec, request, download.path, download, cancel)

    def _kept_download(self, endpoint_id: str) -> Path | None:
        for path in sorted(self.output.incoming.glob(f"modelslab-{endpoint_id}.*")):
            if not path.name.endswith(".part"):
                return path
        return None

    def _write(
        self,
        spec: GenerationSpec,
        request: EndpointRequest,
        path: Path,
        download: Download | None,
        cancel: threading.Event,
        *,
        endpoint_id: str | None = None,
    ) -> Take:
        endpoint_id = download.endpoint_id if download else endpoint_id
        if cancel.is_set():
            # the musician cancelled: nothing is written for this job
            path.unlink(missing_ok=True)
            raise CancelledError("cancelled; nothing was written")
        try:
            audio, sample_rate = sf.read(str(path), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as exc:
            raise BadAudioError(f"the downloaded take '{path.name}' cannot be decoded: {exc}", endpoint_id=endpoint_id) from exc
        details: dict[str, Any] = {
            "endpoint": self.endpoint.base_url,
            "endpoint_id": endpoint_id,
            "generation_time": download.generation_time if download else None,
            "request": request.describe(),
        }
        try:
            record = self.output.write_take(
                audio, int(sample_rate), spec, take_id=endpoint_id or "local", details=details
            )
        except StorageError as exc:
            raise StorageError(
                f"{exc.message}; the generation is kept at '{path}' and is written when the bridge resumes it"
            ) from exc
        path.unlink(missing_ok=True)
        return Take(
            path=record.path,
            spec=spec,
            seconds=record.seconds,
            sample_rate=record.sample_rate,
            endpoint_id=endpoint_id,
            generation_time=download.generation_time if download else None,
        )
