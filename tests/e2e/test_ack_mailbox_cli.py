"""`voice ack enable|disable TEAM --mailbox NAME` and `voice ack reset`: a mailbox's own acknowledgement
settings through the installed command on a SQLite database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.paths import VOICE

SENDER, SALES_SENDER = "+447700900000", "+447700900001"


@pytest.mark.e2e
def test_voice_ack_mailbox_on_off_own_sender_show_and_reset(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "VOICE_DATA_DIR": str(tmp_path),
        "VOICE_TWILIO__ACCOUNTS": '[{"account_sid": "AC0123", "auth_token": "t"}]',
    }

    def voice(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([VOICE, *args], env=env, capture_output=True, text=True, timeout=60)

    assert voice("db", "upgrade").returncode == 0
    made = voice("teams", "create", "billing", "--mailbox", "billing", "--mailbox", "sales")
    assert made.returncode == 0, made.stderr
    alone = voice("ack", "enable", "billing", "--mailbox", "sales")
    assert alone.returncode == 2 and "switching a mailbox on needs a sender" in alone.stderr
    on = voice(
        "ack", "enable", "billing", "--mailbox", "sales", "--sender", SALES_SENDER, "--repeat-hours", "1"
    )
    assert on.returncode == 0, on.stderr
    assert on.stdout == f"billing mailbox sales: acknowledgements on, sms from {SALES_SENDER}, once per 1 h\n"
    team = voice("ack", "enable", "billing", "--sender", SENDER)
    assert team.returncode == 0, team.stderr
    off = voice("ack", "disable", "billing", "--mailbox", "billing")
    assert off.stdout == f"billing mailbox billing: acknowledgements off, sms from {SENDER}, once per 24 h\n"
    shown = voice("ack", "show", "billing").stdout
    assert f"billing: on, sms from {SENDER}" in shown
    assert "  mailbox billing: off, sms from +447700900000 (enabled=False)" in shown
    assert f"  mailbox sales: on, sms from {SALES_SENDER} (enabled=True, sender={SALES_SENDER}, " in shown
    foreign = voice("ack", "disable", "billing", "--mailbox", "support")
    assert foreign.returncode == 2 and "team 'billing' has no mailbox 'support'" in foreign.stderr
    teams_own = voice("ack", "enable", "billing", "--mailbox", "sales", "--from", "09:00")
    assert teams_own.returncode == 2 and "are the team's" in teams_own.stderr
    assert voice("ack", "reset", "billing", "--mailbox", "billing").returncode == 0
    again = voice("ack", "reset", "billing", "--mailbox", "billing")
    assert again.returncode == 2 and "has no settings of its own" in again.stderr
    assert "mailbox billing" not in voice("ack", "show", "billing").stdout
