"""Several targets rendered in forked worker processes: the same output, gaps and errors as one process.

Every test here runs mailconf in a fresh interpreter (``python -m mailconf``, or
``python -m tests._parallel_driver``, which is mailconf.cli.main with hooks to record
the workers' pids and to make one target hang, die or fail): real fork, real pipes,
real signals, and no thread of pytest's in the process that forks.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

import mailconf.render
from mailconf.render import workers
from tests.conftest import EXAMPLES, ROOT
from tests.test_cli import CLEAN

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
INTERRUPTED = "\nmailconf: interrupted\n"  # click closes the terminal's ^C echo with a blank line, as for lint
WAIT = 120  # seconds: a bound against a hang, never a measure


def many_accounts(count: int) -> str:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from _common import accounts_file
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return accounts_file(count)


@pytest.fixture(scope="module")
def three_hundred(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("many") / "accounts-300.yaml"
    path.write_text(many_accounts(300), encoding="utf-8")
    return path


def driver(
    *args: str,
    record: Path | None = None,
    env: dict[str, str] | None = None,
    file_size: int | None = None,
    cgroup: Path | None = None,
) -> subprocess.Popen[str]:
    """``file_size``: the largest file the process may write (RLIMIT_FSIZE; a larger one fails with EFBIG).
    ``cgroup``: the folder of a cgroup the process runs in (from its start, before mailconf runs)."""
    extra = {"PARALLEL_RECORD": str(record)} if record else {}

    def limit() -> None:
        import resource

        if file_size is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
        if cgroup is not None:
            (cgroup / "cgroup.procs").write_text(str(os.getpid()), encoding="ascii")

    return started(
        subprocess.Popen(
            [sys.executable, "-m", "tests._parallel_driver", *args],
            cwd=ROOT,
            env=os.environ | {"PYTHONPATH": str(ROOT)} | extra | (env or {}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=limit if (file_size, cgroup) != (None, None) else None,  # noqa: PLW1509 - no pytest thread here
            start_new_session=True,  # its own process group: the driver and its workers, killed whole if left
        )
    )


_STARTED: list[subprocess.Popen[str]] = []


def started(process: subprocess.Popen[str]) -> subprocess.Popen[str]:
    _STARTED.append(process)
    return process


@pytest.fixture(autouse=True)
def _no_process_left() -> Iterator[None]:
    """A test that fails half-way (before ``finish``: a driver hanging on purpose, its workers) leaves nothing
    running: every driver has its own process group, killed whole when the test ends."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if process.returncode is None:
            process.kill()
            process.communicate()


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, out, err


def render(
    tmp: Path, *args: str, env: dict[str, str] | None = None, file_size: int | None = None, cgroup: Path | None = None
) -> tuple[int, str, str, list[str]]:
    """``mailconf render ARGS``: exit code, stdout, stderr and what the driver recorded (``jobs N`` and pids)."""
    record = tmp / f"record-{len(list(tmp.glob('record-*')))}"
    code, out, err = finish(driver("render", *args, record=record, env=env, file_size=file_size, cgroup=cgroup))
    return code, out, err, record.read_text().split("\n")[:-1] if record.exists() else []


