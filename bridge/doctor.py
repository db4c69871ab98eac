"""``musicgen-bridge doctor``: why does it not connect? Each check says what it saw and how to fix it.

:func:`run_doctor` takes plain values (the lead's CLI passes them from the
config), runs every check with short timeouts and returns rows plus an overall
verdict; :func:`format_table` renders them. Nothing here prints. A check that
fails something the configuration *needs* is ``fail`` (non-zero exit); a
missing optional piece (MIDI when not asked for, AbletonOSC when the tempo
source is not Ableton) is ``warn``.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import requests

from bridge.core import addresses as A
from bridge.errors import BridgeError, PortInUseError
from bridge.hosts.ableton import ABLETON_REPLY_PORT, ABLETON_SEND_PORT, AbletonClient
from bridge.hosts.oscwire import OscSocket
from bridge.hosts.reaper import DEFAULT_REAPER_FEEDBACK_PORT, DEFAULT_REAPER_LISTEN_PORT, ReaperTempoSource

__all__ = ["CheckRow", "LocalEndpointLike", "format_table", "run_doctor"]

log = logging.getLogger(__name__)

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True, slots=True)
class CheckRow:
    name: str
    status: Status
    detail: str
    fix: str = ""


class LocalEndpointLike(Protocol):
    """What :class:`bridge.endpoint.local.LocalEndpoint` offers: ``start()`` returns its base URL."""

    def start(self) -> str: ...

    def stop(self) -> None: ...


def _classify_key_reply(response: requests.Response) -> tuple[Status, str, str]:
    """A fetch of generation 0 costs nothing: the vendor checks the key first, then finds no such id."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    message = ""
    if isinstance(body, dict):
        message = str(body.get("message") or body.get("messege") or "")
    lowered = message.lower()
    if response.status_code in (401, 403) or ("key" in lowered and ("invalid" in lowered or "required" in lowered)):
        return (
            "fail",
            f"the endpoint refused the API key (HTTP {response.status_code}: {message[:120] or 'no message'})",
            "check MODELSLAB_API_KEY (copy it again from your ModelsLab dashboard)",
        )
    if response.status_code == 402 or "credit" in lowered:
        return "warn", "key accepted, but the account has no credits left", "top up the account before generating"
    if response.status_code >= 500 or body is None:
        return (
            "fail",
            f"the endpoint answered HTTP {response.status_code} with {'no JSON' if body is None else 'an error'}",
            "the service may be down; try again later, or check endpoint.base_url",
        )
    return "ok", f"answers, key accepted (HTTP {response.status_code})", ""


def check_endpoint(
    base_url: str | None,
    api_key: str | None,
    *,
    timeout: float = 5.0,
    local_endpoint: Callable[[], LocalEndpointLike] | None = None,
) -> CheckRow:
    if base_url is None and not api_key:
        if local_endpoint is None:
            return CheckRow("endpoint", "skip", "built-in local endpoint (no URL and no key set); not started here")
        endpoint = local_endpoint()
        try:
            url = endpoint.start()
            response = requests.post(f"{url.rstrip('/')}/fetch/0", json={"key": ""}, timeout=timeout)
            return CheckRow("endpoint", "ok", f"built-in local endpoint starts and answers at {url} (HTTP {response.status_code})")
        except (BridgeError, OSError, requests.RequestException) as exc:
            return CheckRow("endpoint", "fail", f"the built-in local endpoint did not start: {exc}",
                            "run `musicgen-bridge local-endpoint` to see the full error")
        finally:
            endpoint.stop()
    if base_url is None:
        base_url = "https://modelslab.com/api/v6/voice"
    if not api_key:
        return CheckRow("endpoint", "fail", f"{base_url} needs an API key and none is set",
                        "export MODELSLAB_API_KEY=... (or set endpoint.api_key in the config file)")
    url = f"{base_url.rstrip('/')}/fetch/0"
    try:
        response = requests.post(url, json={"key": api_key}, timeout=timeout)
    except requests.Timeout:
        return CheckRow("endpoint", "fail", f"{base_url} did not answer within {timeout:g} s",
                        "check the network (a proxy? a firewall?) or endpoint.base_url")
    except requests.RequestException as exc:
        return CheckRow("endpoint", "fail", f"cannot reach {base_url}: {type(exc).__name__}",
                        "check the network and endpoint.base_url")
    status, detail, fix = _classify_key_reply(response)
    return CheckRow("endpoint", status, f"{base_url}: {detail}", fix)


