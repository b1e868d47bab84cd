"""voice.core.cpus: a container's CPU quota caps the threads a transcription is given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voice.core.cpus import available_cores

AFFINITY = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"cpu.max": "max 100000\n"}, AFFINITY),  # cgroup v2, no limit
        ({"cpu.max": "50000 100000\n"}, 1),  # --cpus 0.5: one thread, not none
        ({"cpu.max": f"{AFFINITY * 300000} 100000\n"}, AFFINITY),  # a quota above the cores: the cores
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, AFFINITY),  # v1, no limit
        ({}, AFFINITY),  # no cgroup files at all
        ({"cpu.max": "garbage"}, AFFINITY),  # unreadable: the affinity stands
    ],
)
def test_quota_caps_the_affinity(files: dict[str, str], expected: int, tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert available_cores(tmp_path) == expected


def test_a_quota_under_the_affinity_wins(tmp_path: Path) -> None:
    if AFFINITY < 2:
        pytest.skip("needs two cores to show a cap")  # this project's machines have two
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert available_cores(tmp_path) == 1