def tree(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file and folder under ``root``: relative name -> (mode, bytes)."""
    return {
        str(p.relative_to(root)): (stat.S_IMODE(p.lstat().st_mode), b"" if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


def jobs_of(record: Sequence[str]) -> list[str]:
    return [line for line in record if line.startswith("jobs ")]


def pids_of(record: Sequence[str]) -> list[int]:
    return [int(line) for line in record if line.isdigit()]


def gone(pid: int) -> bool:
    """No process ``pid`` (reaped), not even a zombie."""
    return not Path(f"/proc/{pid}").exists()


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (a /proc scan: no psutil)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_for_lines(path: Path, count: int, process: subprocess.Popen[str]) -> list[int]:
    """The first ``count`` pids in ``path`` once written (the process must still run meanwhile)."""
    import time

    while True:
        if path.exists():
            lines = path.read_text().split("\n")[:-1]
            if len(lines) >= count:
                return [int(line) for line in lines[:count]]
        assert process.poll() is None, finish(process)
        time.sleep(0.02)


needs_fork = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


# --- the same output ------------------------------------------------------------------------------------------


@needs_fork
@pytest.mark.parametrize("source", [*EXAMPLE_FILES, "300 accounts"], ids=lambda s: getattr(s, "name", s))
def test_workers_write_the_same_tree_and_say_the_same_as_one_process(
    source: Path | str, three_hundred: Path, tmp_path: Path
) -> None:
    path = three_hundred if isinstance(source, str) else source
    serial = render(tmp_path, "-t", "all", "--jobs", "1", str(path), "-o", str(tmp_path / "serial"))
    forked = render(tmp_path, "-t", "all", "--jobs", "2", str(path), "-o", str(tmp_path / "forked"))
    assert forked[:3] == serial[:3]  # exit code, stdout, stderr: the gaps' warnings in the same order
    assert jobs_of(serial[3]) == []
    if path.name == "insecure.yaml":  # starttls-optional: refused before any target is rendered, nothing forked
        assert (serial[0], jobs_of(forked[3]), (tmp_path / "forked").exists()) == (1, [], False)
        return
    assert serial[0] == 0
    assert (jobs_of(forked[3]), len(pids_of(forked[3]))) == (["jobs 2"], 1)  # this process and one worker
    assert tree(tmp_path / "forked") == tree(tmp_path / "serial")
    assert len(tree(tmp_path / "serial")) > 14


@needs_fork
def test_more_jobs_than_targets_renders_one_target_per_process(three_hundred: Path, tmp_path: Path) -> None:
    serial = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", "1", str(three_hundred), "-o", str(tmp_path / "a"))
    forked = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", "8", str(three_hundred), "-o", str(tmp_path / "b"))
    assert (jobs_of(forked[3]), len(pids_of(forked[3]))) == (["jobs 2"], 1)
    assert forked[:3] == serial[:3]
    assert tree(tmp_path / "b") == tree(tmp_path / "a")


@needs_fork
def test_check_and_update_go_through_the_workers_too(three_hundred: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert render(tmp_path, "-t", "all", "-j", "1", str(three_hundred), "-o", str(out))[0] == 0
    (out / "msmtp" / ".msmtprc").write_bytes(b"stale\n")
    code, stdout, err, record = render(tmp_path, "-t", "all", "-j", "2", "--check", str(three_hundred), "-o", str(out))
    assert (code, jobs_of(record)) == (1, ["jobs 2"])
    assert stdout.startswith(f"--- {out / 'msmtp' / '.msmtprc'} (on disk)\n")
    code, _, err, record = render(tmp_path, "-t", "all", "-j", "2", "--update", str(three_hundred), "-o", str(out))
    assert (code, jobs_of(record)) == (1, ["jobs 2"])
    assert err.endswith(f"mailconf: updated {out / 'msmtp' / '.msmtprc'}\n")


@needs_fork
def test_auto_forks_above_the_threshold_only(three_hundred: Path, tmp_path: Path) -> None:
    args = ("-t", "mutt", "-t", "msmtp", str(three_hundred), "-o")
    at = {"PARALLEL_FROM": str(2 * 300)}
    above = {"PARALLEL_FROM": str(2 * 300 + 1)}
    cpus = len(os.sched_getaffinity(0))
    assert jobs_of(render(tmp_path, *args, str(tmp_path / "a"), env=at)[3]) == (
        [f"jobs {min(2, cpus)}"] if cpus > 1 else []
    )
    assert jobs_of(render(tmp_path, *args, str(tmp_path / "b"), env=above)[3]) == []
    # the default threshold keeps the examples and a few hundred accounts in one process
    assert jobs_of(render(tmp_path, "-t", "all", str(three_hundred), "-o", str(tmp_path / "c"))[3]) == []


@needs_fork
def test_standard_output_never_forks(tmp_path: Path) -> None:
    code, out, err, record = render(tmp_path, "-t", "msmtp", "-j", "4", str(EXAMPLES / "company.yaml"))
    assert (code, err, record) == (0, "", [])
    assert out.startswith("# msmtp")


# --- errors: the same as one process ---------------------------------------------------------------------------


@needs_fork
def test_an_unsafe_value_gives_the_first_failing_targets_error_and_writes_nothing(tmp_path: Path) -> None:
    # a blank at the end passes the schema's username pattern; getmail and offlineimap refuse it: the first in order
    # is named (it was U+2028, which the schema refuses now)
    source = tmp_path / "accounts.yaml"
    source.write_text('version: 1\naccounts:\n  work:\n    address: a@example.org\n    incoming:\n'
                      '      protocol: imap\n      host: h.example\n'
                      '      username: "alice "\n')  # fmt: skip
    serial = render(tmp_path, "-t", "all", "-j", "1", str(source), "-o", str(tmp_path / "serial"))
    forked = render(tmp_path, "-t", "all", "-j", "2", str(source), "-o", str(tmp_path / "forked"))
    assert jobs_of(forked[3]) == ["jobs 2"]
    assert forked[:3] == serial[:3]
    assert serial[0] == 1
    assert serial[2].splitlines()[-1].startswith("mailconf: target ")
    assert ": not rendered: account work: incoming.username: " in serial[2]
    assert not (tmp_path / "serial").exists()
    assert not (tmp_path / "forked").exists()


@needs_fork
def test_a_later_target_failing_first_is_not_the_error_reported(tmp_path: Path) -> None:
    # thunderbird is handed out first and refuses at once; aerc (first in order) refuses later: aerc is reported
    args = ("-t", "all", str(EXAMPLES / "company.yaml"), "-o")
    misbehave = {"MISBEHAVE": "aerc:slow-refuse,thunderbird:refuse,msmtp:refuse"}
    serial = render(tmp_path, *args, str(tmp_path / "serial"), "-j", "1", env=misbehave)
    forked = render(tmp_path, *args, str(tmp_path / "forked"), "-j", "2", env=misbehave)
    assert jobs_of(forked[3]) == ["jobs 2"]
    assert serial[:3] == forked[:3] == (1, "", "mailconf: target aerc: not rendered: a test refusal\n")
    assert not (tmp_path / "forked").exists()


@needs_fork
@pytest.mark.parametrize("where", ["msmtp", "fetchmail"], ids=["in the worker", "in this process"])
def test_a_bug_is_one_line_like_in_one_process_never_a_traceback(tmp_path: Path, where: str) -> None:
    # msmtp, the costlier of the two, goes to the worker; this process renders fetchmail
    args = ("-t", "msmtp", "-t", "fetchmail", str(EXAMPLES / "company.yaml"), "-o")
    serial = render(tmp_path, *args, str(tmp_path / "serial"), "-j", "1", env={"MISBEHAVE": f"{where}:bug"})
    forked = render(tmp_path, *args, str(tmp_path / "forked"), "-j", "2", env={"MISBEHAVE": f"{where}:bug"})
    assert jobs_of(forked[3]) == ["jobs 2"]
    expected = (
        "mailconf: internal error (KeyError) while running `mailconf render`; "
        "please report it (MAILCONF_DEBUG=1 shows the traceback)\n"
    )
    assert serial[:3] == forked[:3] == (3, "", expected)
    assert not (tmp_path / "forked").exists()
    [worker] = pids_of(forked[3])
    [rendering] = [line for line in forked[3] if line.startswith("rendering ")]
    assert (rendering == f"rendering {where} in {worker}") is (where == "msmtp")
    assert gone(worker)


@needs_fork
@pytest.mark.parametrize(
    ("action", "how"), [("exit", "exited with status 7"), ("kill", "was killed by signal 9 (SIGKILL)")]
)
def test_a_worker_that_dies_is_one_line_exit_3_and_nothing_written(tmp_path: Path, action: str, how: str) -> None:
    # mutt, the costlier of the two, goes to the worker; this process renders msmtp
    out = tmp_path / "out"
    code, stdout, err, record = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", "2", str(EXAMPLES / "company.yaml"),
                                       "-o", str(out), env={"MISBEHAVE": f"mutt:{action}"})  # fmt: skip
    assert (code, stdout) == (3, "")
    assert err == (
        f"mailconf: render: the worker process {how} while rendering target mutt; "
        "nothing written (run again; --jobs 1 renders without worker processes)\n"
    )
    assert not out.exists()
    assert len(pids_of(record)) == 1
    assert all(gone(pid) for pid in pids_of(record))


@needs_fork
def test_a_worker_killed_from_outside_is_reported_and_the_other_ended(tmp_path: Path) -> None:
    ready, out = tmp_path / "ready", tmp_path / "out"
    process = driver("render", "-t", "all", "-j", "2", str(EXAMPLES / "company.yaml"), "-o", str(out),
                     env={"MISBEHAVE": "thunderbird:hang", "MISBEHAVE_READY": str(ready)})  # fmt: skip
    [hung] = wait_for_lines(ready, 1, process)
    others = [pid for pid in children(process.pid) if pid != hung]
    os.kill(hung, signal.SIGKILL)
    code, stdout, err = finish(process)
    assert (code, stdout) == (3, "")
    assert err == (
        "mailconf: render: the worker process was killed by signal 9 (SIGKILL) while rendering target thunderbird; "
        "nothing written (run again; --jobs 1 renders without worker processes)\n"
    )
    assert not out.exists()
    assert all(gone(pid) for pid in [hung, *others])


@needs_fork
@pytest.mark.parametrize(
    ("stage", "env"),
    [("rendering", {"MISBEHAVE": "mutt:hang"}), ("writing the files of", {"HANG_WRITING": "2"})],
    ids=["rendering", "writing"],
)
def test_a_worker_killed_says_whether_it_was_rendering_or_writing(
    tmp_path: Path, stage: str, env: dict[str, str]
) -> None:
    """The worker renders mutt (the costlier), then writes its files into mutt's staging folder itself: killed in
    either stage, the line says which (not "rendering" for a worker that died writing)."""
    ready, out = tmp_path / "ready", tmp_path / "out"
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "2", str(EXAMPLES / "company.yaml"), "-o",
                     str(out), env=env | {"MISBEHAVE_READY": str(ready)})  # fmt: skip
    [hung] = wait_for_lines(ready, 1, process)
    assert hung in children(process.pid)
    os.kill(hung, signal.SIGKILL)
    assert finish(process) == (3, "", (
        f"mailconf: render: the worker process was killed by signal 9 (SIGKILL) while {stage} target mutt; "
        "nothing written (run again; --jobs 1 renders without worker processes)\n"
    ))  # fmt: skip
    assert not out.exists()
    assert gone(hung)


# --- signals ---------------------------------------------------------------------------------------------------


@needs_fork
@pytest.mark.parametrize(
    ("signum", "status", "message"), [(signal.SIGINT, 130, INTERRUPTED), (signal.SIGTERM, 143, "")]
)
def test_a_signal_ends_every_worker_and_exits_like_one_process(
    tmp_path: Path, signum: signal.Signals, status: int, message: str
) -> None:
    ready, out, record = tmp_path / "ready", tmp_path / "out", tmp_path / "record"
    # the worker hangs in mutt, this process in msmtp: the signal comes while both are busy
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "2", str(EXAMPLES / "company.yaml"), "-o",
                     str(out), record=record,
                     env={"MISBEHAVE": "mutt:hang,msmtp:hang", "MISBEHAVE_READY": str(ready)})  # fmt: skip
    hung = wait_for_lines(ready, 2, process)
    assert sorted(hung) == sorted([process.pid, *children(process.pid)])
    process.send_signal(signum)
    assert finish(process) == (status, "", message)
    assert not out.exists()
    assert all(gone(pid) for pid in hung)


@needs_fork
@pytest.mark.parametrize(
    ("signum", "status", "message"), [(signal.SIGINT, 130, INTERRUPTED), (signal.SIGTERM, 143, "")]
)
def test_a_second_signal_as_the_workers_are_ended_still_ends_them(
    tmp_path: Path, signum: signal.Signals, status: int, message: str
) -> None:
    # a second Ctrl-C (or SIGTERM) acted on as the cleanup that ends the workers began, before it held signals off,
    # skipped it: the worker went on rendering and writing into its staging folder while this process removed it,
    # and outlived it (found leaving over 900 files in a hidden staging folder after "mailconf: interrupted")
    ready, out = tmp_path / "ready", tmp_path / "out"
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "2", str(EXAMPLES / "company.yaml"), "-o",
                     str(out), env={"MISBEHAVE": "mutt:hang,msmtp:hang", "MISBEHAVE_READY": str(ready),
                                    "SIGNAL_ENDING": signum.name.removeprefix("SIG")})  # fmt: skip
    hung = wait_for_lines(ready, 2, process)
    (worker,) = children(process.pid)
    process.send_signal(signum)
    try:
        process.wait(timeout=WAIT)
        left = [pid for pid in hung if not gone(pid)]  # before the group is killed below
    finally:  # a worker left running holds the pipes open: ended before they are read to their end
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
    assert worker in hung
    assert (left, finish(process)) == ([], (status, "", message))
    assert not out.exists()


@needs_fork
@pytest.mark.parametrize(
    ("signum", "status", "message"), [(signal.SIGINT, 130, INTERRUPTED), (signal.SIGTERM, 143, "")]
)
def test_a_second_signal_as_the_staging_folders_are_removed_still_removes_them(
    tmp_path: Path, signum: signal.Signals, status: int, message: str
) -> None:
    # the staging folders made before the fork are removed on leaving the render's block: a second signal acted on as
    # that began (before it held signals off) skipped it, leaving them and -o, which this run had created
    ready, out = tmp_path / "ready", tmp_path / "out"
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "2", str(EXAMPLES / "company.yaml"), "-o",
                     str(out), env={"MISBEHAVE": "mutt:hang,msmtp:hang", "MISBEHAVE_READY": str(ready),
                                    "SIGNAL_DISCARDING": signum.name.removeprefix("SIG")})  # fmt: skip
    hung = wait_for_lines(ready, 2, process)
    assert sorted(p.name for p in out.iterdir()) == [f".msmtp.mailconf-{process.pid}.tmp",
                                                     f".mutt.mailconf-{process.pid}.tmp"]  # fmt: skip
    process.send_signal(signum)
    assert finish(process) == (status, "", message)
    assert not out.exists()
    assert all(gone(pid) for pid in hung)


@pytest.mark.parametrize(
    ("signum", "status", "message"), [(signal.SIGINT, 130, INTERRUPTED), (signal.SIGTERM, 143, "")]
)
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("many", [False, True], ids=["temporaries", "staged"])
def test_a_signal_while_files_are_written_leaves_no_file_behind(  # noqa: PLR0917
    tmp_path: Path, signum: signal.Signals, status: int, message: str, jobs: str, many: bool, three_hundred: Path
) -> None:
    # half the files written when the signal comes: they are removed, no file gets its final name. With 301
    # files, mutt/ and msmtp/ are new folders written whole in hidden staging folders: removed too. With workers,
    # those staging folders are made before the fork, whatever the number of files, and the process that renders
    # a target writes it (mailconf.output.NewFolders): the worker hangs writing mutt's, this process waits for it.
    # Either way, the folders this run created are removed as well, the -o folder included
    ready, out = tmp_path / "ready", tmp_path / "out"
    accounts = three_hundred if many else EXAMPLES / "company.yaml"
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", jobs, str(accounts), "-o",
                     str(out), env={"HANG_WRITING": "2", "MISBEHAVE_READY": str(ready)})  # fmt: skip
    (writer,) = wait_for_lines(ready, 1, process)
    assert writer == process.pid if jobs == "1" else writer in children(process.pid)
    assert [p.name for p in out.rglob("*") if p.is_file()] != []  # the temporaries, before the signal
    staging = sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp"))
    staged = many or jobs == "2"
    assert staging == ([f".msmtp.mailconf-{process.pid}.tmp", f".mutt.mailconf-{process.pid}.tmp"] if staged else [])
    process.send_signal(signum)
    code, stdout, stderr = finish(process)
    warnings = stderr.removesuffix(message)  # the 300 accounts' POP3 leave_days gap, said once rendering is done
    assert (code, stdout, stderr) == (status, "", warnings + message)
    assert warnings.splitlines() == ([] if not many or jobs == "2" else [line for line in warnings.splitlines()
                                                          if line.startswith("mailconf: warning: mutt: ")])  # fmt: skip
    assert not out.exists()
    assert writer == process.pid or gone(writer)


@pytest.mark.parametrize(("name", "status", "message"), [("INT", 130, INTERRUPTED), ("TERM", 143, "")])
@pytest.mark.parametrize("many", [False, True], ids=["temporaries", "staged"])
def test_a_signal_right_after_a_file_is_created_leaves_no_file_behind(  # noqa: PLR0917
    tmp_path: Path, name: str, status: int, message: str, many: bool, three_hundred: Path
) -> None:
    """A Ctrl-C (or SIGTERM) that lands after a file is created (a temporary next to its name, or a file in a
    staging folder with 300 accounts) and before write_all has it listed for its cleanup: that file is removed
    too, with the folders this run made, -o included. It was left behind, with its descriptor open. The window
    is a few bytecodes wide, so a real Ctrl-C hits it only by chance: the driver's SIGNAL_CREATED has the process
    send itself the signal right there, once the second file is created (the first is listed already)."""
    out = tmp_path / "out"
    accounts = three_hundred if many else EXAMPLES / "company.yaml"
    code, stdout, stderr, _ = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", "1", str(accounts), "-o",
                                     str(out), env={"SIGNAL_CREATED": f"2:{name}"})  # fmt: skip
    warnings = stderr.removesuffix(message)  # the 300 accounts' POP3 leave_days gap, said before the write
    assert (code, stdout, stderr) == (status, "", warnings + message)
    assert all(line.startswith("mailconf: warning: mutt: ") for line in warnings.splitlines())
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == []  # names what is left, if anything
    assert not out.exists()


@pytest.mark.parametrize(("name", "status", "message"), [("INT", 130, INTERRUPTED), ("TERM", 143, "")])
@pytest.mark.parametrize(("many", "jobs"), [(False, "1"), (True, "1"), (True, "2")], ids=["folders", "staged", "jobs"])
@pytest.mark.parametrize("nth", [1, 2, 3, 4, 5])
def test_a_signal_right_after_a_folder_is_made_leaves_no_folder_behind(  # noqa: PLR0917
    tmp_path: Path, name: str, status: int, message: str, many: bool, jobs: str, nth: int, three_hundred: Path
) -> None:
    """A Ctrl-C (or SIGTERM) that lands once a folder is made and before it is recorded for the cleanup: -o's
    parents a/b, -o itself, then mutt/ and msmtp/ (with 300 accounts, their staging folders, made by write_all,
    or before the fork with --jobs 2). Each is removed with the rest; they were left behind, and with them every
    folder above. SIGNAL_MKDIR sends the signal right after the Nth mkdir."""
    out = tmp_path / "a" / "b" / "out"
    accounts = three_hundred if many else EXAMPLES / "company.yaml"
    code, stdout, stderr, _ = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", jobs, str(accounts), "-o",
                                     str(out), env={"SIGNAL_MKDIR": f"{nth}:{name}"})  # fmt: skip
    warnings = stderr.removesuffix(message)  # the 300 accounts' POP3 leave_days gap, said before the write
    assert (code, stdout, stderr) == (status, "", warnings + message)
    assert all(line.startswith("mailconf: warning: mutt: ") for line in warnings.splitlines())
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("record-")) == []


@pytest.mark.parametrize(("name", "status", "message"), [("INT", 130, INTERRUPTED), ("TERM", 143, "")])
@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("nth", [1, 2])
def test_a_signal_right_after_a_new_folder_is_renamed_into_place_leaves_nothing_behind(  # noqa: PLR0917
    tmp_path: Path, name: str, status: int, message: str, jobs: str, nth: int, three_hundred: Path
) -> None:
    """300 accounts: mutt/ and msmtp/ are written whole in staging folders (by write_all, or with --jobs 2 by the
    process that renders each, before write_all), then renamed into place. A Ctrl-C (or SIGTERM) that lands once
    one is renamed and before that is recorded: it is put back and removed with the rest. It stayed under its
    final name: empty, or with --jobs 2 holding all its files. SIGNAL_PLACED sends the signal after the Nth."""
    out = tmp_path / "out"
    code, stdout, stderr, _ = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", jobs, str(three_hundred), "-o",
                                     str(out), env={"SIGNAL_PLACED": f"{nth}:{name}"})  # fmt: skip
    warnings = stderr.removesuffix(message)  # the 300 accounts' POP3 leave_days gap, said before the write
    assert (code, stdout, stderr) == (status, "", warnings + message)
    assert all(line.startswith("mailconf: warning: mutt: ") for line in warnings.splitlines())
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.parent == out) == []  # what is left, if any
    assert not out.exists()


@pytest.mark.parametrize(("name", "status", "message"), [("INT", 130, INTERRUPTED), ("TERM", 143, "")])
def test_a_signal_right_after_a_file_is_linked_into_place_leaves_no_file_behind(
    tmp_path: Path, name: str, status: int, message: str
) -> None:
    """A Ctrl-C (or SIGTERM) that lands once a new file is linked to its final name and before write_all has it
    recorded: that file is removed with the others, as for any signal before the replacements; it was left
    under its final name, alone. SIGNAL_LINKED sends the signal right there, after the second link."""
    out = tmp_path / "out"
    code, stdout, stderr, _ = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", "1", str(EXAMPLES / "company.yaml"),
                                     "-o", str(out), env={"SIGNAL_LINKED": f"2:{name}"})  # fmt: skip
    assert (code, stdout, stderr) == (status, "", message)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == []  # names what is left, if anything
    assert not out.exists()


@pytest.mark.parametrize(("name", "status", "message"), [("INT", 130, INTERRUPTED), ("TERM", 143, "")])
@pytest.mark.parametrize("new", [False, True], ids=["replacing", "creating-and-replacing"])
def test_a_signal_while_files_are_replaced_is_acted_on_once_all_are_in_place(
    tmp_path: Path, name: str, status: int, message: str, new: bool
) -> None:
    """--force over files that differ: once the first one is replaced (its old content is gone, kept as .bak), a
    Ctrl-C (or SIGTERM) is acted on when every file is in place, never half-way, which left the temporaries of
    the rest behind. Files created by the same render stay too (with mutt/bob.muttrc new)."""
    out = tmp_path / "out"
    present = ["mutt/alice.muttrc", "msmtp/.msmtprc", *([] if new else ["mutt/bob.muttrc"])]
    for file in present:
        for folder in (out, (out / file).parent):
            folder.mkdir(mode=0o700, exist_ok=True)  # as mailconf makes them
        (out / file).write_text("old\n", encoding="utf-8")
    args = ("-t", "mutt", "-t", "msmtp", "-j", "1", "--force", str(EXAMPLES / "company.yaml"), "-o")
    code, stdout, stderr, _ = render(tmp_path, *args, str(out), env={"SIGNAL_REPLACED": f"1:{name}"})
    assert (code, stdout, stderr) == (status, "", message)
    clean = tmp_path / "clean"
    assert render(tmp_path, *args, str(clean))[:3] == (0, "", "")
    written = tree(out)
    assert {file: written.pop(f"{file}.bak") for file in present} == dict.fromkeys(present, (0o644, b"old\n"))
    assert written == tree(clean)  # every file in place; no temporary left


def test_force_killed_while_it_writes_leaves_no_bak_beside_an_unchanged_file(tmp_path: Path) -> None:
    """--force made every NAME.bak first, then wrote the temporaries: killed (kill -9) while it wrote them, the
    longest part, it left a .bak beside each file it had not replaced (and the next --force made NAME.bak.1 as
    well). The copies are now made last, just before the replacements: what is left is the temporaries only, as
    the documentation says. HANG_WRITING has the process wait once it has written its second temporary."""
    ready, out = tmp_path / "ready", tmp_path / "out"
    present = ["mutt/alice.muttrc", "mutt/bob.muttrc", "msmtp/.msmtprc"]
    for file in present:
        (out / file).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        (out / file).write_text("old\n", encoding="utf-8")
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "1", "--force", str(EXAMPLES / "company.yaml"),
                     "-o", str(out), env={"HANG_WRITING": "2", "MISBEHAVE_READY": str(ready)})  # fmt: skip
    assert wait_for_lines(ready, 1, process) == [process.pid]
    process.kill()
    assert finish(process)[0] == -signal.SIGKILL
    left = tree(out)
    assert {file: left.pop(file) for file in present} == dict.fromkeys(present, (0o644, b"old\n"))
    temporaries = [f"mutt/.{name}.muttrc.mailconf-{process.pid}.tmp" for name in ("alice", "bob")]
    assert sorted(left) == ["msmtp", "mutt", *temporaries]  # the two written (mutt's come first), no .bak


@pytest.mark.parametrize(
    ("signum", "status", "message"), [(signal.SIGINT, 130, INTERRUPTED), (signal.SIGTERM, 143, "")]
)
@pytest.mark.parametrize("many", [False, True], ids=["temporaries", "staged"])
def test_a_signal_while_a_failed_write_is_undone_leaves_no_temporary_behind(  # noqa: PLR0917
    tmp_path: Path, signum: signal.Signals, status: int, message: str, many: bool, three_hundred: Path
) -> None:
    """.msmtprc does not fit (NO_SPACE) once mutt's files are written (as temporaries next to their names, or with
    300 accounts in a staging folder): write_all removes them. A Ctrl-C (or SIGTERM) that comes while it does is
    acted on once they are all removed, with the folders this run made, -o included; not half-way, which would
    leave mutt's files behind under hidden names."""
    ready, go, out = tmp_path / "ready", tmp_path / "go", tmp_path / "out"
    accounts = three_hundred if many else EXAMPLES / "company.yaml"
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "1", str(accounts), "-o", str(out),
                     env={"NO_SPACE": ".msmtprc", "HANG_UNDOING": "1", "MISBEHAVE_READY": str(ready),
                          "MISBEHAVE_GO": str(go)})  # fmt: skip
    assert wait_for_lines(ready, 1, process) == [process.pid]
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())  # before the cleanup
    if many:  # .msmtprc: created, empty
        staging = (f".msmtp.mailconf-{process.pid}.tmp", f".mutt.mailconf-{process.pid}.tmp")
        assert (len(written), written[:2]) == (301, [f"{staging[0]}/.msmtprc", f"{staging[1]}/user00001.muttrc"])
    else:
        temporary = ".{}.mailconf-" + str(process.pid) + ".tmp"
        names = [
            "msmtp/" + temporary.format(".msmtprc"),
            *("mutt/" + temporary.format(f"{n}.muttrc") for n in ("alice", "bob")),
        ]
        assert written == names
    process.send_signal(signum)
    go.touch()
    code, stdout, stderr = finish(process)
    warnings = stderr.removesuffix(message)  # the 300 accounts' POP3 leave_days gap, said before the write
    assert (code, stdout, stderr) == (status, "", warnings + message)  # the ENOSPC line is not said: the signal wins
    assert all(line.startswith("mailconf: warning: mutt: ") for line in warnings.splitlines())
    assert not out.exists()


