"""A real `voice serve` subprocess on a free port, and the real `voice` command on its database."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.net import free_port
from tests.support.paths import VOICE


@dataclass
class VoiceServer:
    url: str
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen | None = None
    log: Path | None = None
    admin_key: str = ""
    serve_args: tuple[str, ...] = ()

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:  # noqa: A002
        """The real `voice` command on this server's database and settings; fails the test if it fails."""
        return subprocess.run(
            [VOICE, *args],
            env=self.env,
            cwd=self.data_dir,
            input=input,
            capture_output=True,
            text=True,
            check=True,
        )

    def create_key(self, role: str, name: str | None = None, webhook_url: str | None = None) -> dict:
        """A key made by the real CLI on the server's database: {"id", "key", "webhook_secret", ...}."""
        args = ["keys", "create", "--name", name or f"test-{role}", "--role", role, "--json"]
        if webhook_url:
            args += ["--webhook-url", webhook_url]
        return json.loads(self.cli(*args).stdout)  # type: ignore[no-any-return]

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.admin_key}"}

    def start(self) -> None:
        if not self.admin_key:  # a first start: migrate as an operator would (a server only checks)
            self.cli("db", "upgrade")
            self.admin_key = self.create_key("admin", "test-admin")["key"]
        port = int(self.url.rsplit(":", 1)[1])
        assert self.log is not None
        with self.log.open("ab") as logfh:
            self.proc = subprocess.Popen(
                [VOICE, "serve", "--port", str(port), *self.serve_args],
                env=self.env,
                cwd=self.data_dir,
                stdout=logfh,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    pass
                if httpx.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except (OSError, httpx.HTTPError):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"voice serve exited: {self.log.read_text() if self.log else ''}")
            time.sleep(0.3)
        raise RuntimeError("voice serve did not become healthy")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def post_url(self, audio_url: str, key: str | None = None, **call: object) -> str:
        r = httpx.post(
            self.url + "/v1/voicemails",
            json={"audio_url": audio_url, "call": call},
            headers=self.headers(key),
            timeout=30,
        )
        assert r.status_code == 202, r.text
        return str(r.json()["id"])

    def get(self, vm_id: str) -> dict:
        r = httpx.get(f"{self.url}/v1/voicemails/{vm_id}", headers=self.headers(), timeout=30)
        r.raise_for_status()
        return r.json()  # type: ignore[no-any-return]

    def wait(self, vm_id: str, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            vm = self.get(vm_id)
            if vm["status"] in ("done", "no_speech", "failed"):
                return vm
            time.sleep(0.2)
        raise AssertionError(f"voicemail {vm_id} not finished after {timeout} s: {self.get(vm_id)}")


def make_server(tmp: Path, **env: str) -> VoiceServer:
    data = tmp / "data"
    data.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        "VOICE_DATA_DIR": str(data),
        "VOICE_TRANSCRIPTION__MODEL": "tiny.en",
        "VOICE_TRANSCRIPTION__CPU_THREADS": "2",
        "VOICE_TRANSCRIPTION__ALLOW_DOWNLOAD": "false",
        "VOICE_LOG_LEVEL": "INFO",
        "HF_HUB_OFFLINE": "1",
        # The test audio and webhook servers listen on loopback, which Voice refuses by default.
        "VOICE_FETCH__ALLOW_NETWORKS": '["127.0.0.0/8", "::1/128"]',
        **env,
    }
    return VoiceServer(f"http://127.0.0.1:{free_port()}", data, full_env, log=tmp / "server.log")
