"""Probe at the scale of many accounts: a server many accounts share is probed once, not once per account."""

from __future__ import annotations

import json
import os
import socket
import threading
from functools import partial
from pathlib import Path

import pytest

from mailconf.cli import main
from tests.servers import ScriptedServer


def _imap_without_tls(conn: socket.socket, stop: threading.Event) -> None:
    """An IMAP server without STARTTLS that offers PLAIN: every probe of it finds the same."""
    conn.sendall(b"* OK ready\r\n")
    reader = conn.makefile("rb")
    while raw := reader.readline(8192):
        tag, _, command = raw.decode(errors="replace").strip().partition(" ")
        if command.upper() == "CAPABILITY":
            conn.sendall(f"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n{tag} OK done\r\n".encode())
        elif command.upper() == "LOGOUT":
            conn.sendall(f"* BYE\r\n{tag} OK bye\r\n".encode())
            return
        else:
            conn.sendall(f"{tag} BAD unexpected\r\n".encode())


def _accounts(path: Path, port: int, count: int) -> Path:
    """``count`` accounts of one company: the same IMAP server, each its own user name and password command."""
    lines = ["version: 1", "accounts:"]
    for n in range(count):
        server = {"protocol": "imap", "host": "127.0.0.1", "port": port, "security": "none", "auth": "password",
                  "username": f"user{n}", "password_command": f"pass show mail/user{n}", "timeout": 5}  # fmt: skip
        lines += [f"  user{n}:", f"    address: user{n}@example.org", f"    incoming: {json.dumps(server)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_server_many_accounts_share_is_probed_once(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """Each server of each account was a session of its own: 10,000 accounts of one company's IMAP server were
    10,000 connections (32 at once), which looks like an attack to the server (fail2ban, rate limits) and took
    10,000 times as long. The findings are the same for each account, at its own line."""
    with ScriptedServer(_imap_without_tls) as server:
        path = _accounts(tmp_path / "accounts.yaml", server.port, 40)
        capfd.readouterr()
        code = main(["probe", "--format", "json", str(path)])
        out, err = capfd.readouterr()
        connections = len(server._connections)
    found = [(f["line"], f["rule"], f["message"]) for f in json.loads(out)]
    assert (code, err, connections) == (0, "", 1)
    offered = "IMAP over no TLS; login offered: PLAIN, LOGIN command"
    assert found == [(line, "MC820", offered) for line in range(5, 125, 3)]


def test_with_login_each_user_is_a_session_of_its_own(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with ScriptedServer(_imap_without_tls) as server:
        path = _accounts(tmp_path / "accounts.yaml", server.port, 5)
        capfd.readouterr()
        code = main(["probe", "--format", "json", "--login", str(path)])
        out, err = capfd.readouterr()
        connections = len(server._connections)
    skipped = [(f["line"], f["message"]) for f in json.loads(out) if f["rule"] == "MC816"]
    assert (code, err, connections) == (1, "", 5)
    assert skipped == [
        (line, f"--login would send the password of user{n} without TLS; nothing was sent (--allow-cleartext "
         "allows it, for a test server only)")
        for n, line in enumerate(range(5, 20, 3))
    ]  # fmt: skip


def _secrets_and_messages(count: int) -> list[str]:
    """What a run with --login of ``count`` accounts does with its redactor: each secret, then each message."""
    from mailconf.probe.redact import Redactor

    redactor = Redactor()
    for n in range(count):
        redactor.secret(f"pw-{n:05d}-correct horse")
    said = [f"NO [AUTHENTICATIONFAILED] user{n} sent PW-{n:05d}-CORRECT HORSE" for n in range(count)]
    return [redactor.redact(message) for message in said + said]


def test_the_secrets_of_many_logins_are_masked_in_linear_work() -> None:
    """Each form of a secret compiled every form's pattern again, and each message was matched against every form:
    with --login, 1,000 accounts' secrets took 90 s of CPU to register and 4 s to mask their messages."""
    from mailconf.probe import redact
    from tests._work import lines_run

    work = {count: lines_run(partial(_secrets_and_messages, count), redact) for count in (100, 200)}
    assert _secrets_and_messages(200)[199] == "NO [AUTHENTICATIONFAILED] user199 sent ***"
    assert work[200] < 2.2 * work[100]


#: `mailconf probe` with every host looked up as 127.0.0.1 port argv[1], and an open-file limit of argv[2]
LIMITED = """
import resource, sys
from mailconf.cli import main
from mailconf.probe import runner

resource.setrlimit(resource.RLIMIT_NOFILE, (int(sys.argv[2]), int(sys.argv[2])))
runner.LOOKUP = lambda host, port: [("127.0.0.1", int(sys.argv[1]))]
sys.exit(main(sys.argv[3:]))
"""


def test_probe_runs_no_more_sessions_at_once_than_the_open_file_limit_holds(tmp_path: Path) -> None:
    """With --concurrency 256 and a limit of 256 open files (macOS's default), every socket past the limit failed:
    each such server was MC802 `cannot connect ... (127.0.0.1: too many open files); check host and port`,
    blaming the server. Now the sessions at once are as many as fit, and a warning says so once."""
    import subprocess
    import sys

    lines = ["version: 1", "accounts:"]
    for n in range(300):  # 300 servers of their own, none answers: each waits its 1 s
        server = {"protocol": "imap", "host": f"imap{n}.example.org", "port": 993, "security": "tls", "timeout": 1}
        lines += [f"  a{n}:", f"    address: a{n}@example.org", f"    incoming: {json.dumps(server)}"]
    path = tmp_path / "accounts.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with socket.socket() as listener:  # the kernel completes each connection; nobody ever answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1024)
        port = listener.getsockname()[1]
        args = ["probe", "--format", "json", "--concurrency", "256", str(path)]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        done = subprocess.run([sys.executable, "-c", LIMITED, str(port), "256", *args],
                              capture_output=True, text=True, env=env, timeout=120, check=False)  # fmt: skip
    messages = [f["message"] for f in json.loads(done.stdout)]
    assert (done.returncode, len(messages)) == (1, 300)
    assert [m for m in messages if m != "no answer within 1 s while doing the TLS handshake"] == []
    assert done.stderr.startswith("mailconf: warning: probe: the open-file limit (256) leaves room for ")
    assert done.stderr.endswith(" servers at once, not 256: raise it (ulimit -n) or lower --concurrency\n")
