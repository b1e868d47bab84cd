"""The language codes Whisper knows, and lists of them as settings, requests and call records give them
("en,de", ["en", "de"], '["en", "de"]')."""

from __future__ import annotations

import json
from collections.abc import Sequence

__all__ = ["WHISPER_LANGUAGES", "known_languages", "split_languages"]

# Whisper's language codes (faster_whisper.tokenizer._LANGUAGE_CODES; a unit test keeps them equal), here
# so settings and requests are checked without importing an engine.
_CODES = (
    "af am ar as az ba be bg bn bo br bs ca cs cy da de el en es et eu fa fi fo fr gl gu ha haw he hi hr ht"
    " hu hy id is it ja jw ka kk km kn ko la lb ln lo lt lv mg mi mk ml mn mr ms mt my ne nl nn no oc pa pl"
    " ps pt ro ru sa sd si sk sl sn so sq sr su sv sw ta te tg th tk tl tr tt uk ur uz vi yi yo yue zh"
)
WHISPER_LANGUAGES = frozenset(_CODES.split())


def split_languages(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Split "en, de" or ["en", "de"] into ("en", "de"): lower case, no blanks or repeats, order kept."""
    if value is None:
        return ()
    if isinstance(value, str) and value.strip().startswith("["):  # an environment variable in JSON
        value = [str(v) for v in json.loads(value)]
    parts = value.split(",") if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(p.strip().lower() for p in parts if p and p.strip()))


def known_languages(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``split_languages``, refusing a code Whisper does not know (ValueError naming it)."""
    langs = split_languages(value)
    unknown = [lang for lang in langs if lang not in WHISPER_LANGUAGES]
    if unknown:
        raise ValueError(
            f"{', '.join(map(repr, unknown))} is not a language code Whisper knows (e.g. en, fr, de, es, zh)"
        )
    return langs
