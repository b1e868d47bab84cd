"""All configuration in one place.

Read once from the environment (prefix ``VOICE_``, nested sections joined with ``__``, e.g.
``VOICE_TRANSCRIPTION__MODEL=base``) and an optional ``.env`` file. Everything else receives a
``Settings`` object; nothing reads the environment on its own.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from voice.core.delivery_settings import AckSendSettings as AckSendSettings
from voice.core.delivery_settings import CrmSettings as CrmSettings
from voice.core.delivery_settings import NotificationSettings as NotificationSettings
from voice.core.delivery_settings import TwilioAccount as TwilioAccount
from voice.core.delivery_settings import TwilioSettings as TwilioSettings
from voice.core.delivery_settings import WebhookSettings as WebhookSettings
from voice.core.transcription_settings import TranscriptionSettings


class SourceCredentials(BaseModel):
    """Basic-auth credentials used when fetching audio from URLs that start with ``prefix``."""

    prefix: str
    username: str
    password: SecretStr


class FetchSettings(BaseModel):
    """Fetching audio by URL: timeouts, retries, size cap, credentials and the address guard."""

    connect_timeout_s: float = Field(5.0, description="Seconds to connect to the audio server, per attempt.")
    read_timeout_s: float = Field(
        30.0, description="Seconds to wait for the next bytes from the audio server, per attempt."
    )
    max_bytes: int = Field(
        50 * 1024 * 1024, description="Size cap for fetched audio; a larger file fails the voicemail."
    )
    retries: int = Field(
        3, description="Retries after a timeout, connection error, 429 or 5xx; none after other 4xx."
    )
    backoff_s: float = Field(
        0.5, description="First retry delay; it doubles with each retry, with jitter (x0.5 to x1.5)."
    )
    sources: list[SourceCredentials] = Field(
        default_factory=list, description="Basic auth per URL prefix; never stored, logged or returned."
    )
    max_redirects: int = Field(
        5, description="Redirects followed per download; every hop is checked like the first."
    )
    # A whole download (connect, headers, body, redirects) gets deadline_floor_s, plus 1 s per
    # min_rate_bytes_s bytes received: a server trickling bytes is cut at the floor and fails the voicemail
    # (not retried), and no download outlasts deadline_floor_s + max_bytes / min_rate_bytes_s.
    deadline_floor_s: float = Field(default=30.0, gt=0)
    min_rate_bytes_s: float = Field(
        default=64 * 1024,
        gt=0,
        description="Bytes per extra second of a download's deadline (see deadline_floor_s).",
    )
    # Audio URLs and webhook URLs come from outside: hosts that resolve to loopback, private, link-local,
    # multicast, unspecified, reserved or cloud-metadata addresses are refused unless listed here,
    # e.g. ["10.20.0.0/16"] for your own PBX network.
    allow_networks: list[IPv4Network | IPv6Network] = Field(default_factory=list)


class AudioSettings(BaseModel):
    """Decoding to 16 kHz mono WAV with ffmpeg, and finding the speech in it (Silero VAD)."""

    max_duration_s: float = Field(
        600.0, description="Longer audio fails the voicemail with the reason; decoding stops there."
    )
    sample_rate: int = Field(
        16000, description="Rate of the normalised mono WAV that VAD and Whisper read (Whisper wants 16000)."
    )
    # The speech Whisper hears is set to this RMS level (one gain per voicemail, peaks kept under -1 dBFS):
    # Whisper's features are not level-invariant, and callers arrive anywhere from -50 to -10 dBFS. -26 was
    # chosen on the dev splits of both bench sets (WER 20.2 and 20.4 against -20's 21.7 and 20.6; -30, -35 and
    # no gain were no better) and held on the held-out splits (12.4 against 14.2; 11.3 against 11.3).
    speech_level_dbfs: float = -26.0
    # A file whose loudest 10 ms frame stays under this level holds nothing a person said.
    silence_dbfs: float = -55.0
    # Silero VAD: less speech than this in total is treated as no speech (a hang-up, a beep, noise).
    min_speech_s: float = 0.4
    # The voice activity detector hears the caller at this level at least (RMS of the loud frames).
    vad_level_dbfs: float = -40.0
    vad_threshold: float = Field(0.5, description="Silero VAD's speech probability threshold (0 to 1).")
    ffmpeg_binary: str | None = Field(
        None, description="The ffmpeg to run; unset: the one on PATH, else imageio-ffmpeg's binary."
    )


class LLMSettings(BaseModel):
    """An OpenAI-compatible chat endpoint for the optional LLM summariser; off while base_url is unset."""

    base_url: str | None = None  # e.g. http://127.0.0.1:8080/v1
    model: str = Field("default", description="Model name sent to the endpoint.")
    api_key: SecretStr | None = Field(None, description="Bearer key for the endpoint, when it needs one.")
    timeout_s: float = Field(
        30.0,
        description="Seconds to wait for an answer; past it the built-in result is kept, with the reason.",
    )
    max_tokens: int = Field(
        400,
        description="Longest answer; one cut off there gives way to the built-in result, with the reason.",
    )
    # json_schema: OpenAI, vLLM, Ollama. json_object: llama.cpp's server (schema inside json_object).
    response_format: Literal["json_schema", "json_object"] = "json_schema"


class SummarySettings(BaseModel):
    """The triage card: regions for phone numbers, and the optional LLM summariser."""

    default_region: str = Field(
        "US",
        description="Region for numbers with no country code when neither mailbox nor caller id gives one; "
        "also for numbers on routing's caller lists and in its rules.",
    )
    # A mailbox's own region wins over the caller id's country, e.g. {"uk-support": "GB"}.
    mailbox_regions: dict[str, str] = Field(default_factory=dict)
    llm: LLMSettings = Field(default_factory=LLMSettings)


class RedactionSettings(BaseModel):
    """Mask card numbers, social security numbers, account numbers and emails before anything is stored."""

    redact_pii: bool = Field(
        False, description="Mask card numbers, SSNs, account numbers and emails before anything is stored."
    )
    # Per-mailbox overrides, e.g. {"billing": true, "sales": false}; other mailboxes follow redact_pii.
    mailboxes: dict[str, bool] = Field(default_factory=dict)
    # Agents need callback numbers, so they stay visible unless this is set.
    callback_numbers: bool = False

    def applies(self, mailbox: str | None) -> bool:
        if mailbox is not None and mailbox in self.mailboxes:
            return self.mailboxes[mailbox]
        return self.redact_pii


class SlaSettings(BaseModel):
    """Callback deadlines: a voicemail not handled this long after it arrived is overdue."""

    default_hours: float = Field(
        4.0, description="Hours within which a processed voicemail should be handled before it is overdue."
    )
    mailboxes: dict[str, float] = Field(default_factory=dict)  # e.g. {"sales": 1, "billing": 24}
    # Overdue voicemails rise by this much in the priority order.
    priority_boost: float = 30.0
    check_interval_s: float = Field(
        30.0,
        description="How often the deployment looks for voicemails that became overdue (one `voice serve`"
        " runs each sweep, elected through the sweeps table).",
    )

    # Callbacks (docs/callbacks.md): an assigned voicemail past its deadline with no callback attempt goes
    # to the next available member of its team (or its lead), once per deadline and at most this often.
    reassign: bool = Field(True, description="Reassign voicemails nobody called back within the deadline.")
    max_reassignments: int = Field(
        2, ge=0, description="Reassignments of one voicemail at most (one per deadline): no endless loop."
    )
    reached_after_s: float = Field(
        20.0,
        description="A reported outbound call that completed and lasted at least this long (s) reached the"
        " caller (Twilio's status callback, POST /v1/callbacks/outbound).",
    )

    def hours_for(self, mailbox: str | None) -> float:
        return self.mailboxes.get(mailbox or "", self.default_hours)


class CelerySettings(BaseModel):
    """Scale-out: API replicas send voicemail ids to Celery workers through a broker."""

    broker_url: str = "redis://127.0.0.1:6379/0"  # or amqp://guest:guest@127.0.0.1:5672// for RabbitMQ
    queue: str = Field("voice.fresh", description="Queue for fresh voicemails.")
    reprocess_queue: str = "voice.reprocess"  # batch runs never delay fresh voicemails
    # Longer than the longest voicemail takes: Redis hands an unacknowledged task to another worker after it.
    visibility_timeout_s: float = 3600.0
    # A voicemail queued this long without a worker taking it (its dispatch was lost while the broker was
    # down) is sent again; so is one whose worker died (expired lease).
    redispatch_after_s: float = 60.0
    redispatch_interval_s: float = Field(
        15.0,
        description="How often the deployment re-sends lost voicemails (see redispatch_after_s); one"
        " `voice serve` runs the sweep at a time.",
    )


class WorkerSettings(BaseModel):
    """Workers that process voicemails: the one embedded in `voice serve`, and `voice worker`."""

    enabled: bool = Field(
        True,
        description="Run the embedded worker in `voice serve` (local dispatch); `--no-worker` turns it off.",
    )
    concurrency: int = Field(
        0,
        ge=0,
        description="Worker threads in a `voice serve` process, one voicemail each, sharing the model; "
        "0: as many as transcription.parallel.",
    )
    poll_interval_s: float = Field(1.0, description="How often an idle worker looks for queued voicemails.")
    lease_s: float = Field(
        120.0,
        description="A worker's lease on its voicemail, renewed while it works; others take over after it.",
    )
    # glibc malloc arenas in a process that holds a model (`voice serve`, `voice worker`); 0: glibc's default.
    malloc_arenas: int = 2
    # Allocations this large get their own mapping, handed back when freed (voice/core/memory.py): what keeps
    # two transcriptions side by side under 500 MB with base; 0: glibc's own threshold (faster, more memory).
    # 16 MB: on the bench's two sets (AMD EPYC, 2026-12-04) 479-481 MB peak and 19.9-21.2 s for the short set,
    # against 449-460 MB and 24.0-24.9 s with 1 MB, and 500-523 MB and 19.5-20.2 s with glibc's own.
    malloc_mmap_threshold_kb: int = Field(
        16 * 1024,
        ge=0,
        le=32 * 1024,  # glibc refuses more (its DEFAULT_MMAP_THRESHOLD_MAX on 64-bit)
        description="In a process that holds a model, allocations of this many KB or more are mapped on "
        "their own and unmapped when freed; 0: glibc's moving threshold (faster, 500-570 MB with base).",
    )


class MailboxRetention(BaseModel):
    """A mailbox's own retention; a field left out (null) takes the global value; 0 keeps forever."""

    audio_days: float | None = None
    delete_days: float | None = None


