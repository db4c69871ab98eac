"""Settings: defaults < TOML file < environment < command-line flags.

One frozen :class:`Settings` holds every key. The TOML file is flat (plus the
``[midi]`` table read by the MIDI mapper); every
key can also be set as ``MUSICGEN_BRIDGE_<KEY>`` in the environment, and the
API key as ``MODELSLAB_API_KEY``. An unknown key is an error that names the
closest known one. The API key is never taken from a flag: flags show in ``ps``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import platformdirs

from bridge.core.network import is_loopback_host, parse_allow, parse_notify_target
from bridge.core.request import API_FIELD_SETS, BITRATES, OUTPUT_FORMATS, RequestOptions
from bridge.errors import ConfigError, register_secret

__all__ = [
    "APP_NAME",
    "ENV_PREFIX",
    "KEY_ENV",
    "TEMPO_SOURCES",
    "Settings",
    "default_config_path",
    "load_settings",
    "parse_slot",
]

APP_NAME = "musicgen-bridge"
ENV_PREFIX = "MUSICGEN_BRIDGE_"
KEY_ENV = "MODELSLAB_API_KEY"
VENDOR_URL = "https://modelslab.com/api/v6/voice"
TEMPO_SOURCES = ("sticky", "midi-clock", "ableton", "reaper")
#: rtmidi's APIs as --midi-api names them (bridge.midi.ports maps each to rtmidi's own name)
MIDI_API_NAMES = ("alsa", "jack", "coremidi", "windows_mm")


def _music_dir() -> Path:
    return Path(platformdirs.user_music_dir()) / "MusicGen Bridge"


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def _doc(text: str, **kw: Any) -> Any:
    """A dataclass field whose help text README's settings table is generated from."""
    kw.setdefault("metadata", {"doc": text})
    return field(**kw)


