"""REAPER: install the ReaScript and the OSC pattern file, and follow REAPER's tempo over OSC.

REAPER sends ``/tempo/raw <bpm>`` to a configured OSC device whenever the
tempo changes and when its surfaces are refreshed; our pattern file
(``bridge/data/MusicGenBridge.ReaperOSC``) asks for nothing else, so the
feedback port carries a few datagrams a minute instead of a flood. REAPER's
OSC has no time-signature feedback, so ``beats_per_bar`` stays sticky.

The ReaScript (``bridge/data/musicgen_bridge.lua``) reaches the daemon
through the inbox folder, not OSC: ReaScript has no UDP (``OscLocalMessageToHost``
only talks to REAPER itself). See the script's header for the file protocol.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
from importlib import resources
from pathlib import Path

from bridge.core.music import parse_bpm
from bridge.core.tempo import TempoInfo
from bridge.errors import ConfigError, StorageError, UsageError
from bridge.hosts.oscwire import OscSocket

__all__ = [
    "DEFAULT_REAPER_FEEDBACK_PORT",
    "DEFAULT_REAPER_LISTEN_PORT",
    "OSC_PATTERN_NAME",
    "REFRESH_SURFACES_ACTION",
    "SCRIPT_NAME",
    "ReaperTempoSource",
    "find_reaper_resource_dir",
    "install_reaper_script",
]

log = logging.getLogger(__name__)

#: where the bridge listens for REAPER's feedback unless configured: clear of 9000/9001 and AbletonOSC's
DEFAULT_REAPER_FEEDBACK_PORT = 9010
#: REAPER's usual "local listen port" for an OSC device
DEFAULT_REAPER_LISTEN_PORT = 8000
#: "Control surface: Refresh all surfaces": REAPER then re-sends every feedback value, the tempo included
REFRESH_SURFACES_ACTION = 41743
TEMPO_RAW = "/tempo/raw"

SCRIPT_NAME = "musicgen_bridge.lua"
SETTINGS_NAME = "musicgen_bridge_settings.lua"
OSC_PATTERN_NAME = "MusicGenBridge.ReaperOSC"
SCRIPTS_SUBDIR = Path("Scripts") / "MusicGen Bridge"


def _candidate_resource_dirs() -> list[Path]:
    home = Path.home()
    if sys.platform == "darwin":
        return [home / "Library" / "Application Support" / "REAPER"]
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        return [Path(appdata) / "REAPER"] if appdata else []
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return [config / "REAPER"]


def find_reaper_resource_dir() -> Path:
    """REAPER's resource folder for this user (``reaper.ini`` lives there), or a :class:`ConfigError`."""
    candidates = _candidate_resource_dirs()
    for candidate in candidates:
        if (candidate / "reaper.ini").is_file() or (candidate / "Scripts").is_dir():
            return candidate
    looked = ", ".join(f"'{c}'" for c in candidates) or "(no standard location on this system)"
    raise ConfigError(
        f"REAPER's resource folder was not found (looked in {looked}); in REAPER choose "
        "Options > Show REAPER resource path in explorer/finder, and pass that folder with --reaper-dir"
    )


def _lua_string(text: str) -> str:
    # a Lua long string cannot be broken by quotes or backslashes in a Windows path
    level = "=" * 1
    while f"]{level}]" in text:
        level += "="
    return f"[{level}[{text}]{level}]"


