"""docker-compose.yml: valid against the Compose specification (no Docker engine here to run it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.paths import ROOT

COMPOSE = ROOT / "docker-compose.yml"


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    checker = Path(sys.executable).parent / "check-jsonschema"
    args = [str(checker), "--builtin-schema", "vendor.compose-spec", str(path)]
    return subprocess.run(args, capture_output=True, text=True)


def test_compose_file_is_valid_against_the_spec(tmp_path: Path) -> None:
    out = _check(COMPOSE)
    assert out.returncode == 0, out.stdout + out.stderr
    broken = tmp_path / "docker-compose.yml"  # the check is real: a misspelt key fails it
    broken.write_text(COMPOSE.read_text().replace("interval: 5s", "intervall: 5s", 1))
    assert _check(broken).returncode != 0


def test_compose_topology() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    assert {"api", "worker", "postgres", "redis", "migrate"} <= set(services)
    assert services["api"]["deploy"]["replicas"] == 2
    for name in ("api", "worker", "postgres", "redis"):
        assert "healthcheck" in services[name], name
    for name in ("api", "worker"):
        env = services[name]["environment"]
        assert env["VOICE_DISPATCH"] == "celery" and env["VOICE_DATABASE_URL"].startswith("postgresql")
        assert "voice-data:/data" in services[name]["volumes"]  # the API and workers share uploads and audio
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["command"][:2] == ["voice", "worker"]
    # Only `voice db upgrade` migrates: once, after PostgreSQL is up, before any server or worker starts.
    assert services["migrate"]["command"] == ["voice", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert set(spec["volumes"]) == {"pgdata", "redisdata", "voice-data"}
