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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")

MAX_DEPTH = 32  # nesting of a JSON document (a call's metadata needs 2 or 3)


class InputError(ValueError):
    """A value from outside that Voice will not store; ``str(exc)`` says why."""


def check_text(value: str, what: str = "value", *, one_line: bool = False) -> str:
    """``value`` unchanged, or InputError if it holds a control character (any, for ``one_line``)."""
    found = (_CONTROL_OR_BREAK if one_line else _CONTROL).search(value)
    if found:
        raise InputError(f"{what} contains a control character (U+{ord(found.group()):04X})")
    return value


def _refuse_constant(name: str) -> Any:
    raise InputError(f"{name} is not a number JSON allows; send a finite number or null")


def loads(raw: str | bytes, what: str = "JSON", max_depth: int = MAX_DEPTH) -> Any:
    """json.loads that refuses NaN and Infinity, nesting deeper than ``max_depth`` and control
    characters in any string (keys too); every refusal is an InputError."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise InputError(f"{what} is nested deeper than {max_depth} levels") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{what} is not valid JSON: {exc}") from exc
    check_value(value, what, max_depth)
    return value


def check_value(value: Any, what: str = "JSON", max_depth: int = MAX_DEPTH) -> Any:
    """Walk a decoded JSON value without recursion: depth, finite numbers, no control characters."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise InputError(f"{what} is nested deeper than {max_depth} levels")
            if isinstance(item, dict):
                for key, inner in item.items():
                    check_text(str(key), f"a key in {what}")
                    stack.append((inner, depth + 1))
            else:
                stack.extend((inner, depth + 1) for inner in item)
        elif isinstance(item, str):
            check_text(item, f"a string in {what}")
        elif isinstance(item, float) and not math.isfinite(item):
            raise InputError(f"{what} holds a number that is not finite")
    return value