@pytest.mark.parametrize(
    ("signum", "status", "message"), [(signal.SIGINT, 130, INTERRUPTED), (signal.SIGTERM, 143, "")]
)
def test_a_signal_while_a_failed_write_is_undone_beside_the_fsync_threads_leaves_no_temporary_behind(
    tmp_path: Path, signum: signal.Signals, status: int, message: str
) -> None:
    """100 accounts: mutt's 100 files and .msmtprc, fewer than write_all's syncfs threshold, so each batch of 64
    is fsync'd in a few threads, which live on until the write ends. .msmtprc, in the second batch, does not fit:
    the cleanup runs with Ctrl-C and SIGTERM held off in the main thread, and a signal the system hands to one of
    those threads instead (it does to a thread that does not hold it off) must be held off too."""
    ready, go, out, accounts = tmp_path / "ready", tmp_path / "go", tmp_path / "out", tmp_path / "accounts.yaml"
    accounts.write_text(many_accounts(100), encoding="utf-8")
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "1", str(accounts), "-o", str(out),
                     env={"NO_SPACE": ".msmtprc", "HANG_UNDOING": "1", "MISBEHAVE_READY": str(ready),
                          "MISBEHAVE_GO": str(go)})  # fmt: skip
    assert wait_for_lines(ready, 1, process) == [process.pid]
    assert len([p for p in out.rglob("*") if p.is_file()]) == 101  # .msmtprc: created, empty
    process.send_signal(signum)
    go.touch()
    code, stdout, stderr = finish(process)
    warnings = stderr.removesuffix(message)  # the POP3 accounts' leave_days gap, said before the write
    assert (code, stdout, stderr) == (status, "", warnings + message)
    assert all(line.startswith("mailconf: warning: mutt: ") for line in warnings.splitlines())
    assert not out.exists()


