"""The composition root: the one place that builds adapters from settings and wires them.

Nothing else in the package names the concrete classes of another layer; the
CLI calls these functions with a :class:`~bridge.config.Settings`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.config import Settings
from bridge.errors import ConfigError
from bridge.endpoint.client import EndpointSettings
from bridge.output import OutputFolder
from bridge.pipeline import EndpointTakeMaker

if TYPE_CHECKING:
    from bridge.capture import AudioCapture
    from bridge.core.midimap import MidiMap
    from bridge.core.tempo import TempoSource
    from bridge.midi import ClockTempoSource, MidiFeedback
    from bridge.daemon.service import DaemonOptions, Observer
    from bridge.hosts.events import OutcomeHandler

__all__ = ["Endpoint", "daemon_options", "history", "open_endpoint", "open_take_maker", "run_demo", "run_serve"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Endpoint:
    settings: EndpointSettings
    local: bool


@contextlib.contextmanager
def open_endpoint(settings: Settings) -> Iterator[Endpoint]:
    """The endpoint to talk to; with no URL and no key, the built-in one, started in-process."""
    if not settings.uses_local_endpoint:
        yield Endpoint(_endpoint_settings(settings, settings.endpoint_url or ""), local=False)
        return
    # imported here: the engine is only needed when the built-in endpoint runs, and the daemon starts faster without it
    from bridge.endpoint.local import LocalEndpoint
    from bridge.engine import create_engine

    with LocalEndpoint(create_engine(settings.engine)) as local:
        log.info("no endpoint and no API key given: using the built-in local endpoint at %s (offline)", local.url)
        yield Endpoint(_endpoint_settings(settings, local.url), local=True)


def _endpoint_settings(settings: Settings, base_url: str) -> EndpointSettings:
    return EndpointSettings(
        base_url=base_url,
        api_key=settings.api_key,
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        deadline=settings.deadline,
    )


@contextlib.contextmanager
def open_take_maker(settings: Settings) -> Iterator[EndpointTakeMaker]:
    with open_endpoint(settings) as endpoint:
        yield EndpointTakeMaker(
            endpoint.settings,
            settings.request_options,
            OutputFolder(settings.out),
            max_clip_bytes=int(settings.max_clip_mb * 2**20),
        )


def daemon_options(settings: Settings, **overrides: object) -> DaemonOptions:
    from bridge.daemon.service import DaemonOptions

    options = DaemonOptions(
        journal_path=settings.journal_path,
        osc_host=settings.osc_host,
        osc_port=settings.osc_port,
        reply_port=settings.reply_port,
        notify=settings.notify,
        allow=settings.allow,
        concurrency=settings.concurrency,
        queue_size=settings.queue_size,
        max_clip_bytes=int(settings.max_clip_mb * 2**20),
    )
    return dataclasses.replace(options, **overrides)  # type: ignore[arg-type]


def run_serve(settings: Settings) -> None:
    """``musicgen-bridge serve``: the daemon, with the inputs and hosts the settings ask for, until SIGINT/SIGTERM."""
    from bridge.core.midimap import build_midi_map
    from bridge.daemon.service import Daemon
    from bridge.hosts.events import HostEvents

    midi_map = build_midi_map(settings.midi)  # a bad [midi] table is an error before anything is bound
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        clock = _midi_clock(settings, stack)
        tempo_source = clock if settings.tempo_source == "midi-clock" else _tempo_source(settings, stack)
        capture = _capture(settings, clock, stack)
        handlers = _outcome_handlers(settings, tempo_source, stack)
        observers: list[Observer] = []
        if handlers:
            events = HostEvents(handlers)
            stack.callback(events.close)
            observers.append(events)
        inbox = None
        if settings.inbox is not None:
            from bridge.inbox import InboxWatcher

            # bound late: the watcher starts only after the daemon below exists
            inbox = InboxWatcher(settings.inbox, lambda command: daemon.submit(command), settings.inbox_autogenerate)
            observers.append(inbox.observe)
        maker = stack.enter_context(open_take_maker(settings))
        presets = {preset.name: preset.overrides() for preset in midi_map.presets}
        daemon = Daemon(
            daemon_options(settings, presets=presets),
            maker,
            tempo_source=tempo_source,
            capture=capture,
            observers=observers,
        )
        # inputs start once the daemon can take their commands, and stop after it has stopped
        stack.callback(daemon.stop)

        def start_inputs() -> None:
            if clock is not None:
                _start_midi(settings, midi_map, clock, daemon.submit, stack)
            if inbox is not None:
                inbox.start()
                stack.callback(inbox.close)

        daemon.run_until_signal(after_start=start_inputs)


def _midi_clock(settings: Settings, stack: contextlib.ExitStack) -> ClockTempoSource | None:
    """The MIDI clock the MIDI input feeds; ``None`` with ``--no-midi``."""
    if settings.no_midi:
        if settings.tempo_source == "midi-clock":
            raise ConfigError("tempo_source = 'midi-clock' needs MIDI input; remove --no-midi (no_midi = true)")
        return None
    from bridge.midi import ClockTempoSource

    clock = ClockTempoSource()
    stack.callback(clock.close)
    return clock


def _start_midi(
    settings: Settings, midi_map: MidiMap, clock: ClockTempoSource, submit: Callable[..., Any], stack: contextlib.ExitStack
) -> None:
    from bridge.midi import open_midi_input

    explicit = bool(settings.midi_in) or settings.midi_api is not None or settings.tempo_source == "midi-clock"
    midi = open_midi_input(
        submit,
        midi_map,
        ports=settings.midi_in,
        api=settings.midi_api,
        clock=clock,
        explicit=explicit or None,
        virtual_name=settings.midi_port_name,
    )
    if midi is not None:
        stack.callback(midi.close)
        log.info("MIDI input: %s", ", ".join(midi.port_names))


def _capture(settings: Settings, clock: ClockTempoSource | None, stack: contextlib.ExitStack) -> AudioCapture | None:
    if settings.capture_device is None:
        return None
    from bridge.capture import AudioCapture

    device: str | int = int(settings.capture_device) if settings.capture_device.isdigit() else settings.capture_device
    # converted to what the endpoint conditions on: mono at its sample rate
    capture = AudioCapture(device, captures_dir=settings.captures_path, clock=clock, target_rate=settings.sampling_rate, target_channels=1)
    capture.open()
    stack.callback(capture.close)
    return capture


def _tempo_source(settings: Settings, stack: contextlib.ExitStack) -> TempoSource | None:
    source: TempoSource | None = None
    if settings.tempo_source == "ableton":
        from bridge.hosts.ableton import AbletonTempoSource

        # binds AbletonOSC's reply port, which one process only may hold: only when asked for
        source = AbletonTempoSource(settings.ableton_host, settings.ableton_port, settings.ableton_reply_port)
    elif settings.tempo_source == "reaper":
        from bridge.hosts.reaper import ReaperTempoSource

        source = ReaperTempoSource(settings.reaper_port, reaper_port=settings.reaper_osc_port)
    if source is not None:
        stack.callback(source.close)
        log.info("tempo source: %s", source.name)
    return source


def _outcome_handlers(settings: Settings, tempo_source: TempoSource | None, stack: contextlib.ExitStack) -> list[OutcomeHandler]:
    handlers: list[OutcomeHandler] = []
    if settings.midi_out is not None:
        from bridge.midi import MidiFeedback

        feedback = MidiFeedback(settings.midi_out or None, api=settings.midi_api)
        feedback.open()
        stack.callback(feedback.close)
        handlers.append(_MidiPad(feedback))
    if settings.tempo_source == "ableton" or settings.ableton_slot is not None:
        from bridge.config import parse_slot
        from bridge.hosts.ableton import AbletonNotifier, AbletonTempoSource

        client = tempo_source.client if isinstance(tempo_source, AbletonTempoSource) else None
        slot = parse_slot(settings.ableton_slot) if settings.ableton_slot else None
        notifier = AbletonNotifier(
            settings.ableton_host, settings.ableton_port, settings.ableton_reply_port, slot=slot, client=client
        )
        stack.callback(notifier.close)
        handlers.append(notifier)
    return handlers


class _MidiPad:
    """Lights a controller's pad: a note when a take is done, another when it fails."""

    def __init__(self, feedback: MidiFeedback) -> None:
        self._feedback = feedback

    def job_done(self, job_id: str, path: Path | str, prompt: str | None = None) -> None:
        self._feedback.send_done()

    def job_failed(self, job_id: str | None, code: str, message: str) -> None:
        self._feedback.send_failed()


