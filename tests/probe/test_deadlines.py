"""Deadlines hold and nothing outlives probe: real `mailconf probe` processes, real child processes, real DNS.

Each test runs mailconf as a process of its own (``python -m mailconf``): what is checked is
that process (its exit, its stderr) and the processes its password command started (by the
pid they wrote to a file). The only bound on time is the generous one a hung process would
blow through (three times the declared timeout, or a fixed 20 s where a signal ends the run).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.probe.conftest import Found, write_accounts
from tests.servers import (
    ALICE,
    START_TIMEOUT,
    Certificates,
    ScriptedServer,
    _alive,
    refuse_and_echo,
    server_context,
)

ROOT = Path(__file__).resolve().parents[2]


def mailconf(*args: str) -> subprocess.Popen[str]:
    """``python ARGS`` with this checkout first on the path."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def wait_for_file(path: Path) -> list[int]:
    """The pids a command wrote, once it has written them (bounded)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().endswith("\n"):
            return [int(pid) for pid in path.read_text().split()]
        time.sleep(0.02)
    raise AssertionError(f"{path} was not written within {START_TIMEOUT} s")


def gone(pid: int) -> bool:
    """The process has ended (or is a zombie waiting for a parent that may never reap it), within a bound."""
    deadline = time.monotonic() + START_TIMEOUT
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)  # do not leave it behind for the next test
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def refusing_imap() -> Iterator[ScriptedServer]:
    with ScriptedServer(refuse_and_echo("imap")) as server:
        yield server


def imap_account(tmp_path: Path, port: int, command: str, timeout: int = 5) -> Path:
    incoming = {
        "protocol": "imap",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "timeout": timeout,
        "mechanisms": ["plain"],
        "password_command": command,
    }
    return write_accounts(tmp_path / "accounts.yaml", incoming)


def test_a_background_child_of_the_password_command_ends_with_it(tmp_path: Path, refusing_imap: ScriptedServer) -> None:
    """`sleep 300 &` keeps the output pipe open: the secret is what the shell printed before it exited."""
    pids = tmp_path / "pids"
    path = imap_account(tmp_path, refusing_imap.port, f"sleep 300 & echo $! > {pids}; echo {ALICE.password}")
    process = mailconf("-m", "mailconf", "probe", "--format", "json", "--login", "--allow-cleartext", str(path))
    out, err = process.communicate(timeout=3 * 5)
    assert (process.returncode, err) == (1, "")  # no "Event loop is closed" noise either
    assert json.loads(out)[-1]["message"] == (
        'the server refused the credentials of alice@example.org (PLAIN): "BAD you sent *** = ***"'
    )
    [sleeper] = wait_for_file(pids)
    assert gone(sleeper)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("sleep 300 & echo $! > {pids}; wait", "running password_command did not finish within 3 s"),
        (
            "sleep 300 & echo $! > {pids}; head -c 70000 /dev/zero | tr '\\0' a",
            "password_command printed more than 65536 bytes",
        ),
        ("sleep 300 & echo $! > {pids}; exit 3", "password_command exited with status 3 (its output is not shown)"),
    ],
    ids=["deadline", "too much output", "failure"],
)
def test_a_password_command_that_fails_leaves_nothing_behind(
    tmp_path: Path, refusing_imap: ScriptedServer, command: str, message: str
) -> None:
    pids = tmp_path / "pids"
    path = imap_account(tmp_path, refusing_imap.port, command.format(pids=pids), timeout=3)
    process = mailconf("-m", "mailconf", "probe", "--format", "json", "--login", "--allow-cleartext", str(path))
    out, err = process.communicate(timeout=3 * 3)
    assert (process.returncode, err) == (1, "")
    assert [(f["rule"], f["message"]) for f in json.loads(out)][-1] == ("MC817", message)
    [sleeper] = wait_for_file(pids)
    assert gone(sleeper)


def test_the_run_deadline_during_a_password_command_ends_it(tmp_path: Path, refusing_imap: ScriptedServer) -> None:
    """``--deadline`` passing while ``--login`` runs the password command (the server's own timeout, 30 s, far
    off) is MC823 naming that step, and the command and its children end with the run, as on any other way out."""
    pids = tmp_path / "pids"
    path = imap_account(tmp_path, refusing_imap.port, f"sleep 300 & echo $$ $! > {pids}; wait", timeout=30)
    process = mailconf(
        "-m", "mailconf", "probe", "--format", "json", "--login", "--allow-cleartext", "--deadline", "2", str(path)
    )
    out, err = process.communicate(timeout=20)
    assert (process.returncode, err) == (1, "")
    assert [(f["rule"], f["message"]) for f in json.loads(out)][-1] == (
        "MC823",
        "the run's deadline (--deadline 2) passed while running password_command",
    )
    shell, sleeper = wait_for_file(pids)
    assert gone(shell)
    assert gone(sleeper)


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_login_ends_the_password_command(
    tmp_path: Path, refusing_imap: ScriptedServer, signum: signal.Signals, status: int
) -> None:
    pids = tmp_path / "pids"
    command = f"sleep 300 & echo $$ $! > {pids}; wait"
    path = imap_account(tmp_path, refusing_imap.port, command, timeout=30)
    process = mailconf("-m", "mailconf", "probe", "--format", "json", "--login", "--allow-cleartext", str(path))
    try:
        shell, sleeper = wait_for_file(pids)
        process.send_signal(signum)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert (process.returncode, out, err) == (status, "", "")
    assert gone(sleeper)
    assert gone(shell)


class SilentDns:
    """A UDP socket on 127.0.0.1 that reads DNS queries and never answers them."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.sock.settimeout(0.05)  # closing a socket does not wake a thread blocked reading it: poll
        self.queries = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.queries += 1

    def __enter__(self) -> SilentDns:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=START_TIMEOUT)
        self.sock.close()


