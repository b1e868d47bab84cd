"""One attempt to send a notification message (notify_render.Message) to one channel, in that channel's own
format; what happened comes back as an AttemptResult, never as an exception, so the outbox records it and
retries (voice/integrations/notifications.py).

- E-mail: smtplib and email.message from the standard library, not apprise: apprise's notify() answers only
  True or False, and each attempt here must record why it failed (the SMTP reply), trust a private relay's
  CA (``ca_file``) and attach the audio as a file; smtplib does STARTTLS (or implicit TLS) and AUTH itself.
- Slack: slack-sdk's WebhookClient, with Block Kit blocks (its own retries off: the outbox retries).
- Microsoft Teams: an Adaptive Card in the message envelope that Teams' incoming webhooks and Workflows take
  (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using),
  over httpx, so a refusal's status and answer are recorded.
- Webhook: JSON signed like the completion webhooks (Standard Webhooks, webhooks.signed_headers).

Channel targets are set by admins only; they are not run through the audio fetcher's address guard.
Secrets (URLs, passwords) never appear in a result's error text."""

from __future__ import annotations

import json
import logging
import mimetypes
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import httpx
from slack_sdk.webhook import WebhookClient

from voice import __version__
from voice.core.config import Settings
from voice.integrations.notify_render import Item, Message, facts
from voice.integrations.webhooks import signed_headers
from voice.storage import vault
from voice.storage.models import NotificationChannel, utcnow

# The largest audio file attached to an e-mail; a longer recording is left to the link.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_quiet = logging.getLogger("voice.notify.slack")
_quiet.setLevel(logging.WARNING)  # slack-sdk logs the URL (a secret) at DEBUG


@dataclass(frozen=True)
class Target:
    name: str
    kind: str
    settings: Mapping[str, Any]
    secrets: Mapping[str, str]


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    status_code: int | None = None  # HTTP status, or the SMTP reply code
    error: str | None = None
    duration_ms: int = 0
    # Asking again cannot help (an HTTP 4xx other than 408 and 429: a revoked webhook, a bad payload).
    permanent: bool = False


def _http_result(code: int, body: str, started: float) -> AttemptResult:
    ms = int((time.perf_counter() - started) * 1000)
    if 200 <= code < 300:
        return AttemptResult(True, code, None, ms)
    text = " ".join(body.split())[:200]
    error = f"the receiver answered HTTP {code}" + (f": {text}" if text else "")
    return AttemptResult(False, code, error, ms, permanent=400 <= code < 500 and code not in (408, 429))


def _failed(exc: BaseException, started: float, code: int | None = None) -> AttemptResult:
    ms = int((time.perf_counter() - started) * 1000)
    return AttemptResult(False, code, f"{exc.__class__.__name__}: {exc}"[:500], ms)


# --- e-mail


def email_message(
    message: Message, settings: Mapping[str, Any], keyring: vault.Keyring | None
) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = settings["sender"]
    mail["To"] = ", ".join(settings["to"])
    mail["Message-ID"] = make_msgid(domain=str(settings["sender"]).rsplit("@", 1)[-1])
    mail["X-Voice-Channel"] = message.channel
    if any(i.urgent for i in message.items):
        mail["X-Priority"] = "1"
        mail["Importance"] = "high"
    mail.set_content(message.text())
    mail.add_alternative(f"<html><body>{message.html()}</body></html>", subtype="html")
    for item in message.items:
        _attach_audio(mail, item, keyring)
    return mail


def _attach_audio(mail: EmailMessage, item: Item, keyring: vault.Keyring | None) -> None:
    path = item.audio_path
    if path is None or not path.exists() or vault.plain_size(path) > MAX_ATTACHMENT_BYTES:
        return
    if vault.is_encrypted(path):
        if keyring is None:
            return
        data = b"".join(vault.iter_plain(path, keyring))
    else:
        data = path.read_bytes()
    kind = mimetypes.guess_type(path.name)[0] or "audio/wav"
    main, sub = kind.split("/", 1)
    mail.add_attachment(
        data, maintype=main, subtype=sub, filename=f"voicemail-{item.voicemail_id}{path.suffix}"
    )


def _smtp(settings: Mapping[str, Any], timeout: float) -> smtplib.SMTP:
    host, port, security = (
        settings["host"],
        int(settings.get("port", 587)),
        settings.get("security", "starttls"),
    )
    context = ssl.create_default_context(cafile=settings.get("ca_file") or None)
    if security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    client = smtplib.SMTP(host, port, timeout=timeout)
    if security == "starttls":
        try:
            client.starttls(context=context)  # refuses to go on in the clear if the server cannot
        except BaseException:
            client.close()
            raise
    return client


def send_email(
    target: Target, message: Message, timeout: float, keyring: vault.Keyring | None
) -> AttemptResult:
    started = time.perf_counter()
    try:
        mail = email_message(message, target.settings, keyring)
        with _smtp(target.settings, timeout) as client:
            if target.settings.get("username"):
                client.login(target.settings["username"], target.secrets.get("password", ""))
            refused = client.send_message(mail)
    except smtplib.SMTPResponseException as exc:
        detail = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        )
        error = f"the SMTP server answered {exc.smtp_code}: {detail}"[:500]
        return AttemptResult(False, exc.smtp_code, error, int((time.perf_counter() - started) * 1000))
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:  # refused, timed out, TLS failed
        return _failed(exc, started)
    if refused:
        return AttemptResult(False, None, f"the SMTP server refused {', '.join(refused)}")
    return AttemptResult(True, 250, None, int((time.perf_counter() - started) * 1000))


