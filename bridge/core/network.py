"""Host, port and network values from settings and flags. Pure: parsing only, no sockets."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from bridge.errors import ConfigError

__all__ = ["Network", "is_loopback_host", "parse_allow", "parse_notify_target"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_loopback_host(host: str) -> bool:
    """Whether listening on ``host`` keeps the bridge on this machine (no ``--allow`` needed)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def parse_allow(cidrs: Iterable[str]) -> tuple[Network, ...]:
    """``--allow`` values as networks; a bare address is a one-host network."""
    networks = []
    for text in cidrs:
        try:
            networks.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"--allow {text!r} is not a network; write it as CIDR, e.g. 192.168.1.0/24 or 10.0.0.5/32"
            ) from None
    return tuple(networks)


def parse_notify_target(text: str) -> tuple[str, int]:
    """``--notify HOST:PORT`` as ``(host, port)``."""
    host, sep, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
        raise ConfigError(f"--notify {text!r} is not HOST:PORT; write it like 127.0.0.1:9002")
    return host, int(port_text)
