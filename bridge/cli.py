"""The ``musicgen-bridge`` command: argument parsing, logging set-up and exit codes. Nothing else.

Exit codes: 0 ok, 1 failure (one line saying why), 2 usage.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from bridge import __version__
from bridge.config import KEY_ENV, MIDI_API_NAMES, TEMPO_SOURCES, Settings, load_settings
from bridge.core.music import parse_bpm, parse_key
from bridge.core.progress import Progress, Stage
from bridge.core.request import GenerationSpec
from bridge.errors import BridgeError, EndpointError, UsageError

__all__ = ["main"]

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _positive(kind: type) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, got {text!r}")
        return value

    return parse


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="TOML settings file (default: the per-user config file, if any)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")


def _endpoint_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, help="output folder for takes")
    parser.add_argument(
        "--endpoint",
        help=f"Music Gen endpoint base URL (default: the vendor's with {KEY_ENV} set, else the built-in local one)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="musicgen-bridge",
        description="Generate music from inside your DAW: OSC/MIDI triggers to a Music Gen endpoint.",
        epilog=f"The API key is read from {KEY_ENV} or the config file, never from a flag.",
    )
    parser.add_argument("--version", action="version", version=f"musicgen-bridge {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True

    gen = commands.add_parser("generate", help="generate one take and print the WAV's path")
    _common(gen)
    _endpoint_flags(gen)
    gen.add_argument("prompt", help="what to make, e.g. 'marimba, tropical house, melodic riff'")
    gen.add_argument("--key", help="key, e.g. 'G# minor', 'G#m', 'Ab min'")
    gen.add_argument("--bpm", help="tempo, 20 to 300")
    length = gen.add_mutually_exclusive_group()
    length.add_argument("--bars", type=_positive(float), help="length in bars (needs --bpm); the take loops on the grid")
    length.add_argument("--seconds", type=_positive(float), help="length in seconds")
    gen.add_argument("--beats-per-bar", type=_positive(int), default=4, help="beats in a bar (default 4)")
    gen.add_argument("--clip", type=Path, help="conditioning clip (audio file; the first 30 s are used)")
    gen.add_argument("--seed", type=int, help="seed for a repeatable take (-1: random)")

    serve = commands.add_parser("serve", help="run the daemon: OSC triggers in, takes out, hosts notified")
    _common(serve)
    _endpoint_flags(serve)
    serve.add_argument("--osc-host", help="address to listen on (default 127.0.0.1; anything else needs --allow)")
    serve.add_argument("--osc-port", type=int, help="UDP port to listen on (default 9000)")
    serve.add_argument("--reply-port", type=int, help="UDP port replies go to on the sender's host (default 9001)")
    serve.add_argument("--notify", action="append", metavar="HOST:PORT", help="also notify this target (repeatable)")
    serve.add_argument("--allow", action="append", metavar="CIDR", help="networks allowed to send (repeatable)")
    serve.add_argument("--concurrency", type=int, help="generations run at once (default 2)")
    serve.add_argument("--queue-size", type=int, help="jobs waiting before triggers get BUSY (default 32)")
    serve.add_argument("--state-dir", type=Path, help="folder of the job journal")
    serve.add_argument("--tempo-source", choices=TEMPO_SOURCES, help="where a trigger's tempo comes from (default sticky)")
    serve.add_argument("--midi-in", action="append", metavar="NAME", help="connect to MIDI inputs whose name contains NAME (repeatable)")
    serve.add_argument("--no-midi", action="store_true", default=None, help="no MIDI input")
    serve.add_argument("--midi-port-name", metavar="NAME", help="name of the virtual MIDI input (default 'MusicGen Bridge')")
    serve.add_argument("--midi-api", choices=MIDI_API_NAMES, help="rtmidi API (also MIDO_BACKEND)")
    serve.add_argument("--midi-out", metavar="NAME", help="MIDI output that gets a note when a take is done or fails")
    serve.add_argument("--capture-device", metavar="NAME|INDEX", help="audio input to keep the last 60 s of")
    serve.add_argument("--inbox", type=Path, help="folder watched for conditioning clips")

    ports = commands.add_parser("ports", help="list MIDI inputs and outputs and audio devices")
    _common(ports)
    ports.add_argument("--midi-api", choices=MIDI_API_NAMES, help="rtmidi API to list (default: the platform's)")

    demo = commands.add_parser("demo", help="run the daemon offline, trigger one take over UDP as a host would")
    _common(demo)
    demo.add_argument("--out", type=Path, help="output folder for the take")

    hist = commands.add_parser("history", help="list the recent takes")
    _common(hist)
    hist.add_argument("-n", type=int, default=20, help="how many (default 20)")
    hist.add_argument("--state-dir", type=Path, help="folder of the job journal")

    doctor = commands.add_parser("doctor", help="check endpoint, ports, MIDI, audio, hosts and folders; say how to fix each")
    _common(doctor)
    _endpoint_flags(doctor)
    doctor.add_argument("--offline", action="store_true", help="skip the checks that reach the endpoint")

    reaper = commands.add_parser("install-reaper-script", help="install the REAPER action and OSC pattern file")
    _common(reaper)
    reaper.add_argument("--reaper-dir", type=Path, help="REAPER's resource folder (Options > Show REAPER resource path)")
    reaper.add_argument("--inbox", type=Path, help="the daemon's inbox folder the action renders into")

    local = commands.add_parser("local-endpoint", help="serve the built-in Music Gen endpoint over HTTP")
    _common(local)
    local.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    local.add_argument("--port", type=int, default=8765, help="port to listen on (default 8765; 0 picks one)")
    return parser


def _configure_logging(args: argparse.Namespace, settings: Settings | None = None) -> None:
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose > 1 else logging.INFO
    if settings is not None and not args.quiet and not args.verbose:
        level = getattr(logging, settings.log_level.upper(), logging.INFO)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_drop_python_osc_root_warnings)


def _drop_python_osc_root_warnings(record: logging.LogRecord) -> bool:
    """python-osc warns on the root logger for every odd argument type it meets, so a flood of junk
    datagrams would flood the log; the daemon already answers and counts malformed input itself."""
    return not (record.name == "root" and f"{os.sep}pythonosc{os.sep}" in record.pathname)


class TerminalProgress:
    """One self-rewriting status line on a terminal; plain stage lines when not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.started = time.monotonic()
        self._last: Stage | None = None
        self._lock = threading.Lock()

    _LABELS = {
        Stage.PREPARING: "preparing",
        Stage.SUBMITTING: "uploading",
        Stage.GENERATING: "generating",
        Stage.DOWNLOADING: "downloading",
    }

    def __call__(self, progress: Progress) -> None:
        with self._lock:
            label = self._LABELS.get(progress.stage, progress.stage.value)
            elapsed = time.monotonic() - self.started
            if self.tty:
                eta = f"  eta {progress.seconds_left:4.0f} s" if progress.seconds_left is not None else ""
                filled = int(max(0.0, min(1.0, progress.fraction)) * 20)
                bar = "#" * filled + "-" * (20 - filled)
                self.stream.write(f"\r[{bar}] {label:<11} {elapsed:6.1f} s{eta}   ")
                self.stream.flush()
            elif progress.stage != self._last:
                self.stream.write(f"{label}... ({elapsed:.1f} s)\n")
            self._last = progress.stage

    def finish(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _spec_from_args(args: argparse.Namespace) -> GenerationSpec:
    bpm = parse_bpm(args.bpm) if args.bpm is not None else None
    if args.bars is not None and bpm is None:
        raise UsageError("--bars needs --bpm to know how long a bar is; add --bpm, or use --seconds")
    return GenerationSpec(
        prompt=args.prompt,
        key=parse_key(args.key) if args.key is not None else None,
        bpm=bpm,
        bars=args.bars,
        beats_per_bar=args.beats_per_bar,
        seconds=args.seconds,
        seed=args.seed,
        clip=args.clip,
    )


def _settings(args: argparse.Namespace, **flags: Any) -> Settings:
    return load_settings(args.config, flags=flags)


def _cmd_generate(args: argparse.Namespace) -> int:
    from bridge.app import open_take_maker
    from bridge.audio.conditioning import check_clip

    try:
        spec = _spec_from_args(args)
    except UsageError as exc:
        print(f"musicgen-bridge generate: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    settings = _settings(args, out=args.out, endpoint=args.endpoint)
    _configure_logging(args, settings)
    if spec.clip is not None:
        spec = spec.replace(clip=check_clip(spec.clip, int(settings.max_clip_mb * 2**20)))
    display = TerminalProgress(sys.stderr)
    cancel = threading.Event()
    try:
        with open_take_maker(settings) as maker:
            take = maker.make(spec, progress=display, cancel=cancel, on_accepted=lambda _id: None)
    except KeyboardInterrupt:
        cancel.set()
        display.finish()
        print("cancelled", file=sys.stderr)
        return EXIT_FAILURE
    display.finish()
    print(take.path)
    return EXIT_OK


def _cmd_local_endpoint(args: argparse.Namespace) -> int:
    from bridge.endpoint.local import run_local_endpoint

    settings = _settings(args)
    _configure_logging(args, settings)
    run_local_endpoint(args.host, args.port, settings.api_key)
    return EXIT_OK


def _cmd_serve(args: argparse.Namespace) -> int:
    from bridge.app import run_serve

    settings = _settings(
        args,
        out=args.out,
        endpoint=args.endpoint,
        osc_host=args.osc_host,
        osc_port=args.osc_port,
        reply_port=args.reply_port,
        notify=args.notify,
        allow=args.allow,
        concurrency=args.concurrency,
        queue_size=args.queue_size,
        state_dir=args.state_dir,
        tempo_source=args.tempo_source,
        midi_in=args.midi_in,
        no_midi=args.no_midi,
        midi_port_name=args.midi_port_name,
        midi_api=args.midi_api,
        midi_out=args.midi_out,
        capture_device=args.capture_device,
        inbox=args.inbox,
    )
    _configure_logging(args, settings)
    run_serve(settings)
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from bridge.app import run_demo

    settings = _settings(args, out=args.out)
    _configure_logging(args, settings)

    def show(address: str, values: list[Any]) -> None:
        if address.endswith(("/status", "/queued", "/done", "/error")):
            print(f"{address} {' '.join(map(str, values))}", file=sys.stderr)

    print(run_demo(settings, on_message=show))
    return EXIT_OK


def _cmd_ports(args: argparse.Namespace) -> int:
    from bridge.midi.ports import list_ports

    settings = _settings(args, midi_api=args.midi_api)
    _configure_logging(args, settings)
    found = list_ports(settings.midi_api)
    print(f"MIDI ({found['midi_api']})")
    if found["midi_error"]:
        print(f"  not available: {found['midi_error']}")
    for kind in ("inputs", "outputs"):
        names = found[f"midi_{kind}"]
        print(f"  {kind}: " + (", ".join(names) if names else "none"))
    print("audio")
    if found["audio_error"]:
        print(f"  not available: {found['audio_error']}")
    for kind in ("inputs", "outputs"):
        devices = found[f"audio_{kind}"]
        print(f"  {kind}: " + (", ".join(map(str, devices)) if devices else "none"))
    return EXIT_OK


def _cmd_history(args: argparse.Namespace) -> int:
    from bridge.app import history

    settings = _settings(args, state_dir=args.state_dir)
    _configure_logging(args, settings)
    print(history(settings, args.n))
    return EXIT_OK


def _cmd_doctor(args: argparse.Namespace) -> int:
    from bridge.app import run_doctor

    settings = _settings(args, out=args.out, endpoint=args.endpoint)
    _configure_logging(args, settings)
    table, ok = run_doctor(settings, check_network=not args.offline)
    print(table)
    return EXIT_OK if ok else EXIT_FAILURE


def _cmd_install_reaper_script(args: argparse.Namespace) -> int:
    from bridge.hosts.reaper import install_reaper_script

    settings = _settings(args, inbox=args.inbox)
    _configure_logging(args, settings)
    path = install_reaper_script(args.reaper_dir, inbox_dir=settings.inbox)
    print(path)
    return EXIT_OK


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "generate": _cmd_generate,
    "local-endpoint": _cmd_local_endpoint,
    "serve": _cmd_serve,
    "demo": _cmd_demo,
    "history": _cmd_history,
    "ports": _cmd_ports,
    "doctor": _cmd_doctor,
    "install-reaper-script": _cmd_install_reaper_script,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except BridgeError as exc:
        # one line a musician can act on; the code is the same one hosts see over OSC
        print(f"musicgen-bridge {args.command}: {exc.code}: {exc}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, UsageError) and not isinstance(exc, EndpointError) else EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
