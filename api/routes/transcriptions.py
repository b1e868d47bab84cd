"""/v1/audio/transcriptions: OpenAI's transcription API, so existing OpenAI clients work unchanged.

Synchronous, through the same path as voicemails (normalise -> detect speech -> engine). Nothing is
stored: the upload lives in a temporary folder for the length of the request.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import as_ingest
from api.deps import get_settings
from api.schemas import errors
from voice.core import inputs
from voice.core.config import Settings
from voice.core.errors import VoicemailError
from voice.pipeline.process import FileResult, analyse
from voice.storage.files import save_stream
from voice.storage.keys import Principal
from voice.storage.models import Status
from voice.transcription.engines import DecodeOptions, get_engine
from voice.transcription.subtitles import subtitles
from voice.transcription.weights import PACKAGED, ModelNotFound

router = APIRouter(
    prefix="/v1", tags=["openai-compatible"],
    responses=errors(401, 403, 413, 422, 429, 503),  # the key check, the body limit, the edge check
)  # fmt: skip

FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
# OpenAI's model names mean "the service's configured model".
DEFAULT_ALIASES = {"whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "default"}


class OpenAIError(Exception):
    """An error in OpenAI's shape, so the SDK raises with our message."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


def install_error_handler(app: FastAPI) -> None:
    @app.exception_handler(OpenAIError)
    async def _handle(_: Request, exc: OpenAIError) -> JSONResponse:
        kind = "invalid_request_error" if exc.status < 500 else "server_error"
        return JSONResponse(
            {"error": {"message": exc.message, "type": kind, "param": exc.param, "code": exc.code}},
            status_code=exc.status,
        )


_MAX_FIELDS = 32  # the route reads seven; OpenAI's SDK may send a few more it ignores


async def _form(request: Request, settings: Settings) -> FormData:
    """The multipart form. Text fields are held in memory (the file is spooled to disk), so each is capped
    at limits.max_body_bytes and their number too, not at the upload limit."""
    cap = settings.limits.max_body_bytes
    try:
        return await request.form(max_part_size=cap, max_fields=_MAX_FIELDS, max_files=1)
    except StarletteHTTPException as exc:  # Starlette's 400 for a form it will not parse
        if "exceeded maximum size" in str(exc.detail):
            raise OpenAIError(413, f"a form field other than 'file' is larger than {cap} bytes") from exc
        raise OpenAIError(400, f"the multipart body is not valid: {exc.detail}") from exc


def _model_name(requested: str, settings: Settings) -> str:
    if requested in DEFAULT_ALIASES:
        return settings.transcription.model
    if requested in PACKAGED or requested in settings.transcription.model_paths:
        return requested
    known = sorted({*DEFAULT_ALIASES, *PACKAGED, *settings.transcription.model_paths})
    raise OpenAIError(
        404,
        f"model {requested!r} is not available here; use one of {', '.join(known)}",
        "model",
        "model_not_found",
    )


def _language_name(code: str) -> str:
    try:
        from whisper.tokenizer import LANGUAGES

        return str(LANGUAGES.get(code, code))
    except ImportError:  # openai-whisper is an optional extra
        return code


def _verbose(result: FileResult, with_words: bool, with_segments: bool) -> dict[str, Any]:
    tr = result.transcript
    segments = tr.segments if tr else ()
    out: dict[str, Any] = {
        "task": "transcribe",
        "language": _language_name(tr.language) if tr else "",
        "duration": round(result.audio.duration_s, 3) if result.audio else 0.0,
        "text": tr.text if tr else "",
    }
    if with_segments:
        out["segments"] = [
            {
                "id": i,
                "seek": 0,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "tokens": [],
                "temperature": s.temperature,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": 0.0,
                "no_speech_prob": s.no_speech_prob,
            }
            for i, s in enumerate(segments)
        ]
    if with_words:
        out["words"] = [
            {"word": w.word.strip(), "start": w.start, "end": w.end} for s in segments for w in s.words
        ]
    return out


@router.post(
    "/audio/transcriptions",
    responses={
        200: {
            "description": "the transcript in the requested response_format",
            "content": {
                "application/json": {
                    "example": {"text": "Hi, this is Maria from Acme, please call me back."}
                },
                "text/plain": {"example": "Hi, this is Maria from Acme, please call me back."},
            },
        },
        400: {"description": "not audio, too long, or a bad parameter (OpenAI error shape)"},
        404: {"description": "unknown model"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file", "model"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "model": {
                                "type": "string",
                                "description": "whisper-1 (the configured model), tiny.en, base, ...",
                            },
                            "language": {"type": "string"},
                            "prompt": {"type": "string"},
                            "response_format": {"type": "string", "enum": list(FORMATS)},
                            "temperature": {"type": "number"},
                            "timestamp_granularities[]": {
                                "type": "array",
                                "items": {"type": "string", "enum": ["word", "segment"]},
                            },
                        },
                    },
                    "example": {"model": "whisper-1", "response_format": "verbose_json", "language": "en"},
                }
            },
        }
    },
)
async def create_transcription(
    request: Request,
    settings: Settings = Depends(get_settings),
    _: Principal = Depends(as_ingest),
) -> Response:
    """Transcribe an audio file now and return the text (OpenAI's `audio.transcriptions.create`)."""
    form = await _form(request, settings)
    try:  # the form was parsed here, not by FastAPI: its upload's temporary file is ours to close
        return await _transcription(form, settings)
    finally:
        await form.close()


