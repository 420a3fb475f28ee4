"""``python -m tests._parallel_driver ARGS``: ``mailconf ARGS`` in a fresh interpreter, as a user runs it, with hooks.

tests/test_render_parallel.py runs it as a real process (real fork, real pipes, real
signals). The hooks only observe or inject; every line printed and the exit code come
from mailconf.cli.main unchanged:

- PARALLEL_RECORD=FILE: each worker's pid is appended to FILE as it is forked,
  ``jobs N`` when mailconf._workers.run renders in N processes, and
  ``rendering TARGET in PID`` when a misbehaving target starts;
- PARALLEL_FROM=N: mailconf.render.PARALLEL_FROM for ``--jobs auto``;
- LOCK_WAIT=SECONDS: mailconf.output.LOCK_WAIT, how long a render waits for another one's lock;
- MISBEHAVE=TARGET:ACTION[,TARGET:ACTION...]: that target's render(), in whatever
  process renders it, misbehaves. Nothing real can make a worker die or hang on
  demand, so this is the one fake here: ``hang`` writes ``<pid>`` to
  MISBEHAVE_READY then sleeps; ``pause`` writes ``<pid>`` to MISBEHAVE_READY, waits until the
  file MISBEHAVE_GO exists, then renders; ``exit`` is os._exit(7); ``kill`` is SIGKILL to itself;
  ``bug`` raises KeyError (text that must never be printed); ``refuse`` raises the
  RenderError an unsafe value gives; ``slow-refuse`` renders first (to finish after the
  others), then refuses.
- HANG_WRITING=N: once mailconf.output has written N temporaries, the process writing them
  writes ``<pid>`` to MISBEHAVE_READY and sleeps (a signal then comes while files are half done).
- HANG_REMOVING=1: the first time mailconf.output removes a staging folder (a render that ends
  before its new folders are placed), it writes ``<pid>`` to MISBEHAVE_READY and waits until
  the file MISBEHAVE_GO exists (a signal then comes while the staging folders are removed).
- HANG_UNDOING=1: the first time mailconf.output removes the temporaries of a write that failed
  (write_all's cleanup), it writes ``<pid>`` to MISBEHAVE_READY and waits until the file
  MISBEHAVE_GO exists (a signal then comes while that cleanup runs).
- HANG_LINKING=1: the first time mailconf.output links a new file into place (a file in a folder that was
  there; the folders NewFolders wrote are in place by then), it writes ``<pid>`` to MISBEHAVE_READY and waits
  until the file MISBEHAVE_GO exists (another program then writes into -o meanwhile).
- HANG_SYNCFS=1: the early syncfs of mailconf.output.NewFolders.done(), in its thread, writes
  ``<pid>`` to MISBEHAVE_READY and waits until the file MISBEHAVE_GO exists (the thread is alive
  while the main thread goes on: a signal then comes while it is).
- SAY_DISCARDING=1: when mailconf.output.NewFolders.discard() is called (the render's block is
  left), ``<pid>`` is written to MISBEHAVE_READY first (a signal then comes while it runs).
- NO_THREAD=NAME: starting a thread named NAME fails as it does when the system has no room for
  one more (RuntimeError "can't start new thread": ``ulimit -u``, a container's pids limit).
- NO_SPACE=NAME: writing a file named NAME (under its own name, or as its temporary) fails with
  ENOSPC, in whichever process writes it: a full disk that only that file does not fit on.
- SIGNAL_LINKED=N:SIGNAL: once mailconf.output has linked its Nth new file to its final name, the process
  sends itself SIGNAL (INT or TERM) before that is recorded (a window of a few bytecodes, as SIGNAL_CREATED).
- SIGNAL_MKDIR=N:SIGNAL: once the process has made its Nth folder (``os.mkdir``: -o and its parents, a
  target's folder, a staging folder), it sends itself SIGNAL (INT or TERM) before that is recorded.
- SIGNAL_PLACED=N:SIGNAL: once mailconf.output has renamed its Nth new folder into place, the process sends
  itself SIGNAL (INT or TERM) before that is recorded.
- SIGNAL_REPLACED=N:SIGNAL: once mailconf.output has replaced its Nth existing file (``--force``, ``--update``;
  exchanged with its temporary, or os.replace'd), the process sends itself SIGNAL (INT or TERM): the signal comes
  while the files are moved into place.
- HANG_EXITING=1: once mailconf.cli.main has returned, a thread that Python waits for as it ends (as it
  does for a pool's threads) writes ``<pid>`` to MISBEHAVE_READY and waits until the file MISBEHAVE_GO
  exists (a signal then comes while Python shuts down). main() is called as the console script calls it.
- SIGNAL_ENDING=SIGNAL: the first time mailconf._workers._end is called (the workers are to be ended: a signal, an
  error, or all done), the process sends itself SIGNAL (INT or TERM) first: a second Ctrl-C that comes as that
  cleanup begins, acted on at its first bytecode, before it holds signals off.
- SIGNAL_DISCARDING=SIGNAL: the first time mailconf.output.NewFolders.discard is called (its staging folders are to
  be removed), the process sends itself SIGNAL (INT or TERM) first, acted on as that cleanup begins.
- SIGNAL_SYNCFS=N:SIGNAL: once mailconf.output's Nth syncfs has returned, the process sends itself SIGNAL (INT or
  TERM): the signal comes as the files are made durable, before they are moved into place.
- SIGNAL_CLEANUP=N:SIGNAL: once something has gone wrong (NO_SPACE's ENOSPC raised, or the signal of another
  SIGNAL_* sent), the Nth ``signals_held()`` entered (mailconf.output's, mailconf.errors') sends SIGNAL (INT or
  TERM) first: a second signal acted on just before a cleanup holds signals off (a window of a few bytecodes at
  the start of an ``except``, which a real second Ctrl-C hits only by chance).
- SIGNAL_FSYNCING=SIGNAL: the first fsync a thread of mailconf.output's fsync pool makes sends the process SIGNAL
  (INT or TERM: the main thread, waiting for the batch, takes it), then waits until the main thread closes that
  descriptor (``closed FD while its fsync ran`` is appended to MISBEHAVE_READY: a closed number is reused by the
  next open) or waits for the pool (``concurrent.futures.wait``), and only then fsyncs it.
- SIGNAL_CREATED=N:SIGNAL: once mailconf.output has created its Nth file (a temporary, or a file under its
  own name in a staging folder), the process sends itself SIGNAL (INT or TERM) before the descriptor is
  handed back: the signal comes between the create and whatever records the file (the window is a
  few bytecodes wide; a real Ctrl-C hits it only by chance).
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import jinja2

import mailconf._workers
import mailconf.render
from mailconf.cli import main
from mailconf.model import Model
from mailconf.targets import TARGETS, Rendered


def _misbehaving(name: str, action: str, render: Callable[..., Rendered]) -> Callable[..., Rendered]:
    def misbehave(model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered:
        if "PARALLEL_RECORD" in os.environ:
            with open(os.environ["PARALLEL_RECORD"], "a", encoding="ascii") as out:
                out.write(f"rendering {name} in {os.getpid()}\n")
        if action == "hang":
            _ready()
            time.sleep(3600)
        elif action == "pause":
            _ready()
            _wait_for_go()
        elif action == "exit":
            os._exit(7)
        elif action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif action == "bug":
            raise KeyError("the text of a bug, never printed")
        elif action in {"refuse", "slow-refuse"}:
            if action == "slow-refuse":
                for _ in range(3):
                    render(model, env, options)
            raise mailconf.render.RenderError(f"target {name}: not rendered: a test refusal")
        return render(model, env, options)

    return misbehave


def _install() -> None:
    record = os.environ.get("PARALLEL_RECORD")
    if record:
        run, fork = mailconf._workers.run, mailconf._workers._fork

        def recorded_run(*args: Any) -> Any:
            with open(record, "a", encoding="ascii") as out:
                out.write(f"jobs {args[2]}\n")
            return run(*args)

        def recorded_fork(*args: Any) -> Any:
            worker = fork(*args)
            with open(record, "a", encoding="ascii") as out:
                out.write(f"{worker.pid}\n")
            return worker

        mailconf._workers.run = recorded_run  # type: ignore[assignment]
        mailconf._workers._fork = recorded_fork  # type: ignore[assignment]
    if "PARALLEL_FROM" in os.environ:
        mailconf.render.PARALLEL_FROM = int(os.environ["PARALLEL_FROM"])
    if "LOCK_WAIT" in os.environ:
        from mailconf import output

        output.LOCK_WAIT = float(os.environ["LOCK_WAIT"])
    if "HANG_WRITING" in os.environ:
        from mailconf import output

        write_fully, written = output._write_fully, [0]

        def hanging_write(fd: int, content: bytes) -> None:
            write_fully(fd, content)
            written[0] += 1
            if written[0] == int(os.environ["HANG_WRITING"]):
                _ready()
                time.sleep(3600)

        output._write_fully = hanging_write
    _pause_first_calls()
    if "HANG_SYNCFS" in os.environ:
        _hang_syncfs()
    if "SAY_DISCARDING" in os.environ:
        _say_discarding()
    if "NO_THREAD" in os.environ:
        _no_thread(os.environ["NO_THREAD"])
    if "NO_SPACE" in os.environ:
        _no_space(os.environ["NO_SPACE"])
    signalled = {
        "SIGNAL_CREATED": _signal_created,
        "SIGNAL_LINKED": _signal_linked,
        "SIGNAL_REPLACED": _signal_replaced,
        "SIGNAL_MKDIR": _signal_mkdir,
        "SIGNAL_PLACED": _signal_placed,
        "SIGNAL_ENDING": _signal_ending,
        "SIGNAL_DISCARDING": _signal_discarding,
        "SIGNAL_SYNCFS": _signal_syncfs,
        "SIGNAL_CLEANUP": _signal_cleanup,
        "SIGNAL_FSYNCING": _signal_fsyncing,
    }
    for variable, install in signalled.items():
        if variable in os.environ:
            install(os.environ[variable])
    for item in filter(None, os.environ.get("MISBEHAVE", "").split(",")):
        name, _, action = item.partition(":")
        target: Any = TARGETS[name]
        target.render = _misbehaving(name, action, target.render)


#: HANG_* variable -> the function of mailconf.output whose first call waits for the test.
_PAUSED = {
    "HANG_REMOVING": "_remove_tree",  # the first staging folder removed
    "HANG_UNDOING": "_remove",  # the first cleanup of a failed write
    "HANG_LINKING": "_create",  # the first new file linked into place
}


def _pause_first_calls() -> None:
    from mailconf import output

    for variable, name in _PAUSED.items():
        if variable in os.environ:
            setattr(output, name, _paused_at_first_call(getattr(output, name)))


def _ready() -> None:
    """Tell the test this process has reached the point it waits for (its pid, one line)."""
    with open(os.environ["MISBEHAVE_READY"], "a", encoding="ascii") as ready:
        ready.write(f"{os.getpid()}\n")


def _wait_for_go() -> None:
    """Until the test creates MISBEHAVE_GO (it has done what it does at this point: a signal, a check)."""
    while not os.path.exists(os.environ["MISBEHAVE_GO"]):
        time.sleep(0.02)


def _paused_at_first_call(original: Callable[..., None]) -> Callable[..., None]:
    """``original``, whose first call says ready and waits for the test's go before it runs."""
    calls = [0]

    def paused(*args: Any) -> None:
        calls[0] += 1
        if calls[0] == 1:
            _ready()
            _wait_for_go()
        original(*args)

    return paused


