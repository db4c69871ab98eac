"""The ``musicgen-bridge`` command: argument parsing, logging set-up and exit codes. Nothing else.

Exit codes: 0 ok, 1 failure (one line saying why), 2 usage.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from bridge import __version__
from bridge.config import KEY_ENV, Settings, load_settings
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
        spec = spec.replace(clip=check_clip(spec.clip, max_bytes=int(settings.max_clip_mb * 2**20)))
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


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "generate": _cmd_generate,
    "local-endpoint": _cmd_local_endpoint,
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
