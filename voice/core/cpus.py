"""How many CPUs this process may really use: its affinity, capped by a container's CPU quota."""

from __future__ import annotations

import math
import os
from pathlib import Path


def _quota(root: Path) -> float | None:
    """CPUs allowed by the cgroup's CFS quota (docker --cpus, Kubernetes limits); None: no quota."""
    v2 = root / "cpu.max"  # cgroup v2: "max 100000" or "200000 100000"
    try:
        if v2.exists():
            quota, period = v2.read_text().split()[:2]
            return None if quota == "max" else int(quota) / int(period)
        v1 = root / "cpu" / "cpu.cfs_quota_us"
        if v1.exists():
            quota_us = int(v1.read_text())
            period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
            return None if quota_us <= 0 else quota_us / period_us
    except (OSError, ValueError):
        return None
    return None


def available_cores(cgroup_root: Path = Path("/sys/fs/cgroup")) -> int:
    """The cores this process can run on (its affinity), at most its cgroup quota rounded up; at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _quota(cgroup_root)
    if quota is not None:
        cores = min(cores, math.ceil(quota))
    return max(1, cores)


def cores_each(sharers: int) -> int:
    """This process's cores shared out among ``sharers`` transcriptions (threads or processes); at least 1."""
    return max(1, available_cores() // max(1, sharers))
