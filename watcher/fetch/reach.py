"""Where links from a feed's content may lead: not to this machine or its networks unless the watchlist says so.

A feed's publisher chooses its item links (fetched for ``fulltext`` sources), the feed links of a ``site`` page
(fetched by discovery) and where those redirect. Followed blindly, they reach what only watcher can reach: cloud
metadata (169.254.169.254), admin pages on 127.0.0.1, watcher's own /metrics, the office network; and the page
read is quoted in a digest. So such a link is fetched only when every address its host resolves to is public
(:func:`refusal` says why one is not: loopback, private, link-local, multicast, reserved, unspecified, or
otherwise not global; an IPv4-mapped IPv6 address is judged as the IPv4 one). Decimal and octal forms
(``http://2130706433/``) and names (``localhost``) are resolved like any host, so they are judged by what they
lead to.

Two exceptions: the origin (host and port) of the URL the analyst wrote in the watchlist (a feed served on
127.0.0.1 links to its own pages), and a source with ``allow_private_links: true``.

Covered: every hop (the link, then each redirect target) is checked before its request, against all the
addresses the resolver gives, and the request then connects to the address checked (its Host header and TLS
server name stay the host's), so a name that resolves elsewhere a moment later (DNS rebinding) changes nothing.
Not covered: a proxy configured in the environment resolves names itself (the fetcher does not use one).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from watcher.errors import FetchError, LinkRefused

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]  # (host, port) -> its addresses
ALLOW_HINT = "set allow_private_links: true on the source if it is meant to reach such addresses"


@dataclass(frozen=True, slots=True)
class Reach:
    """What a link from a feed's content may reach: public addresses, the ``trusted`` URL's origin, and
    anything when ``allow_private``."""

    trusted: str | None = None  # the URL the analyst wrote: its host and port are trusted
    allow_private: bool = False

    def trusts(self, url: str) -> bool:
        """Whether ``url`` is fetched without looking at its addresses."""
        return self.allow_private or (self.trusted is not None and origin(url) == origin(self.trusted))


def origin(url: str) -> tuple[str, int | None]:
    """The host (lower case) and port (the scheme's default when none) of ``url``."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "", port or {"http": 80, "https": 443}.get(parts.scheme.lower()))


def refusal(address: Address) -> str | None:
    """Why a link must not reach ``address`` ("loopback", "private", ...), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind in ("unspecified", "loopback", "link-local", "multicast", "reserved", "private"):
        if getattr(address, f"is_{kind.replace('-', '_')}"):
            return kind
    return None if address.is_global else "not public"


async def pinned_address(url: str, reach: Reach, resolve: Resolver) -> str | None:
    """The address to connect to for ``url`` (one checked), None when ``reach`` trusts it as it is; FetchError
    (one line, naming the address and the way to allow it) when an address it resolves to is not public."""
    if reach.trusts(url):
        return None
    host, port = origin(url)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            found = await resolve(host, port or 80)
        except OSError as e:
            raise FetchError(f"{url}: cannot resolve {host}: {e.strerror or e}") from None
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    if not addresses:
        raise FetchError(f"{url}: {host} resolves to no address")
    for address in addresses:
        why = refusal(address)
        if why is not None:
            raise LinkRefused(f"{url}: not fetched: a link from the feed leads to the {why} address {address}",
                              hint=ALLOW_HINT)
    return str(addresses[0])


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for ``host`` (TCP), in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))