def check_udp_port(name: str, host: str, port: int, fix: str) -> CheckRow:
    try:
        OscSocket(port, bind_host=host, purpose=name, fix=fix).close()
    except PortInUseError as exc:
        return CheckRow(name, "fail", str(exc).split(";")[0], fix)
    return CheckRow(name, "ok", f"UDP {host}:{port} is free")


def check_midi(required: bool) -> CheckRow:
    bad: Status = "fail" if required else "warn"
    try:
        import mido
        import rtmidi  # noqa: F401  (the backend mido uses; its absence is the usual failure)
    except ImportError as exc:
        return CheckRow("MIDI", bad, f"MIDI library missing: {exc.name}", "pip install mido python-rtmidi")
    try:
        inputs = mido.get_input_names()  # type: ignore[attr-defined]
    except Exception as exc:  # rtmidi raises SystemError/RuntimeError without an ALSA sequencer
        return CheckRow(
            "MIDI", bad, f"no MIDI system: {str(exc).strip()[:120] or type(exc).__name__}",
            "load the ALSA sequencer (modprobe snd-seq), or use --midi-api jack with JACK running, or --no-midi",
        )
    shown = ", ".join(inputs[:6]) + ("..." if len(inputs) > 6 else "")
    return CheckRow("MIDI", "ok", f"{len(inputs)} input port(s){': ' + shown if inputs else ''}")


def check_audio(capture_device: str | None) -> CheckRow:
    bad: Status = "fail" if capture_device else "warn"
    try:
        import sounddevice  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:
        return CheckRow("audio capture", bad if capture_device else "skip",
                        f"sounddevice unavailable: {exc}", "pip install sounddevice; apt-get install libportaudio2")
    try:
        devices = [d for d in sounddevice.query_devices() if d.get("max_input_channels", 0) > 0]
    except Exception as exc:  # PortAudio errors have their own type; any of them means no devices
        return CheckRow("audio capture", bad, f"cannot list audio devices: {exc}", "check the audio system (JACK, ALSA)")
    names = [str(d["name"]) for d in devices]
    if capture_device:
        wanted = capture_device
        found = (wanted.isdigit() and int(wanted) < len(sounddevice.query_devices())) or any(
            wanted.lower() in n.lower() for n in names
        )
        if not found:
            return CheckRow("audio capture", "fail", f"no input device matches {wanted!r} (have: {', '.join(names) or 'none'})",
                            "pick one from `musicgen-bridge ports` for --capture-device")
    if not names:
        return CheckRow("audio capture", bad, "no audio input devices", "connect an input or a loopback device")
    return CheckRow("audio capture", "ok", f"{len(names)} input device(s): {', '.join(names[:4])}")


def check_ableton(host: str, send_port: int, reply_port: int, needed: bool, timeout: float) -> CheckRow:
    bad: Status = "fail" if needed else "warn"
    try:
        client = AbletonClient(host, send_port, reply_port)
    except PortInUseError:
        return CheckRow(
            "AbletonOSC", bad,
            f"cannot listen for its replies: UDP {reply_port} is taken (a running musicgen-bridge with "
            "tempo_source = 'ableton', or another AbletonOSC client)",
            "stop the other program, or run doctor while the bridge is stopped",
        )
    try:
        answered = client.ping(timeout)
    finally:
        client.close()
    if answered:
        return CheckRow("AbletonOSC", "ok", f"answers /live/test on {host}:{send_port}")
    return CheckRow(
        "AbletonOSC", bad, f"no answer to /live/test on {host}:{send_port} within {timeout:g} s (Live not running?)",
        "install AbletonOSC and choose it under Live's Preferences > Link/Tempo/MIDI > Control Surface",
    )


def check_reaper(port: int, reaper_port: int | None, timeout: float) -> CheckRow:
    fix = (
        f"in REAPER: Preferences > Control/OSC/web > Add OSC, pattern config MusicGenBridge, "
        f"Device IP 127.0.0.1, Device port {port}, Local listen port {reaper_port or DEFAULT_REAPER_LISTEN_PORT}"
    )
    try:
        source = ReaperTempoSource(port, reaper_port=reaper_port)
    except PortInUseError as exc:
        return CheckRow("REAPER feedback", "fail", str(exc).split(";")[0],
                        "stop the running bridge first, or choose another reaper_port")
    try:
        info = source.current(timeout)
        datagrams = source.datagrams
    finally:
        source.close()
    if info is not None and info.bpm is not None:
        return CheckRow("REAPER feedback", "ok", f"tempo {info.bpm:g} bpm arrives on UDP {port}")
    if datagrams:
        return CheckRow("REAPER feedback", "fail", f"REAPER sends to UDP {port} but no /tempo/raw",
                        "choose the MusicGenBridge pattern config (musicgen-bridge install-reaper-script)")
    return CheckRow("REAPER feedback", "fail", f"nothing arrived on UDP {port} within {timeout:g} s", fix)


