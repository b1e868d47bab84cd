"""`voice ack`: a team's acknowledgements switched on, templates written (and refused), shown and listed,
through the installed command on a SQLite database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.paths import VOICE


@pytest.mark.e2e
def test_voice_ack_enable_template_show_list(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "VOICE_DATA_DIR": str(tmp_path)}

    def voice(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([VOICE, *args], env=env, capture_output=True, text=True, timeout=60)

    assert voice("db", "upgrade").returncode == 0
    made = voice("teams", "create", "billing", "--mailbox", "billing", "--timezone", "Europe/London")
    assert made.returncode == 0, made.stderr
    no_sender = voice("ack", "enable", "billing")
    assert no_sender.returncode == 2 and "needs a sender" in no_sender.stderr
    bad = voice("ack", "enable", "billing", "--sender", "whatsapp:+447700900000", "--channel", "sms")
    assert bad.returncode == 2 and "channel sms needs a number" in bad.stderr
    no_account = voice("ack", "enable", "billing", "--sender", "+447700900000", "--channel", "sms")
    assert no_account.returncode == 2 and "no Twilio account is configured" in no_account.stderr
    env["VOICE_TWILIO__ACCOUNTS"] = '[{"account_sid": "AC0123", "auth_token": "t"}]'
    on = voice("ack", "enable", "billing", "--sender", "+447700900000", "--channel", "sms")
    assert on.returncode == 0, on.stderr
    assert "billing: acknowledgements on, sms from +447700900000, once per 24 h" in on.stdout
    unknown = voice("ack", "template", "billing", "You said {{ transcript }}")
    assert unknown.returncode == 2 and "unknown variable(s) transcript" in unknown.stderr
    ok = voice(
        "ack", "template", "billing", "Thanks {{ caller_name }}, about {{ topic }}.", "--language", "en"
    )
    assert ok.returncode == 0, ok.stderr
    shown = voice("ack", "show", "billing")
    assert "billing: on, sms from +447700900000" in shown.stdout
    assert "intent=* language=en hours=any: Thanks {{ caller_name }}, about {{ topic }}." in shown.stdout
    assert voice("ack", "untemplate", "billing", "--language", "en").returncode == 0
    missing = voice("ack", "untemplate", "billing", "--language", "en")
    assert missing.returncode == 2 and "no such template" in missing.stderr
    assert "intent=" not in voice("ack", "show", "billing").stdout
    assert voice("ack", "disable", "billing").stdout.startswith("billing: acknowledgements off")
    listed = voice("ack", "list")
    assert listed.returncode == 0 and listed.stdout == ""
