"""Server-side request forgery: what Voice refuses to connect to, on every hop, with the address pinned."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import httpx
import pytest

from tests.support.audio import encode
from tests.support.http_servers import AudioServer, serve_directory
from tests.support.serve import make_server
from tests.support.speech import clip_path
from voice.audio import urlguard
from voice.audio.fetch import fetch_to_file
from voice.core.config import FetchSettings
from voice.core.errors import FetchError

REFUSED = [
    "127.0.0.1", "127.9.9.9", "::1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254",
    "fd00:ec2::254", "100.100.100.200", "192.0.0.192", "0.0.0.0", "::", "224.0.0.1", "ff02::1",
    "::ffff:10.0.0.1", "::ffff:169.254.169.254", "64:ff9b::7f00:1", "2002:7f00:1::", "fe80::1",
    "198.18.0.1", "240.0.0.1", "255.255.255.255",
]  # fmt: skip
ALLOWED = ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "93.184.216.34"]


@pytest.mark.parametrize("ip", REFUSED)
def test_refused_addresses(ip: str) -> None:
    assert urlguard.refusal(ipaddress.ip_address(ip)) is not None


@pytest.mark.parametrize("ip", ALLOWED)
def test_public_addresses(ip: str) -> None:
    assert urlguard.refusal(ipaddress.ip_address(ip)) is None


def test_allowlist_admits_only_its_networks() -> None:
    allow = [ipaddress.ip_network("10.20.0.0/16")]
    assert urlguard.refusal(ipaddress.ip_address("10.20.3.4"), allow) is None
    assert urlguard.refusal(ipaddress.ip_address("::ffff:10.20.3.4"), allow) is None
    assert urlguard.refusal(ipaddress.ip_address("10.21.0.1"), allow) is not None
    for url in ("file:///etc/passwd", "gopher://x/", "http://user:pw@example.com/a.wav", "http://[::1]/a"):
        with pytest.raises(urlguard.UrlRefused):
            urlguard.check_url(url)


def test_pinned_address_defeats_dns_rebinding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A resolver that answers an allowed address first and loopback after: we connect to what we checked."""
    (tmp_path / "a.wav").write_bytes(b"RIFF....")
    real = socket.getaddrinfo
    lookups: list[str] = []

    with serve_directory(tmp_path, "127.0.0.2") as server:
        port = int(server.url.rsplit(":", 1)[1])

        def rebinding(host, *args, **kwargs):  # type: ignore[no-untyped-def]
            if host == "rebind.test":
                lookups.append(host)
                answer = "127.0.0.2" if len(lookups) == 1 else "127.0.0.1"
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]
            if host == "mixed.test":
                return [
                    (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in ("127.0.0.2", "127.0.0.1")
                ]
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        settings = FetchSettings(allow_networks=[ipaddress.ip_network("127.0.0.2/32")], retries=0)
        fetched = fetch_to_file(f"http://rebind.test:{port}/a.wav", tmp_path / "out", settings)
        assert fetched.size_bytes == 8 and lookups == ["rebind.test"]
        assert server.calls == {"/a.wav": 1}
        # One blocked address among the answers taints the name.
        with pytest.raises(urlguard.UrlRefused, match="127.0.0.1"):
            fetch_to_file(f"http://mixed.test:{port}/a.wav", tmp_path / "out2", settings)
        # Redirect hops are checked the same way.
        with pytest.raises(urlguard.UrlRefused, match="loopback"):
            fetch_to_file(
                f"{server.url}/redirect-to/http://127.0.0.1:{port}/a.wav", tmp_path / "out3", settings
            )
        with pytest.raises(FetchError, match="redirected too many times"):
            fetch_to_file(
                f"{server.url}/redirect-to/{server.url}/redirect-to/{server.url}/redirect-to/"
                f"{server.url}/a.wav",
                tmp_path / "out4",
                settings.model_copy(update={"max_redirects": 2}),
            )


@pytest.mark.e2e
def test_refusals_end_as_failed_voicemails(tmp_path: Path, audio_server: AudioServer) -> None:
    """With only 127.0.0.2 allowed: loopback is refused at the door or at fetch time, and work goes on."""
    served = tmp_path / "served"
    served.mkdir()
    encode(clip_path("en_arctic_a0010"), served / "ok.wav")
    server = make_server(tmp_path, VOICE_FETCH__ALLOW_NETWORKS='["127.0.0.2/32"]')
    server.start()
    try:
        with serve_directory(served, "127.0.0.2") as allowed:
            port = allowed.url.rsplit(":", 1)[1]
            r = httpx.post(
                server.url + "/v1/voicemails",
                json={"audio_url": f"{audio_server.url}/x.wav"},
                headers=server.headers(),
            )
            assert r.status_code == 422 and "loopback" in r.json()["detail"]
            by_name = server.post_url(f"http://localhost:{port}/ok.wav")
            hop = server.post_url(f"{allowed.url}/redirect-to/http://127.0.0.1:{port}/ok.wav")
            good = server.post_url(f"{allowed.url}/ok.wav")
            refused = server.wait(by_name)
            assert refused["status"] == "failed"
            assert refused["status_reason"].startswith(
                "refused to connect to localhost (127.0.0.1): a loopback"
            )
            hopped = server.wait(hop)
            assert hopped["status"] == "failed" and "127.0.0.1" in hopped["status_reason"], hopped
            assert server.wait(good)["status"] == "done"
            assert allowed.calls.get("/ok.wav") == 1  # only the good one; the refused hop never connected
    finally:
        server.stop()