@needs_fork
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_each_process_writes_the_new_folders_of_the_targets_it_renders(
    tmp_path: Path, three_hundred: Path, signum: signal.Signals, status: int
) -> None:
    """The worker renders mutt and writes its 300 files into mutt's staging folder while this process is still
    rendering msmtp (their bytes never come back through a pipe); a signal then removes all of it, and -o too."""
    ready, out = tmp_path / "ready", tmp_path / "out"
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "2", str(three_hundred), "-o", str(out),
                     env={"MISBEHAVE": "msmtp:hang", "MISBEHAVE_READY": str(ready)})  # fmt: skip
    assert wait_for_lines(ready, 1, process) == [process.pid]  # msmtp, the cheaper, is this process's
    staging = out / f".mutt.mailconf-{process.pid}.tmp"
    deadline = time.monotonic() + WAIT  # a bound against a hang, never a measure
    while len(list(staging.glob("*.muttrc"))) < 300:
        assert time.monotonic() < deadline and process.poll() is None, finish(process)
        time.sleep(0.02)
    assert sorted(p.name for p in out.iterdir()) == [f".msmtp.mailconf-{process.pid}.tmp", staging.name]
    assert (staging / "user00001.muttrc").read_bytes().startswith(b"# mailconf: account user00001 for mutt ")
    process.send_signal(signum)
    assert finish(process)[0] == status
    assert not out.exists()


