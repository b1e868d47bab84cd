"""Process-wide memory settings for the processes that hold a Whisper model."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # glibc's mallopt parameter number (malloc.h)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name or "libc.so.6")
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to tune
        return None
    return libc


def release_free_memory() -> None:
    """Give the heap's free pages back to the system (glibc's malloc_trim), after a voicemail.

    Each transcription allocates and frees tens of MB in shapes that change with the audio's length, and
    glibc keeps freed memory for reuse, so a worker's resident size creeps up over a backlog.
    """
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas for threads created from now on; True when applied.

    glibc gives each thread that allocates at once its own arena (up to 8 per core), and freed memory in
    one arena is not reused by another: a worker's request, lease and transcription threads each keep
    their own high-water mark. Measured with `python -m bench --voice-only` (base): 501 -> 478 MB peak
    with two arenas, the same throughput. 0 leaves glibc's default; other C libraries are left alone.
    """
    if arenas <= 0:
        return False
    libc = _libc()
    if libc is None:
        return False
    applied = bool(libc.mallopt(_M_ARENA_MAX, arenas))
    if not applied:
        log.warning("could not limit malloc arenas to %d", arenas)
    return applied