def check_folder(name: str, path: Path) -> CheckRow:
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-", delete=True) as handle:
            handle.write(b"ok")
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as exc:
        return CheckRow(f"{name} folder", "fail", f"cannot write to '{path}': {exc.strerror or exc}",
                        f"fix its permissions, or choose another {name} folder in the config")
    return CheckRow(f"{name} folder", "ok", f"'{path}' is writable")


def run_doctor(
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    local_endpoint: Callable[[], LocalEndpointLike] | None = None,
    osc_host: str = "127.0.0.1",
    osc_port: int = A.DEFAULT_OSC_PORT,
    reply_port: int = A.DEFAULT_REPLY_PORT,
    folders: Sequence[tuple[str, Path]] = (),
    midi: bool | None = None,
    capture_device: str | None = None,
    tempo_source: str | None = None,
    ableton_host: str = "127.0.0.1",
    ableton_send_port: int = ABLETON_SEND_PORT,
    ableton_reply_port: int = ABLETON_REPLY_PORT,
    reaper_port: int = DEFAULT_REAPER_FEEDBACK_PORT,
    reaper_listen_port: int | None = DEFAULT_REAPER_LISTEN_PORT,
    timeout: float = 1.0,
    endpoint_timeout: float = 5.0,
    check_network: bool = True,
) -> tuple[list[CheckRow], bool]:
    """Run every check; ``ok`` is false when any row failed.

    ``folders`` are ``(name, path)`` pairs (``("output", ...)``, ``("inbox", ...)``,
    ``("captures", ...)``). ``midi``: ``True`` asked for explicitly (a failure fails),
    ``None`` the default (a failure warns), ``False`` disabled (skipped).
    ``check_network=False`` skips the endpoint (for offline tests of the rest).
    """
    started = time.monotonic()
    rows: list[CheckRow] = []
    if check_network:
        rows.append(check_endpoint(base_url, api_key, timeout=endpoint_timeout, local_endpoint=local_endpoint))
    rows.append(check_udp_port(
        "OSC in", osc_host, osc_port,
        "another program (or a running musicgen-bridge serve: then all is well) holds it; choose --osc-port",
    ))
    # the bridge only sends to the reply port; Max's [udpreceive] binds it, so "taken" is the good case
    rows.append(CheckRow("OSC replies", "ok", f"replies go to port {reply_port} of the sender (Max listens there)"))
    if midi is False:
        rows.append(CheckRow("MIDI", "skip", "disabled (--no-midi)"))
    else:
        rows.append(check_midi(required=bool(midi)))
    rows.append(check_audio(capture_device))
    rows.append(check_ableton(ableton_host, ableton_send_port, ableton_reply_port, tempo_source == "ableton", timeout))
    if tempo_source == "reaper":
        rows.append(check_reaper(reaper_port, reaper_listen_port, max(timeout, 1.0)))
    for name, path in folders:
        rows.append(check_folder(name, Path(path).expanduser()))
    ok = all(row.status != "fail" for row in rows)
    log.info("doctor: %d checks in %.1f s, %s", len(rows), time.monotonic() - started, "ok" if ok else "problems")
    return rows, ok


_MARKS = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "skip": "-"}


def format_table(rows: Sequence[CheckRow]) -> str:
    """A plain-text table: check, status, what was seen; each failure's fix on the line below."""
    name_w = max([len("check")] + [len(r.name) for r in rows])
    lines = [f"{'check':<{name_w}}  {'':<4}  result", f"{'-' * name_w}  ----  {'-' * 40}"]
    for row in rows:
        lines.append(f"{row.name:<{name_w}}  {_MARKS[row.status]:<4}  {row.detail}")
        if row.fix and row.status in ("fail", "warn"):
            lines.append(f"{'':<{name_w}}        fix: {row.fix}")
    return "\n".join(lines)