@dataclass(frozen=True)
class Settings:
    # endpoint
    endpoint: str | None = _doc("Music Gen endpoint base URL; none: the vendor's API with an API key, else the built-in local endpoint", default=None)
    api_key: str | None = field(default=None, repr=False, metadata={"doc": f"vendor API key (prefer the {KEY_ENV} environment variable)"})
    api_fields: str = _doc("vendor field set: 'duration' (duration, output_format, bitrate) or 'tokens' (sampling_rate, max_new_token)", default="duration")
    sampling_rate: int = _doc("sample rate asked of the endpoint (Hz, 10000 or more)", default=32_000)
    output_format: str = _doc("format asked of the endpoint: wav, flac or mp3 (duration field set only); takes are always written as WAV", default="wav")
    bitrate: str | None = _doc("mp3 bitrate: 128k, 192k or 320k", default=None)
    temp: bool = _doc("ask the vendor for temporary links (regions that block its storage site)", default=False)
    webhook: str | None = _doc("URL the endpoint POSTs to on completion", default=None)
    connect_timeout: float = _doc("seconds to connect to the endpoint", default=10.0)
    read_timeout: float = _doc("seconds to wait for one endpoint answer", default=120.0)
    deadline: float = _doc("total seconds a generation may take before UPSTREAM_TIMEOUT", default=900.0)
    engine: str = _doc("engine behind the built-in local endpoint", default="procedural")
    # files
    out: Path = _doc("output folder the takes are written to", default_factory=_music_dir)
    state_dir: Path = _doc("folder of the job journal", default_factory=lambda: Path(platformdirs.user_state_dir(APP_NAME)))
    max_clip_mb: float = _doc("largest conditioning clip accepted, in MB", default=200.0)
    # daemon
    osc_host: str = _doc("address the daemon listens on; anything but loopback needs allow", default="127.0.0.1")
    osc_port: int = _doc("UDP port the daemon listens on", default=9000)
    reply_port: int = _doc("UDP port replies go to, on the sender's host", default=9001)
    notify: tuple[str, ...] = _doc("extra HOST:PORT targets for every notification", default=())
    allow: tuple[str, ...] = _doc("CIDR blocks allowed to send when listening beyond loopback", default=())
    concurrency: int = _doc("generations run at once", default=2)
    queue_size: int = _doc("jobs waiting before a trigger is answered BUSY", default=32)
    tempo_source: str = _doc("where a trigger takes its tempo: sticky, midi-clock, ableton or reaper", default="sticky")
    # live inputs
    no_midi: bool = _doc("no MIDI input (by default a virtual port 'MusicGen Bridge', or the midi_in ports)", default=False)
    midi_in: tuple[str, ...] = _doc("MIDI input ports to connect to (substring match)", default=())
    midi_port_name: str = _doc("name of the virtual MIDI input the bridge opens when midi_in names no ports", default="MusicGen Bridge")
    midi_api: str | None = _doc("rtmidi API: alsa, jack, coremidi or windows_mm", default=None)
    midi_out: str | None = _doc("MIDI output port that gets a note when a take is done or fails", default=None)
    capture_device: str | None = _doc("audio input to keep the last 60 s of (name or index)", default=None)
    captures_dir: Path | None = _doc("folder captured clips are written to (default: <out>/captures)", default=None)
    inbox: Path | None = _doc("folder watched for conditioning clips", default=None)
    inbox_autogenerate: bool = _doc("a clip landing in the inbox also fires a generation", default=False)
    # hosts
    ableton_host: str = _doc("host running AbletonOSC", default="127.0.0.1")
    ableton_port: int = _doc("AbletonOSC's listening port", default=11000)
    ableton_reply_port: int = _doc("port AbletonOSC replies to (bound only with tempo_source = 'ableton')", default=11001)
    ableton_slot: str | None = _doc("clip slot 'TRACK,SCENE' (0-based) a finished take is placed in through AbletonOSC", default=None)
    reaper_port: int = _doc("port the bridge listens on for REAPER's OSC tempo feedback (REAPER's 'device port')", default=9010)
    reaper_osc_port: int = _doc("REAPER's own OSC listen port, asked to re-send the tempo", default=8000)
    log_level: str = _doc("DEBUG, INFO, WARNING or ERROR", default="INFO")
    # the [midi] table, read by the MIDI mapper
    midi: Mapping[str, Any] = _doc("[midi] table: channel, any_note, bpm_base, [midi.cc], [midi.presets.NAME] (see README)", default_factory=dict)

    def __post_init__(self) -> None:
        register_secret(self.api_key)
        _validate(self)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @property
    def uses_local_endpoint(self) -> bool:
        """No endpoint URL and no key: run the built-in endpoint in-process (works offline)."""
        return self.endpoint is None and not self.api_key

    @property
    def endpoint_url(self) -> str | None:
        if self.endpoint:
            return self.endpoint.rstrip("/")
        return VENDOR_URL if self.api_key else None

    @property
    def request_options(self) -> RequestOptions:
        return RequestOptions(
            fields=self.api_fields,  # type: ignore[arg-type]
            sampling_rate=self.sampling_rate,
            output_format=self.output_format,
            bitrate=self.bitrate,
            temp=self.temp,
            webhook=self.webhook,
        )

    @property
    def journal_path(self) -> Path:
        return self.state_dir / "journal.sqlite3"

    @property
    def captures_path(self) -> Path:
        return self.captures_dir or self.out / "captures"


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_HINTS = typing.get_type_hints(Settings)
#: keys that are never read from the environment's MUSICGEN_BRIDGE_* variables or flags
_TABLE_KEYS = {"midi"}


def _closest(name: str) -> str:
    match = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.5)
    return f"; did you mean '{match[0]}'?" if match else f"; known keys: {', '.join(FIELDS)}"


def _convert(name: str, value: Any, where: str) -> Any:
    """Bring a value from TOML (typed) or the environment (text) to the field's type."""
    hint = _HINTS[name]
    args = typing.get_args(hint)
    optional = type(None) in args
    base = next((a for a in args if a is not type(None)), hint) if optional else hint
    origin = typing.get_origin(base) or base
    if value is None or (optional and isinstance(value, str) and value.strip().lower() in {"", "none"}):
        if optional:
            return None
        raise ConfigError(f"{where}: {name} needs a value")
    try:
        if origin is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off"}:
                return False
            raise ValueError(value)
        if origin is int:
            if isinstance(value, bool):
                raise ValueError(value)
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if origin is float:
            if isinstance(value, bool):
                raise ValueError(value)
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(value)
            return number
        if origin is Path:
            return Path(os.path.expanduser(str(value)))
        if origin is tuple:
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(item).strip() for item in items if str(item).strip())
        if origin in (Mapping, dict) or name in _TABLE_KEYS:
            if not isinstance(value, Mapping):
                raise ValueError(value)
            return dict(value)
        if not isinstance(value, str):
            raise ValueError(value)
        return value
    except (TypeError, ValueError):
        kind = getattr(origin, "__name__", str(origin))
        raise ConfigError(f"{where}: {name} must be {kind}, got {value!r}") from None