#: `mailconf probe` whose name lookup asks the silent server with dnspython's blocking resolver,
#: which waits 600 s: a lookup that hangs the way getaddrinfo does when DNS never answers.
HANGING_LOOKUP = textwrap.dedent(
    """
    import sys
    import dns.resolver
    from mailconf.cli import main
    from mailconf.probe import runner

    def lookup(host, port):
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = int(sys.argv[1])
        resolver.timeout = resolver.lifetime = 600
        return [(record.address, port) for record in resolver.resolve(host, "A")]

    runner.LOOKUP = lookup
    sys.exit(main(sys.argv[2:]))
    """
)


def test_a_dns_server_that_never_answers_costs_the_timeout_not_more(tmp_path: Path) -> None:
    timeout = 3
    incoming = {"protocol": "imap", "host": "mail.example.test", "port": 993, "timeout": timeout}
    path = write_accounts(tmp_path / "accounts.yaml", incoming)
    with SilentDns() as dns:
        process = mailconf("-c", HANGING_LOOKUP, str(dns.port), "probe", "--format", "json", str(path))
        try:
            out, err = process.communicate(timeout=3 * timeout)  # before the fix: 600 s
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert dns.queries >= 1  # the lookup really went to the silent server
    assert (process.returncode, err) == (1, "")
    assert [(f["rule"], f["message"]) for f in json.loads(out)] == [
        ("MC801", f"resolving mail.example.test took longer than {timeout} s")
    ]


