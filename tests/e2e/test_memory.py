"""A worker's memory: glibc's arena cap, observed through malloc_info in a fresh process (arenas are made once
per thread); and no growth with each new voicemail length."""

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


GROWTH = """
import ctypes, sys, tempfile
from pathlib import Path
from tests.support.audio import samples_of
from tests.support.speech import clip_path
from voice.core.config import Settings
from voice.core.memory import release_free_memory
from voice.transcription.engines.faster_whisper_engine import FasterWhisperEngine
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) / 1024
engine = FasterWhisperEngine("tiny.en", Settings(data_dir=Path(tempfile.mkdtemp())).transcription)
speech = samples_of(clip_path("en_ls_3436-172162-0000"))
engine.transcribe(speech[: 16 * 16000], "en")  # the longest first: its working memory is the most needed
seen = []
for seconds in range(4, 16):  # then a voicemail of each length: a short window of each shape
    engine.transcribe(speech[: seconds * 16000], "en")
    release_free_memory()
    seen.append(rss())
print(seen[1], seen[-1])
"""


def rss_growth(env: dict[str, str]) -> float:
    out = subprocess.run(
        [sys.executable, "-c", GROWTH], capture_output=True, text=True, check=True, env=env, cwd=ROOT
    )
    before, after = map(float, out.stdout.split())
    return after - before


def test_a_worker_does_not_grow_with_each_new_voicemail_length() -> None:
    # oneDNN keeps a compiled kernel per input shape (up to 1024 of them), and the short window's shape
    # follows each voicemail's length; the engine turns that cache off.
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_PRIMITIVE_CACHE_CAPACITY"}
    grown = rss_growth(env)
    assert grown < 10, f"{grown:.1f} MB over 10 voicemails of new lengths"
    cached = rss_growth({**env, "ONEDNN_PRIMITIVE_CACHE_CAPACITY": "1024"})  # what the default did
    assert cached > grown + 15, (cached, grown)  # measured: 47 MB against 6
