"""A dependency-free Marionette client, enough to ask a headless Thunderbird what it read.

Thunderbird starts with ``--marionette`` on a fresh profile whose ``user.js`` holds
``marionette.port = 0``: Marionette then listens on a free port and writes it to
``MarionetteActivePort`` in the profile, so runs never collide with each other.
The wire format is ``LENGTH:JSON``; a command is ``[0, id, name, params]`` and its
answer ``[1, id, error, result]``.

:func:`run_thunderbird` starts Thunderbird, runs chrome-context JavaScript and
quits it; the process is killed in ``finally`` whatever happens, so it never
outlives the test.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

#: Prefs a test profile needs so that Thunderbird starts quietly and answers Marionette.
HARNESS_PREFS: Mapping[str, object] = {
    "marionette.port": 0,
    "mail.shell.checkDefaultClient": False,
    "mail.provider.suppress_dialog_on_startup": True,
    "mail.rights.version": 1,
    "mail.spotlight.firstRunDone": True,
    "mail.winsearch.firstRunDone": True,
    "mailnews.start_page.enabled": False,
    "app.update.disabledForTesting": True,
    "browser.aboutConfig.showWarning": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "toolkit.telemetry.reportingpolicy.firstRun": False,
    "mail.biff.show_alert": False,
    "mail.startup.enabledMailCheckOnce": True,
}

#: Seconds to wait for Thunderbird to start, and to quit.
STARTUP_TIMEOUT = 90.0


class MarionetteError(RuntimeError):
    pass


class Marionette:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""
        self._id = 0
        self.hello = self._read()

    def _read(self) -> Any:
        while b":" not in self._buffer:
            self._fill()
        length, _, rest = self._buffer.partition(b":")
        size = int(length)
        self._buffer = rest
        while len(self._buffer) < size:
            self._fill()
        body, self._buffer = self._buffer[:size], self._buffer[size:]
        return json.loads(body)

    def _fill(self) -> None:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise MarionetteError("Marionette closed the connection")
        self._buffer += chunk

    def send(self, name: str, params: Mapping[str, Any] | None = None) -> Any:
        self._id += 1
        body = json.dumps([0, self._id, name, dict(params or {})]).encode()
        self._sock.sendall(str(len(body)).encode() + b":" + body)
        while True:
            reply = self._read()
            if isinstance(reply, list) and len(reply) == 4 and reply[0] == 1 and reply[1] == self._id:
                break
        if reply[2]:
            error = reply[2]
            raise MarionetteError(f"{name}: {error.get('error')}: {error.get('message')}")
        return reply[3]

    def execute(self, script: str, args: Sequence[Any] = ()) -> Any:
        """Run ``script`` (a function body; ``arguments`` holds ``args``) and return its value."""
        return self.send("WebDriver:ExecuteScript", {"script": script, "args": list(args)})["value"]

    def execute_async(self, script: str, args: Sequence[Any] = (), timeout_ms: int = 60000) -> Any:
        """Run an async function body: it must call ``arguments[arguments.length - 1](result)``."""
        self.send("WebDriver:SetTimeouts", {"script": timeout_ms})
        return self.send("WebDriver:ExecuteAsyncScript", {"script": script, "args": list(args)})["value"]


def write_user_js(profile: Path, extra: str = "") -> None:
    lines = [f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in HARNESS_PREFS.items()]
    (profile / "user.js").write_text(extra + "".join(lines), encoding="utf-8")


def _wait_for_port(profile: Path, proc: subprocess.Popen[bytes], deadline: float) -> int:
    marker = profile / "MarionetteActivePort"
    while True:
        if proc.poll() is not None:
            raise MarionetteError(f"thunderbird exited with {proc.returncode} before Marionette listened")
        if marker.exists():
            text = marker.read_text().strip()
            if text.isdigit():
                return int(text)
        if time.monotonic() > deadline:
            raise MarionetteError("Marionette did not start")
        time.sleep(0.05)


def _connect(port: int, deadline: float) -> socket.socket:
    while True:
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=STARTUP_TIMEOUT)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        else:
            return sock


@contextmanager
def thunderbird(profile: Path, binary: str = "thunderbird") -> Iterator[Marionette]:
    """Start a headless Thunderbird on ``profile`` (user.js already in place), yield a chrome-context
    Marionette session, then quit (prefs.js is written) and kill the process if it is still there."""
    env = dict(os.environ)
    env.update({"MOZ_HEADLESS": "1", "MOZ_CRASHREPORTER_DISABLE": "1", "MOZ_DISABLE_AUTO_SAFE_MODE": "1"})
    (profile / "MarionetteActivePort").unlink(missing_ok=True)
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finally, after the process is gone)
    proc = subprocess.Popen(
        [
            binary,
            "--headless",
            "--marionette",
            "--remote-allow-system-access",
            "--no-remote",
            "--profile",
            str(profile),
        ],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    sock: socket.socket | None = None
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        port = _wait_for_port(profile, proc, deadline)
        sock = _connect(port, deadline)
        client = Marionette(sock)
        client.send("WebDriver:NewSession", {"capabilities": {}})
        client.send("Marionette:SetContext", {"value": "chrome"})
        yield client
        with suppress(MarionetteError):  # the connection closes as Thunderbird quits
            client.send("Marionette:Quit", {"flags": ["eAttemptQuit"]})
        proc.wait(timeout=STARTUP_TIMEOUT)
    finally:
        if sock is not None:
            sock.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def run_thunderbird(
    files: Mapping[str, bytes],
    script: str,
    *,
    args: Sequence[Any] = (),
    before: Callable[[Path], None] | None = None,
    binary: str = "thunderbird",
) -> Any:
    """Copy ``files`` into a new profile (``user.js`` gets the harness prefs appended), run ``before``
    on it, start Thunderbird, return what the chrome-context ``script`` returns for ``args``, and
    remove the profile."""
    profile = Path(tempfile.mkdtemp(prefix="mailconf-tb-"))
    try:
        for name, content in files.items():
            (profile / name).write_bytes(content)
        user_js = files.get("user.js", b"").decode("utf-8")
        write_user_js(profile, user_js)
        if before is not None:
            before(profile)
        with thunderbird(profile, binary) as client:
            return client.execute(script, args)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
