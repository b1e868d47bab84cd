"""A worker's memory: glibc's arena cap, observed through malloc_info in a fresh process (arenas are made once
per thread); and oneDNN's per-shape kernel cache off."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from tests.support.paths import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc tuning")]

PROGRAM = """
import ctypes, sys, tempfile, threading
from voice.core.memory import limit_malloc_arenas
applied = limit_malloc_arenas(int(sys.argv[1]))
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.fopen.restype = ctypes.c_void_p
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
hold, barrier = [], threading.Barrier(6)
def work():
    hold.append(libc.malloc(1 << 16))  # a thread's first malloc picks (or makes) its arena
    barrier.wait()  # all alive at once: an exited thread's arena would be handed to the next
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads: t.start()
for t in threads: t.join()
with tempfile.NamedTemporaryFile(suffix=".xml") as f:
    fp = libc.fopen(f.name.encode(), b"w")
    libc.malloc_info(0, fp)
    libc.fclose(fp)
    print(applied, open(f.name).read().count("<heap nr="))
"""


def arenas(limit: int) -> tuple[bool, int]:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(limit)], capture_output=True, text=True, check=True
    )
    applied, heaps = out.stdout.split()
    return applied == "True", int(heaps)


def test_threads_share_the_capped_arenas() -> None:
    applied, heaps = arenas(2)
    assert applied
    assert heaps <= 2


def test_zero_leaves_glibc_default() -> None:
    applied, heaps = arenas(0)
    assert not applied
    assert heaps > 2  # without the cap, each new thread gets an arena of its own


KERNEL_CACHE = """
import os
import voice.transcription.engines.faster_whisper_engine
print(os.environ.get("ONEDNN_PRIMITIVE_CACHE_CAPACITY"))
"""


@pytest.mark.parametrize(
    ("given", "seen"),
    [
        ({}, "0"),
        ({"ONEDNN_PRIMITIVE_CACHE_CAPACITY": "64"}, "64"),
        ({"DNNL_PRIMITIVE_CACHE_CAPACITY": "64"}, "None"),  # oneDNN's older name: left to it
    ],
)
def test_the_engine_turns_onednns_kernel_cache_off_unless_an_operator_set_it(
    given: dict[str, str], seen: str
) -> None:
    # oneDNN keeps a compiled kernel per input shape (up to 1024), and the short window's shape follows each
    # voicemail's length: over the bench's short set it grew a worker from 307 to 414 MB (bench/README.md).
    env = {k: v for k, v in os.environ.items() if "PRIMITIVE_CACHE_CAPACITY" not in k}
    command = [sys.executable, "-c", KERNEL_CACHE]
    out = subprocess.run(command, capture_output=True, text=True, check=True, env={**env, **given}, cwd=ROOT)
    assert out.stdout.strip() == seen


REUSE = """
import ctypes, sys
from voice.core.memory import set_mmap_threshold
applied = set_mmap_threshold(int(sys.argv[1]))
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
def rss_kb():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS"))
size = 8 << 20
for _ in range(2):  # the first free of a mapped block is what raises glibc's own threshold to its size
    block = libc.malloc(size)
    ctypes.memset(block, 1, size)
    libc.free(block)
    small = libc.malloc(64)  # something after it on the heap, so the freed block is a hole, not the top
    ctypes.memset(small, 1, 64)
print(applied, rss_kb())
"""


def kept_after_free(threshold_kb: int) -> tuple[bool, int]:
    out = subprocess.run(
        [sys.executable, "-c", REUSE, str(threshold_kb)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    applied, rss = out.stdout.split()
    return applied == "True", int(rss)


def test_a_fixed_mmap_threshold_hands_big_freed_buffers_back() -> None:
    """Beam search frees MB-sized buffers at every step; with glibc's moving threshold the second one comes
    from the heap and stays resident when freed (voice/core/memory.py). Fixed, it is unmapped."""
    applied, fixed = kept_after_free(1024)
    moving_applied, moving = kept_after_free(0)
    assert applied and not moving_applied
    assert moving - fixed > 6 * 1024, (moving, fixed)  # the 8 MB block stayed only with the moving threshold