class RetentionSettings(BaseModel):
    """How long voicemails are kept (voice/usecases/retention.py). 0 keeps forever."""

    # Audio (the source as received and the normalised copy) is deleted this many days after processing;
    # transcript, summary and call record stay.
    audio_days: float = 90.0
    # Everything of a voicemail (audio, transcripts, summaries, notes, history) this many days after it was
    # received; the call record goes with its last voicemail.
    delete_days: float = 0.0
    mailboxes: dict[str, MailboxRetention] = Field(
        default_factory=dict,
        description='Per mailbox, e.g. {"legal": {"audio_days": 0}, "sales": {"delete_days": 365}}.',
    )
    # How often the deployment applies it: one `voice serve` runs the sweep each interval (sweeps table).
    interval_s: float = 3600.0
    # A voicemail folder with no voicemail row (a failed upload, a crash) is removed once nothing in it has
    # changed for this long; an upload in progress has its folder a moment before its row.
    orphan_after_s: float = 900.0

    def days(self, mailbox: str | None) -> tuple[float, float]:
        """(audio_days, delete_days) for a mailbox."""
        own = self.mailboxes.get(mailbox or "")
        audio = own.audio_days if own and own.audio_days is not None else self.audio_days
        delete = own.delete_days if own and own.delete_days is not None else self.delete_days
        return audio, delete


