"""A second Ctrl-C or SIGTERM, and the descriptors and threads of an interrupted render.

Each test runs ``mailconf render`` in a fresh interpreter (``python -m tests._parallel_driver``, the drivers of
tests/test_render_parallel.py): a real process, real signals, no other thread of pytest's beside the one that takes
them. The windows a signal lands in here are a few bytecodes wide, so a real Ctrl-C hits them only by chance: the
driver's hooks have the process send itself the signal right there (SIGNAL_CLEANUP: a second signal just before a
cleanup holds signals off), the one thing faked.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT
from tests.test_render_parallel import (
    INTERRUPTED,
    WAIT,
    _no_process_left,  # noqa: F401 - autouse: every driver's process group is ended with its test
    many_accounts,
    needs_fork,
    render,
)

SIGNALS = pytest.mark.parametrize(("name", "status", "message"), [("INT", 130, INTERRUPTED), ("TERM", 143, "")])


@pytest.fixture(scope="module")
def three_hundred(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 accounts: 301 files for mutt and msmtp, written through staging folders (write_all's syncfs path)."""
    path = tmp_path_factory.mktemp("many") / "accounts-300.yaml"
    path.write_text(many_accounts(300), encoding="utf-8")
    return path


def _interrupted(tmp_path: Path, accounts: Path, env: dict[str, str], status: int, message: str) -> None:
    """``render -t mutt -t msmtp -j 1 ACCOUNTS -o tmp_path/out`` ends by the signal, leaving nothing."""
    out = tmp_path / "out"
    code, stdout, stderr, _ = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", "1", str(accounts), "-o",
                                     str(out), env=env)  # fmt: skip
    warnings = stderr.removesuffix(message)  # the 300 accounts' POP3 leave_days gap, said before the write
    assert (code, stdout, stderr) == (status, "", warnings + message)  # a full disk is not said: the signal wins
    assert all(line.startswith("mailconf: warning: mutt: ") for line in warnings.splitlines())
    assert (sorted(str(p.relative_to(out)) for p in out.rglob("*")), out.exists()) == ([], False)  # names what is left


@SIGNALS
@pytest.mark.parametrize(
    ("many", "nth"),
    [(False, 1), (True, 2), (False, 3), (True, 3)],  # (with 300 accounts, the staging folders are removed whole)
    ids=["temporaries-removed", "staging-removed", "folders-removed", "folders-removed-staged"],
)
def test_a_second_signal_as_a_failed_write_is_undone_still_undoes_it(  # noqa: PLR0917
    tmp_path: Path, name: str, status: int, message: str, many: bool, nth: int, three_hundred: Path
) -> None:
    """.msmtprc does not fit (NO_SPACE) once mutt's files are written: write_all removes its temporaries (or with 300
    accounts its staging folders), then the folders it made, -o included, each in its ``except`` with signals held
    off. A Ctrl-C (or SIGTERM) that came as one of them began, before the hold (SIGNAL_CLEANUP: the Nth hold after
    the failure), skipped it: mutt's files were left under hidden names, or its staging folder, or -o."""
    accounts = three_hundred if many else EXAMPLES / "company.yaml"
    _interrupted(tmp_path, accounts, {"NO_SPACE": ".msmtprc", "SIGNAL_CLEANUP": f"{nth}:{name}"}, status, message)


@SIGNALS
@pytest.mark.parametrize(
    ("accounts", "first"),
    [
        ("company", "SIGNAL_LINKED=2"),  # a new file linked into place: the files created are removed again
        ("300", "SIGNAL_MKDIR=3"),  # the second staging folder made: the first is removed again
        ("300", "SIGNAL_SYNCFS=1"),  # the files made durable, before the moves: the staging folders are removed
    ],
    ids=["moving", "staging", "syncing"],
)
def test_a_second_signal_as_an_interrupted_write_is_undone_still_undoes_it(  # noqa: PLR0917
    tmp_path: Path, name: str, status: int, message: str, accounts: str, first: str, three_hundred: Path
) -> None:
    """A first Ctrl-C (or SIGTERM) while the files are moved into place, while the staging folders are made, or
    as the files are made durable; a second one as that step's cleanup begins, before it holds signals off
    (SIGNAL_CLEANUP=1): the cleanup still runs whole. It was skipped, leaving mutt/alice.muttrc under its final
    name, or the staging folders, and -o."""
    variable, _, nth = first.partition("=")
    env = {variable: f"{nth}:{name}", "SIGNAL_CLEANUP": f"1:{name}"}
    _interrupted(tmp_path, three_hundred if accounts == "300" else EXAMPLES / "company.yaml", env, status, message)