@needs_fork
@pytest.mark.parametrize(
    ("signum", "status", "message"), [(signal.SIGINT, 130, INTERRUPTED), (signal.SIGTERM, 143, "")]
)
def test_a_signal_while_the_staging_folders_are_removed_leaves_none_behind(
    tmp_path: Path, three_hundred: Path, signum: signal.Signals, status: int, message: str
) -> None:
    """msmtp refuses (in this process), so the staging folders the worker filled with mutt's 300 files are
    removed; a second Ctrl-C (or a SIGTERM) that comes meanwhile waits until they are all removed, -o too."""
    ready, go, out = tmp_path / "ready", tmp_path / "go", tmp_path / "out"
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "2", str(three_hundred), "-o", str(out),
                     env={"MISBEHAVE": "msmtp:slow-refuse", "HANG_REMOVING": "1", "MISBEHAVE_READY": str(ready),
                          "MISBEHAVE_GO": str(go)})  # fmt: skip
    assert wait_for_lines(ready, 1, process) == [process.pid]
    assert sorted(p.name for p in out.iterdir()) == [f".msmtp.mailconf-{process.pid}.tmp",
                                                    f".mutt.mailconf-{process.pid}.tmp"]  # fmt: skip
    assert len(list((out / f".mutt.mailconf-{process.pid}.tmp").iterdir())) == 300
    process.send_signal(signum)
    go.touch()
    assert finish(process) == (status, "", message)  # the refusal's line is not said: the signal ends it
    assert not out.exists()


@needs_fork
def test_strict_gaps_leave_nothing_the_workers_wrote(tmp_path: Path, three_hundred: Path) -> None:
    # the 300 accounts' POP3 leave_days is a gap for mutt: --strict writes nothing, with workers as without
    args = ("-t", "mutt", "-t", "msmtp", "--strict", str(three_hundred), "-o")
    serial = render(tmp_path, *args, str(tmp_path / "serial"), "-j", "1")
    forked = render(tmp_path, *args, str(tmp_path / "forked"), "-j", "2")
    assert jobs_of(forked[3]) == ["jobs 2"]
    assert forked[:3] == serial[:3]
    assert serial[0] == 1
    assert serial[2].splitlines()[-1] == (
        "mailconf: 30 settings cannot be expressed by mutt, msmtp (--strict); nothing written"
    )
    assert not (tmp_path / "serial").exists()
    assert not (tmp_path / "forked").exists()


@needs_fork
@pytest.mark.parametrize("strict", [False, True], ids=["warnings", "--strict"])
@pytest.mark.parametrize(
    ("targets", "full"),
    [
        (("mutt", "msmtp"), "limit .msmtprc"),  # msmtp, the cheaper, is this process's: a real EFBIG
        (("mutt", "msmtp"), ".msmtprc"),
        (("msmtp", "thunderbird"), "user.js"),  # thunderbird, the costlier, is the worker's
    ],
    ids=["file size limit, this process", "full disk, this process", "full disk, the worker"],
)
def test_a_file_that_does_not_fit_fails_as_in_one_process(
    tmp_path: Path, three_hundred: Path, targets: tuple[str, str], full: str, strict: bool
) -> None:
    """A new target folder whose file cannot be written while the targets render (a real file size limit,
    RLIMIT_FSIZE: the 83 kB .msmtprc of 300 accounts is over 20 kB; or ENOSPC injected by the driver's
    NO_SPACE): with workers as without, the gaps' warnings are said first, --strict wins, then the same
    message and exit code, and nothing is written."""
    out = tmp_path / "out"
    args = ("-t", targets[0], "-t", targets[1], *(["--strict"] if strict else []), str(three_hundred), "-o", str(out))
    limit = 20_000 if full.startswith("limit ") else None
    env = {} if limit else {"NO_SPACE": full}
    serial = render(tmp_path, *args, "-j", "1", env=env, file_size=limit)
    assert not out.exists()
    forked = render(tmp_path, *args, "-j", "2", env=env, file_size=limit)
    assert jobs_of(forked[3]) == ["jobs 2"]
    assert forked[:3] == serial[:3]
    name = full.removeprefix("limit ")
    folder = "msmtp" if name == ".msmtprc" else "thunderbird"
    error = "File too large" if limit else "No space left on device"
    last = serial[2].splitlines()[-1]
    if strict:
        strict_line = f"cannot be expressed by {', '.join(targets)} (--strict); nothing written"
        assert (serial[0], last.endswith(strict_line)) == (1, True)
    else:
        assert (serial[0], last) == (2, f"mailconf: cannot write {out}/{folder}/{name}: {error}")
    assert serial[2].startswith("mailconf: warning: " if not strict else "mailconf: error: ")
    assert not out.exists()


