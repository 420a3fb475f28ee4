"""lint --fix and --baseline of a folder work a file at a time: the memory they need does not grow with the number
of files beyond the findings reported (each file's document was kept to the end: 311 MB for 20,000 one-account
files, where a plain lint needs 40 MB)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

#: the child: writes N one-account files (each with one MC202, fixable), runs lint once on one file (imports, caches),
#: then prints the peak of Python's allocations (tracemalloc) during ``mailconf lint ARGS .``, less what was held
#: before it. tracemalloc, not the RSS: it counts what is allocated, not what the allocator kept from the OS.
_CHILD = r"""
import os, sys, tracemalloc
from pathlib import Path
from mailconf import cli

top, count, args = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
body = (
    "version: 1\naccounts:\n  a{i}:\n    address: a{i}@example.com\n"
    "    incoming: {{protocol: imap, host: imap.example.com, port: 993, security: tls, password_command: pass a}}\n"
    "    outgoing: {{host: smtp.example.com, port: 587, security: tls, password_command: pass a}}\n"
)
for folder, files in (("warm", 1), ("files", count)):
    (top / folder).mkdir()
    for i in range(files):
        (top / folder / f"a{i:05}.yaml").write_text(body.format(i=i), encoding="utf-8")
os.chdir(top / "files")
if "--baseline" in args:
    cli.main(["lint", "--write-baseline", "../baseline.json", "."])
cli.main(["lint", *args, "../warm"])  # imports and caches, not measured
print("measured:", flush=True)
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
code = cli.main(["lint", *args, "."])
sys.stdout.flush()
(top / "peak").write_text(f"{tracemalloc.get_traced_memory()[1] - before} {code}")
"""


def _peak(tmp_path: Path, count: int, args: list[str]) -> tuple[int, int, str]:
    """The peak, the exit code and the last line said of ``mailconf lint ARGS .`` on ``count`` files."""
    top = tmp_path / str(count)
    top.mkdir()
    command = [sys.executable, "-c", _CHILD, str(top), str(count), *args]
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300, check=True)
    peak, code = (top / "peak").read_text().split()
    said = done.stdout.split("measured:\n")[-1].splitlines()
    return int(peak), int(code), said[-1] if said else ""


@pytest.mark.parametrize(
    ("args", "last"),
    [
        (["--fix"], "mailconf: fixed {n} findings in {n} files"),
        (["--baseline", "../baseline.json"], ""),  # every finding hidden: nothing to say
    ],
)
def test_fix_and_baseline_of_a_folder_need_memory_for_the_findings_not_for_every_files_document(
    args: list[str], last: str, tmp_path: Path
) -> None:
    # 60 more files, one finding each: the documents kept cost 10 KB each (600 KB); a finding reported, well under 1 KB
    small, large = 60, 120
    peak_small, code_small, last_small = _peak(tmp_path, small, args)
    peak_large, code_large, last_large = _peak(tmp_path, large, args)
    assert (code_small, code_large) == (0, 0)
    assert (last_small, last_large) == (last.format(n=small), last.format(n=large))
    growth = (peak_large - peak_small) / (large - small)
    assert growth < 3000, f"{growth:.0f} bytes more for each file ({peak_small} -> {peak_large})"