def _hang_syncfs() -> None:
    import threading

    from mailconf import output

    assert output._syncfs_available()
    syncfs = output._syncfs
    assert syncfs is not None

    def hanging_syncfs(fd: int) -> int:
        if threading.current_thread().name == "mailconf-syncfs":
            _ready()
            _wait_for_go()
        return syncfs(fd)

    output._syncfs = hanging_syncfs


def _say_discarding() -> None:
    from mailconf import output

    discard = output.NewFolders.discard

    def said(self: output.NewFolders) -> None:
        _ready()
        discard(self)

    output.NewFolders.discard = said  # type: ignore[method-assign]


def _no_thread(name: str) -> None:
    import threading

    start = threading.Thread.start

    def no_room(self: threading.Thread) -> None:
        if self.name == name:
            raise RuntimeError("can't start new thread")
        start(self)

    threading.Thread.start = no_room  # type: ignore[method-assign]


def _no_space(full: str) -> None:
    from mailconf import output

    full_disk = no_space_at(full, output._write_fully)

    def noted(fd: int, content: bytes) -> None:
        try:
            full_disk(fd, content)
        except OSError:
            _WRONG[0] = True
            raise

    output._write_fully = noted


def _signal_after(setting: str, owner: Any, attribute: str, counted: Callable[..., bool] = lambda *_: True) -> None:
    """``owner.attribute`` wrapped: once its Nth counted call has returned (``setting`` is ``N:SIGNAL``), the process
    sends itself SIGNAL, acted on by the next bytecodes: before the caller goes on."""
    count, _, signame = setting.partition(":")
    original, calls = getattr(owner, attribute), [0]

    def signalled(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls[0] += counted(*args)
        if calls[0] == int(count):
            _WRONG[0] = True
            os.kill(os.getpid(), signal.Signals[f"SIG{signame}"])
        return result

    setattr(owner, attribute, signalled)


def _signal_ending(signame: str) -> None:
    end, calls = mailconf._workers._end, [0]

    def signalled(*args: Any) -> None:
        calls[0] += 1
        if calls[0] == 1:
            os.kill(os.getpid(), signal.Signals[f"SIG{signame}"])  # acted on before the next call: end() below
        end(*args)

    mailconf._workers._end = signalled  # type: ignore[assignment]


def _signal_discarding(signame: str) -> None:
    from mailconf import output

    discard, calls = output.NewFolders.discard, [0]

    def signalled(self: output.NewFolders) -> None:
        calls[0] += 1
        if calls[0] == 1:
            os.kill(os.getpid(), signal.Signals[f"SIG{signame}"])  # acted on before the next call: discard() below
        discard(self)

    output.NewFolders.discard = signalled  # type: ignore[method-assign]


_WRONG = [False]  # something has gone wrong (SIGNAL_CLEANUP counts the holds from there)


def _signal_cleanup(setting: str) -> None:
    import mailconf.errors
    from mailconf import output

    count, _, signame = setting.partition(":")
    held, calls = mailconf.errors.signals_held, [0]

    def signalled() -> Any:
        if _WRONG[0]:
            calls[0] += 1
            if calls[0] == int(count):
                os.kill(os.getpid(), signal.Signals[f"SIG{signame}"])  # acted on right here: before the hold below
        return held()

    mailconf.errors.signals_held = signalled
    output.signals_held = signalled  # type: ignore[attr-defined]


def _signal_fsyncing(signame: str) -> None:
    import concurrent.futures
    import threading

    fsync, close, wait = os.fsync, os.close, concurrent.futures.wait
    flying: list[int] = []  # the descriptor a pool thread is fsyncing
    landed = threading.Event()  # the main thread has closed it, or waits for the pool

    def held_fsync(fd: int) -> None:
        if threading.current_thread().name.startswith("ThreadPoolExecutor") and not landed.is_set() and not flying:
            flying.append(fd)
            os.kill(os.getpid(), signal.Signals[f"SIG{signame}"])  # blocked here: the main thread takes it
            landed.wait()
            try:
                fsync(fd)
            finally:
                flying.clear()
            return
        fsync(fd)

    def watched_close(fd: int) -> None:
        if fd in flying and threading.current_thread() is threading.main_thread():
            with open(os.environ["MISBEHAVE_READY"], "a", encoding="ascii") as ready:
                ready.write(f"closed {fd} while its fsync ran\n")
            landed.set()
        close(fd)

    def waited(*args: Any, **kwargs: Any) -> Any:
        landed.set()
        return wait(*args, **kwargs)

    os.fsync = held_fsync  # type: ignore[assignment]  # mailconf fsyncs descriptors only
    os.close = watched_close
    concurrent.futures.wait = waited


def _signal_syncfs(setting: str) -> None:
    from mailconf import output

    assert output._syncfs_available()
    _signal_after(setting, output, "_syncfs")


def _signal_created(setting: str) -> None:
    from mailconf import output

    _signal_after(setting, output, "_create_exactly")


def _signal_linked(setting: str) -> None:
    from mailconf import output

    _signal_after(setting, output, "_create")


def _signal_mkdir(setting: str) -> None:
    _signal_after(setting, os, "mkdir")  # mailconf.output calls os.mkdir, and Path.mkdir does


def _signal_placed(setting: str) -> None:
    from mailconf import output

    _signal_after(setting, output, "_rename_new_folder")


def _signal_replaced(setting: str) -> None:
    # mailconf.output exchanges a temporary with the file it replaces (renameat2 RENAME_EXCHANGE), or calls
    # os.replace where the file system cannot exchange: a temporary moved into place, not another program's rename
    from mailconf import output

    _signal_after(setting, os, "replace", lambda source, *_: ".mailconf-" in source)
    count, _, signame = setting.partition(":")
    exchange, calls = output._renameat2, [0]

    def signalled(fd: int, source: str, destination: str, *, flags: int = output._RENAME_NOREPLACE) -> bool:
        done = exchange(fd, source, destination, flags=flags)
        if done and flags == output._RENAME_EXCHANGE and ".mailconf-" in source:
            calls[0] += 1
            if calls[0] == int(count):
                _WRONG[0] = True
                os.kill(os.getpid(), signal.Signals[f"SIG{signame}"])
        return done

    output._renameat2 = signalled


def no_space_at(name: str, write: Callable[[int, bytes], None]) -> Callable[[int, bytes], None]:
    """``write`` (output._write_fully), failing with ENOSPC for the file named ``name`` or its temporary (a full
    disk there; the test of one process patches it in with this too)."""

    def no_space(fd: int, content: bytes) -> None:
        written = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        if written == name or written.startswith(f".{name}.mailconf-"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        write(fd, content)

    return no_space


def _hang_exiting() -> None:
    import threading

    def hold() -> None:
        _ready()
        _wait_for_go()

    threading.Thread(target=hold, name="test-exiting").start()  # not a daemon: Python's shutdown joins it


if __name__ == "__main__":
    _install()
    status = main()  # as the console script and python -m mailconf: the arguments from sys.argv
    if "HANG_EXITING" in os.environ:
        _hang_exiting()
    sys.exit(status)
