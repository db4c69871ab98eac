"""The HTTP adapter for the ModelsLab Music Gen endpoint (see :mod:`bridge.endpoint.client`)."""

from bridge.endpoint.client import Download, EndpointClient, EndpointSettings

__all__ = ["Download", "EndpointClient", "EndpointSettings"]
