"""Tasks run in forked worker processes: render_targets' parallel path (docs/render.md, "Several CPUs").

The workers are forked after the account file is loaded, so they inherit the model
and the Jinja environment as they are: nothing is sent to them but a task's number.
Each task's result (a value, or the MailconfError it raised) comes back pickled through
a pipe. Plain ``os.fork`` and pipes rather than ``multiprocessing``: a Pool starts
threads in the parent and prints a worker's KeyboardInterrupt with a traceback, and
here every byte a child prints, every signal and every child's end must be decided.

A worker never prints (except the traceback of a bug under MAILCONF_DEBUG=1, as the
serial path would), never runs the parent's atexit handlers or flushes its buffers
(it ends with ``os._exit``), ignores SIGINT (a Ctrl-C reaches the whole foreground
process group: the parent decides) and dies at once on SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import selectors
import signal
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple, TypeVar, cast

from .errors import InternalError, MailconfError

_TASK = struct.Struct("=I")  # parent -> worker: the task's number
_FRAME = struct.Struct("=Q")  # worker -> parent: the length of the pickled reply that follows
_READ = 1 << 20
_T = TypeVar("_T")

_HELD = {signal.SIGINT, signal.SIGTERM}

#: The exit status after SIGTERM during a parallel render, as a shell reports it (128 + 15), like probe's.
TERMINATED = 143


class WorkerDied(InternalError):
    """A worker process ended without answering (killed, out of memory): nothing is written."""


class Relayed(MailconfError):
    """A worker's MailconfError that pickle cannot carry as it is: the same message and exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[assignment]  # the ExitCode the worker's error had


class _Reply(NamedTuple):
    task: int
    value: object = None
    error: BaseException | None = None


class _Worker:
    def __init__(self, pid: int, tasks: int, replies: int) -> None:
        self.pid = pid
        self.tasks = tasks  # write end: task numbers
        self.replies = replies  # read end: framed pickled replies
        self.buffer = bytearray()
        self.busy: int | None = None  # the task it is working on

    def close_tasks(self) -> None:
        if self.tasks >= 0:
            os.close(self.tasks)
            self.tasks = -1


def run(
    work: Callable[[int], _T],
    count: int,
    jobs: int,
    order: Sequence[int],
    describe: Callable[[int], str],
) -> list[_T]:
    """``[work(0), ..., work(count - 1)]`` computed by ``jobs`` forked workers, one task at a time each.

    Tasks are handed out in ``order`` (the longest first balances the workers) as
    workers become free. When a task raises a MailconfError, the error of the LOWEST
    failing task is raised once every task before it has answered: exactly the error a
    loop over ``range(count)`` would raise. Tasks after a failure are not started. An
    exception that is not a MailconfError (a bug) is reported like the serial path
    reports it (``internal error (TypeError) ...``); a worker that dies raises
    WorkerDied naming ``describe(task)``. Every worker has ended when this returns or
    raises (SIGINT, SIGTERM and errors included): none is left behind.
    """
    for stream in (sys.stdout, sys.stderr):  # a child must not inherit unwritten output (it never flushes it)
        with contextlib.suppress(Exception):
            stream.flush()
    results: dict[int, object] = {}
    failures: dict[int, BaseException] = {}
    pending = list(order)
    workers: list[_Worker] = []
    with _terminate_raises(), contextlib.ExitStack() as stack:
        stack.callback(_end, workers)
        selector = stack.enter_context(selectors.DefaultSelector())
        for _ in range(min(jobs, count)):
            worker = _fork(work, workers)
            selector.register(worker.replies, selectors.EVENT_READ, worker)

        def hand_out(worker: _Worker) -> None:
            limit = min(failures, default=count)
            pending[:] = [task for task in pending if task < limit]  # after a failure: never started, as in the loop
            if not pending:
                worker.close_tasks()  # EOF: the worker exits
                return
            worker.busy = pending.pop(0)
            os.write(worker.tasks, _TASK.pack(worker.busy))

        for worker in workers:
            hand_out(worker)
        while any(w.busy is not None for w in workers):
            for key, _events in selector.select():
                worker = key.data
                for reply in _receive(worker, describe):
                    worker.busy = None
                    if reply.error is None:
                        results[reply.task] = reply.value
                    else:
                        failures[reply.task] = reply.error
                    hand_out(worker)
                if worker.busy is None and worker.tasks < 0:
                    selector.unregister(worker.replies)
    if failures:
        raise failures[min(failures)]
    return [cast(_T, results[i]) for i in range(count)]