@needs_fork
def test_a_file_size_limit_below_a_workers_reply_fails_as_in_one_process(tmp_path: Path, three_hundred: Path) -> None:
    """``ulimit -f 20`` (RLIMIT_FSIZE, 20 kB): thunderbird's 300-account user.js does not fit its staging folder,
    so the worker passes it back, in a reply over 20 kB, which the worker's memory file (a file too) refuses: the
    reply goes through the pipe instead, and write_all meets the limit where --jobs 1 does, with its message and
    exit code (not ``the worker process exited with status 1``, exit 3). Nothing is written."""
    out = tmp_path / "out"
    args = ("-t", "all", str(three_hundred), "-o", str(out))
    serial = render(tmp_path, *args, "-j", "1", file_size=20_000)
    assert not out.exists()
    forked = render(tmp_path, *args, "-j", "2", file_size=20_000)
    assert jobs_of(forked[3]) == ["jobs 2"]
    assert forked[:3] == serial[:3]
    last = serial[2].splitlines()[-1]
    assert (serial[0], last) == (2, f"mailconf: cannot write {out}/aerc/accounts.conf: File too large")
    assert not out.exists()


_SIGNALS_HELD = """
import os, signal, sys
from mailconf.errors import signals_held, sigterm_exits

done = []
try:
    with sigterm_exits():
        with signals_held():
            os.kill(os.getpid(), signal.SIGTERM)
            done.append("the whole block")
        done.append("after the block")  # never: the signal is acted on as the block is left
except SystemExit as exited:
    print(exited.code, done, signal.SIGTERM in signal.pthread_sigmask(signal.SIG_BLOCK, ()))
"""


def test_signals_held_delivers_a_signal_once_the_block_is_done() -> None:
    """The one way render holds off Ctrl-C and SIGTERM (forking a worker, ending the workers, removing staging
    folders and temporaries): a signal that comes inside the block is acted on when it is left, not before.
    In a fresh interpreter, as in mailconf's own process: beside a thread that does not block the signal (pytest's
    process holds the daemon threads of other tests' servers), the system hands it to that thread and Python acts
    on it at once (errors.signals_held says so)."""
    done = subprocess.run(
        [sys.executable, "-c", _SIGNALS_HELD], cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=WAIT, check=False,
    )  # fmt: skip
    # exit code 143, the block ran whole, the mask is as it was
    assert (done.returncode, done.stdout, done.stderr) == (0, "143 ['the whole block'] False\n", "")


@needs_fork
@pytest.mark.parametrize("how", ["link pointed elsewhere", "folder moved away", "folder removed"])
def test_an_o_dir_replaced_while_rendering_is_written_where_o_names_then(tmp_path: Path, how: str) -> None:
    """-o names another folder once the targets are rendered (a link switched, ``current -> v2``, as a deploy
    does; DIR moved away and made again; DIR removed): the files go where -o names then, as with --jobs 1,
    never into the folder prepared before the fork; the staging folders made there are removed. Both processes
    wait until the folder is replaced, then render and write."""
    ready, go, old, new = tmp_path / "ready", tmp_path / "go", tmp_path / "v1", tmp_path / "v2"
    old.mkdir()
    out = tmp_path / "current"
    if how == "link pointed elsewhere":
        out.symlink_to(old.name)
    else:
        out = old
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "2", str(EXAMPLES / "company.yaml"), "-o",
                     str(out), env={"MISBEHAVE": "mutt:pause,msmtp:pause", "MISBEHAVE_READY": str(ready),
                                    "MISBEHAVE_GO": str(go)})  # fmt: skip
    assert sorted(wait_for_lines(ready, 2, process)) == sorted([process.pid, *children(process.pid)])
    assert sorted(p.name for p in old.iterdir()) == [f".msmtp.mailconf-{process.pid}.tmp",
                                                    f".mutt.mailconf-{process.pid}.tmp"]  # fmt: skip
    if how == "link pointed elsewhere":
        new.mkdir()
        (tmp_path / "switch").symlink_to(new.name)
        (tmp_path / "switch").replace(out)
        written, moved = new, old
    elif how == "folder moved away":
        old.rename(new)
        old.mkdir()
        written, moved = old, new
    else:
        shutil.rmtree(old)
        written, moved = old, None
    go.touch()
    assert finish(process) == (0, "", "")
    serial = render(tmp_path, "-t", "mutt", "-t", "msmtp", "-j", "1", str(EXAMPLES / "company.yaml"), "-o",
                    str(tmp_path / "serial"))  # fmt: skip
    assert serial[0] == 0
    assert tree(written) == tree(tmp_path / "serial")
    assert moved is None or tree(moved) == {}


@pytest.mark.parametrize(
    ("first", "status", "message"),
    [(None, 0, ""), (signal.SIGINT, 130, INTERRUPTED), (signal.SIGTERM, 143, "")],
    ids=["written", "interrupted", "terminated"],
)
def test_a_ctrl_c_while_mailconf_exits_changes_nothing(
    tmp_path: Path, first: signal.Signals | None, status: int, message: str
) -> None:
    """Once mailconf has its exit status (the files written; or a first Ctrl-C or SIGTERM acted on, the one line
    said), a Ctrl-C while Python shuts down (freeing 10,000 accounts' render, joining threads: tens of ms) is
    ignored: the same status, nothing more said. It printed a traceback, ``Exception ignored in: <module
    'threading' ...> ... KeyboardInterrupt``, or ended the process by the signal. HANG_EXITING holds Python's
    shutdown on a thread it waits for, so the Ctrl-C comes right there."""
    ready, go, out = tmp_path / "ready", tmp_path / "go", tmp_path / "out"
    hang = {"MISBEHAVE": "msmtp:hang"} if first is not None else {}
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "1", str(EXAMPLES / "company.yaml"), "-o",
                     str(out), env={"HANG_EXITING": "1", "MISBEHAVE_READY": str(ready), "MISBEHAVE_GO": str(go),
                                    **hang})  # fmt: skip
    if first is not None:
        wait_for_lines(ready, 1, process)  # rendering msmtp
        process.send_signal(first)
    assert wait_for_lines(ready, 2 if first is not None else 1, process)[-1] == process.pid  # exiting
    process.send_signal(signal.SIGINT)
    go.touch()
    assert finish(process) == (status, "", message)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == (
        ["msmtp", "msmtp/.msmtprc", "mutt", "mutt/alice.muttrc", "mutt/bob.muttrc"] if first is None else []
    )


@needs_fork
def test_ctrl_c_reaching_the_whole_process_group_prints_no_worker_traceback(tmp_path: Path) -> None:
    # a terminal's Ctrl-C signals every process of the foreground group: the workers ignore it, the parent decides
    ready, out = tmp_path / "ready", tmp_path / "out"
    process = started(subprocess.Popen(
        [sys.executable, "-m", "tests._parallel_driver", "render", "-t", "mutt", "-t", "msmtp", "-j", "2",
         str(EXAMPLES / "company.yaml"), "-o", str(out)],
        cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT), "MISBEHAVE": "mutt:hang,msmtp:hang",
                                    "MISBEHAVE_READY": str(ready)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    ))  # fmt: skip
    hung = wait_for_lines(ready, 2, process)
    os.killpg(process.pid, signal.SIGINT)
    assert finish(process) == (130, "", INTERRUPTED)
    assert all(gone(pid) for pid in hung)