@SIGNALS
def test_a_signal_while_a_batch_is_fsynced_closes_no_descriptor_a_thread_still_fsyncs(
    tmp_path: Path, name: str, status: int, message: str
) -> None:
    """100 accounts: 101 files, fewer than write_all's syncfs threshold, so each batch of 64 open files is fsync'd
    in a few threads. A Ctrl-C (or SIGTERM) taken by the main thread as it waits for them (SIGNAL_FSYNCING: while
    one fsync runs) closed the batch's descriptors while that thread still fsynced one: a number closed is reused
    by the next open (the fsync of another file) or gives EBADF. They are closed once the threads are done."""
    ready, accounts = tmp_path / "ready", tmp_path / "accounts.yaml"
    accounts.write_text(many_accounts(100), encoding="utf-8")
    _interrupted(tmp_path, accounts, {"SIGNAL_FSYNCING": name, "MISBEHAVE_READY": str(ready)}, status, message)
    assert not ready.exists()  # no "closed FD while its fsync ran"


def _old_files(out: Path) -> dict[str, bytes]:
    """mutt/alice.muttrc and msmtp/.msmtprc with other content (--force replaces them, keeping a .bak)."""
    old = {"mutt/alice.muttrc": b"old\n", "msmtp/.msmtprc": b"old\n"}
    for name, content in old.items():
        for folder in (out, (out / name).parent):
            folder.mkdir(mode=0o700, exist_ok=True)  # as mailconf makes them
        (out / name).write_bytes(content)
    return old


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@SIGNALS
@pytest.mark.parametrize("first", ["SIGNAL_CREATED=1", "SIGNAL_LINKED=1"], ids=["writing", "moving"])
def test_force_interrupted_before_it_replaces_anything_leaves_no_bak(
    tmp_path: Path, name: str, status: int, message: str, first: str
) -> None:
    """--force keeps each file it replaces as NAME.bak, made before the temporaries are written. A Ctrl-C (or
    SIGTERM) before the replacements begin (as the first temporary is created; as mutt/bob.muttrc, new, is linked
    into place) changes no file: the .bak copies it made were left beside the files they copied."""
    out = tmp_path / "out"
    old = _old_files(out)
    variable, _, nth = first.partition("=")
    code, stdout, stderr, _ = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", "1", "--force",
                                     str(EXAMPLES / "company.yaml"), "-o", str(out),
                                     env={variable: f"{nth}:{name}"})  # fmt: skip
    assert (code, stdout, stderr) == (status, "", message)
    assert _files(out) == old


def test_force_that_fails_before_it_replaces_anything_leaves_no_bak(tmp_path: Path) -> None:
    """The same for a write that fails (.msmtprc does not fit: NO_SPACE): exit 2, no file changed, no .bak."""
    out = tmp_path / "out"
    old = _old_files(out)
    code, stdout, stderr, _ = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", "1", "--force",
                                     str(EXAMPLES / "company.yaml"), "-o", str(out),
                                     env={"NO_SPACE": ".msmtprc"})  # fmt: skip
    assert (code, stdout, stderr) == (2, "", f"mailconf: cannot write {out}/msmtp/.msmtprc: No space left on device\n")
    assert _files(out) == old


_DESCRIPTORS = """
import os, signal, sys
from pathlib import Path
from mailconf import output
from mailconf.targets import RenderedFile

create, calls = output._create_exactly, [0]

def signalled(*args):
    fd = create(*args)
    calls[0] += 1
    if calls[0] == 2:
        os.kill(os.getpid(), signal.SIGINT)  # acted on here: before the descriptor is handed back
    return fd

output._create_exactly = signalled
files = [RenderedFile(f"mutt/{n}.muttrc", b"set from=x\\n", 0o600) for n in range(int(sys.argv[2]))]
before = os.listdir("/proc/self/fd")
try:
    output.write_all(files, Path(sys.argv[1]))
except KeyboardInterrupt:
    print("interrupted, descriptors left open:", len(os.listdir("/proc/self/fd")) - len(before))
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="descriptors are counted in /proc/self/fd")
@pytest.mark.parametrize("count", [3, 300], ids=["temporaries", "staged"])
def test_a_signal_right_after_a_file_is_created_leaves_no_descriptor_open(tmp_path: Path, count: int) -> None:
    """A Ctrl-C that lands once a file is created and before its descriptor is kept with its batch (after
    os.open() or as the create returns: Python acts on a signal after a call returns) left that descriptor open
    for the rest of the process: a program that calls write_all (or renders again) lost one per interrupted write.
    In a fresh interpreter, write_all called as a program calls it; the signal sent right there (the second
    create), its descriptors listed before and after."""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _DESCRIPTORS, str(out), str(count)], cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "interrupted, descriptors left open: 0\n", "")
    assert not out.exists()


_OPENED = """
import os, signal, sys
from pathlib import Path
from mailconf import output
from mailconf.targets import RenderedFile