def test_the_repeat_after_a_rejected_certificate_shares_the_deadline(probe: Any, certs: Certificates) -> None:
    """The lookup and both connections (the repeat without verification too) run under one timeout.

    Each connection greets 2 s late, with a timeout of 3 s: the first then has its self-signed
    certificate rejected, and the repeat has 1 s left for a greeting that comes after 2 s.
    Before, the repeat got 3 s of its own, greeted, and the run took twice the timeout. The
    rejection is still reported, after the stall. The margins (1 s either way) decide the
    outcome; no time is measured.
    """
    context = server_context(certs.self_signed)

    def script(conn: socket.socket, stop: threading.Event) -> None:
        if stop.wait(2):
            return
        conn.sendall(b"* OK ready\r\n")
        reader = conn.makefile("rb")
        tag = reader.readline().split()[0]
        conn.sendall(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK done\r\n")
        tag = reader.readline().split()[0]
        conn.sendall(tag + b" OK begin TLS\r\n")
        tls = context.wrap_socket(conn, server_side=True)
        tag = tls.makefile("rb").readline().split()[0]
        tls.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
        stop.wait()

    with ScriptedServer(script) as server:
        run = probe(
            incoming={"protocol": "imap", "host": "127.0.0.1", "port": server.port, "security": "starttls",
                      "auth": "none", "timeout": 3}
        )  # fmt: skip
    assert run.findings == [
        Found(5, "MC803", "error", "no answer within 3 s while waiting for the IMAP greeting"),
        Found(
            5,
            "MC807",
            "error",
            "the certificate is not trusted by the system store: self-signed certificate; "
            "name its CA in tls.ca_file, or pin it with tls.fingerprint (--show-cert prints the pin)",
        ),
    ]
    assert run.code == 1


@pytest.mark.parametrize(
    ("code", "reason", "rule"),
    [
        (62, "Hostname mismatch, certificate is not valid for '127.0.0.1'.", "MC808"),
        (10, "certificate has expired", "MC809"),
    ],
)
def test_a_rejection_the_repeat_never_saw_keeps_its_rule(code: int, reason: str, rule: str) -> None:
    """The repeat ran out of time before its handshake: the rejection alone names the check, not MC807."""
    from mailconf.model import Auth, Protocol, Security, Server
    from mailconf.probe.tls import Rejection, trust_for, unseen

    server = Server(Protocol.IMAP, "127.0.0.1", 993, Security.TLS, Auth.PASSWORD, "a")
    found = unseen(server, trust_for(server), Rejection(code, reason))
    assert (found.check.ID, found.message) == (rule, f"the TLS handshake rejected the certificate: {reason}")


def test_the_run_deadline_cuts_short_a_server_and_leaves_the_next_unprobed(
    tmp_path: Path, silent: ScriptedServer, capfd: pytest.CaptureFixture[str]
) -> None:
    """``--deadline`` bounds the whole run, whatever the servers' timeouts: a server that never greets (timeout
    30 s) is cut short when the run's deadline passes, and one that never got its turn (``--concurrency 1``) is
    not probed; each says so (MC823), and the run ends after the deadline, not the 60 s of both timeouts."""
    from mailconf.cli import main

    silent_server = {"host": "127.0.0.1", "port": silent.port, "security": "none", "auth": "none", "timeout": 30}
    path = write_accounts(
        tmp_path / "a.yaml", {"protocol": "imap", **silent_server}, {"protocol": "smtp", **silent_server}
    )
    capfd.readouterr()
    started = time.monotonic()
    code = main(["probe", "--format", "json", "--concurrency", "1", "--deadline", "1", str(path)])
    took = time.monotonic() - started
    out, err = capfd.readouterr()
    found = [Found(item["line"], item["rule"], item["severity"], item["message"]) for item in json.loads(out)]
    assert found == [
        Found(5, "MC823", "error", "the run's deadline (--deadline 1) passed while waiting for the IMAP greeting"),
        Found(6, "MC823", "error", "not probed: the run's deadline (--deadline 1) passed before its turn"),
    ]
    assert (code, err) == (1, "")
    assert took < 5


@pytest.mark.parametrize("value", ["0", "1.5", "86401"])
def test_a_run_deadline_that_is_no_whole_number_of_seconds_is_refused(
    tmp_path: Path, value: str, capfd: pytest.CaptureFixture[str]
) -> None:
    from mailconf.cli import main

    path = write_accounts(tmp_path / "a.yaml", {"protocol": "imap", "host": "127.0.0.1", "port": 1})
    capfd.readouterr()
    code = main(["probe", "--deadline", value, str(path)])
    out, err = capfd.readouterr()
    assert (code, out) == (2, "")
    refusal = f"{value} is not a whole number from 1 to 86400"
    assert err.splitlines()[-1] == f"Error: Invalid value for '--deadline': {refusal}"


def test_the_run_deadline_cuts_short_a_name_lookup() -> None:
    import asyncio

    from mailconf.model import Auth, Protocol, Security, Server
    from mailconf.probe import checks
    from mailconf.probe.runner import Options, Outcome, probe_all

    server = Server(Protocol.IMAP, "slow.example.test", 993, Security.TLS, Auth.NONE, "alice", timeout=30)

    async def never(host: str, port: int) -> list[tuple[str, int]]:
        await asyncio.sleep(60)
        return []

    started = time.monotonic()
    found = asyncio.run(probe_all([server], Options(deadline=1), 1, resolver=never))
    assert found == [
        [Outcome(checks.RUN_DEADLINE, "the run's deadline (--deadline 1) passed while resolving slow.example.test")]
    ]
    assert time.monotonic() - started < 5