# --- Slack


def slack_blocks(message: Message) -> list[dict[str, Any]]:
    """Block Kit: a header, then per voicemail its summary, its facts, and buttons to call and open it."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150], "emoji": False}}
    ]
    if message.test:
        return [*blocks, {"type": "section", "text": {"type": "mrkdwn", "text": message.text()}}]
    for item in message.items[:20]:  # Slack takes 50 blocks at most
        call = f"<{item.tel}|{item.callback}>" if item.tel else "no number"
        fields = [{"type": "mrkdwn", "text": f"*{k}*\n{_md(v)}"} for k, v in facts(item) if k != "Call back"]
        fields.insert(1, {"type": "mrkdwn", "text": f"*Call back*\n{call}"})
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{_md(item.caller)}*: {_md(item.summary)}"},
            }
        )
        blocks.append({"type": "section", "fields": fields[:10]})
        if item.transcript is not None:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": f"> {_md(item.transcript)[:2900]}"}}
            )
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in inbox"},
                        "url": item.link,
                    }
                ],
            }
        )
    return blocks


def _md(text: str) -> str:
    """Slack's mrkdwn escapes (its docs: only &, < and > need it)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def send_slack(target: Target, message: Message, timeout: float) -> AttemptResult:
    started = time.perf_counter()
    client = WebhookClient(
        target.secrets["url"], timeout=max(1, int(timeout)), logger=_quiet, retry_handlers=[]
    )
    try:
        response = client.send(text=message.text()[:3000], blocks=slack_blocks(message))
    except Exception as exc:  # urllib's errors (refused, timed out) come through as they are
        return _failed(exc, started)
    return _http_result(response.status_code, str(response.body or ""), started)


# --- Microsoft Teams


def teams_card(message: Message) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "size": "Large", "weight": "Bolder", "text": message.title, "wrap": True}
    ]
    actions: list[dict[str, Any]] = []
    for item in message.items[:20]:
        call = f"[{item.callback}]({item.tel})" if item.tel else "no number"
        body.append(
            {
                "type": "TextBlock",
                "text": f"**{item.caller}**: {item.summary}",
                "wrap": True,
                "separator": True,
            }
        )
        rows = [{"title": k, "value": call if k == "Call back" else v} for k, v in facts(item)]
        body.append({"type": "FactSet", "facts": rows})
        if item.transcript is not None:
            body.append({"type": "TextBlock", "text": item.transcript, "wrap": True, "isSubtle": True})
        if len(message.items) == 1:
            actions.append({"type": "Action.OpenUrl", "title": "Open in inbox", "url": item.link})
        else:
            body.append({"type": "TextBlock", "text": f"[Open in inbox]({item.link})"})
    if message.test:
        body.append({"type": "TextBlock", "text": message.text(), "wrap": True})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def _post(url: str, body: str, headers: dict[str, str], timeout: float) -> AttemptResult:
    started = time.perf_counter()
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False) as client:
            response = client.post(url, content=body.encode(), headers=headers)
    except httpx.HTTPError as exc:
        return _failed(exc, started)
    return _http_result(response.status_code, response.text[:500], started)


def send_teams(target: Target, message: Message, timeout: float) -> AttemptResult:
    body = json.dumps(teams_card(message), ensure_ascii=False)
    return _post(target.secrets["url"], body, {"content-type": "application/json"}, timeout)


# --- signed webhook


def webhook_payload(message: Message, msg_id: str) -> dict[str, Any]:
    return {
        "type": "voicemail.test" if message.test else "voicemail.notification",
        "timestamp": utcnow().isoformat().replace("+00:00", "Z"),
        "data": {
            "id": msg_id,
            "channel": message.channel,
            "event": message.event,
            "title": message.title,
            "digest": message.digest,
            "voicemails": [
                {
                    "id": i.voicemail_id,
                    "caller": i.caller,
                    "summary": i.summary,
                    "callback_number": i.callback,
                    "callback_tel": i.tel,
                    "urgency": i.urgency,
                    "intent": i.intent,
                    "team": i.team,
                    "mailbox": i.mailbox,
                    "url": i.link,
                    "received_at": i.received_at.isoformat().replace("+00:00", "Z"),
                    "transcript": i.transcript,
                }
                for i in message.items
            ],
        },
    }


def send_webhook(target: Target, message: Message, timeout: float, msg_id: str) -> AttemptResult:
    body = json.dumps(webhook_payload(message, msg_id), ensure_ascii=False, separators=(",", ":"))
    headers = signed_headers(target.secrets["secret"], msg_id, body)
    headers["user-agent"] = f"Voice-Notifications/{__version__}"
    return _post(target.settings["url"], body, headers, timeout)


def send(target: Target, message: Message, settings: Settings, msg_id: str) -> AttemptResult:
    """One attempt, over in about ``notifications.timeout_s``."""
    timeout = settings.notifications.timeout_s
    senders: dict[str, Callable[[], AttemptResult]] = {
        NotificationChannel.EMAIL: lambda: send_email(
            target, message, timeout, vault.keyring(settings.storage)
        ),
        NotificationChannel.SLACK: lambda: send_slack(target, message, timeout),
        NotificationChannel.TEAMS: lambda: send_teams(target, message, timeout),
        NotificationChannel.WEBHOOK: lambda: send_webhook(target, message, timeout, msg_id),
    }
    return senders[target.kind]()