# --- --jobs ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-1", "x", "2.5", ""])
def test_jobs_must_be_a_number_of_processes_or_auto(tmp_path: Path, value: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mailconf", "render", "-t", "all", "--jobs", value, str(EXAMPLES / "company.yaml"),
         "-o", str(tmp_path / "out")],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (2, "")
    shown = value or "''"  # as every usage error quotes a value (mailconf.errors.shown)
    assert done.stderr == (
        "Usage: mailconf render [OPTIONS] FILE\nTry 'mailconf render --help' for help.\n\n"
        f"Error: Invalid value for '--jobs' / '-j': {shown} is not a number of processes: "
        "use 1 or more (1: none), or auto\n"
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("value", "jobs"), [("auto", None), ("AUTO", None), ("1", 1), ("3", 3), ("007", 7)])
def test_jobs_reaches_the_request(monkeypatch: pytest.MonkeyPatch, value: str, jobs: int | None) -> None:
    import mailconf.commands.render
    from mailconf.cli import main

    seen: list[int | None] = []

    def run(request: mailconf.commands.render.RenderRequest) -> int:
        seen.append(request.jobs)
        return 0

    monkeypatch.setattr(mailconf.commands.render, "run", run)
    assert main(["render", "-t", "msmtp", "--jobs", value, "accounts.yaml"]) == 0
    assert main(["render", "-t", "msmtp", "-j", value, "accounts.yaml"]) == 0
    assert seen == [jobs, jobs]


# --- how many workers ------------------------------------------------------------------------------------------


