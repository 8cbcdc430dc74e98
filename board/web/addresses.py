"""The addresses phones in the room can reach this machine at.

Resolving the host name is not enough: Debian and Ubuntu map it to 127.0.1.1.
We ask the routing table instead (which local address would a packet to the
outside leave from?) and list every other interface address beside it. Each
probe is a plain function passed in, so the choice is tested without a network;
any OSError means "nothing found there".
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

# Documentation addresses (RFC 5737, RFC 3849): connect() on a UDP socket
# picks the route and the local address without sending a single packet.
ROUTE_TARGETS = (("192.0.2.1", socket.AF_INET), ("2001:db8::1", socket.AF_INET6))
ALL_INTERFACES = ("0.0.0.0", "::", "")
SIOCGIFADDR = 0x8915  # Linux: an interface's (first) IPv4 address
IF_INET6 = Path("/proc/net/if_inet6")

Probe = Callable[[], Iterable[str]]


def route_addresses() -> list[str]:
    """The local address of the default route, for IPv4 and for IPv6."""
    found = []
    for target, family in ROUTE_TARGETS:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect((target, 9))
                found.append(str(probe.getsockname()[0]))
        except OSError:
            continue
    return found


def interface_addresses() -> list[str]:
    """Every interface's addresses (Linux; elsewhere none, the route probe suffices)."""
    if not sys.platform.startswith("linux"):
        return []
    return _ipv4_of_interfaces() + _ipv6_of_interfaces()


def _ipv4_of_interfaces() -> list[str]:
    import fcntl  # Unix only; imported here so the module loads on Windows

    found = []
    try:
        names = [name for _, name in socket.if_nameindex()]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for name in names:
                request = struct.pack("256s", name.encode()[:15])
                try:
                    answer = fcntl.ioctl(sock.fileno(), SIOCGIFADDR, request)
                except OSError:  # an interface without an IPv4 address
                    continue
                found.append(socket.inet_ntoa(answer[20:24]))
    except OSError:
        return []
    return found


def _ipv6_of_interfaces() -> list[str]:
    # One line per address: 32 hex digits, index, prefix, scope, flags, name.
    try:
        lines = IF_INET6.read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        digits = line.split()[0] if line.split() else ""
        try:
            found.append(str(ipaddress.IPv6Address(bytes.fromhex(digits))))
        except ValueError:
            continue
    return found


def hostname_addresses() -> list[str]:
    """What the host name resolves to: right on many Macs, loopback on Debian."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None)
    except OSError:
        return []
    return [str(info[4][0]) for info in infos]


def reachable(address: str) -> bool:
    """An address another device could use: not loopback, link-local or unspecified."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_link_local or ip.is_unspecified or ip.is_multicast)


PROBES: tuple[Probe, ...] = (route_addresses, interface_addresses, hostname_addresses)


def room_addresses(probes: Sequence[Probe] = PROBES, ipv6: bool = True) -> list[str]:
    """Addresses phones can reach, the default route's first; IPv6 only without IPv4.

    ``ipv6=False`` for a server bound to 0.0.0.0, which IPv6 clients cannot reach.
    """
    seen: dict[str, None] = {}
    for probe in probes:
        for address in probe():
            if reachable(address):
                seen.setdefault(address, None)
    ipv4 = [a for a in seen if ipaddress.ip_address(a).version == 4]
    if ipv4 or not ipv6:
        return ipv4
    return list(seen)


def listens_everywhere(host: str) -> bool:
    return host in ALL_INTERFACES


def is_loopback_host(host: str | None) -> bool:
    """127.x, ::1 or localhost: a name that means "this machine" on every device."""
    if not host:
        return True
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def base_url(address: str, port: int, scheme: str = "http") -> str:
    """``http://ADDRESS:PORT``, with an IPv6 address in brackets."""
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}:{port}"
