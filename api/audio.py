"""Stored audio over HTTP with Range support, so the inbox's player can seek: plain files, or encrypted ones
decrypted only in the chunks asked for."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from fastapi import Response
from fastapi.responses import StreamingResponse

from voice.storage import vault


def _range(header: str | None, size: int) -> tuple[int, int] | str | None:
    """One ``bytes=first-last`` range as (start, end) within ``size``; None for the whole file (no range,
    or one Voice does not serve, such as several); "unsatisfiable" for a range past the end."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (header or "").strip())
    if not match or not (match.group(1) or match.group(2)):
        return None

    def number(digits: str) -> int:
        digits = digits.lstrip("0") or "0"  # int() refuses 5,000 digits; anything that long is huge anyway
        return int(digits) if len(digits) <= 18 else 10**18

    first, last = match.groups()
    start = number(first) if first else max(0, size - number(last))
    end = min(size, number(last) + 1) if first and last else size
    if start >= size or start >= end:
        return "unsatisfiable"
    return start, end


def _plain(path: Path, start: int, end: int) -> Iterator[bytes]:
    with path.open("rb") as f:
        f.seek(start)
        while start < end:
            block = f.read(min(64 * 1024, end - start))
            if not block:
                return
            start += len(block)
            yield block


def ranged_audio(path: Path, keyring: vault.Keyring, range_header: str | None) -> Response:
    """A stored audio file (plain, or encrypted and decrypted only in the chunks asked for) with Range
    support, so the player can seek; a range past the end is 416 with the size."""
    encrypted = vault.is_encrypted(path)
    size = vault.plain_size(path) if encrypted else path.stat().st_size
    wanted = _range(range_header, size)
    if isinstance(wanted, str):  # "unsatisfiable"
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    start, end = wanted or (0, size)
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(end - start),
        "Cache-Control": "private, max-age=3600",
    }
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    body = vault.iter_plain(path, keyring, start, end) if encrypted else _plain(path, start, end)
    return StreamingResponse(
        body, status_code=206 if wanted else 200, media_type="audio/wav", headers=headers
    )