def _receive(worker: _Worker, describe: Callable[[int], str]) -> Iterator[_Reply]:
    """The replies complete in what the worker's pipe holds now; WorkerDied when it ended without one."""
    chunk = os.read(worker.replies, _READ)
    if not chunk:
        if worker.busy is None:
            return
        raise WorkerDied(f"render: {_death(worker.pid)} while rendering {describe(worker.busy)}; "
                         "nothing written (run again; --jobs 1 renders without worker processes)")  # fmt: skip
    worker.buffer += chunk
    while len(worker.buffer) >= _FRAME.size:
        (size,) = _FRAME.unpack_from(worker.buffer)
        if len(worker.buffer) < _FRAME.size + size:
            return
        reply = pickle.loads(worker.buffer[_FRAME.size : _FRAME.size + size])  # our own worker wrote it
        del worker.buffer[: _FRAME.size + size]
        assert isinstance(reply, _Reply)
        yield reply


def _death(pid: int) -> str:
    """How worker ``pid`` ended (reaped here), in words."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "a worker process ended"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = f" ({signal.Signals(number).name})"
        except ValueError:
            name = ""
        return f"the worker process was killed by signal {number}{name}"
    return f"the worker process exited with status {os.waitstatus_to_exitcode(status)}"


def _fork(work: Callable[[int], object], workers: list[_Worker]) -> _Worker:
    task_r, task_w = os.pipe()
    reply_r, reply_w = os.pipe()
    _widen(reply_w)
    # Signals held off until the child is known (listed by the caller) and has its own handlers.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        pid = os.fork()
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        for fd in (task_r, task_w, reply_r, reply_w):
            os.close(fd)
        raise
    if pid == 0:  # the child: never returns
        status = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
            # The parent's ends, and every earlier worker's: a worker holding another's task pipe open
            # would keep that one from ever reading its end.
            for fd in (task_w, reply_r, *(f for w in workers for f in (w.tasks, w.replies) if f >= 0)):
                os.close(fd)
            _serve(work, task_r, reply_w)
            status = 0
        finally:
            os._exit(status)
    os.close(task_r)
    os.close(reply_w)
    worker = _Worker(pid, task_w, reply_r)
    workers.append(worker)  # from here on _end ends it, whatever happens
    signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    return worker


def _widen(fd: int) -> None:
    """A 1 MiB pipe instead of 64 KiB (Linux; the unprivileged maximum): a target's files (up to 25 MB for
    10,000 accounts) then cross in 16 times fewer turns of the worker waiting for the parent to read."""
    import fcntl

    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _READ)


def _serve(work: Callable[[int], object], tasks: int, replies: int) -> None:
    """The worker's loop: a task number in, its framed reply out, until the parent closes the task pipe."""
    while True:
        header = _read_exactly(tasks, _TASK.size)
        if not header:
            return
        (task,) = _TASK.unpack(header)
        try:
            reply = _Reply(task, work(task))
        except MailconfError as exc:
            reply = _Reply(task, error=exc)
        except BaseException as exc:  # noqa: BLE001 - a bug: reported by the parent in one line, like the serial path
            reply = _Reply(task, error=_bug(exc))
        data = _dumps(reply)
        _write_fully(replies, _FRAME.pack(len(data)) + data)


def _bug(exc: BaseException) -> BaseException:
    """What the parent raises for an unexpected exception: the exception itself when pickle carries it.

    mailconf's main() prints the type's name only (never the text), so the same exception
    gives the same line as in the serial path. MAILCONF_DEBUG=1 prints the traceback here,
    where the frames are.
    """
    if os.environ.get("MAILCONF_DEBUG"):
        import traceback

        traceback.print_exception(exc)
    exc.__traceback__ = None
    try:
        copy = pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - an exception pickle cannot carry: said with its name, as main() says it
        copy = None
    if type(copy) is type(exc):
        assert isinstance(copy, BaseException)
        return copy
    debug = "MAILCONF_DEBUG=1 shows the traceback"
    return InternalError(f"internal error ({type(exc).__name__}) while rendering; please report it ({debug})")


def _dumps(reply: _Reply) -> bytes:
    """The reply pickled; a MailconfError that pickle cannot carry as it is goes as its message and exit code."""
    error = reply.error
    if isinstance(error, MailconfError):
        error.__traceback__ = None
        try:
            copy = pickle.loads(pickle.dumps(error))
            if type(copy) is type(error) and str(copy) == str(error):
                return pickle.dumps(reply._replace(error=error), pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - relayed below
            pass
        return pickle.dumps(reply._replace(error=Relayed(str(error), int(error.exit_code))), pickle.HIGHEST_PROTOCOL)
    return pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)


def _read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            return b""
        data += chunk
    return data


def _write_fully(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _end(workers: Sequence[_Worker]) -> None:
    """Every worker ended and reaped: those still busy (an error, a signal) are killed first.

    Signals are held off meanwhile: a second Ctrl-C must not leave a worker unreaped.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        for worker in workers:
            worker.close_tasks()
            if worker.busy is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGKILL)
        for worker in workers:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(worker.pid, 0)
            os.close(worker.replies)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def _terminate_raises() -> Iterator[None]:
    """While workers run, SIGTERM exits 143 (SystemExit, like probe) after they are ended, instead of orphaning them."""

    def terminate(_signum: int, _frame: object) -> None:
        raise SystemExit(TERMINATED)

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