class ReprocessSettings(BaseModel):
    """Batch re-runs (`voice reprocess`, /v1/reprocess-runs)."""

    # faster-whisper's batched pipeline for re-runs; -1: as for fresh voicemails (8 on CUDA, off on CPU).
    # Measured on CPU (bench/reprocess.py, base, 29 voicemails): batch 8 gave 6.22 audio s/s and WER 10.8,
    # unbatched 8.58 audio s/s and WER 9.5.
    batch_size: int = -1
    # Items of one run handed to workers and not yet finished, at most: what a cancel lets finish.
    window: int = 4
    # Niceness of a `voice reprocess` process that does the work itself (local dispatch), so a `voice serve`
    # on the same host gets the CPU first for fresh voicemails.
    nice: int = 10
    # How often the deployment releases items of running runs to workers (and re-sends lost ones): one
    # `voice serve` runs the sweep each interval.
    interval_s: float = 2.0


class StorageSettings(BaseModel):
    """Stored audio. With a key, every file is written encrypted (AES-256-GCM, voice/storage/vault.py)."""

    # 32 bytes in base64 (`openssl rand -base64 32`); unset: audio is stored as plain files.
    encryption_key: SecretStr | None = None
    # Earlier keys, read-only: audio and channel secrets under them stay readable until `voice storage rekey`.
    old_keys: list[SecretStr] = Field(default_factory=list)


