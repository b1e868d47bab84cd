"""Loaded (through PYTHONPATH) by a `voice serve` the tests run under libfaketime with
FAKETIME_DONT_FAKE_MONOTONIC=1: Debian's libfaketime 0.9.10 answers Python's time.sleep (clock_nanosleep
on the monotonic clock, TIMER_ABSTIME) with EINVAL in that mode, while timed waits on locks and events work.
So time.sleep waits on an event instead; nothing of Voice is changed. (With the monotonic clock faked too,
a timed wait after a move of the clock waits for the whole move: the kernel compares its deadline with the
real clock.)"""

import threading
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    threading.Event().wait(seconds)


time.sleep = _sleep
