"""Live inputs: pure tables plus tests on a real JACK server (see ``support/jack.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.jack import JackServer, start_jack_server


@pytest.fixture(scope="session")
def jack_server() -> Iterator[JackServer]:
    yield from start_jack_server()
