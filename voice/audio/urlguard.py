"""Outbound HTTP to URLs that came from outside (audio URLs, webhook receivers), without SSRF.

A URL's host is resolved once, every address it resolves to must be public (or inside a network the
operator allowed), and the connection goes to exactly the address that was checked: the request URL
is rewritten to that IP while the Host header and TLS SNI (so certificate checks) keep the name. This
happens in the transport, so every redirect hop is checked the same way and there is no window for
DNS rebinding between the check and the connect.

httpx's timeouts are per phase and per read, so a peer that sends a byte now and then holds a request for
as long as it likes. A ``Deadline`` passed as the request extension ``"voice.deadline"`` bounds the whole
exchange: connect, send, headers, body, every redirect hop.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from voice.core.errors import FetchError, TransientFetchError

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


DEADLINE = "voice.deadline"  # the request extension that carries a Deadline
REDIRECT_BODY_BYTES = 64 * 1024  # read of a redirect's body, at most
Trace = Callable[[str, dict[str, Any]], None]  # httpx's "trace" request extension


class DeadlineExceeded(httpx.TimeoutException):
    """The whole exchange took longer than its Deadline allowed."""


class Deadline:
    """A wall-clock limit on one exchange, for the ``"voice.deadline"`` request extension.

    It allows ``seconds``, plus one second per ``min_rate`` bytes received (a download earns time by
    arriving; a trickle does not), never more than ``cap_s`` in all. Inside ``with``, a watchdog thread
    shuts the connection's socket down when it passes, so a read blocked on a silent peer, or headers
    dribbled a byte at a time, end on time as well as a body that arrives too slowly.
    """

    def __init__(self, seconds: float, min_rate: float | None = None, cap_s: float | None = None) -> None:
        self.seconds, self.min_rate = seconds, min_rate
        self.started = time.monotonic()
        self.received = 0
        self._at = self.started + seconds
        self._cap = self.started + max(seconds, cap_s if cap_s is not None else seconds)
        self._expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._watchdog: threading.Thread | None = None

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float:
        return self._at - time.monotonic()

    @property
    def cut(self) -> bool:
        """The watchdog shut the connection down."""
        return self._expired

    def passed(self) -> bool:
        return self._expired or self.remaining() <= 0

    def add_received(self, size: int) -> None:
        self.received += size
        if self.min_rate:
            earned = self.started + self.seconds + self.received / self.min_rate
            self._at = max(self._at, min(self._cap, earned))

    def __enter__(self) -> Deadline:
        self._watchdog = threading.Thread(target=self._watch, name="voice-deadline", daemon=True)
        self._watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._watchdog is not None:
            self._watchdog.join()

    def _watch(self) -> None:
        while not self._done.wait(max(0.0, self.remaining())):
            if self.remaining() <= 0:
                with self._lock:
                    self._expired = True
                    sockets = list(self._sockets)
                for sock in sockets:
                    _shut(sock)
                return

    def _adopt(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            expired = self._expired
        if expired:
            _shut(sock)

    def trace(self, inner: Trace | None) -> Trace:
        """An httpx "trace" extension that hands the deadline each socket as it is connected."""

        def trace(event: str, info: dict[str, Any]) -> None:
            if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
                stream = info.get("return_value")
                sock = stream.get_extra_info("socket") if stream is not None else None
                if isinstance(sock, socket.socket):
                    self._adopt(sock)
            if inner is not None:
                inner(event, info)

        return trace


def _shut(sock: socket.socket) -> None:
    # The OS socket's shutdown: a blocked recv returns at once. (An SSLSocket's own shutdown would also
    # drop its TLS state under the thread that is reading.)
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Bounded(httpx.SyncByteStream):
    """A response body under a Deadline: counts what arrives, stops once the deadline has passed."""

    def __init__(self, inner: httpx.SyncByteStream, deadline: Deadline, request: httpx.Request) -> None:
        self._inner, self._deadline, self._request = inner, deadline, request

    def __iter__(self) -> Iterator[bytes]:
        try:
            for part in self._inner:
                self._deadline.add_received(len(part))
                if self._deadline.passed():
                    raise DeadlineExceeded("the peer took longer than its deadline", request=self._request)
                yield part
            if self._deadline.cut:  # a body that ends at the close was cut short by the watchdog
                raise DeadlineExceeded("the peer took longer than its deadline", request=self._request)
        except httpx.TransportError as exc:
            if isinstance(exc, DeadlineExceeded) or not self._deadline.passed():
                raise
            raise DeadlineExceeded("the peer took longer than its deadline", request=self._request) from exc

    def close(self) -> None:
        self._inner.close()


class _Capped(httpx.SyncByteStream):
    """At most ``limit`` bytes of a body; the rest is never read (closing drops the connection)."""

    def __init__(self, inner: httpx.SyncByteStream, limit: int) -> None:
        self._inner, self._limit = inner, limit

    def __iter__(self) -> Iterator[bytes]:
        left = self._limit
        for part in self._inner:
            yield part[:left]
            left -= len(part)
            if left <= 0:
                return

    def close(self) -> None:
        self._inner.close()


def _check_hop(url: httpx.URL) -> None:
    """Checks on each hop that need no DNS (a redirect may name any URL)."""
    if url.scheme not in ("http", "https"):
        raise UrlRefused(f"refused a redirect to a {url.scheme} URL")
    if url.username or url.password:
        raise UrlRefused("refused a URL that carries credentials")


def _hold_to(deadline: Deadline, extensions: dict[str, Any], request: httpx.Request) -> None:
    """Cut each of httpx's phase timeouts to what is left of ``deadline``, and have the deadline told of
    each socket as it connects (its watchdog shuts them down when it passes)."""
    left = deadline.remaining()
    if left <= 0:  # resolving took it all, or a redirect came too late
        raise DeadlineExceeded("the peer took longer than its deadline", request=request)
    timeouts = extensions.get("timeout") or {}
    extensions["timeout"] = {
        phase: left if timeouts.get(phase) is None else min(timeouts[phase], left)
        for phase in ("connect", "read", "write", "pool")
    }
    extensions["trace"] = deadline.trace(extensions.get("trace"))


def _guarded_body(
    response: httpx.Response, deadline: Deadline | None, request: httpx.Request
) -> httpx.Response:
    """``response`` with its body capped when it is a redirect, and held to ``deadline`` if there is one."""
    stream: httpx.SyncByteStream = response.stream  # type: ignore[assignment]
    if response.has_redirect_location:
        # httpx reads a redirect's body whole before it follows it, and throws it away.
        stream = _Capped(stream, REDIRECT_BODY_BYTES)
    elif deadline is None:
        return response
    if deadline is not None:
        stream = _Bounded(stream, deadline, request)
    return httpx.Response(
        response.status_code, headers=response.headers, stream=stream, extensions=response.extensions
    )


class PinnedTransport(httpx.BaseTransport):
    """Resolves, checks and pins the address of every request it sends (each redirect hop too), and
    holds it to the request's Deadline, if it has one."""

    def __init__(self, allow: Sequence[Network] = (), **kwargs: object) -> None:
        self._allow = tuple(allow)
        # No keep-alive: a pooled connection is keyed by IP, and must never carry another host name.
        self._inner = httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0), **kwargs)  # type: ignore[arg-type]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        _check_hop(url)
        deadline = request.extensions.get(DEADLINE)
        if not isinstance(deadline, Deadline):
            deadline = None
        port = url.port or (443 if url.scheme == "https" else 80)
        ip = resolve(url.host, port, self._allow)
        extensions = dict(request.extensions)
        if _literal(url.host) is None:
            url = url.copy_with(host=ip)
            extensions["sni_hostname"] = request.url.host  # TLS checks the name; Host keeps it too
        if deadline is not None:
            _hold_to(deadline, extensions, request)
        pinned = httpx.Request(
            request.method, url, headers=request.headers, stream=request.stream, extensions=extensions
        )
        try:
            response = self._inner.handle_request(pinned)
        except httpx.TransportError as exc:
            if deadline is not None and deadline.passed():
                raise DeadlineExceeded("the peer took longer than its deadline", request=request) from exc
            raise
        return _guarded_body(response, deadline, request)

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
