"""Where a webhook may be sent: public addresses, and internal ones only if the operator allows
them (``WEBHOOK_ALLOWED_NETWORKS``, addresses or CIDR networks, comma-separated; empty by default).

Otherwise a person who may edit alert rules could make the hub POST to its own loopback, the
private network behind it, or a cloud metadata service (169.254.169.254, fd00:ec2::254). An
address is internal when it is not globally routable (loopback, link-local, the private and
shared ranges, their IPv6 equivalents, unspecified, reserved) or is multicast; an IPv4 address
written as IPv6 (``::ffff:127.0.0.1``) counts as the IPv4 one.

Checked twice: when a rule is saved (an address in the URL, or a name such as ``localhost``),
and at delivery after the name is resolved, with the connection then made to the very address
that was checked, so a name that resolves elsewhere the second time (DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from shared.errors import RuleError

Address = IPv4Address | IPv6Address
Resolver = Callable[[str, int], list[str]]

CODE = "webhook_address_not_allowed"
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the system resolver, as a connection would use)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


@dataclass(frozen=True)
class WebhookTargets:
    allowed: tuple[IPv4Network | IPv6Network, ...] = ()

    @classmethod
    def from_setting(cls, setting: str) -> WebhookTargets:
        """``"127.0.0.1, 10.0.0.0/8"``: each entry an address or a network (strict=False)."""
        entries = [part.strip() for part in (setting or "").split(",") if part.strip()]
        return cls(tuple(ipaddress.ip_network(entry, strict=False) for entry in entries))

    def permits(self, address: Address) -> bool:
        address = _unmapped(address)
        if any(address in network for network in self.allowed if network.version == address.version):
            return True
        return address.is_global and not address.is_multicast

    def check_url_host(self, host: str) -> None:
        """At save, without the network: an address in the URL (in any form a resolver reads,
        such as ``127.1`` or ``2130706433``) or a local name. Raises RuleError(CODE)."""
        name = host.strip("[]").rstrip(".").lower()
        address = _literal(name)
        if address is None and (name in _LOCAL_NAMES or name.endswith(".localhost")):
            address = IPv4Address("127.0.0.1")
        if address is not None and not self.permits(address):
            raise _refused(host, str(address))

    def address_for(self, host: str, port: int, resolver: Resolver = resolve) -> str:
        """At delivery: the address to connect to, after checking every address ``host`` has.
        Raises RuleError(CODE) when any of them is internal and not allowed."""
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolver(host.strip("[]"), port)]
        refused = [a for a in addresses if not self.permits(a)]
        if refused or not addresses:
            raise _refused(host, ", ".join(map(str, refused)) or "no address")
        return str(addresses[0])


def _unmapped(address: Address) -> Address:
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _literal(name: str) -> Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        pass
    try:  # the legacy IPv4 forms getaddrinfo accepts too: 127.1, 0x7f000001, 2130706433
        return IPv4Address(socket.inet_aton(name))
    except OSError:
        return None


def _refused(host: str, address: str) -> RuleError:
    return RuleError(
        f"webhook_url points at an internal address ({host}: {address}); an operator may allow it"
        " with WEBHOOK_ALLOWED_NETWORKS",
        "webhook_url",
        code=CODE,
    )
