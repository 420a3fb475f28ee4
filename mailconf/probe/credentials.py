"""Run a password or token command, for --login only, and keep what it prints to ourselves.

The command runs with ``/bin/sh -c`` in its own session and process group,
standard input closed, standard error discarded (a failing command may print
the secret there), within the session's deadline. Its output ends when the
shell exits; then, and on every other way out (error, deadline, cancellation),
the whole process group is killed, so a background child it started (``sleep
300 &``) ends with it. :func:`kill_running` does the same from a signal
handler. Its first output line is the secret. Messages describe what went
wrong (status, no output) and never contain any of the output.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from . import checks
from .conn import ProbeError

#: The most output read from a command (a secret is one line).
MAX_OUTPUT = 65536


#: The process groups of the commands running now: a signal handler kills them (see :func:`kill_running`).
_RUNNING: set[int] = set()


async def read_secret(command: str, what: str) -> str:
    """The first line the command prints; ``what`` names it in messages ("password_command")."""
    output = await _run(command, what)
    line = output.split(b"\n", 1)[0].rstrip(b"\r")
    if not line:
        raise ProbeError(checks.SECRET_FAILED, f"{what} printed nothing on its first line")
    try:
        secret = line.decode("utf-8")
    except UnicodeDecodeError:
        raise ProbeError(checks.SECRET_FAILED, f"{what} printed bytes that are not UTF-8") from None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in secret):
        raise ProbeError(checks.SECRET_FAILED, f"{what} printed control characters; a secret cannot hold them")
    return secret


async def _run(command: str, what: str) -> bytes:
    """What the command printed before it exited; its whole process group is killed afterwards.

    Standard output is a pipe of our own, not asyncio's: a background child the command leaves
    (``sleep 300 & echo secret``) keeps the pipe open, so the end of the output is the exit of
    the shell, not the end of the pipe. Whatever the shell wrote is in the pipe by then.
    """
    loop = asyncio.get_running_loop()
    read_end, write_end = os.pipe()
    process: asyncio.subprocess.Process | None = None
    try:
        os.set_blocking(read_end, False)
        try:
            process = await asyncio.create_subprocess_exec(
                "/bin/sh",
                "-c",
                command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=write_end,
                stderr=asyncio.subprocess.DEVNULL,
                start_new_session=True,  # its own process group: killed as a whole, whatever it started
            )
        finally:
            os.close(write_end)
        _RUNNING.add(process.pid)
        output = bytearray()
        overflow = loop.create_future()

        def drain() -> None:
            while len(output) <= MAX_OUTPUT:
                try:
                    chunk = os.read(read_end, MAX_OUTPUT + 1 - len(output))
                except BlockingIOError:
                    return
                if not chunk:
                    loop.remove_reader(read_end)
                    return
                output.extend(chunk)
            if not overflow.done():
                overflow.set_result(None)

        loop.add_reader(read_end, drain)
        exited = asyncio.ensure_future(process.wait())
        try:
            await asyncio.wait({exited, overflow}, return_when=asyncio.FIRST_COMPLETED)
            if not exited.done():
                exited.cancel()
                raise ProbeError(checks.SECRET_FAILED, f"{what} printed more than {MAX_OUTPUT} bytes")
            drain()  # what the shell wrote just before it exited
        finally:
            loop.remove_reader(read_end)
            exited.cancel()
        if len(output) > MAX_OUTPUT:
            raise ProbeError(checks.SECRET_FAILED, f"{what} printed more than {MAX_OUTPUT} bytes")
        status = exited.result()
    finally:
        os.close(read_end)
        if process is not None:
            _kill_group(process.pid)
            _RUNNING.discard(process.pid)
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    await process.wait()
    if status != 0:
        raise ProbeError(checks.SECRET_FAILED, f"{what} exited with status {status} (its output is not shown)")
    return bytes(output)


def _kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


def kill_running() -> None:
    """Kill every command still running (for a signal handler: no await, no allocation to speak of)."""
    for group in tuple(_RUNNING):
        _kill_group(group)