class LimitSettings(BaseModel):
    """What one API key may do (429 with Retry-After past it), and how big a request may be (413)."""

    requests_per_minute: int = 600  # per key; per API process unless storage_url is shared
    # The same in `limits` notation ("600/minute", "50/10 seconds"), for a window other than a minute; wins.
    rate: str | None = None
    pending_per_key: int = 1000  # voicemails queued or being processed that one key may have
    max_body_bytes: int = 1024 * 1024  # JSON and form bodies, and each form field of an upload but the file
    # A call's metadata as JSON (every ingest path): stored with the call and shown on every list page.
    max_metadata_bytes: int = 16 * 1024
    # Where request counts live: memory:// (each API process counts alone) or redis://host:6379/2 (shared).
    storage_url: str = "memory://"


class ApiSettings(BaseModel):
    """The HTTP server that `voice serve` runs."""

    host: str = Field("127.0.0.1", description="Address `voice serve` listens on (`--host` wins).")
    port: int = Field(8000, description="Port `voice serve` listens on (`--port` wins).")
    max_upload_bytes: int = Field(50 * 1024 * 1024, description="Largest audio upload (413 past it).")
    # /docs and /openapi.json describe the API and hold no data; set false to require a key for them too.
    public_docs: bool = True


class WebSettings(BaseModel):
    """The agents' web inbox at /."""

    # Signs session cookies. Unset: a random key is made once and kept in the data dir (0600); set it
    # when several API replicas serve the inbox.
    secret_key: SecretStr | None = None
    # Send the session cookie only over HTTPS; turn on behind TLS.
    secure_cookie: bool = False
    session_hours: float = Field(
        12.0, description="Length of a web inbox session, enforced on the server too."
    )
    # Failed sign-ins allowed per user name and per client address (IPv6: per /64), in `limits` notation;
    # past any tier the sign-in page answers 429 with Retry-After, so each longer tier lengthens the wait.
    # Counted where limits.storage_url says (Redis: across replicas).
    signin_per_user: str = "5/minute;20/hour;100/day"
    signin_per_address: str = Field(
        "20/minute;100/hour;500/day",
        description="Failed sign-ins per client address (IPv6: per /64); see signin_per_user.",
    )
    # Password checks (argon2, about 0.2 s of CPU each) running at once in one process; a sign-in waits
    # up to signin_queue_s for a free one, then gets 503 with Retry-After.
    signin_concurrency: int = 2
    signin_queue_s: float = Field(
        2.0, description="How long a sign-in waits for a password check (see signin_concurrency), then 503."
    )


class HealthSettings(BaseModel):
    """What `/healthz` checks."""

    # Uploads need room for their audio and every write for the database: a degraded replica is the one to
    # take out first (503 is kept for an unreachable database, so a full disk does not empty the pool).
    min_free_mb: float = Field(
        100.0,
        description="`/healthz` says degraded (still 200) when the data or database disk has less free (MB).",
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VOICE_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = Field(
        Path("./data"),
        description="The SQLite database, audio and web secret key; API replicas and workers share it.",
    )
    # How a voicemail id reaches a worker: "local" (threads in `voice serve`) or "celery" (`voice worker`).
    dispatch: Literal["local", "celery"] = "local"
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL, e.g. `postgresql+psycopg://user@host/db`; unset: SQLite in data_dir.",
    )  # default: SQLite file inside data_dir
    # Connections per process (PostgreSQL): enough for the request threadpool (40) under load.
    database_pool_size: int = 20
    database_max_overflow: int = Field(
        20, description="Connections a process may open beyond database_pool_size (PostgreSQL)."
    )
    log_level: str = Field(
        "INFO", description="Level of Voice's, uvicorn's and Celery's logs (DEBUG, INFO, WARNING, ERROR)."
    )
    fetch: FetchSettings = Field(default_factory=FetchSettings)
    audio: AudioSettings = Field(default_factory=AudioSettings)
    transcription: TranscriptionSettings = Field(default_factory=TranscriptionSettings)
    summary: SummarySettings = Field(default_factory=SummarySettings)
    redaction: RedactionSettings = Field(default_factory=RedactionSettings)
    sla: SlaSettings = Field(default_factory=SlaSettings)
    celery: CelerySettings = Field(default_factory=CelerySettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    reprocess: ReprocessSettings = Field(default_factory=ReprocessSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    acks: AckSendSettings = Field(default_factory=AckSendSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    crm: CrmSettings = Field(default_factory=CrmSettings)
    public_url: str | None = Field(
        None,
        description="The address people open the inbox at (https://voice.example.com), for links in "
        "notifications; unset: http://API_HOST:API_PORT.",
    )
    health: HealthSettings = Field(default_factory=HealthSettings)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'voice.db').resolve()}"

    @property
    def audio_dir(self) -> Path:
        return self.data_dir / "audio"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
