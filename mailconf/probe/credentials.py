"""Run a password or token command, for --login only, and keep what it prints to ourselves.

The command runs with ``/bin/sh -c`` in its own process group, standard input
closed, standard error discarded (a failing command may print the secret
there), within the session's deadline; on any exit path a command still running
is killed. Its first output line is the secret. Messages describe what went
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


async def read_secret(command: str, what: str) -> str:
    """The first line the command prints; ``what`` names it in messages ("password_command")."""
    process = await asyncio.create_subprocess_exec(
        "/bin/sh",
        "-c",
        command,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        output = await process.stdout.read(MAX_OUTPUT + 1)
        while output and len(output) <= MAX_OUTPUT:
            chunk = await process.stdout.read(MAX_OUTPUT + 1 - len(output))
            if not chunk:
                break
            output += chunk
        if len(output) > MAX_OUTPUT:
            raise ProbeError(checks.SECRET_FAILED, f"{what} printed more than {MAX_OUTPUT} bytes")
        status = await process.wait()
    finally:
        if process.returncode is None:
            _kill(process)
            with contextlib.suppress(ProcessLookupError):
                await process.wait()
    if status != 0:
        raise ProbeError(checks.SECRET_FAILED, f"{what} exited with status {status} (its output is not shown)")
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


def _kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
