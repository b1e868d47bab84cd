"""voice.transcription.engines.slots: short windows share the slots; a full window holds them all."""

from __future__ import annotations

import threading
import time

from voice.transcription.engines.slots import Slots


def _run(slots: Slots, kinds: list[bool], hold_s: float = 0.05) -> list[tuple[float, float, bool]]:
    spans: list[tuple[float, float, bool]] = []
    lock = threading.Lock()

    def work(whole: bool) -> None:
        with slots.hold(whole):
            start = time.monotonic()
            time.sleep(hold_s)
            with lock:
                spans.append((start, time.monotonic(), whole))

    threads = [threading.Thread(target=work, args=(k,)) for k in kinds]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return spans


def test_short_windows_run_side_by_side() -> None:
    slots = Slots(2)
    spans = _run(slots, [False, False, False, False])
    assert len(spans) == 4 and slots.most_held == 2


def test_a_full_window_never_overlaps_another_transcription() -> None:
    slots = Slots(2)
    spans = _run(slots, [False, True, False, True, False, False])
    assert len(spans) == 6
    for start, end, whole in spans:
        if whole:  # nothing else ran while a full window did
            others = [s for s in spans if s != (start, end, whole)]
            assert all(e <= start or s >= end for s, e, _ in others), spans


def test_one_slot_is_a_plain_lock() -> None:
    slots = Slots(1)
    spans = sorted(_run(slots, [False, True, False]))
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)) and slots.most_held == 1
