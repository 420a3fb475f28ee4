"""How render writes into ``-o DIR`` when the directory is hostile, odd, huge, shared or on a disk.

Issue 13 (4, 6, 7) and issue 8 (2, 7). In-process tests use the fake target of
tests/test_render_core.py (one ``<account>.conf`` per account); the memory,
concurrency and kill tests run real ``mailconf render`` processes with real targets.
Every hostile layout checks the exact message, the exit code, and that the place a
link points to outside ``-o`` is untouched.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailconf import output
from mailconf.errors import OutputError
from mailconf.targets import NAME_MAX, RenderedFile
from tests.conftest import ROOT, need
from tests.test_cli import CLEAN
from tests.test_render_core import ACCOUNT, accounts_file, fake_target, mode, run

__all__ = ["fake_target"]  # the fake target, registered for every test here (autouse)

WORK = b"account work\nhost imap.example.org\n"
REFUSE_1 = (
    "it exists with other content; use --check to see the difference, --force to replace it (a .bak copy is kept)"
)


def listing(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*"))


@pytest.fixture
def out(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside -o that links inside -o point to: it must stay exactly as it is."""
    path = tmp_path / "elsewhere" / "victim"
    path.parent.mkdir()
    path.write_bytes(b"not yours\n")
    return path


def assert_untouched(outside: Path) -> None:
    assert outside.read_bytes() == b"not yours\n"
    assert listing(outside.parent) == ["victim"]


# --- issue 13 (4): nothing written outside -o ---------------------------------------------------------------