async def _transcription(form: FormData, settings: Settings) -> Response:
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise OpenAIError(400, "a 'file' part with the audio is required", "file")
    _check_text_fields(form)
    fmt = _response_format(form)
    model = _model_name(str(form.get("model") or "whisper-1"), settings)
    temperature = _temperature(form)
    granularities = _granularities(form)
    language = str(form.get("language") or "") or None
    options = DecodeOptions(
        prompt=str(form.get("prompt") or "") or None,
        temperature=temperature,
        word_timestamps="word" in granularities and fmt == "verbose_json",
    )
    result = await run_in_threadpool(_transcribe, upload, settings, model, language, options)
    if result.status == Status.FAILED:
        raise OpenAIError(400, result.reason or "the audio could not be processed", "file")
    return _respond(result, fmt, granularities)


def _check_text_fields(form: FormData) -> None:
    """The multipart body is not checked at the edge: its text fields are checked here."""
    for name in ("model", "language", "prompt", "response_format"):
        try:
            inputs.check_text(str(form.get(name) or ""), name, one_line=name != "prompt")
        except inputs.InputError as exc:
            raise OpenAIError(400, str(exc), name) from exc


def _response_format(form: FormData) -> str:
    fmt = str(form.get("response_format") or "json")
    if fmt not in FORMATS:
        raise OpenAIError(400, f"response_format must be one of {', '.join(FORMATS)}", "response_format")
    return fmt


def _temperature(form: FormData) -> float | None:
    """The requested temperature, or None for Whisper's own schedule."""
    try:
        temperature = float(str(form["temperature"])) if form.get("temperature") not in (None, "") else None
    except ValueError as exc:
        raise OpenAIError(400, "temperature must be a number", "temperature") from exc
    if temperature is not None and not 0.0 <= temperature <= 1.0:
        raise OpenAIError(400, "temperature must be between 0 and 1", "temperature")
    if temperature == 0.0:
        temperature = None  # OpenAI's default; keep Whisper's fallback to higher temperatures on loops
    return temperature


def _granularities(form: FormData) -> set[str]:
    granularities = {str(g) for g in form.getlist("timestamp_granularities[]")} or {"segment"}
    if not granularities <= {"word", "segment"}:
        raise OpenAIError(400, "timestamp_granularities[] takes word and segment", "timestamp_granularities")
    return granularities


def _transcribe(
    upload: UploadFile, settings: Settings, model: str, language: str | None, options: DecodeOptions
) -> FileResult:
    """Save the upload to a temporary folder and run it through the pipeline (blocking: a worker thread)."""
    with tempfile.TemporaryDirectory(prefix="voice-openai-") as tmp:
        path = Path(tmp) / "source"
        try:
            save_stream(upload.file, path, settings.api.max_upload_bytes)
        except VoicemailError as exc:
            raise OpenAIError(413, str(exc), "file") from exc
        try:
            engine = get_engine(settings.transcription, model=model)
        except ModelNotFound as exc:
            raise OpenAIError(404, str(exc), "model", "model_not_found") from exc
        try:
            return analyse(
                path,
                path.parent,
                settings,
                engine,
                language,
                name=upload.filename,
                options=options,
                redact_pii=settings.redaction.redact_pii,
            )
        except ValueError as exc:  # faster-whisper's word for a language a multilingual model lacks
            if language and "language code" in str(exc):
                raise OpenAIError(400, str(exc), "language") from exc
            raise


def _respond(result: FileResult, fmt: str, granularities: set[str]) -> Response:
    """The transcript in the requested response_format."""
    segments = result.transcript.segments if result.transcript else ()
    text = result.transcript.text if result.transcript else ""
    if fmt == "text":
        return PlainTextResponse(text + "\n")
    if fmt in ("srt", "vtt"):
        return PlainTextResponse(
            subtitles(segments, fmt), media_type="text/vtt" if fmt == "vtt" else "text/plain"
        )
    if fmt == "verbose_json":
        return JSONResponse(_verbose(result, "word" in granularities, "segment" in granularities))
    duration = round(result.audio.duration_s, 3) if result.audio else 0.0
    return JSONResponse({"text": text, "usage": {"type": "duration", "seconds": int(duration + 0.999)}})


@router.get(
    "/models",
    responses={
        200: {
            "content": {
                "application/json": {
                    "example": {
                        "object": "list",
                        "data": [{"id": "whisper-1", "object": "model", "owned_by": "voice"}],
                    }
                }
            }
        }
    },
)
def list_models(
    settings: Settings = Depends(get_settings), _: Principal = Depends(as_ingest)
) -> dict[str, Any]:
    """The model names the transcription endpoint accepts (OpenAI's `models.list`)."""
    names = ["whisper-1", *sorted({*PACKAGED, *settings.transcription.model_paths})]
    return {
        "object": "list",
        "data": [{"id": n, "object": "model", "created": 0, "owned_by": "voice"} for n in names],
    }
