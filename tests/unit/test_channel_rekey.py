"""Channels' secrets through a key rotation (docs/privacy-security.md#encryption-at-rest): a channel sealed
under key A still sends while B is current and A is an old key; `voice storage rekey` seals its secrets
again under B (and seals those stored before a key was set), so the e-mail still authenticates against a real
SMTP server (aiosmtpd, STARTTLS and AUTH) with B alone. On SQLite and PostgreSQL (the `sm` fixture)."""

from __future__ import annotations

import base64
import gc
import json
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from tests.support.mail import PASSWORD, USER, MailServer, smtp_server


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[MailServer]:
    with smtp_server(tmp_path) as server:
        yield server


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _voice(*args: str) -> Any:
    """`voice ARGS` in this process; the engine it made (the CLI never closes one: its process ends) is
    closed here."""
    from typer.testing import CliRunner

    from voice.cli import app as cli

    out = CliRunner().invoke(cli, list(args), env={"COLUMNS": "200"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    return out


def _stored(sm: sessionmaker[Session]) -> dict[str, str | None]:
    from voice.storage.models import NotificationChannel

    with sm() as session:
        rows = session.execute(select(NotificationChannel.name, NotificationChannel.secrets)).all()
        return {name: secrets for name, secrets in rows}


def test_rekey_seals_channel_secrets_under_the_new_key_and_the_mail_still_authenticates(
    sm: sessionmaker[Session], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mail: MailServer
) -> None:

    from voice.core import config
    from voice.integrations import notifications
    from voice.storage import channels, vault

    url = sm.kw["bind"].url.render_as_string(hide_password=False)
    a, b, lost = _key(), _key(), _key()
    under_a = vault.Keyring(vault.parse_key(a))
    smtp = {"host": mail.host, "port": mail.port, "username": USER, "sender": "voice@example.com"}
    smtp |= {"to": ["billing@example.com"], "ca_file": str(mail.ca_file)}
    with sm() as session:
        channels.add(session, under_a, "mail", "email", smtp, {"password": PASSWORD})
        channels.add(
            session, None, "hook", "webhook", {"url": "http://127.0.0.1:9/x"}, {"secret": "whsec_MTIz"}
        )
        gone = vault.Keyring(vault.parse_key(lost))  # a key nobody configured any more
        channels.add(session, gone, "orphan", "slack", {}, {"url": "https://hooks.slack.com/services/x"})
        session.commit()
    before = _stored(sm)
    assert before["mail"] is not None and before["mail"].startswith("aesgcm:password:")
    assert before["hook"] is not None and before["hook"].startswith("plain:")

    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VOICE_DATABASE_URL", url)
    monkeypatch.setenv("VOICE_STORAGE__ENCRYPTION_KEY", b)
    monkeypatch.setenv("VOICE_STORAGE__OLD_KEYS", json.dumps([a]))
    config.get_settings.cache_clear()
    try:
        # During the rotation (B current, A old), the channel sealed under A still sends.
        rotating = config.get_settings()
        with sm() as session:
            assert notifications.send_test(session, rotating, "mail").ok
        assert len(mail.received) == 1

        out = _voice("storage", "rekey")
        assert out.exit_code == 1, out.output  # the orphan's key is missing: said, and the rest done
        assert "sealed 2 channels' secrets with the current key; 0 already were" in out.output
        assert "cannot open the secrets of orphan" in out.output
        again = _voice("storage", "rekey")
        assert "sealed 0 channels' secrets with the current key; 2 already were" in again.output
    finally:
        config.get_settings.cache_clear()

    after = _stored(sm)
    assert after["mail"] != before["mail"] and after["hook"] != before["hook"]
    assert after["orphan"] == before["orphan"]
    only_b = vault.Keyring(vault.parse_key(b))
    assert channels.unseal(after["mail"], only_b) == {"password": PASSWORD}
    assert channels.unseal(after["hook"], only_b) == {"secret": "whsec_MTIz"}
    assert after["hook"] is not None and after["hook"].startswith("aesgcm:secret:")
    with pytest.raises(vault.VaultError):
        channels.unseal(after["mail"], under_a)

    # With A dropped, the e-mail still authenticates.
    settings = config.Settings(data_dir=tmp_path, storage={"encryption_key": b})
    with sm() as session:
        result = notifications.send_test(session, settings, "mail")
    assert result.ok, result.error
    assert len(mail.received) == 2
    assert mail.envelopes[-1] == ("voice@example.com", ["billing@example.com"])


def test_rekey_without_a_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    from voice.core import config

    monkeypatch.setenv("VOICE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VOICE_STORAGE__ENCRYPTION_KEY", raising=False)
    config.get_settings.cache_clear()
    try:
        out = _voice("storage", "rekey")
    finally:
        config.get_settings.cache_clear()
    assert out.exit_code == 2 and "no key" in out.output
