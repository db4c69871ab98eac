"""Endpoint client settings for tests against :class:`support.vendor_server.VendorServer`."""

from __future__ import annotations

from bridge.core.request import EndpointRequest
from bridge.endpoint import EndpointSettings
from support.vendor_server import VendorServer

KEY = "sk-test-4f9a8b7c6d5e1a2b"
REQUEST = EndpointRequest(prompt="marimba, tropical house, G# minor, 96 bpm", duration=30, output_format="wav", sampling_rate=32000)


def fast(server: VendorServer, **changes: object) -> EndpointSettings:
    """Real timeouts and backoff, scaled down so the whole module runs in seconds."""
    values: dict[str, object] = dict(
        base_url=server.url,
        api_key=KEY,
        connect_timeout=2.0,
        read_timeout=2.0,
        deadline=5.0,
        max_attempts=4,
        backoff_base=0.02,
        backoff_max=0.05,
        poll_initial=0.02,
        poll_max=0.1,
        download_timeout=2.0,
    )
    values.update(changes)
    return EndpointSettings(**values)  # type: ignore[arg-type]
