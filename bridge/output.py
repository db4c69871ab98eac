"""The output folder every take lands in: safe names, atomic writes, sidecars, never an overwrite.

Takes are written under a name a DAW's folder watcher ignores (a dot-file
ending ``.part``), then linked to their final name in one step, so a watcher
never sees half a file and an existing take is never replaced.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from bridge.audio.fit import fit_length, peak_limit
from bridge.audio.wav import LoopInfo, write_wav
from bridge.core.music import bars_to_samples
from bridge.core.request import GenerationSpec
from bridge.errors import StorageError

__all__ = ["OutputFolder", "TakeRecord", "build_take_name", "slugify"]

log = logging.getLogger(__name__)

_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
SLUG_MAX = 40
INCOMING = ".incoming"


def slugify(text: str, max_len: int = SLUG_MAX) -> str:
    """A filename part safe on Windows, macOS and Linux: lowercase ASCII letters, digits and dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    slug = slug[:max_len].rstrip("-")
    if not slug or slug in _WINDOWS_RESERVED:
        slug = f"take-{slug}" if slug else "untitled"
    return slug


def _key_part(spec: GenerationSpec) -> str:
    if spec.key is None:
        return "nokey"
    # '#' is legal everywhere but awkward in shells and URLs; 's' reads as sharp (Gsm = G# minor)
    return spec.key.short().replace("#", "s")


def build_take_name(spec: GenerationSpec, take_id: str, when: datetime) -> str:
    """``<date>-<time>_<prompt slug>_<bpm>bpm_<key>_<id>.wav``: unique, sortable, filesystem-safe."""
    bpm = f"{spec.bpm:g}".replace(".", "p") if spec.bpm is not None else "x"
    stamp = when.strftime("%Y%m%d-%H%M%S")
    return f"{stamp}_{slugify(spec.prompt)}_{bpm}bpm_{_key_part(spec)}_{slugify(take_id, 24)}.wav"


@dataclass(frozen=True, slots=True)
class TakeRecord:
    path: Path
    sidecar: Path
    frames: int
    sample_rate: int

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate


def _storage_error(exc: OSError, where: Path, action: str) -> StorageError:
    if exc.errno == errno.ENOSPC:
        hint = "the disk is full; free some space or set out to a folder on another disk"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = "permission denied; choose a folder you can write with --out"
    else:
        hint = exc.strerror or str(exc)
    return StorageError(f"cannot {action} '{where}': {hint}")


class OutputFolder:
    """Owns the folder takes are written to."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().absolute()

    @property
    def incoming(self) -> Path:
        """Where downloads wait until they become takes; hidden, so DAW watchers skip it."""
        return self.root / INCOMING

    def ensure(self) -> None:
        for folder in (self.root, self.incoming):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _storage_error(exc, folder, "create the output folder") from exc
        if not os.access(self.root, os.W_OK):
            raise StorageError(f"cannot write to the output folder '{self.root}'; choose another with --out")

    def write_take(
        self,
        audio: np.ndarray,
        sample_rate: int,
        spec: GenerationSpec,
        *,
        take_id: str,
        details: dict[str, Any],
        when: datetime | None = None,
    ) -> TakeRecord:
        """Fit, write and announce-ready a take. ``details`` goes into the sidecar (never the API key)."""
        self.ensure()
        when = when or datetime.now()
        audio, loop = self._shape(audio, sample_rate, spec)
        part = self.root / f".{uuid.uuid4().hex}.wav.part"
        try:
            write_wav(part, audio, sample_rate, loop)
            final = self._link_unique(part, build_take_name(spec, take_id, when))
        except OSError as exc:
            raise _storage_error(exc, self.root, "write the take into") from exc
        finally:
            part.unlink(missing_ok=True)
        sidecar = final.with_suffix(".json")
        record = TakeRecord(final, sidecar, len(audio), sample_rate)
        self._write_sidecar(sidecar, spec, record, take_id, details, when)
        log.info("take written: %s (%.2f s)", final, record.seconds)
        return record

    def find_take(self, take_id: str, *, prompt: str, seed: int | None) -> TakeRecord | None:
        """A take already written for this endpoint id, prompt and seed: resuming must not write it twice."""
        for sidecar in self.root.glob(f"*_{slugify(take_id, 24)}*.json"):
            try:
                data = json.loads(sidecar.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            wav = sidecar.with_suffix(".wav")
            if (
                str(data.get("endpoint_id")) == str(take_id)
                and data.get("prompt") == prompt
                and data.get("seed") == seed
                and wav.exists()
            ):
                return TakeRecord(wav, sidecar, int(data.get("frames", 0)), int(data.get("sample_rate", 1)))
        return None

    def _shape(self, audio: np.ndarray, sample_rate: int, spec: GenerationSpec) -> tuple[np.ndarray, LoopInfo | None]:
        if audio.ndim == 1:
            audio = audio[:, None]
        root = 60 + spec.key.tonic if spec.key is not None else None
        if spec.bars is not None and spec.bpm is not None:
            frames = bars_to_samples(spec.bars, spec.bpm, spec.beats_per_bar, sample_rate)
            beats = round(spec.bars * spec.beats_per_bar)
            loop = LoopInfo(bpm=spec.bpm, root_note=root, beats=beats, beats_per_bar=spec.beats_per_bar)
            return fit_length(audio, frames, sample_rate, loop=True), loop
        if spec.seconds is not None:
            frames = round(spec.seconds * sample_rate)
            if frames < len(audio):
                audio = fit_length(audio, frames, sample_rate, loop=False)
        loop = LoopInfo(bpm=spec.bpm, root_note=root) if (spec.bpm or root is not None) else None
        return peak_limit(np.asarray(audio, dtype=np.float32)), loop

    def _link_unique(self, part: Path, name: str) -> Path:
        """Give the part file its final name without ever replacing an existing file."""
        stem, suffix = name.rsplit(".", 1)
        for attempt in range(1000):
            final = self.root / (name if attempt == 0 else f"{stem}-{attempt + 1}.{suffix}")
            try:
                # link() fails if the name exists: atomic and never overwrites, unlike replace()
                os.link(part, final)
                return final
            except FileExistsError:
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                    raise
                # filesystems without hard links (FAT, some network shares): check, then rename
                if final.exists():
                    continue
                os.rename(part, final)
                return final
        raise StorageError(f"no free take name for '{name}' in '{self.root}'")

    def _write_sidecar(
        self, path: Path, spec: GenerationSpec, record: TakeRecord, take_id: str, details: dict[str, Any], when: datetime
    ) -> None:
        data = {
            "take_id": take_id,
            "file": record.path.name,
            "created": when.isoformat(timespec="seconds"),
            "prompt": spec.prompt,
            "key": spec.key.name() if spec.key else None,
            "bpm": spec.bpm,
            "bars": spec.bars,
            "beats_per_bar": spec.beats_per_bar,
            "seconds": round(record.seconds, 6),
            "sample_rate": record.sample_rate,
            "frames": record.frames,
            "seed": spec.seed,
            "clip": str(spec.clip) if spec.clip else None,
            **{k: v for k, v in details.items() if k != "key"},
        }
        part = path.with_name(f".{path.name}.part")
        try:
            part.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
            os.replace(part, path)
        except OSError as exc:
            part.unlink(missing_ok=True)
            # the WAV is already safe; a missing sidecar must not lose the take
            log.warning("take kept, but its sidecar could not be written: %s", _storage_error(exc, path, "write"))