how, out, call, nth = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
original, calls = getattr(os, call), [0]

def signalled(*args, **kwargs):
    result = original(*args, **kwargs)
    calls[0] += 1
    if calls[0] == nth:
        os.kill(os.getpid(), signal.SIGINT)  # acted on as the call returns: before the caller has the descriptor
    return result

setattr(os, call, signalled)
files = [RenderedFile(f"{n}.muttrc", b"set from=x\\n", 0o600) for n in range(300 if how == "staged" else 3)]
before = os.listdir("/proc/self/fd")
try:
    if how in ("write_all", "staged"):
        output.write_all([file._replace(name=f"mutt/{file.name}") for file in files], out)
    else:
        with output.NewFolders(out) as new:
            new.prepare(["mutt"])
            new.write("mutt", files)
            new.done()
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted, descriptors left open:", len(os.listdir("/proc/self/fd")) - len(before))
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="descriptors are counted in /proc/self/fd")
@pytest.mark.parametrize(
    ("how", "call", "nth"),
    [
        ("write_all", "open", 1),  # -o
        ("write_all", "open", 2),  # mutt/, made
        ("staged", "open", 2),  # write_all's staging folder for mutt/ (300 files)
        ("new_folders", "open", 1),  # -o
        ("new_folders", "open", 2),  # mutt's staging folder, made by prepare(), opened by write()
        ("new_folders", "open", 3),  # the first file written there
        ("new_folders", "dup", 1),  # done()'s own descriptor for its syncfs thread
    ],
    ids=str,
)
def test_a_signal_right_after_a_descriptor_is_opened_leaves_none_open(
    tmp_path: Path, how: str, call: str, nth: int
) -> None:
    """A Ctrl-C that lands as the call that opened a folder (or a file written by NewFolders, or done()'s copy of
    DIR's descriptor) returns, before the caller has kept the descriptor, left it open for the rest of the
    process. In a fresh interpreter, write_all and NewFolders called as a program calls them, SIGINT sent right
    after the Nth os.open (or os.dup), their descriptors listed before and after; -o, which they made, is gone."""
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-c", _OPENED, how, str(out), call, str(nth)], cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "interrupted, descriptors left open: 0\n", "")
    assert not out.exists()


_EXISTING = """
import errno, os, signal, sys
from pathlib import Path
from mailconf import output
from mailconf.targets import RenderedFile

how, out, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
(out / "mutt").mkdir(parents=True)
for n in range(3):  # --force: other bytes of another size (no compare); --check: the same bytes
    (out / "mutt" / f"{n}.muttrc").write_bytes(b"set from=someone-else\\n" if how == "force" else b"set from=x\\n")
original = os.open

def signalled(path, *args, **kwargs):
    result = original(path, *args, **kwargs)
    if path == name:
        os.kill(os.getpid(), signal.SIGINT)  # acted on as the call returns: before the caller has the descriptor
    return result

def no_hard_links(*args, **kwargs):
    raise OSError(errno.EPERM, "Operation not permitted")  # a file system without hard links: the .bak is copied

os.open, os.link = signalled, no_hard_links
files = [RenderedFile(f"mutt/{n}.muttrc", b"set from=x\\n", 0o600) for n in range(3)]
before = os.listdir("/proc/self/fd")
try:
    if how == "check":
        output.compare(files, out)
    else:
        output.write_all(files, out, force=True)
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted, descriptors left open:", len(os.listdir("/proc/self/fd")) - len(before))
print(*sorted(p.name for p in (out / "mutt").iterdir()))
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="descriptors are counted in /proc/self/fd")
@pytest.mark.parametrize(
    ("how", "name"),
    [
        ("check", "0.muttrc"),  # _open_existing: a file compared with what render would write
        ("force", "0.muttrc"),  # _copy: the file a .bak copy is made of
        ("force", "0.muttrc.bak"),  # _copy: the .bak copy, created
    ],
    ids=str,
)
def test_a_signal_right_after_an_existing_file_or_its_copy_is_opened_leaves_none_open(
    tmp_path: Path, how: str, name: str
) -> None:
    """A Ctrl-C that lands as the os.open() of a file that exists (compared, or copied to NAME.bak where the file
    system has no hard links) or of its copy returns, before the caller has the descriptor, left it open for the
    rest of the process. In a fresh interpreter, compare and write_all --force called as a program calls them,
    SIGINT sent right after that os.open; descriptors listed before and after; the files are as they were."""
    done = subprocess.run(
        [sys.executable, "-c", _EXISTING, how, str(tmp_path / "out"), name], cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "interrupted, descriptors left open: 0\n0.muttrc 1.muttrc 2.muttrc\n",
        "",
    )


_CLOSED = """
import os, signal, sys
from pathlib import Path
from mailconf import output
from mailconf.targets import RenderedFile

