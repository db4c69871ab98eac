"""The composition root: the one place that builds adapters from settings and wires them.

Nothing else in the package names the concrete classes of another layer; the
CLI calls these functions with a :class:`~bridge.config.Settings`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from bridge.config import Settings
from bridge.endpoint.client import EndpointSettings
from bridge.output import OutputFolder
from bridge.pipeline import EndpointTakeMaker

__all__ = ["Endpoint", "open_endpoint", "open_take_maker"]

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