def install_reaper_script(resource_dir: Path | None, *, inbox_dir: Path | None = None) -> Path:
    """Copy the ReaScript into ``Scripts/MusicGen Bridge/`` and the pattern file into ``OSC/``.

    ``resource_dir=None`` finds REAPER's resource folder (see
    :func:`find_reaper_resource_dir`). With ``inbox_dir`` the script is told where
    the daemon's inbox is (a settings file beside it); without it the script asks
    the first time it runs. Returns the installed script's path, the file to load
    in REAPER's Actions list (Actions > Show action list > New action > Load ReaScript).
    Installing again replaces both files: they are ours, not the user's.
    """
    root = find_reaper_resource_dir() if resource_dir is None else Path(resource_dir).expanduser()
    if not root.is_dir():
        raise ConfigError(
            f"REAPER resource folder '{root}' does not exist; pass the folder REAPER shows under "
            "Options > Show REAPER resource path, with --reaper-dir"
        )
    data = resources.files("bridge") / "data"
    scripts = root / SCRIPTS_SUBDIR
    osc = root / "OSC"
    try:
        scripts.mkdir(parents=True, exist_ok=True)
        osc.mkdir(parents=True, exist_ok=True)
        script_path = scripts / SCRIPT_NAME
        with resources.as_file(data / SCRIPT_NAME) as source:
            shutil.copyfile(source, script_path)
        with resources.as_file(data / OSC_PATTERN_NAME) as source:
            shutil.copyfile(source, osc / OSC_PATTERN_NAME)
        if inbox_dir is not None:
            inbox = Path(inbox_dir).expanduser().resolve()
            (scripts / SETTINGS_NAME).write_text(
                "-- written by musicgen-bridge install-reaper-script; run it again to change\n"
                f"return {{ inbox = {_lua_string(str(inbox))} }}\n",
                encoding="utf-8",
            )
    except OSError as exc:
        raise StorageError(f"cannot install the REAPER script into '{root}': {exc}") from exc
    log.info("installed %s and %s under %s", SCRIPT_NAME, OSC_PATTERN_NAME, root)
    return script_path


class ReaperTempoSource:
    """A :class:`~bridge.core.tempo.TempoSource` fed by REAPER's ``/tempo/raw`` feedback on ``port``.

    A listener thread only parses and stores the latest tempo; :meth:`current`
    returns it, waiting up to ``timeout`` only if none has arrived yet. With
    ``reaper_port`` (REAPER's OSC listen port) the source asks REAPER to refresh
    its surfaces on start, so the tempo is known before the first trigger rather
    than after the first tempo change.
    """

    name = "reaper"

    def __init__(
        self,
        port: int = DEFAULT_REAPER_FEEDBACK_PORT,
        host: str = "127.0.0.1",
        *,
        reaper_port: int | None = None,
        reaper_host: str = "127.0.0.1",
    ) -> None:
        self._socket = OscSocket(
            port,
            bind_host=host,
            purpose="REAPER's OSC feedback",
            fix="another program (or a second bridge) listens there; choose another reaper_port "
            "and set the same Device port in REAPER's OSC settings",
        )
        self.port = self._socket.port
        self._lock = threading.Lock()
        self._arrived = threading.Event()
        self._bpm: float | None = None
        self._received_at: float | None = None
        self._datagrams = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="reaper-tempo", daemon=True)
        self._thread.start()
        if reaper_port is not None:
            self.request_refresh(reaper_host, reaper_port)

    def request_refresh(self, host: str = "127.0.0.1", port: int = DEFAULT_REAPER_LISTEN_PORT) -> None:
        # needs the ACTION pattern of our .ReaperOSC; harmless when REAPER is not there
        self._socket.send(host, port, "/action", [REFRESH_SURFACES_ACTION])

    def _listen(self) -> None:
        while not self._stop.is_set():
            # short waits so close() is noticed without relying on close() waking recvfrom
            message = self._socket.receive(time.monotonic() + 0.2)
            if message is None:
                continue
            address, args, _sender = message
            with self._lock:
                self._datagrams += 1
            if address != TEMPO_RAW or not args:
                continue
            try:
                bpm = parse_bpm(args[0])
            except UsageError as exc:
                log.debug("ignored REAPER tempo %r: %s", args[0], exc)
                continue
            with self._lock:
                changed = self._bpm != bpm
                self._bpm = bpm
                self._received_at = time.monotonic()
            self._arrived.set()
            if changed:
                log.info("REAPER tempo %.3f bpm", bpm)

    @property
    def datagrams(self) -> int:
        """How many OSC messages arrived from REAPER (any address): the doctor's evidence of feedback."""
        with self._lock:
            return self._datagrams

    def current(self, timeout: float = 0.25) -> TempoInfo | None:
        if not self._arrived.wait(timeout):
            log.warning(
                "no tempo from REAPER on UDP %s yet; using the sticky tempo (in REAPER's OSC settings, "
                "set Device port %s and pattern config MusicGenBridge, or change the tempo once)",
                self.port, self.port,
            )
            return None
        with self._lock:
            return TempoInfo(bpm=self._bpm, source="reaper")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._socket.close()
