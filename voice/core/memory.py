"""Process-wide memory settings for the processes that hold a Whisper model."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging

log = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3


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


def set_mmap_threshold(kb: int) -> bool:
    """Give every allocation of ``kb`` KB or more its own mapping, unmapped when freed; True when applied.

    Beam search allocates and frees buffers of one to tens of MB at every step (the cross-attention keys and
    values of each beam, the logits). glibc's threshold starts at 128 KB but rises to the largest block freed
    (up to 32 MB), after which such buffers come from the heap, where two transcriptions side by side leave
    each other's freed holes that neither can use: `voice serve` peaked at 545-569 MB on the bench's short set
    with it, 459 MB with 1024 KB fixed (489 MB with 4096), at the cost of mapping fresh pages for each buffer
    (bench/README.md, "Worker memory"); 16 MB (the default) keeps most of the memory and most of the speed.
    Setting it also stops glibc's adjusting it. 0 leaves glibc's default.
    """
    if kb <= 0:
        return False
    libc = _libc()
    if libc is None:
        return False
    applied = bool(libc.mallopt(_M_MMAP_THRESHOLD, kb * 1024))
    if not applied:
        log.warning("could not set the malloc mmap threshold to %d KB", kb)
    return applied


def tune_malloc(arenas: int, mmap_threshold_kb: int) -> None:
    """Both settings of a process that holds a model (WorkerSettings), before its worker threads start."""
    limit_malloc_arenas(arenas)
    set_mmap_threshold(mmap_threshold_kb)
