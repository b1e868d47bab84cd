"""Outbound HTTP to URLs that came from outside (audio URLs, webhook receivers), without SSRF.

A URL's host is resolved once, every address it resolves to must be public (or inside a network the
operator allowed), and the connection goes to exactly the address that was checked: the request URL
is rewritten to that IP while the Host header and TLS SNI (so certificate checks) keep the name. This
happens in the transport, so every redirect hop is checked the same way and there is no window for
DNS rebinding between the check and the connect.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

import httpx

from voice.errors import FetchError, TransientFetchError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; Alibaba's metadata is in it
# Special ranges that some Python versions still call global: IETF protocol assignments (Oracle Cloud's
# metadata is 192.0.0.192), benchmarking, and the old class E space.
_ALSO_SPECIAL = tuple(
    ipaddress.ip_network(n) for n in ("192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4", "2001:db8::/32")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UrlRefused(FetchError):
    """The URL points somewhere Voice must not connect to."""


def _embedded_v4(ip: Address) -> list[Address]:
    """IPv4 addresses hidden inside an IPv6 one (mapped, NAT64, 6to4, Teredo)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found: list[Address] = []
    if ip.ipv4_mapped:
        found.append(ip.ipv4_mapped)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip.teredo:
        found.append(ip.teredo[1])
    return found


def _category(ip: Address) -> str | None:
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_private:
        return "a private-network address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "a shared (carrier-grade NAT) address"
    if ip.is_reserved or not ip.is_global or any(ip in n for n in _ALSO_SPECIAL if n.version == ip.version):
        return "a reserved, non-public address"
    return None


def refusal(ip: Address, allow: Sequence[Network] = ()) -> str | None:
    """Why ``ip`` must not be contacted, or None when it may be."""
    candidates = [ip, *_embedded_v4(ip)]
    if any(c in net for c in candidates for net in allow if c.version == net.version):
        return None
    for candidate in reversed(candidates):  # the embedded IPv4 address says more
        if reason := _category(candidate):
            return reason
    return None


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, allow: Sequence[Network] = (), what: str = "audio_url") -> None:
    """Checks that need no DNS: scheme, credentials in the URL, literal addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused(f"{what} must be an http or https URL")
    if parts.username or parts.password:
        raise UrlRefused(
            f"{what} must not carry credentials; configure them per source (VOICE_FETCH__SOURCES)"
        )
    ip = _literal(parts.hostname)
    if ip is not None and (reason := refusal(ip, allow)):
        raise UrlRefused(f"{what}: {_refused_text(parts.hostname, str(ip), reason)}")


def _refused_text(host: str, ip: str, reason: str) -> str:
    where = host if host == ip else f"{host} ({ip})"
    return (
        f"refused to connect to {where}: {reason}; operators can allow their own networks "
        "with VOICE_FETCH__ALLOW_NETWORKS"
    )


def resolve(host: str, port: int, allow: Sequence[Network] = ()) -> str:
    """The one address to connect to for ``host``; refuses when any address it resolves to is blocked."""
    ip = _literal(host)
    if ip is not None:
        if reason := refusal(ip, allow):
            raise UrlRefused(_refused_text(host, str(ip), reason))
        return str(ip)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TransientFetchError(f"could not resolve {host}: {exc}") from exc
    addresses: list[Address] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TransientFetchError(f"could not resolve {host}: no addresses")
    # One bad answer taints the name: a rebinding resolver mixes a public and a private address.
    for address in addresses:
        if reason := refusal(address, allow):
            raise UrlRefused(_refused_text(host, str(address), reason))
    return str(addresses[0])


class PinnedTransport(httpx.BaseTransport):
    """Resolves, checks and pins the address of every request it sends (each redirect hop too)."""

    def __init__(self, allow: Sequence[Network] = (), **kwargs: object) -> None:
        self._allow = tuple(allow)
        # No keep-alive: a pooled connection is keyed by IP, and must never carry another host name.
        self._inner = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0), **kwargs)  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise UrlRefused(f"refused a redirect to a {url.scheme} URL")
        if url.username or url.password:
            raise UrlRefused("refused a URL that carries credentials")
        port = url.port or (443 if url.scheme == "https" else 80)
        ip = resolve(url.host, port, self._allow)
        if _literal(url.host) is not None:
            return self._inner.handle_request(request)
        pinned = httpx.Request(
            request.method,
            url.copy_with(host=ip),
            headers=request.headers,  # keeps Host: the name
            stream=request.stream,
            extensions={**request.extensions, "sni_hostname": url.host},
        )
        return self._inner.handle_request(pinned)

    def close(self) -> None:
        self._inner.close()


def safe_client(
    allow: Sequence[Network],
    timeout: httpx.Timeout,
    max_redirects: int = 5,
    follow_redirects: bool = True,
    auth: httpx.Auth | None = None,
) -> httpx.Client:
    """An httpx client for outside URLs. Environment proxies are ignored: with a proxy, the address
    checked would be the proxy's, not the target's."""
    return httpx.Client(
        transport=PinnedTransport(allow),
        timeout=timeout,
        follow_redirects=follow_redirects,
        max_redirects=max_redirects,
        auth=auth,
        trust_env=False,
    )
