"""What every value from outside must be before it reaches the database: shared by the API's edge, the
multipart and Twilio form parsers, and the ingest clients.

PostgreSQL refuses NUL in text (a 500 if it gets that far), JSON's NaN and Infinity cannot be encoded
back, and deep nesting overflows Python's recursion; each is refused here with a reason a person reads.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# C0 controls and DEL. Tab, newline and carriage return are allowed in free text (notes, metadata).
# Lone surrogates too (JSON's "\ud800"): they cannot be encoded as UTF-8, so no database can store them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CONTROL_OR_BREAK = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")

MAX_DEPTH = 32  # nesting of a JSON document (a call's metadata needs 2 or 3)


class InputError(ValueError):
    """A value from outside that Voice will not store; ``str(exc)`` says why."""


class NotJSON(InputError):
    """The text is not JSON at all (as opposed to JSON holding a value Voice refuses)."""


def check_text(value: str, what: str = "value", *, one_line: bool = False) -> str:
    """``value`` unchanged, or InputError if it holds a control character (any, for ``one_line``)."""
    found = (_CONTROL_OR_BREAK if one_line else _CONTROL).search(value)
    if found:
        code = ord(found.group())
        kind = "an unpaired surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
        raise InputError(f"{what} contains {kind} (U+{code:04X})")
    return value


def printable(value: str) -> str:
    """``value`` with control characters (line breaks too) and lone surrogates removed: for informational
    text such as an upload's file name, where refusing the voicemail over it would lose a message."""
    return _CONTROL_OR_BREAK.sub("", value)


def _refuse_constant(name: str, what: str = "JSON") -> Any:
    raise InputError(f"{name} in {what} is not a number JSON allows; send a finite number or null")


def _finite(text: str, what: str = "JSON") -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999
        raise InputError(f"{what} holds a number that is not finite ({text[:20]})")
    return number


# In UTF-8 JSON text, a control character or a surrogate can only be written as a \u escape (raw ones
# are not JSON), DEL raw, or a surrogate as UTF-8 bytes (0xED 0xA0-0xBF), which json.loads passes through.
# A NUL byte means UTF-16 or UTF-32 text, where the escape's bytes differ: walk that.
_MAYBE_HOSTILE = (b"\\u", b"\x7f", b"\xed", b"\x00")


def loads(raw: str | bytes, what: str = "JSON", max_depth: int = MAX_DEPTH) -> Any:
    """json.loads that refuses NaN and Infinity, nesting deeper than ``max_depth`` and control
    characters in any string (keys too); every refusal is an InputError (NotJSON if it is not JSON)."""
    try:
        value = json.loads(
            raw,
            parse_constant=lambda name: _refuse_constant(name, what),
            parse_float=lambda text: _finite(text, what),
        )
    except RecursionError as exc:
        raise InputError(f"{what} is nested deeper than {max_depth} levels") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotJSON(f"{what} is not valid JSON: {exc}") from exc
    except InputError:
        raise
    except ValueError as exc:  # an integer of more digits than Python converts (4,300)
        raise InputError(f"{what} holds a number too large: {exc}") from exc
    # The ingest hot path: bytes with no escape and fewer brackets than max_depth need no walk (numbers
    # were checked as they were parsed). That halves the cost of a typical voicemail post.
    simple = isinstance(raw, bytes) and raw.count(b"[") + raw.count(b"{") <= max_depth
    if simple and not any(marker in raw for marker in _MAYBE_HOSTILE):
        return value
    check_value(value, what, max_depth)
    return value


def check_value(value: Any, what: str = "JSON", max_depth: int = MAX_DEPTH) -> Any:
    """Walk a decoded JSON value without recursion: depth, finite numbers, no control characters. A
    refusal names where the value is (``call.metadata.k in JSON``)."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "")]
    while stack:
        item, depth, where = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise InputError(f"{what} is nested deeper than {max_depth} levels")
            if isinstance(item, dict):
                for key, inner in item.items():
                    check_text(str(key), f"a key in {_at(where, what)}")
                    stack.append((inner, depth + 1, f"{where}.{key}" if where else str(key)))
            else:
                stack.extend((inner, depth + 1, f"{where}[{i}]") for i, inner in enumerate(item))
        elif isinstance(item, str):
            check_text(item, _at(where, what) if where else f"a string in {what}")
        elif isinstance(item, float) and not math.isfinite(item):
            raise InputError(f"{_at(where, what)} holds a number that is not finite")
    return value


def _at(where: str, what: str) -> str:
    return f"{where!r} in {what}" if where else what
