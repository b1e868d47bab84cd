"""Voice: voicemail fetch, normalise, transcribe, summarise and store."""

__version__ = "0.1.0"