close, calls = output._Output.close, [0]

def signalled(self):
    calls[0] += 1
    if calls[0] == 1:
        os.kill(os.getpid(), signal.SIGINT)  # acted on here: as close() begins, before its first step
    close(self)

output._Output.close = signalled
out = Path(sys.argv[2])
files = [RenderedFile(f"mutt/{n}.muttrc", b"set from=x\\n", 0o600) for n in range(3)]
before = os.listdir("/proc/self/fd")
try:
    if sys.argv[1] == "write_all":
        output.write_all(files, out)
    else:
        output.compare(files, out)
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted, descriptors left open:", len(os.listdir("/proc/self/fd")) - len(before))
"""


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="descriptors are counted in /proc/self/fd")
@pytest.mark.parametrize("how", ["write_all", "compare"])
def test_a_signal_as_the_folders_are_closed_still_closes_them(tmp_path: Path, how: str) -> None:
    """write_all (render) and compare (render --check) close the folders they opened in a ``finally``. A Ctrl-C
    acted on as that began (the first of two, or one that came as the write ended) skipped it: every folder's
    descriptor stayed open for the rest of the process. In a fresh interpreter, called as a program calls them,
    SIGINT sent as close() begins; descriptors listed before and after."""
    out = tmp_path / "out"
    (out / "mutt").mkdir(parents=True)  # for compare: folders to open
    done = subprocess.run(
        [sys.executable, "-c", _CLOSED, how, str(out)], cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "interrupted, descriptors left open: 0\n", "")


_FORKED = """
import os, signal, sys
from mailconf import _workers

call, nth = sys.argv[1], int(sys.argv[2])
original, calls = getattr(os, call), [0]

def signalled(*args, **kwargs):
    result = original(*args, **kwargs)
    calls[0] += 1
    if calls[0] == nth:
        os.kill(os.getpid(), signal.SIGINT)  # acted on as the call returns: before the caller has the descriptors
    return result

setattr(os, call, signalled)
before = os.listdir("/proc/self/fd")
try:
    _workers.run(lambda task: task, 4, 3, range(4), str)
    print("not interrupted")
except KeyboardInterrupt:
    print("interrupted, descriptors left open:", len(os.listdir("/proc/self/fd")) - len(before))
"""


@needs_fork
@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="descriptors are counted in /proc/self/fd")
@pytest.mark.parametrize(("call", "nth"), [("pipe", 1), ("pipe", 2), ("memfd_create", 1), ("pipe", 3)], ids=str)
def test_a_signal_as_a_workers_pipes_are_made_leaves_none_open(call: str, nth: int) -> None:
    """render --jobs: each worker gets two pipes and a memory file, made before it is forked. A Ctrl-C acted on as
    one of those calls returned (before the first worker, or the second) left what was made so far open for the
    rest of the process. In a fresh interpreter (a real fork, no thread of pytest's), mailconf._workers.run called
    as render calls it, SIGINT sent as the Nth call returns, descriptors listed before and after."""
    done = subprocess.run(
        [sys.executable, "-c", _FORKED, call, str(nth)], cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "interrupted, descriptors left open: 0\n", "")


_MASK_LEFT = """
import signal
from mailconf.errors import signals_held

mask, calls = signal.pthread_sigmask, [0]

def taken_as_it_returns(how, signals):
    previous = mask(how, signals)
    if how == signal.SIG_BLOCK and signal.SIGINT in set(signals):
        calls[0] += 1
        if calls[0] == 1:
            raise KeyboardInterrupt  # a Ctrl-C that came just before: acted on as the call returns, mask changed
    return previous

signal.pthread_sigmask = taken_as_it_returns
try:
    with signals_held():
        print("never: the signal is acted on before the block")
except KeyboardInterrupt:
    print("interrupted, SIGINT blocked:", signal.SIGINT in mask(signal.SIG_BLOCK, ()))
"""


def test_a_signal_acted_on_as_signals_are_held_off_leaves_the_mask_as_it_was() -> None:
    """A Ctrl-C (or SIGTERM) that came just before signals_held() blocks them is acted on as the call that blocks
    them returns: KeyboardInterrupt there, before the block's ``try``, left SIGINT and SIGTERM blocked for the rest
    of the process (a program calling render, then never interrupted by Ctrl-C again). In a fresh interpreter: the
    mask is the process's own; the interruption raised where Python raises it, after the mask changed."""
    done = subprocess.run(
        [sys.executable, "-c", _MASK_LEFT], cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout, done.stderr) == (0, "interrupted, SIGINT blocked: False\n", "")