def test_a_bak_that_is_a_link_outside_is_refused_with_force(
    tmp_path: Path, out: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (out / "work.conf").write_bytes(b"my edits\n")
    (out / "work.conf.bak").symlink_to(outside)
    assert run("-t", "fake", "-o", str(out), "--force", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == f"mailconf: refusing to write work.conf.bak outside {out}\n"
    assert_untouched(outside)
    assert (out / "work.conf").read_bytes() == b"my edits\n"
    assert listing(out) == ["work.conf", "work.conf.bak"]


def test_a_numbered_bak_that_is_a_link_is_refused(
    tmp_path: Path, out: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (out / "work.conf").write_bytes(b"my edits\n")
    (out / "work.conf.bak").write_bytes(b"older\n")
    (out / "work.conf.bak.1").symlink_to(outside)
    assert run("-t", "fake", "-o", str(out), "--force", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == f"mailconf: refusing to write work.conf.bak.1 outside {out}\n"
    assert_untouched(outside)
    assert (out / "work.conf.bak").read_bytes() == b"older\n"


def test_a_link_inside_the_directory_is_refused_too(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (out / "mine.txt").write_bytes(b"mine\n")
    (out / "work.conf").symlink_to("mine.txt")
    assert run("-t", "fake", "-o", str(out), "--force", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == (
        f"mailconf: refusing to write work.conf: {out.resolve()}/work.conf is a symbolic link; "
        "mailconf never writes through one inside -o: remove it\n"
    )
    assert (out / "mine.txt").read_bytes() == b"mine\n"


def test_a_dangling_link_outside_is_refused_and_nothing_is_created_there(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "elsewhere" / "created-by-mailconf"
    target.parent.mkdir()
    (out / "work.conf").symlink_to(target)
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == f"mailconf: refusing to write work.conf outside {out}\n"
    assert listing(target.parent) == []


def test_a_folder_that_is_a_link_outside_is_refused(
    tmp_path: Path, out: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (out / "sub").symlink_to(outside.parent)
    assert run("-t", "fake", "-o", str(out), "--option", "dir=sub/", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == f"mailconf: refusing to write sub/work.conf outside {out}\n"
    assert_untouched(outside)


def test_a_target_folder_that_is_a_link_outside_is_refused(
    tmp_path: Path, out: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (out / "msmtp").symlink_to(outside.parent)
    assert run("-t", "fake", "-t", "msmtp", "-o", str(out), "--force", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == f"mailconf: refusing to write msmtp/.msmtprc outside {out}\n"
    assert_untouched(outside)
    assert listing(out) == ["msmtp"]  # fake/ was not written either: everything is checked first


def test_a_planted_temporary_is_neither_followed_nor_touched(tmp_path: Path, out: Path, outside: Path) -> None:
    """The first temporary name mailconf tries is taken by a link: it picks another name, leaves the link alone."""
    planted = out / f".work.conf.mailconf-{os.getpid()}.tmp"
    planted.symlink_to(outside)
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "work")) == 0
    assert (out / "work.conf").read_bytes() == WORK
    assert_untouched(outside)
    assert planted.is_symlink()
    assert listing(out) == [planted.name, "work.conf"]


@pytest.mark.parametrize("extra", [["--force"], ["--update"]])
def test_a_hard_link_to_a_file_outside_is_replaced_never_written_into(
    extra: list[str], tmp_path: Path, out: Path, outside: Path
) -> None:
    """The destination is another name of a file outside -o: mailconf moves a new file over the name (rename),
    so the outside file keeps its bytes."""
    os.link(outside, out / "work.conf")
    assert run("-t", "fake", "-o", str(out), *extra, accounts_file(tmp_path, "work")) == (
        0 if extra == ["--force"] else 1
    )
    assert (out / "work.conf").read_bytes() == WORK
    assert_untouched(outside)


def test_a_directory_where_a_file_goes_is_refused(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (out / "work.conf").mkdir()
    for extra in ([], ["--force"], ["--update"], ["--check"]):
        assert run("-t", "fake", "-o", str(out), *extra, accounts_file(tmp_path, "work")) == 2
        assert capsys.readouterr().err == (
            f"mailconf: {out.resolve()}/work.conf: is a directory, not a regular file; remove it or choose another -o\n"
        )
    assert listing(out) == ["work.conf"]


def test_a_file_where_a_folder_goes_is_refused(tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (out / "sub").write_bytes(b"x\n")
    assert run("-t", "fake", "-o", str(out), "--option", "dir=sub/", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == (
        f"mailconf: {out.resolve()}/sub: is a file, not a folder; remove it or choose another -o\n"
    )
    assert (out / "sub").read_bytes() == b"x\n"


def test_a_name_with_dot_dot_is_refused_before_anything_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new"
    assert run("-t", "fake", "-o", str(out), "--option", "dir=a/../../", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == f"mailconf: refusing to write a/../../work.conf outside {out}\n"
    assert not out.exists()


def test_a_name_refused_is_shown_as_a_path_as_every_other_name_of_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The name as the other refusals and errors of -o show a path: as it is, a control or bidi character escaped by
    the line's guard (errors.escape_controls). It was in Python's repr(), single quotes and backslashes doubled."""
    out = tmp_path / "new"
    folder = "it's a\\b\x1b\u202e/../../"
    assert run("-t", "fake", "-o", str(out), "--option", f"dir={folder}", accounts_file(tmp_path, "work")) == 2
    assert (
        capsys.readouterr().err == f"mailconf: refusing to write it's a\\b\\x1b\\u202e/../../work.conf outside {out}\n"
    )
    assert not out.exists()


@pytest.mark.parametrize("folder", ["new", "existing"])
def test_a_file_name_of_255_bytes_is_written_through_its_shorter_temporary(
    folder: str, tmp_path: Path, out: Path
) -> None:
    """The longest name a file system takes (NAME_MAX): its temporary ``.NAME.mailconf-PID.tmp`` would be 278
    bytes, so it is cut to fit. Before, exit 2: "cannot write <the whole path>: File name too long"."""
    address = "a" * (251 - len("@example.org")) + "@example.org"
    source = tmp_path / "accounts.yaml"
    source.write_text(json.dumps({"version": 1, "accounts": {"work": ACCOUNT | {"address": address}}}))
    if folder == "existing":
        (out / "autodiscover").mkdir()
    assert run("-t", "autodiscover", "-o", str(out), str(source)) == 0
    assert listing(out) == ["autodiscover", f"autodiscover/{address}.xml"]
    assert len(f"{address}.xml".encode()) == NAME_MAX


def test_force_refuses_a_file_whose_name_leaves_no_room_for_its_bak_before_writing_anything(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """NAME.bak of a 252-255 byte NAME is a name no file system takes. Before, exit 2 once the other files were
    planned: "cannot write <the whole path>: File name too long"; --update, which keeps no copy, replaces it."""
    address = "a" * (249 - len("@example.org")) + "@example.org"  # autodiscover/ADDRESS.xml: 253 bytes
    source = tmp_path / "accounts.yaml"
    source.write_text(json.dumps({"version": 1, "accounts": {"work": ACCOUNT | {"address": address}}}))
    (out / "autodiscover").mkdir()
    (out / "autodiscover" / f"{address}.xml").write_bytes(b"my edits\n")
    assert run("-t", "autodiscover", "-o", str(out), "--force", str(source)) == 2
    assert capsys.readouterr().err == (
        f"mailconf: refusing to replace autodiscover/{address}.xml: a .bak copy of it would need a name over 255 "
        "bytes; use --update to replace it without one, or move it away first\n"
    )
    assert listing(out) == ["autodiscover", f"autodiscover/{address}.xml"]
    assert (out / "autodiscover" / f"{address}.xml").read_bytes() == b"my edits\n"
    assert run("-t", "autodiscover", "-o", str(out), "--update", str(source)) == 1
    assert (out / "autodiscover" / f"{address}.xml").read_bytes().startswith(b"<?xml")


def test_o_itself_may_be_a_link(tmp_path: Path, out: Path) -> None:
    """-o is the user's own choice: a link there is followed (only links inside it are refused)."""
    (tmp_path / "link").symlink_to(out)
    assert run("-t", "fake", "-o", str(tmp_path / "link"), accounts_file(tmp_path, "work")) == 0
    assert (out / "work.conf").read_bytes() == WORK


# --- issue 13 (6): non-regular files are never opened; huge files are never read whole ------------------------


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return "a FIFO (named pipe)"


def _socket(path: Path) -> str:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return "a socket"


def _device(path: Path) -> str:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        pytest.skip("making a device node needs root (CAP_MKNOD)")
    return "a character device"


@pytest.mark.parametrize("make", [_fifo, _socket, _device], ids=["fifo", "socket", "device"])
@pytest.mark.parametrize(
    "extra", [[], ["--force"], ["--update"], ["--check"]], ids=["write", "force", "update", "check"]
)
def test_a_non_regular_file_where_a_file_goes_is_refused_unopened(
    make: object, extra: list[str], tmp_path: Path, out: Path
) -> None:
    """A real process: a FIFO that were opened would block it (the timeout is a hang guard, not a measure)."""
    assert callable(make)
    kind = make(out / ".msmtprc")
    file = tmp_path / "accounts.yaml"
    file.write_text(CLEAN)
    done = subprocess.run(
        [sys.executable, "-m", "mailconf", "render", "-t", "msmtp", str(file), "-o", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        f"mailconf: {out.resolve()}/.msmtprc: is {kind}, not a regular file; remove it or choose another -o\n"
    )
    assert listing(out) == [".msmtprc"]


BIG = 256 << 20


_PEAK = (
    "import sys\n"
    "from mailconf.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "print(next(line for line in open('/proc/self/status') if line.startswith('VmHWM:')).split()[1])\n"
    "sys.exit(code)\n"
)


def _render_process(argv: list[str], cwd: Path) -> tuple[int, str, int]:
    """A real render process: exit code, stderr and its peak resident memory in KiB.

    The peak is the process's own VmHWM, read by itself as it ends: the ru_maxrss of a child
    of pytest starts at pytest's size (it is kept across exec), so it would measure pytest."""
    if not Path("/proc/self/status").exists():
        pytest.skip("reads the peak from /proc/self/status (Linux)")
    done = subprocess.run(
        [sys.executable, "-c", _PEAK, "render", *argv],
        cwd=cwd,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stderr, int(done.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        ([], 2, "mailconf: refusing to replace {path}: " + REFUSE_1 + "\n"),
        (
            ["--check"],
            1,
            "mailconf: out/.msmtprc: differs (on disk 268435456 bytes, rendered {size} bytes; too large to show a "
            "diff)\nmailconf: rendered files are stale: run the same command with --update instead of --check to "
            "rewrite them\n",
        ),
        (["--force"], 0, "mailconf: replaced {path}; its old content is kept in {path}.bak\n"),
        (["--update"], 1, "mailconf: updated {path}\n"),
    ],
    ids=["write", "check", "force", "update"],
)
def test_a_256_mib_destination_is_never_read_whole(extra: list[str], code: int, message: str, tmp_path: Path) -> None:
    (tmp_path / "accounts.yaml").write_text(CLEAN)
    out = tmp_path / "out"
    out.mkdir()
    assert _render_process(["-t", "msmtp", "accounts.yaml", "-o", "fresh"], tmp_path)[0] == 0
    rendered = (tmp_path / "fresh" / ".msmtprc").read_bytes()
    big = out / ".msmtprc"
    with big.open("wb") as handle:
        handle.truncate(BIG)  # sparse: 256 MiB to read, no disk used
    before = big.stat()

    returncode, err, peak_kib = _render_process(["-t", "msmtp", "accounts.yaml", "-o", "out", *extra], tmp_path)
    assert (returncode, err) == (code, message.format(path=big.resolve(), size=len(rendered)))
    assert peak_kib < 80 * 1024, f"peak RSS {peak_kib} KiB for a {BIG >> 20} MiB file"  # reading it would be 256+
    if extra == ["--force"]:
        assert (out / ".msmtprc.bak").stat().st_ino == before.st_ino  # the old file itself, kept as .bak (no copy)
    if extra in (["--force"], ["--update"]):
        assert big.read_bytes() == rendered
    else:
        assert big.stat().st_size == BIG


def test_same_size_files_are_compared_chunk_by_chunk(tmp_path: Path) -> None:
    content = bytes(range(256)) * ((3 << 20) // 256)  # 3 MiB: several chunks
    folder = output._Folder(os.open(tmp_path, os.O_RDONLY), str(tmp_path), frozenset())
    try:
        for name, data, same in [
            ("same", content, True),
            ("last-byte", content[:-1] + b"\x00", False),
            ("first-byte", b"\x01" + content[1:], False),
            ("shorter", content[:-1], False),
        ]:
            (tmp_path / name).write_bytes(data)
            info = os.stat(name, dir_fd=folder.fd)
            assert output._same(folder, name, info, content) is same, name
    finally:
        os.close(folder.fd)


def test_check_shows_a_diff_only_when_both_sides_are_small(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (out / "work.conf").write_bytes(b"account work\nhost old.example.org\n")
    monkeypatch.setattr(output, "DIFF_LIMIT", 20)
    assert run("-t", "fake", "-o", str(out), "--check", accounts_file(tmp_path, "work")) == 1
    assert capsys.readouterr() == (
        "",
        f"mailconf: {out}/work.conf: differs (on disk 34 bytes, rendered 35 bytes; too large to show a diff)\n"
        "mailconf: rendered files are stale: run the same command with --update instead of --check to rewrite them\n",
    )


# --- issue 13 (7): two renders into one directory ------------------------------------------------------------


@pytest.mark.slow
def test_two_concurrent_renders_never_both_succeed(tmp_path: Path) -> None:
    """20 rounds of two real processes rendering different content into the same empty folder."""
    for name, host in (("a", "smtp.example.com"), ("b", "smtp2.example.com")):
        (tmp_path / f"{name}.yaml").write_text(CLEAN.replace("smtp.example.com", host))
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    for round_ in range(20):
        out = tmp_path / f"out{round_}"
        out.mkdir()
        procs = {
            name: subprocess.Popen(
                [sys.executable, "-m", "mailconf", "render", "-t", "msmtp", f"{name}.yaml", "-o", out.name],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in ("a", "b")
        }
        results = {name: (proc.wait(timeout=120), proc.communicate()[1]) for name, proc in procs.items()}
        winners = [name for name, (code, _) in results.items() if code == 0]
        assert len(winners) == 1, (round_, results)
        (loser,) = set(results) - set(winners)
        assert results[loser] == (
            2,
            f"mailconf: refusing to replace {out}/.msmtprc: {REFUSE_1}\n",
        )
        expected = "smtp.example.com" if winners == ["a"] else "smtp2.example.com"
        assert f'host "{expected}"\n' in (out / ".msmtprc").read_text()
        assert listing(out) == [".msmtprc"]


def test_a_render_waits_for_the_lock_and_gives_up_at_its_deadline(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another render holding the folder's lock (here: this test, with the same flock) is waited for, not raced."""
    monkeypatch.setattr(output, "LOCK_WAIT", 0.2)
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "work")) == 2
    finally:
        os.close(fd)
    assert capsys.readouterr().err == (
        f"mailconf: {out.resolve()}: another mailconf render is writing here (waited 0.2 s); try again\n"
    )
    assert listing(out) == []


def test_a_file_created_meanwhile_by_another_program_is_never_replaced(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A writer that takes no lock creates home.conf after the check: link() refuses to replace it, and the files
    this run had already created are removed again. (The other writer is simulated at that exact moment.)"""
    real = output._write_temporaries

    def then_another_program_writes(*args: object, **kwargs: object) -> list[output._Temporary]:
        written = real(*args, **kwargs)  # type: ignore[arg-type]
        (out / "home.conf").write_bytes(b"theirs\n")
        return written

    monkeypatch.setattr(output, "_write_temporaries", then_another_program_writes)
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "work", "home")) == 2
    assert capsys.readouterr().err == (
        f"mailconf: refusing to replace {out.resolve()}/home.conf: another program created it while mailconf was "
        "writing; nothing written, run again\n"
    )
    assert listing(out) == ["home.conf"]
    assert (out / "home.conf").read_bytes() == b"theirs\n"


def no_hard_links(monkeypatch: pytest.MonkeyPatch, before: Callable[[], None] = lambda: None) -> list[str]:
    """``os.link`` fails with EPERM, as on a file system without hard links (vfat, some network and FUSE ones: none
    can be mounted here); ``before`` runs first, in the failing call. Returns the names it refused."""
    refused: list[str] = []

    def link(source: str, destination: str, **_kwargs: object) -> None:
        refused.append(destination)
        before()
        raise OSError(errno.EPERM, os.strerror(errno.EPERM))

    monkeypatch.setattr(os, "link", link)
    return refused


def test_without_hard_links_new_files_are_renamed_into_place_without_replacing(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file system without hard links (os.link faked to fail with EPERM, as there): each new file is renamed
    into place with renameat2(RENAME_NOREPLACE), and written exactly, with its mode, no temporary left."""
    renames: list[str] = []
    real = output._renameat2

    def renameat2(fd: int, source: str, destination: str, *, flags: int = output._RENAME_NOREPLACE) -> bool:
        renames.append(f"{destination} {flags}")
        return real(fd, source, destination, flags=flags)

    monkeypatch.setattr(output, "_renameat2", renameat2)
    refused = no_hard_links(monkeypatch)
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "work", "home")) == 0
    assert capsys.readouterr() == ("", "")
    assert (refused, renames) == (["work.conf", "home.conf"], ["work.conf 1", "home.conf 1"])
    assert listing(out) == ["home.conf", "work.conf"]
    assert (out / "work.conf").read_bytes() == WORK
    assert (out / "home.conf").read_bytes() == b"account home\nhost imap.example.org\n"
    assert mode(out / "work.conf") == mode(out / "home.conf") == 0o600


@pytest.mark.parametrize("noreplace", [True, False], ids=["renameat2", "look-then-rename"])
def test_without_hard_links_a_file_created_meanwhile_by_another_program_is_never_replaced(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], noreplace: bool
) -> None:
    """A file system without hard links (os.link faked to fail with EPERM, as there). Another program creates
    home.conf after the check, at the last moment: just before mailconf renames its temporary there (simulated in
    the rename call itself, before the real one; a rename() that looked first and then renamed replaced it).
    renameat2(RENAME_NOREPLACE) refuses it atomically. Where the kernel lacks that too ("look-then-rename",
    renameat2 faked unsupported), the program creates it before the look, which finds it. Either way theirs is
    left as it is, and work.conf, placed already, is removed again with every temporary."""
    theirs = out / "home.conf"

    def another_program_writes() -> None:
        theirs.write_bytes(b"theirs\n")

    real_rename, real_renameat2 = os.rename, output._renameat2

    def rename(source: str, destination: str, **kwargs: object) -> None:
        if destination == "home.conf":  # a rename() that looked first and then renamed
            another_program_writes()
        real_rename(source, destination, **kwargs)  # type: ignore[arg-type]

    def renameat2(fd: int, source: str, destination: str, *, flags: int = output._RENAME_NOREPLACE) -> bool:
        if not noreplace:
            return False
        if destination == "home.conf":
            another_program_writes()
        return real_renameat2(fd, source, destination, flags=flags)

    monkeypatch.setattr(output, "_renameat2", renameat2)
    if noreplace:
        monkeypatch.setattr(os, "rename", rename)
        no_hard_links(monkeypatch)
    else:
        no_hard_links(monkeypatch, another_program_writes)  # before the look
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "work", "home")) == 2
    assert capsys.readouterr() == (
        "",
        f"mailconf: refusing to replace {out.resolve()}/home.conf: another program created it while mailconf was "
        "writing; nothing written, run again\n",
    )
    assert listing(out) == ["home.conf"]  # no work.conf, no temporary
    assert theirs.read_bytes() == b"theirs\n"


def replaced_by_another_program(path: Path) -> None:
    """What an editor or a sync tool does to save ``path``: a new file written beside it, renamed over it."""
    beside = path.with_name(f"{path.name}.theirs")
    beside.write_bytes(b"theirs\n")
    beside.rename(path)


def test_a_failed_render_removes_only_the_files_still_its_own(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """a.conf and b.conf are put in place; then another program replaces a.conf (renamed over it) and creates
    c.conf, which mailconf refuses to replace: the render fails and removes what it created, but a.conf is not
    its file any more: it stays, byte for byte (it was removed by name). (The other program is simulated right
    before c.conf is created.)"""
    real = output._create

    def create(temporary: output._Temporary) -> None:
        if temporary.item.leaf == "c.conf":
            replaced_by_another_program(out / "a.conf")
            (out / "c.conf").write_bytes(b"also theirs\n")
        real(temporary)

    monkeypatch.setattr(output, "_create", create)
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "a", "b", "c")) == 2
    assert capsys.readouterr() == (
        "",
        f"mailconf: refusing to replace {out.resolve()}/c.conf: another program created it while mailconf was "
        "writing; nothing written, run again\n",
    )
    assert listing(out) == ["a.conf", "c.conf"]  # b.conf removed, no temporary left
    assert ((out / "a.conf").read_bytes(), (out / "c.conf").read_bytes()) == (b"theirs\n", b"also theirs\n")


@pytest.mark.slow
def test_a_bak_copy_is_made_durable_before_the_file_is_replaced(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--force keeps the old file as a copy where it cannot be hard-linked: here a real one, a file with the most
    links ext4 allows (EMLINK; also a file system without hard links, or another user's file under
    protected_hardlinks). The copy was never fsync'd: only the folder was, after the replacement, so a power loss
    could leave an empty or partial .bak and the new file, the old content gone. Its fsync now comes before the
    exchange (the calls are recorded; a power loss cannot be simulated here)."""
    mine = out / "work.conf"
    mine.write_bytes(b"my edits\n")
    (tmp_path / "links").mkdir()
    try:
        for n in range(70_000):
            os.link(mine, tmp_path / "links" / str(n))
    except OSError as exc:
        if exc.errno != errno.EMLINK:
            raise
    else:
        pytest.skip("this file system takes more than 70,000 links to a file: no EMLINK to copy on")
    events: list[object] = []
    real_fsync, real_renameat2 = os.fsync, output._renameat2

    def fsync(fd: int) -> None:
        events.append(os.fstat(fd).st_ino)
        real_fsync(fd)

    def renameat2(fd: int, source: str, destination: str, *, flags: int = output._RENAME_NOREPLACE) -> bool:
        events.append(f"{flags} {destination}")
        return real_renameat2(fd, source, destination, flags=flags)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(output, "_renameat2", renameat2)
    assert run("-t", "fake", "-o", str(out), "--force", accounts_file(tmp_path, "work")) == 0
    base = out.resolve()
    assert capsys.readouterr().err == (
        f"mailconf: replaced {base}/work.conf; its old content is kept in {base}/work.conf.bak\n"
        f"mailconf: warning: {base}/work.conf: replaced by a new file; its 64999 other hard links still hold the "
        "old content\n"
    )
    copy = out / "work.conf.bak"
    assert copy.read_bytes() == b"my edits\n"
    assert copy.stat().st_nlink == 1  # a copy, not a link
    assert copy.stat().st_ino in events
    assert events.index(copy.stat().st_ino) < events.index(f"{output._RENAME_EXCHANGE} work.conf")
    shutil.rmtree(tmp_path / "links")


# --- issue 8 (2): --update -----------------------------------------------------------------------------------


def test_update_rewrites_stale_files_in_place_and_exits_1(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = accounts_file(tmp_path, "work", "home")
    assert run("-t", "fake", "-o", str(out), file) == 0
    (out / "work.conf").write_bytes(b"stale\n")
    (out / "work.conf").chmod(0o640)
    (out / "home.conf").unlink()
    assert run("-t", "fake", "-o", str(out), "--update", file) == 1
    assert capsys.readouterr() == (
        "",
        f"mailconf: created {out.resolve()}/home.conf\nmailconf: updated {out.resolve()}/work.conf\n",
    )
    assert (out / "work.conf").read_bytes() == WORK
    assert mode(out / "work.conf") == 0o640  # the mode kept
    assert mode(out / "home.conf") == 0o600
    assert listing(out) == ["home.conf", "work.conf"]  # no .bak
    assert run("-t", "fake", "-o", str(out), "--update", file) == 0
    assert capsys.readouterr() == ("", "")
    assert run("-t", "fake", "-o", str(out), "--check", file) == 0


def test_replacing_a_hard_linked_file_warns_that_its_other_names_keep_the_old_content(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a hard-linked ~/.msmtprc stayed stale while render said "updated": a new file takes the name, the other names
    # keep the old content (as lint --fix does); the user is now told so
    file = accounts_file(tmp_path, "work")
    (out / "work.conf").write_bytes(b"stale\n")
    home = tmp_path / "home"
    home.mkdir()
    os.link(out / "work.conf", home / "linked.conf")
    assert run("-t", "fake", "-o", str(out), "--update", file) == 1
    shown = f"{out.resolve()}/work.conf"
    assert capsys.readouterr() == (
        "",
        f"mailconf: updated {shown}\n"
        f"mailconf: warning: {shown}: replaced by a new file; its other hard link still holds the old content\n",
    )
    assert ((out / "work.conf").read_bytes(), (home / "linked.conf").read_bytes()) == (WORK, b"stale\n")
    # --force too: two other names (its own NAME.bak link, made after, is not counted)
    (out / "work.conf").unlink()
    os.link(home / "linked.conf", out / "work.conf")
    os.link(home / "linked.conf", home / "again.conf")
    assert run("-t", "fake", "-o", str(out), "--force", file) == 0
    assert capsys.readouterr() == (
        "",
        f"mailconf: replaced {shown}; its old content is kept in {shown}.bak\n"
        f"mailconf: warning: {shown}: replaced by a new file; its 2 other hard links still hold the old content\n",
    )
    assert (out / "work.conf").read_bytes() == WORK
    assert run("-t", "fake", "-o", str(out), "--update", file) == 0  # a file with one name: no warning
    assert capsys.readouterr() == ("", "")


def test_update_keeps_the_owner_group_and_extended_attributes_of_a_file_it_replaces(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "in place": root updating files a web server reads through their group made them root:root (and dropped an
    # access control list), which lint --fix keeps
    file = accounts_file(tmp_path, "work")
    (out / "work.conf").write_bytes(b"stale\n")
    (out / "work.conf").chmod(0o640)
    try:
        os.chown(out / "work.conf", 1234, 5678)
        os.setxattr(out / "work.conf", "user.note", b"served by nginx")
    except OSError as exc:
        pytest.skip(f"needs root and user extended attributes: {exc}")
    assert run("-t", "fake", "-o", str(out), "--update", file) == 1
    assert capsys.readouterr() == ("", f"mailconf: updated {out.resolve()}/work.conf\n")
    info = (out / "work.conf").stat()
    assert (info.st_uid, info.st_gid, mode(out / "work.conf")) == (1234, 5678, 0o640)
    assert os.getxattr(out / "work.conf", "user.note") == b"served by nginx"
    assert (out / "work.conf").read_bytes() == WORK
    assert listing(out) == ["work.conf"]


def test_update_refuses_a_file_whose_owner_it_cannot_keep(tmp_path: Path, out: Path) -> None:
    # Another user's file: the replacement would be the runner's. Root without CAP_CHOWN (setpriv) cannot give it
    # back, as a user cannot: refused before anything is replaced (lint --fix refuses the same file)
    file = tmp_path / "accounts.yaml"
    file.write_text(CLEAN)
    (out / ".msmtprc").write_bytes(b"my edit\n")
    try:
        os.chown(out / ".msmtprc", 1234, 5678)
    except PermissionError:
        pytest.skip("needs root")
    need("setpriv")
    done = subprocess.run(
        ["setpriv", "--bounding-set", "-chown", "--inh-caps", "-chown",
         sys.executable, "-m", "mailconf", "render", "-t", "msmtp", str(file), "-o", str(out), "--update"],
        capture_output=True, text=True, timeout=60, env=os.environ | {"PYTHONPATH": str(ROOT)}, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    message = f"cannot write {out.resolve()}/.msmtprc: cannot keep its owner and group (1234:5678)"
    assert done.stderr == f"mailconf: {message}\n"
    assert (out / ".msmtprc").read_bytes() == b"my edit\n"
    assert listing(out) == [".msmtprc"]


@pytest.mark.parametrize("how", [(), ("--check",), ("--update",)])
def test_a_file_that_cannot_be_read_to_compare_it_is_said_unreadable(
    tmp_path: Path, out: Path, how: tuple[str, ...]
) -> None:
    # it said "cannot write .../.msmtprc: Permission denied" of a file mailconf only reads, --check included
    file = tmp_path / "accounts.yaml"
    file.write_text(CLEAN)
    need("setpriv")  # root reads any file: without the two capabilities, as a user would

    def render(*options: str, privileges: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*privileges, sys.executable, "-m", "mailconf", "render", "-t", "msmtp", str(file), *options],
            capture_output=True, text=True, timeout=60, env=os.environ | {"PYTHONPATH": str(ROOT)}, check=False,
        )  # fmt: skip

    size = len(render().stdout)
    stale = out / ".msmtprc"
    stale.write_bytes(b"x" * size)  # the size of the rendered file: only its bytes tell, which must be read
    stale.chmod(0)
    drop = "-dac_override,-dac_read_search"
    done = render("-o", str(out), *how, privileges=("setpriv", "--bounding-set", drop, "--inh-caps", drop))
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", f"mailconf: cannot read {out.resolve()}/.msmtprc: Permission denied\n"
    )  # fmt: skip
    stale.chmod(0o600)
    assert stale.read_bytes() == b"x" * size
    assert listing(out) == [".msmtprc"]


@pytest.fixture
def chattr() -> Iterator[Callable[[str, Path], None]]:
    """``chattr FLAGS PATH`` (root on a file system with inode flags, else the test is skipped); undone in teardown
    (an immutable file left behind cannot be removed, not even by pytest's tmp_path cleanup)."""
    flagged: list[Path] = []

    def set_flags(flags: str, path: Path) -> None:
        flagged.append(path)
        done = subprocess.run(["chattr", flags, str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"chattr {flags} is refused here: {done.stderr.decode().strip()}")

    yield set_flags
    for path in flagged:
        subprocess.run(["chattr", "-i", "-a", str(path)], capture_output=True, check=False)


@pytest.mark.parametrize("flag", ["+i", "+a"])
@pytest.mark.parametrize("how", ["--update", "--force"])
def test_a_file_that_cannot_be_replaced_after_another_was_changes_no_file(
    flag: str, how: str, out: Path, chattr: Callable[[str, Path], None], capsys: pytest.CaptureFixture[str]
) -> None:
    # The first stale file used to be replaced (a hand edit gone for good with --update) before the immutable
    # (or append-only) second one failed with EPERM: exit 2, and no "updated" line said which file had changed
    file = accounts_file(out.parent, "first", "second", "third")
    (out / "first.conf").write_bytes(b"my edit of first\n")
    (out / "second.conf").write_bytes(b"my edit of second\n")
    chattr(flag, out / "second.conf")
    assert run("-t", "fake", "-o", str(out), how, file) == 2
    assert capsys.readouterr() == ("", f"mailconf: cannot write {out.resolve()}/second.conf: Operation not permitted\n")
    assert (out / "first.conf").read_bytes() == b"my edit of first\n"
    assert (out / "second.conf").read_bytes() == b"my edit of second\n"
    assert listing(out) == ["first.conf", "second.conf"]  # no temporary, no .bak, not third.conf


def test_without_rename_exchange_a_failed_replacement_names_the_files_replaced_already(
    out: Path, chattr: Callable[[str, Path], None], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A file system without RENAME_EXCHANGE (vfat, some FUSE ones; none can be mounted here): second.conf is
    # replaced for good with rename(), then the immutable third.conf fails. first.conf, exchanged, is put back and
    # its temporary removed (it was left beside it); second.conf is named, not replaced silently
    exchange = output._renameat2

    def no_exchange_for_second(fd: int, source: str, destination: str, *, flags: int = 1) -> bool:
        return False if destination == "second.conf" else exchange(fd, source, destination, flags=flags)

    monkeypatch.setattr(output, "_renameat2", no_exchange_for_second)
    file = accounts_file(out.parent, "first", "second", "third")
    for name in ("first", "second", "third"):
        (out / f"{name}.conf").write_bytes(f"my edit of {name}\n".encode())
    chattr("+i", out / "third.conf")
    assert run("-t", "fake", "-o", str(out), "--update", file) == 2
    base = out.resolve()
    assert capsys.readouterr() == (
        "",
        f"mailconf: cannot write {base}/third.conf: Operation not permitted ({base}/second.conf replaced already)\n",
    )
    assert (out / "first.conf").read_bytes() == b"my edit of first\n"
    assert (out / "second.conf").read_bytes() == b"account second\nhost imap.example.org\n"
    assert (out / "third.conf").read_bytes() == b"my edit of third\n"
    assert listing(out) == ["first.conf", "second.conf", "third.conf"]


def edited_in_place(path: Path) -> None:
    """What an editor that writes into the file itself does (``>>``, vim with backupcopy=yes): the same inode."""
    with path.open("ab") as file:
        file.write(b"theirs\n")


@pytest.mark.parametrize("edit", [replaced_by_another_program, edited_in_place], ids=["renamed-over", "in-place"])
@pytest.mark.parametrize("how", ["--update", "--force"])
def test_a_file_another_program_changes_after_the_comparison_is_never_replaced(
    how: str,
    edit: Callable[[Path], None],
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An editor saves second.conf after mailconf compared it, while the temporaries are written and flushed (the
    long step; simulated just before its replacement, the last moment). That save was replaced and its content
    removed for good with the old file (under the temporary's name after the exchange): --force said the old
    content was kept in second.conf.bak, which held the version before the save. Now the exchange is undone, every
    file stays as it is (first.conf too, exchanged before it) and nothing of the run is left."""
    exchange = output._renameat2

    def renameat2(fd: int, source: str, destination: str, *, flags: int = output._RENAME_NOREPLACE) -> bool:
        if destination == "second.conf" and flags == output._RENAME_EXCHANGE:
            edit(out / "second.conf")
        return exchange(fd, source, destination, flags=flags)

    monkeypatch.setattr(output, "_renameat2", renameat2)
    file = accounts_file(out.parent, "first", "second", "third")
    (out / "first.conf").write_bytes(b"my edit of first\n")
    (out / "second.conf").write_bytes(b"my edit of second\n")
    saved = b"theirs\n" if edit is replaced_by_another_program else b"my edit of second\ntheirs\n"
    assert run("-t", "fake", "-o", str(out), how, file) == 2
    assert capsys.readouterr() == (
        "",
        f"mailconf: refusing to replace {out.resolve()}/second.conf: another program changed it while mailconf was "
        "writing; nothing written, run again\n",
    )
    assert (out / "first.conf").read_bytes() == b"my edit of first\n"
    assert (out / "second.conf").read_bytes() == saved
    assert listing(out) == ["first.conf", "second.conf"]  # no temporary, no .bak, not third.conf


def test_without_rename_exchange_a_file_another_program_changed_is_looked_at_and_never_replaced(
    out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # No RENAME_EXCHANGE (faked unsupported, as on vfat): each file is looked at just before rename() replaces it.
    # first.conf is replaced for good; second.conf, saved by an editor since it was compared, is not, and said
    exchange = output._renameat2

    def no_exchange(fd: int, source: str, destination: str, *, flags: int = output._RENAME_NOREPLACE) -> bool:
        if flags == output._RENAME_EXCHANGE:
            if destination == "second.conf":
                replaced_by_another_program(out / "second.conf")
            return False
        return exchange(fd, source, destination, flags=flags)

    monkeypatch.setattr(output, "_renameat2", no_exchange)
    file = accounts_file(out.parent, "first", "second")
    (out / "first.conf").write_bytes(b"my edit of first\n")
    (out / "second.conf").write_bytes(b"my edit of second\n")
    assert run("-t", "fake", "-o", str(out), "--update", file) == 2
    base = out.resolve()
    assert capsys.readouterr() == (
        "",
        f"mailconf: refusing to replace {base}/second.conf: another program changed it while mailconf was writing "
        f"({base}/first.conf replaced already)\n",
    )
    assert (out / "first.conf").read_bytes() == b"account first\nhost imap.example.org\n"
    assert (out / "second.conf").read_bytes() == b"theirs\n"
    assert listing(out) == ["first.conf", "second.conf"]


APPEND_ONLY = (
    "the folder is append-only (chattr +a), where mailconf could not remove its temporary files; nothing written"
)


@pytest.mark.parametrize("how", [[], ["--update"], ["--force"]])
def test_an_append_only_folder_is_refused_before_anything_is_written(
    how: list[str], out: Path, chattr: Callable[[str, Path], None], capsys: pytest.CaptureFixture[str]
) -> None:
    # Files can be created there but never removed or renamed: a render exited 0 leaving each temporary beside its
    # file, and a failed one (a stale file it could not replace) kept the files it had created
    file = accounts_file(out.parent, "first", "second")
    if how:  # a stale file to replace (without --update or --force, the refusal to replace it comes first)
        (out / "first.conf").write_bytes(b"my edit of first\n")
    chattr("+a", out)
    assert run("-t", "fake", "-o", str(out), *how, file) == 2
    assert capsys.readouterr() == ("", f"mailconf: cannot write {out.resolve()}: {APPEND_ONLY}\n")
    assert listing(out) == (["first.conf"] if how else [])
    if how:
        assert (out / "first.conf").read_bytes() == b"my edit of first\n"


def test_an_append_only_folder_that_only_holds_the_folder_written_into_is_no_refusal(
    out: Path, chattr: Callable[[str, Path], None], capsys: pytest.CaptureFixture[str]
) -> None:
    # nothing is created in out itself: the files go into out/sub, an ordinary folder
    (out / "sub").mkdir()
    chattr("+a", out)
    assert run("-t", "fake", "--option", "dir=sub/", "-o", str(out), accounts_file(out.parent, "work")) == 0
    assert capsys.readouterr() == ("", "")
    assert listing(out) == ["sub", "sub/work.conf"]
    assert (out / "sub" / "work.conf").read_bytes() == WORK


def test_an_append_only_folder_gets_no_staging_folder_from_workers(
    tmp_path: Path, out: Path, chattr: Callable[[str, Path], None]
) -> None:
    # --jobs makes the new target folders' staging folders before write_all looks: they could not be removed again
    file = tmp_path / "accounts.yaml"
    file.write_text(CLEAN)
    (out / "mutt").mkdir()
    chattr("+a", out / "mutt")
    done = subprocess.run(
        [sys.executable, "-m", "mailconf", "render", "-t", "mutt", "-t", "msmtp", "-j", "2", str(file), "-o", str(out)],
        capture_output=True, text=True, timeout=60, env=os.environ | {"PYTHONPATH": str(ROOT)}, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"mailconf: cannot write {out.resolve()}/mutt: {APPEND_ONLY}\n"
    assert listing(out) == ["mutt"]


def test_a_file_that_is_a_mount_point_changes_no_file(
    tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # rename() over a mount point is EBUSY: the same as an immutable file, after the first was replaced
    file = accounts_file(tmp_path, "first", "second")
    (out / "first.conf").write_bytes(b"my edit of first\n")
    (out / "second.conf").write_bytes(b"my edit of second\n")
    (tmp_path / "mounted").write_bytes(b"bound\n")
    bind = ["mount", "--bind", str(tmp_path / "mounted"), str(out / "second.conf")]
    if subprocess.run(bind, capture_output=True, check=False).returncode:
        pytest.skip("mount --bind needs root")
    try:
        assert run("-t", "fake", "-o", str(out), "--update", file) == 2
        assert (out / "second.conf").read_bytes() == b"bound\n"
    finally:
        subprocess.run(["umount", str(out / "second.conf")], check=True)
    assert capsys.readouterr() == ("", f"mailconf: cannot write {out.resolve()}/second.conf: Device or resource busy\n")
    assert (out / "first.conf").read_bytes() == b"my edit of first\n"
    assert (out / "second.conf").read_bytes() == b"my edit of second\n"
    assert listing(out) == ["first.conf", "second.conf"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--check"], "--update replaces stale files itself: use it without --check and --force"),
        (["--force"], "--update replaces stale files itself: use it without --check and --force"),
        ([], "--update rewrites files on disk: name the directory with -o DIR"),
    ],
)
def test_update_usage_errors(
    extra: list[str], message: str, tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    o = ["-o", str(out)] if extra else []
    assert run("-t", "fake", *o, "--update", *extra, accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr() == ("", f"mailconf: {message}\n")
    assert listing(out) == []


def test_check_with_force_is_a_usage_error(tmp_path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the synopsis offers them as alternatives: --force was accepted and ignored
    assert run("-t", "fake", "-o", str(out), "--check", "--force", accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr() == ("", "mailconf: --check writes nothing: use it without --force\n")
    assert listing(out) == []


# --- issue 8 (7): every file gets exactly its mode, with as few system calls as that takes ----------------------

#: A render in a process that logs each fchmod (Python's audit event os.chmod with a descriptor), from any process:
#: the workers of --jobs are forked with the hook. The log is appended to, one line per call.
_FCHMODS = (
    "import os, sys\n"
    "log = sys.argv.pop(1)\n"
    "def hook(event, args):\n"
    "    if event == 'os.chmod' and isinstance(args[0], int):\n"
    "        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)\n"
    "        os.write(fd, b'%o\\n' % args[1])\n"
    "        os.close(fd)\n"
    "sys.addaudithook(hook)\n"
    "from mailconf.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def _accounts(count: int) -> str:
    """``count`` accounts; every third names a CA file (Thunderbird's import-ca.sh, mode 0700)."""
    lines = ["version: 1", "accounts:"]
    for i in range(count):
        ca = ", tls: {ca_file: /etc/ssl/certs/company-ca.pem}" if i % 3 == 0 else ""
        lines += [
            f"  user{i}:",
            f"    address: user{i}@mail{i % 4}.example.org",
            f"    incoming: {{protocol: imap, host: imap.example.org, password_command: pass mail{i}{ca}}}",
            f"    outgoing: {{host: smtp.example.org, password_command: pass mail{i}}}",
        ]
    return "\n".join(lines) + "\n"


def _documented_modes(file: Path) -> dict[str, int]:
    """Every file ``render -t all`` writes (``TARGET/NAME``) with the mode its target gives it."""
    from mailconf import render
    from mailconf.document import load_document
    from mailconf.targets import TARGETS

    model = load_document(str(file)).model
    return {
        f"{name}/{rendered.name}": rendered.mode
        for name in sorted(TARGETS)
        if name != "fake"
        for rendered in render.render_model(TARGETS[name], model, {}).files
    }


def _render_all_logging_fchmods(
    tmp_path: Path, out: Path, accounts: int, jobs: str, umask: int
) -> tuple[dict[str, int], list[int]]:
    """``render -t all`` in a process with ``umask``: the documented modes, and the mode of each fchmod it made."""
    file = tmp_path / "accounts.yaml"
    file.write_text(_accounts(accounts))
    log = tmp_path / "fchmods"
    done = subprocess.run(
        [sys.executable, "-c", _FCHMODS, str(log), "render", "-t", "all", "-j", jobs, "-o", str(out), str(file)],
        capture_output=True, text=True, timeout=120, env=os.environ | {"PYTHONPATH": str(ROOT)}, umask=umask,
        check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    logged = [int(line, 8) for line in log.read_text().split()] if log.exists() else []
    return _documented_modes(file), logged


def _modes(out: Path) -> tuple[dict[str, int], set[int]]:
    """The modes of the files under ``out`` (by name relative to it), and the set of its folders' modes."""
    files = {p.relative_to(out).as_posix(): mode(p) for p in out.rglob("*") if not p.is_dir()}
    return files, {mode(p) for p in out.rglob("*") if p.is_dir()}


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o027], ids=lambda u: f"umask{u:03o}")
@pytest.mark.parametrize(
    ("accounts", "jobs"), [(3, "1"), (60, "1"), (60, "2")], ids=["temporaries", "staged", "workers"]
)
def test_every_file_gets_exactly_its_mode_and_an_fchmod_only_where_the_umask_narrows_it(
    tmp_path: Path, umask: int, accounts: int, jobs: str
) -> None:
    # Created with its own mode, a file the umask leaves whole (0600, 0644 and 0700 under 022) needs no fchmod: 51,007
    # fewer system calls for -t all of 10,000 accounts. One the umask narrows (0644 under 077 or 027) gets one, as
    # every file did before. Each way of writing: temporaries beside their names (fewer than 256 files), a new
    # folder staged whole, and the folders the workers of --jobs write.
    out = tmp_path / "out"
    documented, fchmods = _render_all_logging_fchmods(tmp_path, out, accounts, jobs, umask)
    assert {0o600, 0o644, 0o700} == set(documented.values())  # each mode is here
    files, folders = _modes(out)
    assert files == documented
    assert folders == {0o700}
    assert sorted(fchmods) == sorted(m for m in documented.values() if m & umask)


def test_a_folder_whose_default_acl_narrows_a_mode_still_gets_it_exactly(tmp_path: Path) -> None:
    # A default ACL on the folder replaces the umask: with other::--- a 0644 file is created 0640. So whether a file
    # needs its fchmod is found on the file (fstat of the first of each mode in each folder), not from the umask
    out = tmp_path / "out"
    out.mkdir()
    entries = ((0x01, 0o7), (0x04, 0o5), (0x20, 0o0))  # user::rwx group::r-x other::--- (ACL_UNDEFINED_ID each)
    acl = (2).to_bytes(4, "little") + b"".join(
        tag.to_bytes(2, "little") + perm.to_bytes(2, "little") + (0xFFFFFFFF).to_bytes(4, "little")
        for tag, perm in entries
    )
    try:
        os.setxattr(out, "system.posix_acl_default", acl)
    except (OSError, AttributeError) as exc:
        pytest.skip(f"no POSIX default ACL here: {exc}")
    documented, fchmods = _render_all_logging_fchmods(tmp_path, out, 60, "1", 0o022)
    files, folders = _modes(out)
    assert files == documented
    assert folders == {0o700}
    assert sorted(fchmods) == sorted(m for m in documented.values() if m & 0o007)  # the ACL takes other's bits


# --- issue 8 (7): durability -----------------------------------------------------------------------------------


def test_many_files_are_made_durable_by_two_syncfs_not_one_fsync_each(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not output._syncfs_available():
        pytest.skip("no syncfs in this libc (not Linux): per-file fsync is used")
    real_syncfs = output._syncfs
    calls: list[int] = []
    fsyncs: list[int] = []
    assert real_syncfs is not None

    def syncfs(fd: int) -> int:
        calls.append(os.fstat(fd).st_ino)
        return real_syncfs(fd)

    monkeypatch.setattr(output, "_syncfs", syncfs)
    monkeypatch.setattr(os, "fsync", fsyncs.append)
    names = [f"a{i:03}" for i in range(output._SYNCFS_FROM)]
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, *names)) == 0
    assert calls == [out.stat().st_ino] * 2  # before the moves and after them
    assert fsyncs == []
    assert listing(out) == sorted(f"{n}.conf" for n in names)

    calls.clear()
    assert run("-t", "fake", "-o", str(tmp_path / "few"), accounts_file(tmp_path, *names[:3])) == 0
    assert calls == []
    assert len(fsyncs) == 4  # three files and their folder


def test_a_failing_syncfs_changes_no_file(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if not output._syncfs_available():
        pytest.skip("no syncfs in this libc (not Linux): per-file fsync is used")

    def failing(fd: int) -> int:  # what the kernel answers when writeback failed
        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(output, "_syncfs", failing)
    names = [f"a{i:03}" for i in range(output._SYNCFS_FROM)]
    (out / "a000.conf").write_bytes(b"old\n")
    assert run("-t", "fake", "-o", str(out), "--update", accounts_file(tmp_path, *names)) == 2
    assert capsys.readouterr().err == f"mailconf: cannot write {out.resolve()}: Input/output error\n"
    assert listing(out) == ["a000.conf"]
    assert (out / "a000.conf").read_bytes() == b"old\n"


@pytest.mark.slow
@pytest.mark.parametrize("target", ["mutt", "getmail"])  # files in -o itself; in a new folder -o/getmail (staged)
def test_a_killed_render_never_leaves_a_partial_file_under_its_final_name(tmp_path: Path, target: str) -> None:
    """SIGKILL at several moments of a 2,000-file render: each final name holds the whole file or is absent.
    (Only a power cut could test the syncfs; the kill tests what a crash of mailconf itself leaves.)"""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from _common import accounts_file as many_accounts
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    (tmp_path / "accounts.yaml").write_text(many_accounts(2000))
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "mailconf", "render", "-t", target, "accounts.yaml", "-o"]
    subprocess.run([*argv, "reference"], cwd=tmp_path, env=env, check=True, capture_output=True)
    reference = {p.relative_to(tmp_path / "reference").as_posix(): p.read_bytes()
                 for p in (tmp_path / "reference").rglob("*") if p.is_file()}  # fmt: skip
    assert len(reference) == 2000
    for attempt, delay in enumerate((0.5, 0.8, 1.1, 1.4, 1.7, 2.0)):
        out = tmp_path / f"killed{attempt}"
        proc = subprocess.Popen([*argv, out.name], cwd=tmp_path, env=env, stderr=subprocess.DEVNULL)
        time.sleep(delay)  # not a measure: only spreads the kill over the run
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for path in out.iterdir() if out.exists() else ():
            if path.name.endswith(".tmp"):
                assert path.name.startswith("."), path  # a killed run may leave a hidden temporary or staging folder
                continue
            for file in [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]:
                assert file.read_bytes() == reference[file.relative_to(out).as_posix()], file
            if path.is_dir():  # a folder under its final name is there whole
                assert len([p for p in path.rglob("*") if p.is_file()]) == 2000, path


# --- issue 8 (7): a new folder is written whole, then renamed into place --------------------------------------

NEW = [RenderedFile(f"new/sub/f{i:03}.conf", f"file {i}\n".encode(), 0o640) for i in range(output._SYNCFS_FROM)]
OLD = [RenderedFile("old/kept.conf", b"kept\n")]


def staged_write(out: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """write_all of NEW (a folder that does not exist) and OLD (one that does): the link() and renameat2() calls."""
    if not output._syncfs_available():
        pytest.skip("no syncfs in this libc (not Linux): every file is written as a temporary")
    links: list[str] = []
    renames: list[str] = []
    real_link, real_rename = os.link, output._renameat2

    def link(source: str, destination: str, **kwargs: object) -> None:
        links.append(destination)
        real_link(source, destination, **kwargs)  # type: ignore[arg-type]

    def renameat2(fd: int, source: str, destination: str) -> bool:
        renames.append(f"{source} -> {destination}")
        return real_rename(fd, source, destination)

    monkeypatch.setattr(os, "link", link)
    monkeypatch.setattr(output, "_renameat2", renameat2)
    (out / "old").mkdir()
    output.write_all([*NEW, *OLD], out)
    return links, renames


def test_a_new_folder_is_staged_whole_and_renamed_into_place_once(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    links, renames = staged_write(out, monkeypatch)
    assert renames == [f".new.mailconf-{os.getpid()}.tmp -> new"]
    assert links == ["kept.conf"]  # only the file in the folder that existed went through a temporary
    assert listing(out) == ["new", "new/sub", *(f"new/sub/f{i:03}.conf" for i in range(len(NEW))), "old",
                            "old/kept.conf"]  # fmt: skip
    assert (out / "new/sub/f007.conf").read_bytes() == b"file 7\n"
    assert {mode(p) for p in (out / "new/sub").iterdir()} == {0o640}
    assert mode(out / "new") == mode(out / "new/sub") == 0o700  # as a folder made in place would be


@pytest.mark.parametrize("theirs", ["folder with a file", "empty folder", "file", "link outside"])
@pytest.mark.parametrize("noreplace", [True, False], ids=["renameat2", "rename"])
def test_a_folder_created_meanwhile_by_another_program_is_never_replaced(  # noqa: PLR0917
    tmp_path: Path, out: Path, outside: Path, monkeypatch: pytest.MonkeyPatch, theirs: str, noreplace: bool
) -> None:
    """Another program makes DIR/new after the check: the staged folder is not renamed over it, and everything
    this run wrote (the staging folder, the file of the folder that existed) is removed again."""
    if not output._syncfs_available():
        pytest.skip("no syncfs in this libc (not Linux): every file is written as a temporary")
    real = output._write_temporaries

    def then_another_program_writes(*args: object, **kwargs: object) -> list[output._Temporary]:
        written = real(*args, **kwargs)  # type: ignore[arg-type]
        if theirs == "file":
            (out / "new").write_bytes(b"theirs\n")
        elif theirs == "link outside":
            (out / "new").symlink_to(outside.parent)
        else:
            (out / "new").mkdir()
            if theirs == "folder with a file":
                (out / "new/theirs").write_bytes(b"theirs\n")
        return written

    monkeypatch.setattr(output, "_write_temporaries", then_another_program_writes)
    if not noreplace:  # a kernel or file system without RENAME_NOREPLACE
        monkeypatch.setattr(output, "_renameat2", lambda fd, source, destination: False)
    (out / "old").mkdir()
    with pytest.raises(OutputError) as refused:
        output.write_all([*NEW, *OLD], out)
    assert str(refused.value) == (
        f"refusing to replace {out.resolve()}/new: another program created it while mailconf was writing; "
        "nothing written, run again"
    )
    expected = {"folder with a file": ["new", "new/theirs"], "empty folder": ["new"], "file": ["new"],
                "link outside": ["new"]}[theirs]  # fmt: skip
    assert listing(out) == [*expected, "old"]
    assert_untouched(outside)


def test_a_failed_write_removes_the_staging_folder(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not output._syncfs_available():
        pytest.skip("no syncfs in this libc (not Linux): every file is written as a temporary")
    real, written = output._write_fully, [0]

    def full_disk_at_the_100th(fd: int, content: bytes) -> None:
        written[0] += 1
        if written[0] == 100:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd, content)

    monkeypatch.setattr(output, "_write_fully", full_disk_at_the_100th)
    with pytest.raises(OutputError) as failed:
        output.write_all(NEW, out)
    assert str(failed.value) == f"cannot write {out.resolve()}/new/sub/f099.conf: No space left on device"
    assert listing(out) == []


def test_a_failing_syncfs_removes_the_staging_folder(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not output._syncfs_available():
        pytest.skip("no syncfs in this libc (not Linux): every file is written as a temporary")

    def failing(fd: int) -> int:
        ctypes.set_errno(errno.EIO)
        return -1

    monkeypatch.setattr(output, "_syncfs", failing)
    with pytest.raises(OutputError, match=r"^cannot write .*: Input/output error$"):
        output.write_all(NEW, out)
    assert listing(out) == []


def test_a_planted_staging_folder_is_neither_used_nor_touched(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder with the staging name (left by a killed run, or planted): another name is taken; it stays as it is."""
    planted = out / f".new.mailconf-{os.getpid()}.tmp"
    (planted / "sub").mkdir(parents=True)
    (planted / "sub/f000.conf").write_bytes(b"planted\n")
    _links, renames = staged_write(out, monkeypatch)
    assert len(renames) == 1
    assert renames[0].startswith(".new.mailconf-") and not renames[0].startswith(planted.name)
    assert (planted / "sub/f000.conf").read_bytes() == b"planted\n"
    assert (out / "new/sub/f000.conf").read_bytes() == b"file 0\n"


# --- issue 8 (7): new target folders written by the process that renders them (render --jobs) -----------------

MUTT = [RenderedFile(f"sub/f{i}.conf", f"mutt {i}\n".encode(), 0o640) for i in range(3)]
MSMTP = [RenderedFile("msmtprc", b"msmtp\n")]
WRITTEN = ["mutt/sub/f0.conf", "mutt/sub/f1.conf", "mutt/sub/f2.conf", "msmtp/msmtprc"]


def needs_syncfs() -> None:
    if not output._syncfs_available():
        pytest.skip("no syncfs in this libc (not Linux): NewFolders writes nothing, write_all writes every file")


def prepared(new: output.NewFolders) -> None:
    """What render does: staging folders before the fork, then each target written by its renderer."""
    new.prepare(["mutt", "msmtp", "aerc", "old"])
    assert new.write("mutt", MUTT) is True
    assert new.write("msmtp", MSMTP) is True
    assert new.write("aerc", []) is False  # a target with no file: its folder is never made


def test_new_folders_are_written_by_their_renderer_and_renamed_into_place(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_syncfs()
    renames: list[str] = []
    real = output._renameat2

    def renameat2(fd: int, source: str, destination: str) -> bool:
        renames.append(f"{source} -> {destination}")
        return real(fd, source, destination)

    monkeypatch.setattr(output, "_renameat2", renameat2)
    (out / "old").mkdir()
    with output.NewFolders(out) as new:
        prepared(new)
        pid = os.getpid()
        assert listing(out) == [f".aerc.mailconf-{pid}.tmp", f".msmtp.mailconf-{pid}.tmp",
                                f".msmtp.mailconf-{pid}.tmp/msmtprc", f".mutt.mailconf-{pid}.tmp",
                                f".mutt.mailconf-{pid}.tmp/sub", *(f".mutt.mailconf-{pid}.tmp/sub/f{i}.conf"
                                                                   for i in range(3)), "old"]  # fmt: skip
        changed = output.write_all(OLD, out, new=new, written=WRITTEN)
    assert renames == [f".mutt.mailconf-{pid}.tmp -> mutt", f".msmtp.mailconf-{pid}.tmp -> msmtp"]
    base = out.resolve()
    assert changed == output.Changed((f"{base}/old/kept.conf", *(f"{base}/{name}" for name in WRITTEN)), ())
    assert listing(out) == ["msmtp", "msmtp/msmtprc", "mutt", "mutt/sub", "mutt/sub/f0.conf", "mutt/sub/f1.conf",
                            "mutt/sub/f2.conf", "old", "old/kept.conf"]  # fmt: skip
    assert (out / "mutt/sub/f2.conf").read_bytes() == b"mutt 2\n"
    assert (mode(out / "mutt/sub/f2.conf"), mode(out / "msmtp/msmtprc"), mode(out / "mutt/sub")) == (
        0o640,
        0o600,
        0o700,
    )


def test_done_starts_the_disk_early_and_write_all_still_syncs_before_renaming(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # done() (the workers have ended) starts a syncfs in a thread, so that the disk works while the results are
    # gathered; write_all's own syncfs, before any rename, is what makes the files durable: it must still come
    needs_syncfs()
    import threading

    events: list[str] = []
    real_syncfs, real_rename = output._syncfs, output._renameat2
    assert real_syncfs is not None

    def syncfs(fd: int) -> int:
        events.append(f"syncfs in {threading.current_thread().name}")
        return real_syncfs(fd)

    def renameat2(fd: int, source: str, destination: str) -> bool:
        events.append(f"rename {destination}")
        return real_rename(fd, source, destination)

    monkeypatch.setattr(output, "_syncfs", syncfs)
    monkeypatch.setattr(output, "_renameat2", renameat2)
    with output.NewFolders(out) as new:
        prepared(new)
        new.done()
        new.done()  # once is enough: no second thread
        output.write_all([], out, new=new, written=WRITTEN)
    early = "syncfs in mailconf-syncfs"  # when, against write_all's steps, is the thread's business
    assert events.count(early) == 1
    assert [e for e in events if e != early] == [
        "syncfs in MainThread", "rename mutt", "rename msmtp", "syncfs in MainThread"
    ]  # fmt: skip
    assert [t.name for t in threading.enumerate() if t.name == "mailconf-syncfs"] == []  # joined on leaving


@pytest.mark.parametrize("other_thread", [False, True], ids=["alone", "beside another thread"])
def test_a_signal_as_the_early_syncfs_starts_still_has_its_thread_joined(
    out: Path, monkeypatch: pytest.MonkeyPatch, other_thread: bool
) -> None:
    """done() starts its thread with Ctrl-C held off; one that came meanwhile is acted on as that block is left.
    The thread must be known by then, or leaving the render's block does not wait for it (no thread outlives
    it: a later render in this process may fork). It was recorded only after the block. Beside another thread
    that does not block the signal (a program calling render; pytest, after a test that left one), the system
    hands the signal to that thread and Python acts on it in this one at once, inside the block: the thread
    was recorded only after it had started (a CI run failed so)."""
    needs_syncfs()
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="another")  # it blocks no signal
    if other_thread:
        other.start()
    joined: list[str] = []
    start, join = threading.Thread.start, threading.Thread.join

    def start_then_signal(self: threading.Thread) -> None:
        start(self)
        if self.name == "mailconf-syncfs":
            os.kill(os.getpid(), signal.SIGINT)  # held off: acted on as done()'s block is left
            if other_thread:  # taken by the other thread, then acted on here within moments: here, not later
                time.sleep(5)

    def recorded_join(self: threading.Thread, timeout: float | None = None) -> None:
        joined.append(self.name)
        join(self, timeout)

    monkeypatch.setattr(threading.Thread, "start", start_then_signal)
    monkeypatch.setattr(threading.Thread, "join", recorded_join)
    try:
        with pytest.raises(KeyboardInterrupt), output.NewFolders(out) as new:
            prepared(new)
            new.done()
    finally:
        stop.set()
        if other_thread:
            other.join()
    assert "mailconf-syncfs" in joined
    assert listing(out) == []


def test_done_with_nothing_staged_starts_nothing(out: Path) -> None:
    import threading

    with output.NewFolders(out) as new:
        new.done()  # prepare() never ran: no staging folder, nothing to start the disk on
        assert [t.name for t in threading.enumerate() if t.name == "mailconf-syncfs"] == []


@pytest.mark.parametrize("how", ["an error", "Ctrl-C"])
def test_leaving_before_write_all_removes_every_staging_folder_and_the_dir_it_made(tmp_path: Path, how: str) -> None:
    needs_syncfs()
    deep = tmp_path / "made" / "by" / "render"
    error = OutputError("refused") if how == "an error" else KeyboardInterrupt()
    with pytest.raises(type(error)), output.NewFolders(deep) as new:
        prepared(new)
        assert deep.is_dir()
        raise error
    assert listing(tmp_path) == []


def test_leaving_before_write_all_keeps_a_dir_that_was_there(out: Path) -> None:
    needs_syncfs()
    (out / "theirs").write_bytes(b"theirs\n")
    with pytest.raises(OutputError), output.NewFolders(out) as new:
        prepared(new)
        raise OutputError("refused")
    assert listing(out) == ["theirs"]


def test_a_write_error_in_a_new_folder_goes_to_write_all_and_leaves_nothing(
    out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs_syncfs()
    real, written = output._write_fully, [0]

    def full_disk_from_the_second(fd: int, content: bytes) -> None:
        written[0] += 1
        if written[0] >= 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd, content)

    monkeypatch.setattr(output, "_write_fully", full_disk_from_the_second)
    with pytest.raises(OutputError) as failed, output.NewFolders(out) as new:
        new.prepare(["mutt"])
        # no error while the targets render: what was written is removed, the files go to write_all, which
        # fails after the warnings and --strict, as without workers (its own staging folder: another name)
        assert new.write("mutt", MUTT) is False
        assert listing(out) == [f".mutt.mailconf-{os.getpid()}.tmp"]
        output.write_all([f._replace(name=f"mutt/{f.name}") for f in MUTT], out, new=new)
    assert str(failed.value) == f"cannot write {out.resolve()}/mutt/sub/f0.conf: No space left on device"
    assert listing(out) == []


@pytest.mark.parametrize(
    ("theirs", "code"), [("the same file", 0), ("an empty folder", 0), ("another file", 2)], ids=str
)
def test_a_new_folder_another_program_made_before_the_lock_is_written_into_like_any(
    out: Path, theirs: str, code: int
) -> None:
    """Made after prepare() but before write_all's lock (another render that held it): the files are read back
    from the staging folder and written like any file (compared first, refused when different), as before."""
    needs_syncfs()
    with output.NewFolders(out) as new:
        prepared(new)
        (out / "mutt").mkdir()
        if theirs != "an empty folder":
            (out / "mutt/sub").mkdir()
            (out / "mutt/sub/f1.conf").write_bytes(b"mutt 1\n" if theirs == "the same file" else b"theirs\n")
        try:
            output.write_all([], out, new=new, written=WRITTEN)
        except output.Differs as exc:  # worded by the command (commands/outputs.py), which knows --check
            assert (code, exc.paths) == (2, (f"{out.resolve()}/mutt/sub/f1.conf",))
        else:
            assert code == 0
    if code:
        assert listing(out) == ["mutt", "mutt/sub", "mutt/sub/f1.conf"]
        assert (out / "mutt/sub/f1.conf").read_bytes() == b"theirs\n"
        return
    assert listing(out) == ["msmtp", "msmtp/msmtprc", "mutt", "mutt/sub", "mutt/sub/f0.conf", "mutt/sub/f1.conf",
                            "mutt/sub/f2.conf"]  # fmt: skip
    assert [(out / f"mutt/sub/f{i}.conf").read_bytes() for i in range(3)] == [b"mutt 0\n", b"mutt 1\n", b"mutt 2\n"]
    assert mode(out / "mutt/sub/f2.conf") == 0o640


@pytest.mark.parametrize("noreplace", [True, False], ids=["renameat2", "rename"])
def test_a_new_folder_another_program_made_under_the_lock_is_never_replaced(
    out: Path, monkeypatch: pytest.MonkeyPatch, noreplace: bool
) -> None:
    """A program that takes no lock makes DIR/msmtp after the check: mutt/, already renamed into place, goes back
    under its hidden name and is removed; nothing of this run is left, theirs is untouched."""
    needs_syncfs()
    real = output._sync_file_systems

    def then_another_program_writes(*args: object) -> None:
        real(*args)  # type: ignore[arg-type]
        if not (out / "msmtp").exists():
            (out / "msmtp").mkdir()
            (out / "msmtp/theirs").write_bytes(b"theirs\n")

    monkeypatch.setattr(output, "_sync_file_systems", then_another_program_writes)
    if not noreplace:
        monkeypatch.setattr(output, "_renameat2", lambda fd, source, destination: False)
    with pytest.raises(OutputError) as refused, output.NewFolders(out) as new:
        prepared(new)
        output.write_all([], out, new=new, written=WRITTEN)
    assert str(refused.value) == (
        f"refusing to replace {out.resolve()}/msmtp: another program created it while mailconf was writing; "
        "nothing written, run again"
    )
    assert listing(out) == ["msmtp", "msmtp/theirs"]


@pytest.mark.parametrize("by", ["NewFolders", "write_all"])
def test_a_new_folder_taken_back_keeps_a_file_another_program_put_in_place_of_one_of_its_own(
    out: Path, monkeypatch: pytest.MonkeyPatch, by: str
) -> None:
    """mutt/ (written by NewFolders, or staged by write_all itself) is renamed into place; then another program
    replaces mutt/sub/f1.conf (renamed over it) and creates msmtp/, which mailconf refuses to replace: mutt/ is
    taken back, but only the files still its own (f1.conf was removed by name): theirs stays, byte for byte,
    with the folders that hold it. (The other program is simulated right before msmtp/ is renamed into place.)"""
    needs_syncfs()
    real = output._rename_new_folder

    def rename_new_folder(out_: output._Output, name: str, top: str) -> None:
        if top == "msmtp":
            replaced_by_another_program(out / "mutt/sub/f1.conf")
            (out / "msmtp").mkdir()
            (out / "msmtp/theirs").write_bytes(b"theirs\n")
        real(out_, name, top)

    monkeypatch.setattr(output, "_rename_new_folder", rename_new_folder)
    with pytest.raises(OutputError) as refused, output.NewFolders(out) as new:
        if by == "NewFolders":
            prepared(new)
            output.write_all([], out, new=new, written=WRITTEN)
        else:  # enough files for write_all to stage mutt/ and msmtp/ itself
            many = [RenderedFile(f"mutt/sub/f{i}.conf", f"mutt {i}\n".encode()) for i in range(output._SYNCFS_FROM)]
            output.write_all([*many, RenderedFile("msmtp/msmtprc", b"msmtp\n")], out)
    assert str(refused.value) == (
        f"refusing to replace {out.resolve()}/msmtp: another program created it while mailconf was writing; "
        "nothing written, run again"
    )
    assert listing(out) == ["msmtp", "msmtp/theirs", "mutt", "mutt/sub", "mutt/sub/f1.conf"]
    assert (out / "mutt/sub/f1.conf").read_bytes() == b"theirs\n"


def test_without_syncfs_every_file_goes_through_write_all(out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(output, "_syncfs_available", lambda: False)
    with output.NewFolders(out) as new:
        new.prepare(["mutt"])
        assert new.write("mutt", MUTT) is False
        assert listing(out) == []
        output.write_all([f._replace(name=f"mutt/{f.name}") for f in MUTT], out, new=new)
    assert listing(out) == ["mutt", "mutt/sub", "mutt/sub/f0.conf", "mutt/sub/f1.conf", "mutt/sub/f2.conf"]


def test_a_dir_that_cannot_be_prepared_is_left_for_write_all_to_refuse(tmp_path: Path) -> None:
    """-o is a file: prepare() stages nothing and makes nothing; write_all then refuses with the message it gives
    without workers, after the rendering (its warnings said first)."""
    needs_syncfs()
    target = tmp_path / "out"
    target.write_bytes(b"a file\n")
    with output.NewFolders(target) as new:
        new.prepare(["mutt"])
        assert new.staged == {}
        assert new.write("mutt", MUTT) is False
        with pytest.raises(OutputError) as refused:
            output.write_all([f._replace(name=f"mutt/{f.name}") for f in MUTT], target, new=new)
    assert str(refused.value) == f"{target.resolve()} is not a directory; -o names the directory to write into"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert target.read_bytes() == b"a file\n"


# --- a write that fails leaves no folder it created ------------------------------------------------------------

FEW = [RenderedFile("mutt/sub/f.conf", b"mutt\n"), RenderedFile("msmtp/msmtprc", b"msmtp\n", 0o640)]


def full_disk_at(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """The one fake here: writing the file named ``name`` (or its temporary) fails with ENOSPC."""
    from tests._parallel_driver import no_space_at

    monkeypatch.setattr(output, "_write_fully", no_space_at(name, output._write_fully))


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="the full disk is injected by file name (/proc)")
@pytest.mark.parametrize("dir_was_there", [False, True], ids=["new DIR and parents", "DIR there"])
def test_a_failed_write_removes_every_folder_it_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dir_was_there: bool
) -> None:
    """Below _SYNCFS_FROM files, new folders are made under their own names: a full disk (injected) removes them
    with the temporaries, and DIR with the parents write_all made; a folder that was there stays."""
    deep = tmp_path / "made" / "by" / "render"
    if dir_was_there:
        (deep / "mutt").mkdir(parents=True)
    full_disk_at(monkeypatch, "msmtprc")
    with pytest.raises(OutputError) as failed:
        output.write_all(FEW, deep)
    assert str(failed.value) == f"cannot write {deep}/msmtp/msmtprc: No space left on device"
    assert listing(tmp_path) == (["made", "made/by", "made/by/render", "made/by/render/mutt"] if dir_was_there else [])


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="the full disk is injected by file name (/proc)")
def test_a_failed_write_leaves_a_folder_it_created_that_another_program_wrote_into(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = output._write_temporaries

    def then_another_program_writes(*args: object, **kwargs: object) -> list[output._Temporary]:
        (tmp_path / "out/mutt/theirs").write_bytes(b"theirs\n")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(output, "_write_temporaries", then_another_program_writes)
    full_disk_at(monkeypatch, "msmtprc")
    with pytest.raises(OutputError):
        output.write_all(FEW, tmp_path / "out")
    assert listing(tmp_path) == ["out", "out/mutt", "out/mutt/theirs"]


@pytest.mark.parametrize("how", ["removed by the render before", "moved away and made again"])
def test_a_render_waiting_for_a_dir_that_the_failed_render_before_it_removed_makes_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Two renders into a new DIR: the first made it, holds the lock, fails and removes it (or another program
    moves DIR away and makes a new one); the second, which opened DIR before and waited for the lock, writes
    where -o names once it has the lock (made again), never into the removed or moved folder."""
    import threading

    deep = tmp_path / "new"
    first = output._Output(deep)
    first.open_root(create=True)
    waiting = threading.Event()
    real = output._Output._lock

    def observed(self: output._Output, fd: int, *, exclusive: bool, deadline: float) -> None:
        if self is not first:
            waiting.set()
        real(self, fd, exclusive=exclusive, deadline=deadline)

    monkeypatch.setattr(output._Output, "_lock", observed)
    done: list[object] = []
    second = threading.Thread(target=lambda: done.append(output.write_all(FEW, deep)))
    try:
        with first.locked(exclusive=True):
            second.start()
            assert waiting.wait(30)  # a bound against a hang, never a measure
            if how == "removed by the render before":
                first.remove_made()  # what a failed write_all does
                assert not deep.exists()
            else:
                deep.rename(tmp_path / "moved")
                deep.mkdir()
    finally:
        first.close()
        second.join(30)
    assert done == [output.Changed((f"{deep}/mutt/sub/f.conf", f"{deep}/msmtp/msmtprc"), ())]
    assert listing(deep) == ["msmtp", "msmtp/msmtprc", "mutt", "mutt/sub", "mutt/sub/f.conf"]
    assert (mode(deep / "msmtp/msmtprc"), (deep / "mutt/sub/f.conf").read_bytes()) == (0o640, b"mutt\n")
    moved = ["moved"] if how == "moved away and made again" else []
    assert listing(tmp_path) == [*moved, "new", *(f"new/{name}" for name in listing(deep))]


def test_a_dir_replaced_on_every_attempt_is_refused_after_a_few(
    tmp_path: Path, out: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """-o is moved away and made again each time this render takes its lock (another program that keeps replacing
    it): opened again where -o names then a few times, never without end; then one line, exit 2, nothing written
    in any of the folders."""
    real = output._Output._lock
    moved: list[Path] = []

    def replaced(self: output._Output, fd: int, *, exclusive: bool, deadline: float) -> None:
        real(self, fd, exclusive=exclusive, deadline=deadline)
        if len(moved) < 50:  # a bound for this test only: without one in render, it would never stop
            moved.append(out.rename(tmp_path / f"moved{len(moved)}"))
            out.mkdir()

    monkeypatch.setattr(output._Output, "_lock", replaced)
    assert run("-t", "fake", "-o", str(out), accounts_file(tmp_path, "work")) == 2
    assert capsys.readouterr().err == (
        f"mailconf: {out}: moved away or removed 4 times while mailconf waited to write there; "
        "nothing written: run again once nothing else replaces it\n"
    )
    assert len(moved) == output.LOCK_ATTEMPTS == 4
    assert [listing(folder) for folder in (out, *moved)] == [[]] * 5


def test_files_written_before_the_dir_was_removed_are_said_lost(tmp_path: Path) -> None:
    """-o removed (with the staging folders) while the targets rendered: write_all opens -o again, as without
    workers, but the files written before are gone: said so, exit 2, nothing left."""
    needs_syncfs()
    out = tmp_path / "out"
    with pytest.raises(OutputError) as failed, output.NewFolders(out) as new:
        prepared(new)
        shutil.rmtree(out)
        output.write_all([], out, new=new, written=WRITTEN)
    assert str(failed.value) == (
        f"cannot write {out}/mutt/sub/f0.conf: {out}/.mutt.mailconf-{os.getpid()}.tmp was removed while mailconf "
        "was rendering; nothing written, run again"
    )
    assert listing(tmp_path) == []


@pytest.mark.parametrize("when", ["while rendering", "between the look and the rename"])
@pytest.mark.parametrize("theirs", ["link outside", "file"])
@pytest.mark.parametrize("noreplace", [True, False], ids=["renameat2", "rename"])
def test_a_staging_folder_replaced_while_rendering_is_never_renamed_into_place(  # noqa: PLR0917
    out: Path, outside: Path, monkeypatch: pytest.MonkeyPatch, when: str, theirs: str, noreplace: bool
) -> None:
    """Another program (the same user) puts a link to a folder outside, or a file, where mutt's staging folder was:
    it never becomes DIR/mutt (no link under a final name, no file said created that is not there); refused,
    and theirs is left as it is. "Between the look and the rename" is injected: the swap happens inside the
    rename call, before the real rename."""
    needs_syncfs()
    staging = out / f".mutt.mailconf-{os.getpid()}.tmp"

    def swap() -> None:
        shutil.rmtree(staging)
        if theirs == "file":
            staging.write_bytes(b"theirs\n")
        else:
            staging.symlink_to(outside.parent)

    real = output._renameat2

    def renameat2(fd: int, source: str, destination: str) -> bool:
        if source == staging.name and when != "while rendering":
            swap()
        return real(fd, source, destination) if noreplace else False

    monkeypatch.setattr(output, "_renameat2", renameat2)
    with pytest.raises(OutputError) as refused, output.NewFolders(out) as new:
        prepared(new)
        if when == "while rendering":
            swap()
        output.write_all([], out, new=new, written=WRITTEN)
    assert str(refused.value) == (
        f"refusing to write {out.resolve()}/mutt: {out.resolve()}/{staging.name} was replaced while mailconf was "
        "writing; nothing written, run again"
    )
    assert listing(out) == [staging.name]
    assert staging.is_symlink() if theirs != "file" else staging.read_bytes() == b"theirs\n"
    assert_untouched(outside)


def test_new_folders_of_a_dir_moved_away_while_waiting_for_the_lock_go_where_o_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """render --jobs: the targets are rendered into staging folders, then write_all waits for another render's
    lock, and meanwhile -o is moved away and made again: the files go to the new -o, read back from the
    staging folders in the moved one, which are removed (the moved folder is left empty)."""
    import threading

    needs_syncfs()
    out = tmp_path / "out"
    waiting = threading.Event()
    real = output._Output._lock
    done: list[object] = []
    with output.NewFolders(out) as new:
        prepared(new)
        other = output._Output(out)
        other.open_root(create=False)

        def observed(self: output._Output, fd: int, *, exclusive: bool, deadline: float) -> None:
            if self is not other:
                waiting.set()
            real(self, fd, exclusive=exclusive, deadline=deadline)

        monkeypatch.setattr(output._Output, "_lock", observed)
        writer = threading.Thread(target=lambda: done.append(output.write_all([], out, new=new, written=WRITTEN)))
        try:
            with other.locked(exclusive=True):
                writer.start()
                assert waiting.wait(30)  # a bound against a hang, never a measure
                out.rename(tmp_path / "moved")
                out.mkdir()
        finally:
            other.close()
            writer.join(30)
    assert done == [output.Changed(tuple(f"{out}/{name}" for name in WRITTEN), ())]
    assert listing(tmp_path) == ["moved", "out", "out/msmtp", "out/msmtp/msmtprc", "out/mutt", "out/mutt/sub",
                                 "out/mutt/sub/f0.conf", "out/mutt/sub/f1.conf", "out/mutt/sub/f2.conf"]  # fmt: skip
    assert (mode(out / "mutt/sub/f2.conf"), (out / "mutt/sub/f2.conf").read_bytes()) == (0o640, b"mutt 2\n")


def test_a_folder_path_that_cannot_be_resolved_is_one_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Path.resolve() raises OSError where os.getcwd() does (a current folder removed: the command layer says that
    first); _resolved() then read a name it had not set (UnboundLocalError, an internal error)."""

    def gone(_path: Path, strict: bool = False) -> Path:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(Path, "resolve", gone)
    with pytest.raises(OutputError) as refused:
        output.write_all([RenderedFile("a.conf", b"x\n")], Path("out"))
    assert str(refused.value) == "cannot write out: No such file or directory"
    assert list(tmp_path.iterdir()) == []
