"""mailconf.cpus: the CPUs' worth of time a process's cgroups allow, read from proc(5) and the cgroup files.

tests/test_render_parallel.py proves it on real cgroups (the ones this machine has: v1's cpu
hierarchy, or v2 where its cpu controller is free). The layouts no single machine has at once
(cgroup v2 with a limit on a parent, a container's view of a sub-hierarchy, a mount point with a
space) are built here as files laid out and worded as the kernel writes them: ``cgroup`` and
``mountinfo`` in a fake ``/proc/self``, ``cpu.max`` or ``cpu.cfs_quota_us`` in folders under
fake mount points.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailconf import cpus


def fake(tmp: Path, cgroup: str, mounts: list[tuple[str, str, str, str]]) -> Path:
    """A fake ``/proc/self``: its ``cgroup`` lines, and one mountinfo line per (root, mount point, type, options)."""
    proc = tmp / "proc"
    proc.mkdir()
    (proc / "cgroup").write_text(cgroup)
    lines = [
        f"{30 + i} 23 0:{40 + i} {root} {point} rw,nosuid,nodev,noexec,relatime shared:9 - {kind} {kind} {options}"
        for i, (root, point, kind, options) in enumerate(mounts)
    ]
    (proc / "mountinfo").write_text("25 1 8:1 / / rw,relatime - ext4 /dev/vda rw\n" + "\n".join(lines) + "\n")
    return proc


def folder(base: Path, *parts: str, **files: str) -> Path:
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name.replace("__", ".")).write_text(text)
    return path


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [("150000 100000\n", 1.5), ("max 100000\n", None), ("50000 100000\n", 0.5), ("200000 50000\n", 4.0)],
)
def test_cgroup_v2_cpu_max(tmp_path: Path, cpu_max: str, expected: float | None) -> None:
    mount = tmp_path / "sys-fs-cgroup"
    folder(mount, "system.slice", "ci.service", cpu__max=cpu_max)
    proc = fake(tmp_path, "0::/system.slice/ci.service\n", [("/", str(mount), "cgroup2", "rw,nsdelegate")])
    assert cpus.cgroup_limit(proc) == expected


def test_a_parents_quota_binds_its_children_and_the_smallest_wins(tmp_path: Path) -> None:
    mount = tmp_path / "cg"
    folder(mount, "kubepods", cpu__max="300000 100000\n")
    folder(mount, "kubepods", "pod1", cpu__max="max 100000\n")
    folder(mount, "kubepods", "pod1", "box", cpu__max="250000 100000\n")
    proc = fake(tmp_path, "0::/kubepods/pod1\n", [("/", str(mount), "cgroup2", "rw")])
    assert cpus.cgroup_limit(proc) == 3.0
    (mount / "kubepods" / "pod1" / "cpu.max").write_text("120000 100000\n")
    assert cpus.cgroup_limit(proc) == 1.2


def test_cgroup_v1_cfs_quota_and_the_smaller_of_v1_and_v2(tmp_path: Path) -> None:
    v1 = tmp_path / "cpu,cpuacct"
    v2 = tmp_path / "unified"
    folder(v1, "docker", "abc", cpu__cfs_quota_us="150000\n", cpu__cfs_period_us="100000\n")
    folder(v2, "docker", "abc", cpu__max="max 100000\n")
    proc = fake(
        tmp_path,
        "12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/docker/abc\n",
        [("/", str(v1), "cgroup", "rw,cpu,cpuacct"), ("/", str(v2), "cgroup2", "rw")],
    )
    assert cpus.cgroup_limit(proc) == 1.5
    (v2 / "docker" / "abc" / "cpu.max").write_text("100000 100000\n")
    assert cpus.cgroup_limit(proc) == 1.0
    (v1 / "docker" / "abc" / "cpu.cfs_quota_us").write_text("-1\n")
    (v2 / "docker" / "abc" / "cpu.max").write_text("max 100000\n")
    assert cpus.cgroup_limit(proc) is None


def test_a_container_sees_its_own_part_of_the_hierarchy_at_the_mount_point(tmp_path: Path) -> None:
    """Inside a container, the mount's root is the container's cgroup: its files are at the mount point itself."""
    mount = tmp_path / "sys fs cgroup"  # a space: mountinfo writes it as \\040
    folder(mount, cpu__max="200000 100000\n")
    proc = fake(tmp_path, "0::/docker/abc\n", [("/docker/abc", str(mount).replace(" ", "\\040"), "cgroup2", "rw")])
    assert cpus.cgroup_limit(proc) == 2.0
    # a cgroup namespace's view: "/" for its own cgroup, whatever the mount's root says
    (proc / "cgroup").write_text("0::/\n")
    assert cpus.cgroup_limit(proc) == 2.0


@pytest.mark.parametrize(
    ("files", "cgroup"),
    [
        ({"cpu__max": "not numbers\n"}, "0::/a\n"),
        ({"cpu__max": "0 100000\n"}, "0::/a\n"),
        ({"cpu__max": "100000 0\n"}, "0::/a\n"),
        ({"cpu__max": "100000\n"}, "0::/a\n"),
        ({"cpu__max": "\xff\xfe 1\n"}, "0::/a\n"),
        ({}, "0::/a\n"),  # no cpu controller there: no cpu.max file
        ({"cpu__max": "100000 100000\n"}, "0::/../../../../etc\n"),  # never read outside the mount
        ({"cpu__max": "100000 100000\n"}, "1:memory:/a\n"),  # not the cpu controller
    ],
)
def test_what_cannot_be_read_means_no_limit(tmp_path: Path, files: dict[str, str], cgroup: str) -> None:
    mount = tmp_path / "cg"
    mount.mkdir()
    folder(mount, "a", **files)
    proc = fake(tmp_path, cgroup, [("/", str(mount), "cgroup2", "rw")])
    assert cpus.cgroup_limit(proc) is None


def test_no_proc_and_a_garbled_mountinfo_mean_no_limit(tmp_path: Path) -> None:
    assert cpus.cgroup_limit(tmp_path / "nowhere") is None
    proc = fake(tmp_path, "0::/a\n", [])
    (proc / "mountinfo").write_text("garbage\n\n1 2 3\n- - -\n")
    assert cpus.cgroup_limit(proc) is None


def test_usable_is_the_affinity_capped_by_the_quota_rounded_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    for limit, expected in [(None, 8), (0.2, 1), (1.0, 1), (1.01, 2), (2.5, 3), (64.0, 8)]:
        monkeypatch.setattr(cpus, "cgroup_limit", lambda limit=limit: limit)
        assert cpus.usable() == expected
