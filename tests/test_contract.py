"""README's OSC address tables are a contract: the code's addresses, the daemon and the README must agree.

(The Max patches are held to the same addresses by tests/hosts/test_max_patches.py.)
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bridge.core import addresses as A
from bridge.core.commands import Origin, ReportError
from bridge.daemon.osc_parse import parse_message
from bridge.errors import UnknownAddressError

README = (Path(__file__).parents[1] / "README.md").read_text()


def table_addresses(heading: str) -> set[str]:
    section = README.split(heading, 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    found: set[str] = set()
    for cell in re.findall(r"^\| `(/musicgen/[^`]+)`", section, re.M):
        if cell.endswith("/<name>"):
            found.update(cell.replace("<name>", name) for name in A.STICKY_NAMES)
        else:
            found.add(cell)
    return found


def test_readme_inbound_table_is_exactly_the_code_inbound_addresses() -> None:
    assert table_addresses("### OSC: host to bridge") == set(A.INBOUND)


def test_readme_outbound_table_is_exactly_the_code_outbound_addresses() -> None:
    assert table_addresses("### OSC: bridge to host") == set(A.OUTBOUND)


@pytest.mark.parametrize("address", A.INBOUND)
def test_the_daemon_knows_every_inbound_address(address: str) -> None:
    result = parse_message(address, [], Origin("osc", "127.0.0.1", 1))
    assert not (isinstance(result, ReportError) and result.code == UnknownAddressError.code)


def test_an_address_outside_the_table_is_unknown() -> None:
    result = parse_message("/musicgen/set/tempo", [120], Origin("osc", "127.0.0.1", 1))
    assert isinstance(result, ReportError) and result.code == "UNKNOWN_ADDRESS"
    assert "/musicgen/set/bpm" in result.message or "known" in result.message


def test_default_ports_match_the_readme() -> None:
    assert f"127.0.0.1:{A.DEFAULT_OSC_PORT}" in README
    assert f"reply port ({A.DEFAULT_REPLY_PORT})" in README
