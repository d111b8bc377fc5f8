"""Checks that keep the emulator's traffic on the loopback interface.

The emulator binds only to loopback addresses and delivers webhooks only to
loopback URLs, so tests and demos can never reach another host through it.
"""

from __future__ import annotations

import ipaddress
import socket

__all__ = [
    "is_loopback_host",
    "resolve_loopback_address",
]


def is_loopback_host(host: str) -> bool:
    """Return True for "localhost" and for IPv4 or IPv6 loopback literals (127.0.0.0/8, ::1)."""
    cleaned = host.strip().strip("[]").lower()
    if cleaned == "localhost":
        return True
    try:
        return ipaddress.ip_address(cleaned).is_loopback
    except ValueError:
        return False


def resolve_loopback_address(host: str, port: int) -> str:
    """Return an IP literal to connect to for a loopback host name.

    "localhost" is resolved here, and only a loopback result is accepted, so a
    hosts file that maps it elsewhere cannot redirect traffic. Raises ValueError
    for a host that is not loopback.
    """
    cleaned = host.strip().strip("[]").lower()
    if not is_loopback_host(cleaned):
        raise ValueError(f"host {host!r} is not a loopback address")
    if cleaned != "localhost":
        return cleaned
    for family, _, _, _, address in socket.getaddrinfo(cleaned, port, type=socket.SOCK_STREAM):
        if family in (socket.AF_INET, socket.AF_INET6):
            candidate = str(address[0])
            if ipaddress.ip_address(candidate).is_loopback:
                return candidate
    raise ValueError("localhost does not resolve to a loopback address")