def _validate(s: Settings) -> None:
    def fail(message: str) -> None:
        raise ConfigError(message)

    if s.api_fields not in API_FIELD_SETS:
        fail(f"api_fields must be one of {', '.join(API_FIELD_SETS)}, got {s.api_fields!r}")
    if s.output_format not in OUTPUT_FORMATS:
        fail(f"output_format must be one of {', '.join(OUTPUT_FORMATS)}, got {s.output_format!r}")
    if s.bitrate is not None and s.bitrate not in BITRATES:
        fail(f"bitrate must be one of {', '.join(BITRATES)}, got {s.bitrate!r}")
    if s.tempo_source not in TEMPO_SOURCES:
        fail(f"tempo_source must be one of {', '.join(TEMPO_SOURCES)}, got {s.tempo_source!r}")
    if s.midi_api is not None and s.midi_api not in MIDI_API_NAMES:
        fail(f"midi_api must be one of {', '.join(MIDI_API_NAMES)}, got {s.midi_api!r}")
    if s.endpoint is not None and not s.endpoint.lower().startswith(("http://", "https://")):
        fail(f"endpoint must be an http(s) URL, got {s.endpoint!r}")
    if s.ableton_slot is not None:
        parse_slot(s.ableton_slot)
    for name in ("osc_port", "reply_port", "ableton_port", "ableton_reply_port", "reaper_port", "reaper_osc_port"):
        port = getattr(s, name)
        if not 0 <= port <= 65535:
            fail(f"{name} must be a UDP port 0 to 65535, got {port}")
    if s.concurrency < 1 or s.queue_size < 1:
        fail(f"concurrency and queue_size must be 1 or more, got {s.concurrency} and {s.queue_size}")
    for name in ("connect_timeout", "read_timeout", "deadline", "max_clip_mb"):
        if getattr(s, name) <= 0:
            fail(f"{name} must be more than 0, got {getattr(s, name)}")
    for target in s.notify:
        parse_notify_target(target)
    parse_allow(s.allow)
    if not is_loopback_host(s.osc_host) and not s.allow:
        fail(
            f"listening on {s.osc_host} opens the daemon to your network; "
            "add --allow CIDR (e.g. --allow 192.168.1.0/24) for the hosts that may send, or use 127.0.0.1"
        )
    if s.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        fail(f"log_level must be DEBUG, INFO, WARNING or ERROR, got {s.log_level!r}")


def parse_slot(text: str) -> tuple[int, int]:
    """``'TRACK,SCENE'``, 0-based, as Live's API counts."""
    parts = text.replace(":", ",").split(",")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ConfigError(f"ableton_slot must be 'TRACK,SCENE' with 0-based numbers, e.g. '0,0', got {text!r}")
    return int(parts[0]), int(parts[1])


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"no config file at '{path}'; create it or leave out --config") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file '{path}' is not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file '{path}': {exc.strerror}") from exc
    return data


def load_settings(
    config_file: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
) -> Settings:
    """Build settings from defaults, then the TOML file, then the environment, then flags.

    ``config_file`` None reads the default location if it exists. ``flags`` holds
    only the flags that were given (None values are ignored).
    """
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    path = config_file
    if path is None:
        env_path = environ.get(f"{ENV_PREFIX}CONFIG")
        path = Path(env_path) if env_path else default_config_path()
        if not path.exists():
            path = None
    if path is not None:
        for name, value in _read_file(path).items():
            if name not in FIELDS:
                raise ConfigError(f"{path}: unknown key '{name}'{_closest(name)}")
            values[name] = _convert(name, value, str(path))
    for var, value in environ.items():
        if not var.startswith(ENV_PREFIX) or var == f"{ENV_PREFIX}CONFIG":
            continue
        name = var[len(ENV_PREFIX):].lower()
        if name not in FIELDS or name in _TABLE_KEYS or name == "api_key":
            raise ConfigError(f"environment: unknown setting {var}{_closest(name)}")
        values[name] = _convert(name, value, var)
    if environ.get(KEY_ENV):
        values["api_key"] = environ[KEY_ENV].strip()
    for name, value in (flags or {}).items():
        if value is None:
            continue
        if name not in FIELDS or name == "api_key":
            raise ConfigError(f"unknown flag for setting '{name}'{_closest(name)}")
        values[name] = _convert(name, value, f"--{name.replace('_', '-')}")
    return Settings(**values)
