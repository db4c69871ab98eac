"""Fixtures for the endpoint client's tests: a scripted vendor server on loopback and a fast client for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bridge.endpoint import EndpointClient
from support.client_settings import fast
from support.vendor_server import VendorServer


@pytest.fixture
def server() -> Iterator[VendorServer]:
    with VendorServer() as srv:
        yield srv


@pytest.fixture
def client(server: VendorServer) -> Iterator[EndpointClient]:
    with EndpointClient(fast(server)) as c:
        yield c
