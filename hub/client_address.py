"""Who the client is: decided once per request, for everything that counts or logs addresses.

Behind the reverse proxy of deploy/ every request comes from nginx, and X-Forwarded-For names the
client. A header anyone can send must not be believed from anyone, so `ClientAddress` (a WSGI
middleware, like Werkzeug's ProxyFix but limited to `TRUSTED_PROXIES`) rewrites `REMOTE_ADDR`
only when the peer is a trusted proxy: to the right-most X-Forwarded-For entry that is not itself
a trusted proxy (each proxy appends the peer it saw, so entries further left were written by
someone less trusted). A header that is not a list of IP addresses is ignored and the peer kept.

Sign-in throttling, the phone page's rate limits (as `request.remote_addr`) and gunicorn's access
log (which reads the same WSGI environ) all see the result as `REMOTE_ADDR`; the peer itself
stays in the environ under `voxloop.peer`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

PEER_KEY = "voxloop.peer"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    # a dual-stack socket shows an IPv4 peer as ::ffff:a.b.c.d
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """The proxies whose X-Forwarded-For is believed: addresses and CIDR networks, as in
    `TRUSTED_PROXIES` ("127.0.0.1,::1", "10.0.0.0/8, 192.168.1.5")."""

    def __init__(self, entries: str | Iterable[str], setting: str = "TRUSTED_PROXIES") -> None:
        if isinstance(entries, str):
            entries = entries.split(",")
        self.networks: list[IPNetwork] = []
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                self.networks.append(ipaddress.ip_network(entry))
            except ValueError as error:
                raise ValueError(f"{setting}: {entry!r} is not an IP address or network ({error})") from None

    def __contains__(self, address: IPAddress) -> bool:
        return any(address.version == network.version and address in network for network in self.networks)

    def trusts(self, peer: str) -> bool:
        """Whether the peer ``peer`` (an address as text) is one of these proxies."""
        address = _address(peer)
        return address is not None and address in self

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: the peer, or what the trusted proxies in front of it say."""
        peer_address = _address(peer)
        if not forwarded_for or peer_address is None or peer_address not in self:
            return peer
        chain = [_address(entry) for entry in forwarded_for.split(",")]
        if any(hop is None for hop in chain):
            return peer  # not a list of addresses: nothing in it can be believed
        for hop in reversed(chain):
            if hop not in self:
                return str(hop)
        return str(chain[0])  # proxies all the way: the first of them is the client


class ClientAddress:
    """WSGI middleware that puts the client's address into `REMOTE_ADDR` (see the module)."""

    def __init__(self, app: WSGIApplication, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        peer = environ.get("REMOTE_ADDR") or ""
        environ[PEER_KEY] = peer
        environ["REMOTE_ADDR"] = self.proxies.client(peer, environ.get("HTTP_X_FORWARDED_FOR"))
        return self.app(environ, start_response)