@pytest.fixture
def four_cpus(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(mailconf.render, "_usable_cpus", lambda: 4)
    monkeypatch.setattr(mailconf.render, "_can_fork", lambda: True)
    yield


@pytest.mark.usefixtures("four_cpus")
@pytest.mark.parametrize(
    ("targets", "accounts", "jobs", "expected"),
    [
        (14, 10_000, None, 4),  # auto: one per usable CPU
        (3, 10_000, None, 3),  # never more than the targets
        (1, 10_000, None, 1),  # one target: in this process
        (14, 1, None, 1),  # small: in this process
        (14, mailconf.render.PARALLEL_FROM // 14 - 1, None, 1),
        (14, -(-mailconf.render.PARALLEL_FROM // 14), None, 4),
        (14, 1, 1, 1),  # --jobs 1
        (14, 1, 8, 8),  # --jobs N is used as given, small file or not, more than the CPUs or not
        (2, 1, 8, 2),
    ],
)
def test_how_many_workers(targets: int, accounts: int, jobs: int | None, expected: int) -> None:
    assert workers(targets, accounts, jobs) == expected


def test_every_target_has_a_cost_for_the_workers_order() -> None:
    """The workers take the costliest targets first; a target missing from _COST would be guessed."""
    from mailconf.targets import TARGETS

    assert sorted(mailconf.render._COST) == sorted(TARGETS)


def test_one_usable_cpu_renders_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mailconf.render, "_usable_cpus", lambda: 1)
    monkeypatch.setattr(mailconf.render, "_can_fork", lambda: True)
    assert workers(14, 10_000, None) == 1
    assert workers(14, 10_000, 2) == 2  # asked for


def test_no_fork_while_another_thread_runs_or_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mailconf.render, "_usable_cpus", lambda: 4)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert workers(14, 10_000, 4) == 1
    finally:
        stop.set()
        thread.join()
    monkeypatch.setattr(sys, "platform", "darwin")
    assert workers(14, 10_000, 4) == 1


def _cpu_hierarchy() -> tuple[Path, str]:
    """A cgroup folder this test may make children in, where the cpu controller limits them: cgroup v1's cpu
    hierarchy, else cgroup v2 with the cpu controller given to children; or skip (CI: a failure)."""
    from mailconf.cpus import _mount

    mounts = [m for m in map(_mount, Path("/proc/self/mountinfo").read_text().splitlines()) if m is not None]
    for root, point, kind, options in mounts:
        if kind == "cgroup" and "cpu" in options and root == "/" and os.access(point, os.W_OK):
            return point, "v1"
    for root, point, kind, _ in mounts:
        if kind == "cgroup2" and root == "/" and os.access(point, os.W_OK):
            with contextlib.suppress(OSError):
                if "cpu" in (point / "cgroup.controllers").read_text().split():
                    if "cpu" not in (point / "cgroup.subtree_control").read_text().split():
                        (point / "cgroup.subtree_control").write_text("+cpu")
                    return point, "v2"
    pytest.skip("needs a cgroup hierarchy with the cpu controller that this user may write (root, not in a container)")


@pytest.fixture
def cpu_cgroup() -> Iterator[Callable[[float | None], Path]]:
    """Makes cgroups whose processes get at most N CPUs' worth of time (None: no limit); removed afterwards."""
    made: list[Path] = []

    def make(cpus: float | None) -> Path:
        base, version = _cpu_hierarchy()
        folder = base / f"mailconf-test-{os.getpid()}-{len(made)}"
        folder.mkdir()
        made.append(folder)
        quota = -1 if cpus is None else int(cpus * 100_000)
        if version == "v1":
            (folder / "cpu.cfs_period_us").write_text("100000")
            (folder / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            (folder / "cpu.max").write_text(f"{'max' if quota < 0 else quota} 100000")
        return folder

    yield make
    for folder in reversed(made):
        for pid in (folder / "cgroup.procs").read_text().split():  # a test that failed half-way: its processes
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        for _ in range(100):  # a killed process leaves its cgroup once it is reaped
            try:
                folder.rmdir()
                break
            except OSError:
                time.sleep(0.05)


@needs_fork
@pytest.mark.parametrize("cpus", [0.5, 1.0, 1.5, None], ids=["half a CPU", "one CPU", "1.5 CPUs", "no limit"])
def test_jobs_auto_forks_no_more_processes_than_the_cgroup_cpu_quota_allows(
    cpus: float | None, cpu_cgroup: Callable[[float | None], Path], three_hundred: Path, tmp_path: Path
) -> None:
    """A container's CPU limit (docker --cpus, Kubernetes, systemd CPUQuota=) is a cgroup quota, not an affinity
    mask: every CPU of the host stays visible. --jobs auto counts the quota's CPUs, rounded up; --jobs N is used as
    given. Real cgroups, made here; the driver process is placed in one before mailconf starts."""
    cgroup = cpu_cgroup(cpus)
    affinity = len(os.sched_getaffinity(0))
    expected = min(affinity, 14 if cpus is None else -(-cpus // 1))  # rounded up
    out = tmp_path / "out"
    auto = render(tmp_path, "-t", "all", str(three_hundred), "-o", str(out), env={"PARALLEL_FROM": "1"}, cgroup=cgroup)
    assert (auto[0], jobs_of(auto[3])) == (0, [f"jobs {expected:.0f}"] if expected > 1 else [])
    asked = render(tmp_path, "-t", "all", "-j", "2", str(three_hundred), "-o", str(tmp_path / "two"), cgroup=cgroup)
    assert (asked[0], jobs_of(asked[3])) == (0, ["jobs 2"])
    assert tree(out) == tree(tmp_path / "two")


# --- the early syncfs's thread (NewFolders.done) ---------------------------------------------------------------


@needs_fork
@pytest.mark.parametrize(
    ("signum", "status", "message"), [(signal.SIGINT, 130, INTERRUPTED), (signal.SIGTERM, 143, "")]
)
def test_a_signal_while_a_failed_write_is_undone_beside_the_early_syncfs_leaves_nothing_behind(
    tmp_path: Path, three_hundred: Path, signum: signal.Signals, status: int, message: str
) -> None:
    """The early syncfs's thread is still busy (a slow disk) when write_all fails (.msmtprc does not fit) and
    removes what it wrote, with Ctrl-C and SIGTERM held off in the main thread. A signal the system hands to
    that other thread instead, as it does to a thread that does not hold it off, must be held off too: not
    acted on half-way through the cleanup."""
    ready, go, out = tmp_path / "ready", tmp_path / "go", tmp_path / "out"
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "2", str(three_hundred), "-o", str(out),
                     env={"NO_SPACE": ".msmtprc", "HANG_SYNCFS": "1", "HANG_UNDOING": "1",
                          "MISBEHAVE_READY": str(ready), "MISBEHAVE_GO": str(go)})  # fmt: skip
    assert wait_for_lines(ready, 2, process) == [process.pid, process.pid]  # the thread waits, the cleanup too
    process.send_signal(signum)
    go.touch()
    code, stdout, stderr = finish(process)
    warnings = stderr.removesuffix(message)  # the 300 accounts' POP3 leave_days gap, said before the write
    assert (code, stdout, stderr) == (status, "", warnings + message)
    assert all(line.startswith("mailconf: warning: mutt: ") for line in warnings.splitlines())
    assert not out.exists()


@needs_fork
@pytest.mark.parametrize(
    ("signum", "status", "message"), [(signal.SIGINT, 130, INTERRUPTED), (signal.SIGTERM, 143, "")]
)
def test_a_signal_while_the_early_syncfs_is_waited_for_leaves_no_staging_folder(
    tmp_path: Path, three_hundred: Path, signum: signal.Signals, status: int, message: str
) -> None:
    """--strict refuses the gaps once the workers have written mutt's and msmtp's staging folders and the early
    syncfs has started; leaving the block waits for that syncfs (a slow disk), then removes the staging folders.
    A Ctrl-C (or SIGTERM) while it waits is acted on once they are removed, -o too: not at once, which left
    them behind."""
    ready, go, out = tmp_path / "ready", tmp_path / "go", tmp_path / "out"
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "2", "--strict", str(three_hundred), "-o",
                     str(out), env={"HANG_SYNCFS": "1", "SAY_DISCARDING": "1", "MISBEHAVE_READY": str(ready),
                                    "MISBEHAVE_GO": str(go)})  # fmt: skip
    assert wait_for_lines(ready, 2, process) == [process.pid, process.pid]  # the thread waits; the block is left
    assert sorted(p.name for p in out.iterdir()) == [f".msmtp.mailconf-{process.pid}.tmp",
                                                    f".mutt.mailconf-{process.pid}.tmp"]  # fmt: skip
    process.send_signal(signum)
    go.touch()
    code, stdout, stderr = finish(process)
    errors = stderr.removesuffix(message)  # the gaps, said as errors (--strict) before the block is left
    assert (code, stdout, stderr) == (status, "", errors + message)  # --strict's last line is not said: the signal
    assert all(line.startswith("mailconf: error: mutt: ") for line in errors.splitlines())
    assert not out.exists()


@needs_fork
def test_no_room_for_the_early_syncfs_thread_writes_as_without_it(tmp_path: Path) -> None:
    """The early syncfs only starts the disk sooner: a system with no room for one more thread (``ulimit -u``,
    a container's pids limit) renders and writes as without it. It failed the render as an internal error,
    exit 3, and left both staging folders in -o."""
    args = ("-t", "mutt", "-t", "msmtp", str(EXAMPLES / "company.yaml"), "-o")
    forked = render(tmp_path, *args, str(tmp_path / "forked"), "-j", "2", env={"NO_THREAD": "mailconf-syncfs"})
    serial = render(tmp_path, *args, str(tmp_path / "serial"), "-j", "1")
    assert jobs_of(forked[3]) == ["jobs 2"]
    assert forked[:3] == serial[:3] == (0, "", "")
    assert tree(tmp_path / "forked") == tree(tmp_path / "serial")


def _paused_with_mutt_placed(tmp_path: Path) -> tuple[subprocess.Popen[str], Path, Path]:
    """``render -t mutt -t msmtp -j 2 company.yaml -o out`` (out/msmtp there, empty), paused once its workers' folder
    out/mutt is in place, just before it links .msmtprc into out/msmtp, holding out's lock: (the process, out, go)."""
    ready, go, out = tmp_path / "ready", tmp_path / "go", tmp_path / "out"
    (out / "msmtp").mkdir(0o700, parents=True)  # .msmtprc is then a new file in a folder that is there: linked last
    process = driver("render", "-t", "mutt", "-t", "msmtp", "-j", "2", str(EXAMPLES / "company.yaml"), "-o", str(out),
                     env={"HANG_LINKING": "1", "MISBEHAVE_READY": str(ready), "MISBEHAVE_GO": str(go)})  # fmt: skip
    assert wait_for_lines(ready, 1, process) == [process.pid]
    assert sorted(p.name for p in (out / "mutt").iterdir()) == ["alice.muttrc", "bob.muttrc"]  # placed
    return process, out, go


@needs_fork
def test_a_render_into_a_folder_inside_another_renders_output_waits_for_it(tmp_path: Path) -> None:
    """``render -o out`` and ``render -o out/mutt`` at once: each held its own DIR's lock only, so the second wrote
    into out/mutt while the first was writing there. It now waits for out's lock too (shared: renders into two
    folders side by side still run at once) and, given up at its deadline, writes nothing."""
    first, out, go = _paused_with_mutt_placed(tmp_path)
    (tmp_path / "carol.yaml").write_text(CLEAN.replace("  work:\n", "  carol:\n"), encoding="utf-8")
    inside = driver("render", "-t", "mutt", str(tmp_path / "carol.yaml"), "-o", str(out / "mutt"),
                    env={"LOCK_WAIT": "0.2"})  # fmt: skip
    assert finish(inside) == (
        2,
        "",
        f"mailconf: {out}/mutt: another mailconf render is writing into {out}, which holds this folder (waited 0.2 s); "
        "try again\n",
    )
    beside = driver("render", "-t", "mutt", str(tmp_path / "carol.yaml"), "-o", str(tmp_path / "beside"),
                    env={"LOCK_WAIT": "0.2"})  # fmt: skip
    assert finish(beside) == (0, "", "")  # tmp_path holds out and beside: only shared locks on it
    go.touch()
    assert finish(first) == (0, "", "")
    assert sorted(tree(out)) == ["msmtp", "msmtp/.msmtprc", "mutt", "mutt/alice.muttrc", "mutt/bob.muttrc"]


@needs_fork
def test_a_failed_render_leaves_what_another_program_wrote_into_a_folder_it_had_placed(tmp_path: Path) -> None:
    """The render places out/mutt (written by its workers) and then fails (another program created
    out/msmtp/.msmtprc meanwhile): it takes back its own files only. It renamed the whole folder back to its hidden
    name and removed it, with the file another program (a render into -o out/mutt, before renders took the lock of
    the folders around their DIR) had written there meanwhile."""
    process, out, go = _paused_with_mutt_placed(tmp_path)
    (out / "mutt" / "carol.muttrc").write_text("theirs\n", encoding="utf-8")
    (out / "mutt" / "carol.muttrc").chmod(0o600)
    (out / "msmtp" / ".msmtprc").write_text("theirs\n", encoding="utf-8")
    (out / "msmtp" / ".msmtprc").chmod(0o600)
    go.touch()
    assert finish(process) == (
        2,
        "",
        f"mailconf: refusing to replace {out}/msmtp/.msmtprc: another program created it while mailconf was writing; "
        "nothing written, run again\n",
    )
    assert tree(out) == {
        "msmtp": (0o700, b""),
        "msmtp/.msmtprc": (0o600, b"theirs\n"),
        "mutt": (0o700, b""),
        "mutt/carol.muttrc": (0o600, b"theirs\n"),
    }
