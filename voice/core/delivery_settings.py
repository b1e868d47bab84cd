"""The outbound side of the settings: Twilio accounts, acknowledgements to callers, completion webhooks,
notifications and CRM syncs; part of voice.core.config's Settings, in a module of its own for size."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class TwilioAccount(BaseModel):
    account_sid: str
    auth_token: SecretStr
    # Name of an API key that owns this account's voicemails: its webhook URL and secret are used
    # for their completion webhooks, and an ingest key of that name can read them.
    api_key_name: str | None = None


class TwilioSettings(BaseModel):
    """Twilio's recording status callback, POST /v1/integrations/twilio/recording, and its inbound message
    webhook (WhatsApp voice notes, opt-out keywords), POST /v1/integrations/twilio/messages."""

    accounts: list[TwilioAccount] = Field(
        default_factory=list,
        description="Accounts whose callbacks and messages are accepted, checked by their auth token.",
    )
    # The base URL Twilio calls (https://voice.example.com) when a proxy sits in front of Voice:
    # signatures cover the exact URL Twilio requested.
    public_url: str | None = None
    # Recordings and voice notes are fetched with the account's credentials, so only from Twilio's own hosts.
    media_prefixes: list[str] = Field(default_factory=lambda: ["https://api.twilio.com/"])
    media_format: Literal["wav", "mp3"] = Field(
        "wav", description="Format a recording is fetched in (`RecordingUrl` + `.wav` or `.mp3`)."
    )
    # Where Twilio's REST API is (messages to callers, docs/acknowledgements.md); a test points it at a local
    # server that speaks the same protocol.
    api_base_url: str = Field(
        "https://api.twilio.com", description="Base URL of Twilio's REST API (acknowledgement messages)."
    )

    def account(self, sid: str) -> TwilioAccount | None:
        return next((a for a in self.accounts if a.account_sid == sid), None)


class AckSendSettings(BaseModel):
    """Acknowledgement messages to callers through Twilio (docs/acknowledgements.md); each team switches them
    on and says from which sender (`voice ack enable`)."""

    timeout_s: float = Field(10.0, gt=0, description="Deadline of one request to Twilio's Messaging API.")
    # Network errors and 5xx are tried again after backoff_s, doubling (with jitter) up to max_backoff_s;
    # a 4xx ends the message failed at once, with Twilio's error code and message.
    backoff_s: float = Field(15.0, description="Wait before a message's second try; it doubles each time.")
    max_backoff_s: float = Field(900.0, description="Longest wait between two tries of a message.")
    max_attempts: int = Field(6, ge=1, description="Tries before an acknowledgement is given up.")
    concurrency: int = Field(2, ge=1, description="Messages being sent at once per serving process.")
    poll_interval_s: float = Field(2.0, description="How often each process looks for due messages.")

    @property
    def lease_s(self) -> float:
        """Long enough for a send and the look-up that may come before it (a message list)."""
        return 3 * self.timeout_s + 5


class WebhookSettings(BaseModel):
    """Completion webhooks: how deliveries are attempted and retried."""

    # One attempt, from connecting to the last byte read, ends after this long (only the status and the
    # first 4 KB of the answer are read).
    timeout_s: float = Field(default=10.0, gt=0)
    # Attempts under way at once per serving process, and at most this many for one API key's receivers.
    concurrency: int = Field(default=8, ge=1)
    concurrency_per_key: int = Field(
        default=2,
        ge=1,
        description="Attempts under way at once for one API key's receivers (see concurrency).",
    )
    # Retries back off exponentially from backoff_s (with jitter) up to max_backoff_s between attempts,
    # and stop once a delivery is older than max_age_s.
    backoff_s: float = 5.0
    max_backoff_s: float = Field(3600.0, description="Longest wait between two attempts (see backoff_s).")
    max_age_s: float = Field(24 * 3600.0, description="Retries stop once a delivery is this old.")
    poll_interval_s: float = Field(
        1.0, description="How often each `voice serve` process looks for due deliveries."
    )

    @property
    def lease_s(self) -> float:
        """How long a claimed delivery stays with its process: well past the attempt's deadline, so no
        other process claims and posts it while the attempt runs."""
        return 3 * self.timeout_s + 5


class NotificationSettings(BaseModel):
    """Notifications to channels (e-mail, Slack, Microsoft Teams, webhooks; docs/notifications.md)."""

    # One attempt (connect, TLS, send) ends after this long.
    timeout_s: float = Field(default=15.0, gt=0, description="Deadline of one attempt to send a message.")
    # A failed message is tried again after backoff_s, doubling (with jitter) up to max_backoff_s; after
    # max_attempts attempts, or once it is max_age_s old, it is given up with the last error as reason.
    backoff_s: float = Field(10.0, description="Wait before the second attempt; it doubles after each.")
    max_backoff_s: float = Field(1800.0, description="Longest wait between two attempts.")
    max_attempts: int = Field(8, ge=1, description="Attempts before a notification is given up.")
    max_age_s: float = Field(24 * 3600.0, description="No retry once a notification is this old.")
    concurrency: int = Field(4, ge=1, description="Messages being sent at once per serving process.")
    poll_interval_s: float = Field(2.0, description="How often each process looks for due notifications.")

    @property
    def lease_s(self) -> float:
        """Long enough that no other process takes a message up while an attempt runs."""
        return 3 * self.timeout_s + 5


class CrmSettings(BaseModel):
    """Tickets and call logs in Zendesk and HubSpot (docs/crm.md)."""

    timeout_s: float = Field(default=15.0, gt=0, description="Deadline of one request to a CRM.")
    # Network errors, 429 and 5xx are tried again after backoff_s, doubling (with jitter) up to max_backoff_s;
    # any other refusal ends the sync failed at once, with the CRM's answer as reason.
    backoff_s: float = Field(10.0, description="Wait before a CRM sync's second try; it doubles each time.")
    max_backoff_s: float = Field(1800.0, description="Longest wait between two attempts of a CRM sync.")
    max_attempts: int = Field(10, ge=1, description="Attempts before a CRM sync is given up.")
    max_age_s: float = Field(3 * 24 * 3600.0, description="No retry once a CRM sync is this old.")
    concurrency: int = Field(2, ge=1, description="CRM syncs being sent at once per serving process.")
    poll_interval_s: float = Field(2.0, description="How often each process looks for due CRM syncs.")

    @property
    def lease_s(self) -> float:
        """Long enough for the few requests one sync makes (a ticket: search, user, ticket)."""
        return 6 * self.timeout_s + 5