def run_demo(settings: Settings, on_message: Callable[[str, list[Any]], None] | None = None) -> Path:
    """``musicgen-bridge demo``: a daemon on free ports with the built-in endpoint, one trigger over UDP."""
    from bridge.daemon.demo import run_demo as trigger_demo

    # the demo needs no MIDI, capture, inbox or hosts: only the daemon and the built-in endpoint
    local = settings.replace(endpoint=None, api_key=None)
    with tempfile.TemporaryDirectory(prefix="musicgen-bridge-demo-") as state:
        # a journal of its own: the demo must never pick up (and re-run) a serving daemon's jobs
        options = daemon_options(local, journal_path=Path(state) / "journal.sqlite3")
        with open_take_maker(local) as maker:
            return trigger_demo(options, maker, on_message=on_message)


def history(settings: Settings, n: int) -> str:
    from bridge.daemon.journal import Journal, format_history

    if not settings.journal_path.exists():
        return "no takes yet"
    journal = Journal(settings.journal_path)
    try:
        return format_history(journal, n)
    finally:
        journal.close()


def run_doctor(settings: Settings, *, check_network: bool = True) -> tuple[str, bool]:
    """``musicgen-bridge doctor``: the checks, as a table, and whether everything needed works."""
    from bridge.doctor import format_table, run_doctor as run_checks

    local_endpoint = None
    if settings.uses_local_endpoint:
        from bridge.endpoint.local import LocalEndpoint
        from bridge.engine import create_engine

        local_endpoint = lambda: LocalEndpoint(create_engine(settings.engine))  # noqa: E731
    folders = [("output", settings.out), ("captures", settings.captures_path), ("state", settings.state_dir)]
    if settings.inbox is not None:
        folders.append(("inbox", settings.inbox))
    rows, ok = run_checks(
        base_url=settings.endpoint_url,
        api_key=settings.api_key,
        local_endpoint=local_endpoint,
        osc_host=settings.osc_host,
        osc_port=settings.osc_port,
        reply_port=settings.reply_port,
        folders=folders,
        midi=False if settings.no_midi else (True if settings.midi_in or settings.midi_api else None),
        capture_device=settings.capture_device,
        tempo_source=settings.tempo_source,
        ableton_host=settings.ableton_host,
        ableton_send_port=settings.ableton_port,
        ableton_reply_port=settings.ableton_reply_port,
        reaper_port=settings.reaper_port,
        reaper_listen_port=settings.reaper_osc_port,
        check_network=check_network,
    )
    return format_table(rows), ok
