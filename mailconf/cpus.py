"""How many CPUs this process may use: its CPU affinity, capped by the CPU time its cgroups allow.

``render --jobs auto`` forks one process per usable CPU (mailconf.render.workers). A container
or a CI runner usually limits CPU *time* with a cgroup quota (``docker run --cpus 2``, a
Kubernetes CPU limit, systemd's ``CPUQuota=``), not the CPUs a process may run on: the
affinity mask and ``os.cpu_count()`` still show every CPU of the host, and one process per host
CPU would only share the quota's time, each paying the CPU a worker costs. So the quota caps
the count, rounded up (1.5 CPUs' worth: 2 processes; 0.5: 1).

Read from the files the kernel publishes (proc(5) ``/proc/self/cgroup`` and
``/proc/self/mountinfo``, then the cgroup's own folder and every folder above it up to the
mount, since a parent's quota binds its children too): cgroup v2's ``cpu.max`` and cgroup v1's
``cpu.cfs_quota_us`` / ``cpu.cfs_period_us``. Anything missing or unreadable there means "no
limit known": this never fails a render.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable
from pathlib import Path

#: mountinfo escapes a space, tab, newline and backslash in a path as ``\\ooo`` (octal)
_ESCAPE = re.compile(r"\\([0-7]{3})")


def usable() -> int:
    """The CPUs this process may run on (its affinity: ``taskset``, a container's CPU set), capped by its cgroups'
    CPU quota rounded up; at least 1."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    limit = cgroup_limit()
    if limit is not None:
        cpus = min(cpus, math.ceil(limit))
    return max(cpus, 1)


def cgroup_limit(proc: Path = Path("/proc/self")) -> float | None:
    """The CPUs' worth of time this process's cgroups allow (v1 and v2: the smallest of both, and of every folder
    from its own up to the mount), or None when none is set or none can be read. ``proc``: for the tests."""
    try:
        memberships = (proc / "cgroup").read_text(encoding="utf-8", errors="replace").splitlines()
        mountinfo = (proc / "mountinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    mounts = [_mount(line) for line in mountinfo.splitlines()]
    limits: list[float] = []
    for membership in memberships:
        hierarchy, _, rest = membership.partition(":")
        controllers, _, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":  # cgroup v2 (the unified hierarchy)
            mount = next((m for m in mounts if m is not None and m[2] == "cgroup2"), None)
            read: Callable[[Path], float | None] = _v2_limit
        elif "cpu" in controllers.split(","):  # cgroup v1, the hierarchy holding the cpu controller
            mount = next((m for m in mounts if m is not None and m[2] == "cgroup" and "cpu" in m[3]), None)
            read = _v1_limit
        else:
            continue
        if mount is not None:
            limits += _limits_upward(mount[0], mount[1], path, read)
    return min(limits, default=None)


def _mount(line: str) -> tuple[str, Path, str, frozenset[str]] | None:
    """One mountinfo line: (root of the mount within its file system, mount point, type, super options)."""
    fields = line.split(" ")
    try:
        separator = fields.index("-", 6)
        root, point = _unescape(fields[3]), _unescape(fields[4])
        kind, options = fields[separator + 1], fields[separator + 3]
    except (ValueError, IndexError):
        return None
    return root, Path(point), kind, frozenset(options.split(","))


def _unescape(path: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), path)


def _limits_upward(root: str, point: Path, path: str, read: Callable[[Path], float | None]) -> list[float]:
    """The limit of every folder from the cgroup ``path``'s own up to the mount ``point``."""
    # the cgroup's folder under the mount: its path less the mount's root (a container sees only its own part of
    # the hierarchy); outside the mount's root (a cgroup namespace's view), the mount's own folder is the nearest
    relative = path[len(root) :] if path == root or path.startswith(root.rstrip("/") + "/") else ""
    folder = point.joinpath(*[part for part in relative.split("/") if part not in ("", ".", "..")])
    found: list[float] = []
    while True:
        limit = read(folder)
        if limit is not None:
            found.append(limit)
        if folder == point or point not in folder.parents:
            return found
        folder = folder.parent


def _v2_limit(folder: Path) -> float | None:
    """cgroup v2 ``cpu.max``: ``QUOTA PERIOD`` in microseconds, or ``max PERIOD`` for none."""
    try:
        quota, period = (folder / "cpu.max").read_text(encoding="ascii").split()
        return _ratio(quota, period)
    except (OSError, ValueError, UnicodeError):
        return None


def _v1_limit(folder: Path) -> float | None:
    """cgroup v1 ``cpu.cfs_quota_us`` (``-1`` for none) over ``cpu.cfs_period_us``."""
    try:
        quota = (folder / "cpu.cfs_quota_us").read_text(encoding="ascii").strip()
        if quota == "-1":
            return None
        return _ratio(quota, (folder / "cpu.cfs_period_us").read_text(encoding="ascii").strip())
    except (OSError, ValueError, UnicodeError):
        return None


def _ratio(quota: str, period: str) -> float | None:
    if quota == "max":
        return None
    time, every = int(quota), int(period)
    return time / every if time > 0 and every > 0 else None
