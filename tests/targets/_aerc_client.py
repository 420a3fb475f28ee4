"""Running the real aerc on a rendered accounts.conf, and an IMAP server that records what aerc sent.

Two aercs: 0.14 (Debian 12's ``aerc`` package, on PATH) and 0.20 (Debian 13's, extracted by .ci/run and named
in ``MAILCONF_AERC_0_20``); 0.15 changed how the outgoing URL says STARTTLS (``--option version``).
aerc has no mode that prints what it parsed and runs only on a terminal. So it runs in a
detached tmux session (tests/e2e/test_mutt.py's :class:`Terminal`) with a config folder of
its own (``XDG_CONFIG_HOME``; aerc 0.14 has no ``--config``), and what it parsed shows in
what it does: the command its ``source-cred-cmd`` ran (it writes a file), the user name and
password it logs in with (:class:`ImapStub` records them), the status line (an error names
what aerc refused), and for sending, what the SMTP server receives.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from tests.conftest import need
from tests.e2e.conftest import absolute_names
from tests.e2e.test_mutt import Terminal, terminal
from tests.targets import _imap_stub as imap_stub

#: Every wait for aerc is bounded by this many seconds.
AERC_TIMEOUT = 30.0
#: The wait for what aerc says once it has sent (or failed to send) a message: aerc 0.14 now and then holds a send
#: until its IMAP connection drops, when the test composes while the account is still opening (about 1 run in 60
#: here, 1 in 25 when the stub offers IDLE; once in CI, where "Message sent." came after AERC_TIMEOUT). The stub and
#: the SMTP server have answered everything by then (their logs, 2026-12-07). The connection drops 30 s after aerc's
#: last IMAP command: aerc sets go-imap's Timeout to its connection-timeout, 30 s, and go-imap 1.2 (client.go,
#: execute) puts that deadline on the connection for each command and never takes it off, so an idle reader times
#: out; aerc then reconnects, and the send goes on.
SEND_TIMEOUT = AERC_TIMEOUT + 45.0

#: The aerc versions the tests run, as ``--option version`` names them.
VERSIONS = ("0.14", "0.20")
#: The environment variable naming aerc 0.20's binary (.ci/run sets it; without it the tests of 0.20 skip).
AERC_0_20 = "MAILCONF_AERC_0_20"


def aerc_binary(version: str) -> str:
    """The aerc binary of this version (``VERSIONS``), or skip naming what is missing."""
    if version == "0.14":
        return need("aerc")["aerc"]
    path = os.environ.get(AERC_0_20, f"${AERC_0_20}")  # unset: the skip names the variable
    return need(path)[path]


#: What Go's strings.TrimSpace trims (unicode.IsSpace): aerc trims a cred command's output with it.
GO_SPACE = "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"


class Login(NamedTuple):
    tls: bool  # the login came over TLS
    command: str  # LOGIN, AUTHENTICATE PLAIN (aerc 0.20), AUTHENTICATE XOAUTH2, AUTHENTICATE OAUTHBEARER
    user: str
    secret: str  # the password, or the OAuth2 token


def _sasl(mechanism: str, blob: bytes) -> tuple[str, str]:
    """(user, password or token) from a PLAIN, XOAUTH2 or OAUTHBEARER initial response."""
    text = blob.decode("utf-8")
    if mechanism == "PLAIN":  # authzid\0user\0password (RFC 4616)
        _, user, password = text.split("\0")
        return user, password
    if mechanism == "XOAUTH2":  # user=U\x01auth=Bearer T\x01\x01
        fields = dict(p.split("=", 1) for p in text.split("\x01") if "=" in p)
        return fields["user"], fields["auth"].removeprefix("Bearer ")
    header, _, rest = text.partition("\x01")  # n,a=U,\x01host=..\x01auth=Bearer T\x01\x01 (RFC 7628)
    user = next(p[2:] for p in header.split(",") if p.startswith("a=")).replace("=2C", ",").replace("=3D", "=")
    fields = dict(p.split("=", 1) for p in rest.split("\x01") if "=" in p)
    return user, fields["auth"].removeprefix("Bearer ")


class ImapStub(imap_stub.ImapStub):
    """Accepts any login, records it, and answers the rest with an empty INBOX."""

    CAPABILITIES = "IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 AUTH=OAUTHBEARER SASL-IR"
    STARTTLS_REFUSED = "BAD STARTTLS not offered"

    def __init__(self, context: ssl.SSLContext | None, *, implicit: bool, offer_starttls: bool = True) -> None:
        super().__init__(context, implicit=implicit, offer_starttls=offer_starttls)
        self.logins: list[Login] = []

    def answer(self, connection: imap_stub.Connection, tag: str, verb: str, args: list[str]) -> str | None:
        reply = f"{tag} OK done\r\n"
        if verb == "LOGIN":
            self.logins.append(Login(connection.secure, "LOGIN", args[0], args[1]))
        elif verb == "AUTHENTICATE":
            mechanism = args[0].upper()
            user, secret = _sasl(mechanism, base64.b64decode(args[1]))
            self.logins.append(Login(connection.secure, f"AUTHENTICATE {mechanism}", user, secret))
        elif verb in ("SELECT", "EXAMINE"):
            reply = "* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1] ok\r\n* FLAGS ()\r\n" + reply
        return reply

    def wait_for_login(self, timeout: float = AERC_TIMEOUT) -> list[Login]:
        deadline = time.monotonic() + timeout
        while not self.logins and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.logins)


class Aerc(NamedTuple):
    term: Terminal
    config: Path  # XDG_CONFIG_HOME: aerc/accounts.conf is in it
    log: Path  # aerc's debug log

    def wait_for(self, text: str, timeout: float = AERC_TIMEOUT) -> str:
        return self.term.wait_for(text, timeout)

    def parsed_from(self, account: str) -> list[str]:
        """The ``from`` values aerc read for the account: it logs each one (accounts.go) at debug level."""
        marker = f" accounts.conf: [{account}] from = "
        # split at \n only: a value may hold \x85 or \u2028, which str.splitlines would also split at
        lines = self.log.read_text("utf-8").split("\n") if self.log.exists() else []
        return [line.split(marker, 1)[1] for line in lines if marker in line]


@contextlib.contextmanager
def aerc(accounts_conf: bytes, home: Path, version: str = "0.14", **env: str) -> Iterator[Aerc]:
    """aerc (of this version) started in tmux on this accounts.conf (mode 0600), in a config folder of its own
    under ``home``."""
    with _aerc(accounts_conf, home, version, None, env) as client:
        yield client


@contextlib.contextmanager
def aerc_with_absolute_names(accounts_conf: bytes, home: Path, version: str = "0.14", **env: str) -> Iterator[Aerc]:
    """:func:`aerc` where ``localhost.`` resolves too (tests.e2e.conftest.absolute_names: needs root)."""
    with _aerc(accounts_conf, home, version, absolute_names, env) as client:
        yield client


@contextlib.contextmanager
def aerc_with_stderr(accounts_conf: bytes, home: Path, version: str, stderr: Path, **env: str) -> Iterator[Aerc]:
    """:func:`aerc` with its standard error written to ``stderr`` (what a Go panic prints, which the terminal loses
    when aerc exits)."""

    def wrap(argv: list[str], _home: Path) -> list[str]:
        return ["sh", "-c", 'exec "$@" 2>"$0"', str(stderr), *argv]

    with _aerc(accounts_conf, home, version, wrap, env) as client:
        yield client


@contextlib.contextmanager
def _aerc(
    accounts_conf: bytes,
    home: Path,
    version: str,
    wrap: Callable[[list[str], Path], list[str]] | None,
    env: Mapping[str, str],
) -> Iterator[Aerc]:
    binary = aerc_binary(version)
    need("tmux")
    config = home / "config"
    (config / "aerc").mkdir(parents=True, exist_ok=True)
    path = config / "aerc" / "accounts.conf"
    path.write_bytes(accounts_conf)
    path.chmod(0o600)
    # the test's own aerc.conf (aerc's defaults otherwise): a debug log, where aerc names the from it read
    log = home / "aerc.log"
    (config / "aerc" / "aerc.conf").write_text(f"[general]\nlog-file={log}\nlog-level=debug\n")
    # aerc's Unix socket (aerc.sock) lives in XDG_RUNTIME_DIR: a short private folder (a socket path holds 107 bytes)
    runtime = Path(tempfile.mkdtemp(prefix="mailconf-aerc-"))
    try:
        with terminal(home, XDG_CONFIG_HOME=str(config), XDG_RUNTIME_DIR=str(runtime), **env) as term:
            term.start(wrap([binary], home) if wrap is not None else [binary], home)
            yield Aerc(term, config, log)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def load_failure(
    accounts_conf: bytes, home: Path, mode: int = 0o600, version: str = "0.14"
) -> subprocess.CompletedProcess[str]:
    """aerc (of this version) started without a terminal on a file it cannot load: it says why on stderr and exits 1
    before its UI starts (a file that loads would go on to fail at the UI, panicking: use :func:`aerc` for those)."""
    binary = aerc_binary(version)
    config = home / "config-load"
    (config / "aerc").mkdir(parents=True, exist_ok=True)
    path = config / "aerc" / "accounts.conf"
    path.write_bytes(accounts_conf)
    path.chmod(mode)
    (config / "aerc" / "aerc.conf").write_text("")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "XDG_CONFIG_HOME": str(config), "LC_ALL": "C.UTF-8"}
    return subprocess.run(
        [binary],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no controlling terminal: aerc can never take over the one running the tests
        timeout=AERC_TIMEOUT,
        check=False,
    )
