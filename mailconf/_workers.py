"""Tasks run in forked worker processes: render_targets' parallel path (docs/render.md, "Several CPUs").

The workers are forked after the account file is loaded, so they inherit the model
and the Jinja environment as they are: nothing is sent to them but a task's number.
Each task's result (a value, or the MailconfError it raised) comes back pickled, in a
memory file (memfd) announced through a pipe, or in the pipe itself once the memory file
refuses it (a target whose new folder the worker wrote
itself, mailconf.output.NewFolders, comes back as its gaps and file names only). The parent renders tasks too. Plain
``os.fork`` and pipes rather than ``multiprocessing``: a Pool starts
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

from .errors import InternalError, MailconfError, signals_held, sigterm_exits

_TASK = struct.Struct("=I")  # parent -> worker: the task's number
_FRAME = struct.Struct("=QQ")  # worker -> parent: where its pickled reply is in its reply file (offset, size)
#: A frame's offset when its reply follows it in the pipe itself (``size`` bytes), not in the reply file.
_INLINE = (1 << 64) - 1
#: A frame's offset when the worker starts writing its task's files (:func:`writing`): no reply follows.
_WRITING = (1 << 64) - 2
_T = TypeVar("_T")

#: In a worker, its end of the pipe its frames go through (:func:`writing`); -1 in the process that forks.
_frames = -1

#: Tasks queued at each worker: with one, a worker that finishes while this process renders a task of its own
#: waits for it (up to the slowest target); with two it starts its next one at once.
AHEAD = 2


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
    def __init__(self, pid: int, tasks: int, frames: int, replies: int) -> None:
        self.pid = pid
        self.tasks = tasks  # pipe, write end: task numbers
        self.frames = frames  # pipe, read end: (offset, size) of each reply
        # A memory file (memfd) the worker appends its pickled replies to. Through the pipe itself, a worker
        # would wait, with a 25 MB reply, until this process reads it, which it does only between its own tasks.
        self.replies = replies
        self.buffer = b""
        self.busy: list[int] = []  # the tasks handed to it and not answered yet, in its order
        self.writing = False  # its current task (busy[0]) writes its files now (writing())

    def close_tasks(self) -> None:
        if self.tasks >= 0:
            os.close(self.tasks)
            self.tasks = -1


def run(  # noqa: PLR0915 - ending the workers is retried inline in its finally, not in a function of its own
    work: Callable[[int], _T],
    count: int,
    jobs: int,
    order: Sequence[int],
    describe: Callable[[int], str],
) -> list[_T]:
    """``[work(0), ..., work(count - 1)]`` computed by ``jobs`` processes: this one and ``jobs - 1`` forked workers.

    Tasks are handed out in ``order`` (the longest first balances the processes) as each
    becomes free; the workers are served first, and this process renders tasks too (it
    would otherwise wait idle, and its own tasks cost no copied memory and no pickling).
    When a task raises, the error of the LOWEST failing task is raised once every task
    before it is done: exactly the error a loop over ``range(count)`` would raise; tasks
    after a failure are not started. A worker's exception that is not a MailconfError (a
    bug) comes back as itself (main() prints its type's name, as for this process); a
    worker that dies raises WorkerDied naming ``describe(task)`` and whether it was
    rendering it or writing its files (:func:`writing`). Every worker has ended
    when this returns or raises (SIGINT, SIGTERM and errors included): none is left behind.
    """
    for stream in (sys.stdout, sys.stderr):  # a child must not inherit unwritten output (it never flushes it)
        with contextlib.suppress(Exception):
            stream.flush()
    results: dict[int, object] = {}
    failures: dict[int, BaseException] = {}
    pending = list(order)
    workers: list[_Worker] = []

    def next_task() -> int | None:
        limit = min(failures, default=count)
        pending[:] = [task for task in pending if task < limit]  # after a failure: never started, as in the loop
        return pending.pop(0) if pending else None

    def hand_out(worker: _Worker) -> None:
        """Keep AHEAD tasks queued at the worker (it starts the next at once, while this process may be busy),
        but a second one only while another is left for this process."""
        while worker.tasks >= 0 and len(worker.busy) < AHEAD:
            if worker.busy and len(pending) < 2:
                return
            task = next_task()
            if task is None:
                if not worker.busy:
                    worker.close_tasks()  # EOF: the worker exits
                return
            worker.busy.append(task)
            os.write(worker.tasks, _TASK.pack(task))

    def drive(selector: selectors.BaseSelector) -> None:
        """Fork the workers, then hand out the tasks and gather the results until all are done (or one failed)."""
        for _ in range(min(jobs, count) - 1):
            worker = _fork(work, workers)
            selector.register(worker.frames, selectors.EVENT_READ, worker)
            hand_out(worker)
        while True:
            own = next_task()
            if own is None and not any(w.busy for w in workers):
                break
            for key, _events in selector.select(0 if own is not None else None):
                worker = key.data
                for reply in _receive(worker, describe):
                    if reply.error is None:
                        results[reply.task] = reply.value
                    else:
                        failures[reply.task] = reply.error
                    hand_out(worker)
                if not worker.busy:
                    selector.unregister(worker.frames)
            if own is not None and own < min(failures, default=count):  # a failure before it may have come in
                try:
                    results[own] = work(own)
                except Exception as exc:  # noqa: BLE001 - raised below, after the tasks before it, as in the loop
                    failures[own] = exc

    with sigterm_exits():
        try:
            with selectors.DefaultSelector() as selector:
                drive(selector)
        finally:
            # Not a function of its own (nor an ExitStack callback): a second Ctrl-C or SIGTERM is acted on where a
            # function starts, so one that came as _end began, before it held signals off, skipped it: the workers
            # went on rendering and writing into staging folders this process was removing, and outlived it.
            # _end is called again until it has ended every worker; the last signal is then raised
            signalled: BaseException | None = None
            while True:
                try:
                    _end(workers)
                    break
                except (KeyboardInterrupt, SystemExit) as exc:
                    signalled = exc
            if signalled is not None:
                raise signalled
    if failures:
        raise failures[min(failures)]
    return [cast(_T, results[i]) for i in range(count)]


def _receive(worker: _Worker, describe: Callable[[int], str]) -> Iterator[_Reply]:
    """The replies the worker has announced; WorkerDied when it ended without answering."""
    chunk = os.read(worker.frames, 1 << 16)
    if not chunk:
        if not worker.busy:
            return
        raise _died(worker, describe)
    worker.buffer += chunk
    while len(worker.buffer) >= _FRAME.size:
        offset, size = _FRAME.unpack_from(worker.buffer)
        worker.buffer = worker.buffer[_FRAME.size :]
        if offset == _WRITING:
            worker.writing = True
            continue
        if offset == _INLINE:  # read whole now: the worker is writing it, and waits until it is read
            data, worker.buffer = _read_inline(worker, size, describe)
        else:
            data = _read_at(worker.replies, offset, size)
        reply = pickle.loads(data)  # our own worker wrote it
        assert isinstance(reply, _Reply)
        worker.busy.remove(reply.task)
        worker.writing = False
        yield reply


def _died(worker: _Worker, describe: Callable[[int], str]) -> WorkerDied:
    """The error for a worker that ended without answering, saying what it was doing: rendering its current task,
    or writing its files (its new folders, written in the worker: mailconf.output.NewFolders)."""
    doing = "writing the files of" if worker.writing else "rendering"
    return WorkerDied(f"render: {_death(worker.pid)} while {doing} {describe(worker.busy[0])}; "
                      "nothing written (run again; --jobs 1 renders without worker processes)")  # fmt: skip


def writing() -> None:
    """Called by a task that now writes its files: in a worker, the parent is told, and says so should the worker
    die (``while writing the files of target mutt``, not ``while rendering``). Nothing to do in the process that
    forks (its own tasks never die apart from it)."""
    if _frames >= 0:
        _write_fully(_frames, _FRAME.pack(_WRITING, 0))


def _read_inline(worker: _Worker, size: int, describe: Callable[[int], str]) -> tuple[bytes, bytes]:
    """A reply of ``size`` bytes sent through the pipe (what the buffer holds of it first), and what follows it."""
    parts, have = [worker.buffer], len(worker.buffer)
    while have < size:
        chunk = os.read(worker.frames, min(size - have, 1 << 20))
        if not chunk:
            raise _died(worker, describe)
        parts.append(chunk)
        have += len(chunk)
    data = b"".join(parts)
    return data[:size], data[size:]


def _read_at(fd: int, offset: int, size: int) -> bytes:
    parts = []
    while size:
        part = os.pread(fd, size, offset)
        if not part:
            raise InternalError("render: a worker's reply is shorter than announced; please report it")
        parts.append(part)
        offset += len(part)
        size -= len(part)
    return b"".join(parts)


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
    # Signals held off until the child is listed (so that _end ends it) and has its own handlers; and while its pipes
    # and memory file are made: a signal acted on as os.pipe() returned left the descriptors made so far open
    with signals_held() as previous:
        made: list[int] = []
        try:
            made += os.pipe()
            made += os.pipe()
            made.append(_memory_file())
            pid = os.fork()
        except BaseException:  # an error (no room for a descriptor, a process): those made are closed
            for fd in made:
                os.close(fd)
            raise
        task_r, task_w, frame_r, frame_w, replies = made
        if pid == 0:  # the child: never returns, so never leaves the block; sets the mask back itself
            status = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
                # The parent's ends, and every earlier worker's: a worker holding another's task pipe open
                # would keep that one from ever reading its end.
                for fd in (task_w, frame_r, *(f for w in workers for f in (w.tasks, w.frames, w.replies) if f >= 0)):
                    os.close(fd)
                _serve(work, task_r, frame_w, replies)
                status = 0
            finally:
                os._exit(status)
        os.close(task_r)
        os.close(frame_w)
        worker = _Worker(pid, task_w, frame_r, replies)
        workers.append(worker)  # from here on _end ends it, whatever happens
    return worker


def _memory_file() -> int:
    """An anonymous file in memory (memfd, Linux 3.17+), or else an unlinked temporary file."""
    try:
        return os.memfd_create("mailconf-render-replies", os.MFD_CLOEXEC)
    except OSError:
        import tempfile

        with tempfile.TemporaryFile() as temporary:
            return os.dup(temporary.fileno())


def _serve(work: Callable[[int], object], tasks: int, frames: int, replies: int) -> None:
    """The worker's loop: a task number in, its reply appended to ``replies`` and announced on ``frames``.

    Ends when the parent closes the task pipe.
    """
    global _frames  # noqa: PLW0603 - this worker's own, set once: writing() announces through it
    _frames = frames
    offset = 0
    inline = False
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
        try:
            data = _dumps(reply)
        except Exception as exc:  # noqa: BLE001 - a value pickle cannot carry is a bug, said like any other
            data = _dumps(_Reply(task, error=_bug(exc)))
        if not inline:
            try:
                _write_fully(replies, data)
            except OSError:
                # A memory file counts against the user's file size limit (``ulimit -f``, RLIMIT_FSIZE: EFBIG),
                # and the fallback temporary file against its disk. Dying here would turn the limit into a worker's
                # death; through the pipe instead (this worker waits until the parent reads it), this reply and
                # the next ones reach the parent, whose write of the rendered files meets the limit as --jobs 1 does.
                inline = True
        if inline:
            _write_fully(frames, _FRAME.pack(_INLINE, len(data)) + data)
        else:
            _write_fully(frames, _FRAME.pack(offset, len(data)))
            offset += len(data)


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


def _end(workers: list[_Worker]) -> None:
    """Every worker ended and reaped: those still busy (an error, a signal) are killed first.

    Signals are held off meanwhile: a second Ctrl-C must not leave a worker unreaped. Each worker is taken off
    ``workers`` once reaped, so a call made again (a signal acted on as the previous one began or ended) ends only
    those left, and never signals a process number reaped and reused since.
    """
    with signals_held():
        for worker in workers:
            worker.close_tasks()
            if worker.busy:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGKILL)
        while workers:
            worker = workers[0]
            with contextlib.suppress(ChildProcessError):
                os.waitpid(worker.pid, 0)
            os.close(worker.frames)
            os.close(worker.replies)
            del workers[0]
