"""Read an msmtprc back through msmtp itself: ``msmtp -C RC -a ACCOUNT --pretend``.

--pretend prints the account's effective settings as ``key = value`` lines. It also RUNS
passwordeval (and any eval line): feed it harmless commands only.
"""

from __future__ import annotations

import base64
import os
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import need
from tests.servers import ScriptedServer

#: What msmtp 1.8.23 prints for an account that sets nothing else.
DEFAULTS: dict[str, str] = {
    "host": "(not set)",  # every account sets it
    "port": "25",
    "source ip": "(not set)",
    "proxy host": "(not set)",
    "proxy port": "0",
    "socket": "(not set)",
    "timeout": "off",
    "protocol": "smtp",
    "domain": "localhost",
    "auth": "none",
    "user": "(not set)",
    "password": "(not set)",
    "passwordeval": "(not set)",
    "ntlmdomain": "(not set)",
    "tls": "off",
    "tls_starttls": "on",
    "tls_trust_file": "system",
    "tls_crl_file": "(not set)",
    "tls_fingerprint": "(not set)",
    "tls_key_file": "(not set)",
    "tls_cert_file": "(not set)",
    "tls_certcheck": "on",
    "tls_min_dh_prime_bits": "(not set)",
    "tls_priorities": "(not set)",
    "tls_host_override": "(not set)",
    "auto_from": "off",
    "maildomain": "(not set)",
    "from": "(not set)",
    "allow_from_override": "on",
    "set_from_header": "auto",
    "set_date_header": "auto",
    "remove_bcc_headers": "on",
    "undisclosed_recipients": "off",
    "dsn_notify": "(not set)",
    "dsn_return": "(not set)",
    "logfile": "(not set)",
    "logfile_time_format": "(not set)",
    "syslog": "(not set)",
    "aliases": "(not set)",
}


class MsmtpError(AssertionError):
    pass


def pretend(rc: Path, account: str | None, home: Path) -> dict[str, str]:
    """The settings msmtp read for `account` (None: the default account), as printed by --pretend."""
    binary = need("msmtp")["msmtp"]
    args = [binary, "-C", str(rc), "--pretend"] + ([] if account is None else ["-a", account])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C.UTF-8"}
    done = subprocess.run(args, capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=60, check=False)
    stdout = done.stdout.decode("utf-8")
    if done.returncode != 0:
        raise MsmtpError(f"msmtp exit {done.returncode}: {done.stderr.decode('utf-8', 'replace')}{stdout}")
    settings: dict[str, str] = {}
    for line in stdout.split("\n"):
        key, sep, value = line.partition(" = ")
        if sep:
            if key in settings:
                raise MsmtpError(f"msmtp printed {key!r} twice")
            settings[key] = value
    return settings


def expect(**changes: str) -> dict[str, str]:
    """DEFAULTS with some settings changed (keys with '_' for ' ': source_ip -> 'source ip')."""
    result = dict(DEFAULTS)
    for key, value in changes.items():
        name = key.removesuffix("_")  # from_ -> from
        if name not in result:
            name = name.replace("_", " ")
        if name not in result:
            raise KeyError(key)
        result[name] = value
    return result


# --- a TLS SMTP server stub: enough for `msmtp --serverinfo` and for sending --------------------


@contextmanager
def smtp_stub(context: ssl.SSLContext, *, implicit: bool) -> Iterator[tuple[int, list[str]]]:
    """An SMTP server on 127.0.0.1 (implicit TLS, or STARTTLS); yields (port, commands).

    It offers AUTH PLAIN once TLS is up and accepts any message. Each command (of every connection: msmtp makes
    one) is recorded as "tls: LINE" or "plain: LINE"; AUTH PLAIN decoded, as "AUTH PLAIN authzid|user|password".
    """
    commands: list[str] = []

    def script(conn: socket.socket, _stop: threading.Event) -> None:
        # the client may give up (a refused certificate, a version mismatch): ScriptedServer passes over its OSError
        _dialogue(conn, context, commands, implicit=implicit)

    # ScriptedServer, not a listener of its own closed at the end: close() does not wake a thread blocked in
    # accept() on Linux, so stopping where no client came waited for the accept's 30 s timeout
    with ScriptedServer(script) as server:
        yield server.port, commands


def _dialogue(conn: socket.socket, context: ssl.SSLContext, commands: list[str], *, implicit: bool) -> None:
    sock: socket.socket = context.wrap_socket(conn, server_side=True) if implicit else conn
    secure = implicit
    stream = sock.makefile("rwb")
    stream.write(b"220 localhost ESMTP\r\n")
    stream.flush()
    while line := stream.readline():
        text = line.decode("utf-8").rstrip("\r\n")
        verb, _, argument = text.partition(" ")
        verb = verb.upper()
        if verb == "AUTH" and argument.upper().startswith("PLAIN "):
            text = "AUTH PLAIN " + base64.b64decode(argument[6:]).decode("utf-8").replace("\0", "|")
        commands.append(f"{'tls' if secure else 'plain'}: {text}")
        if verb == "EHLO":
            stream.write(b"250-localhost\r\n" + (b"250 AUTH PLAIN\r\n" if secure else b"250 STARTTLS\r\n"))
        elif verb == "STARTTLS" and not secure:
            stream.write(b"220 go ahead\r\n")
            stream.flush()
            sock = context.wrap_socket(conn, server_side=True)
            secure = True
            stream = sock.makefile("rwb")
            continue
        elif verb == "AUTH":
            stream.write(b"235 welcome\r\n")
        elif verb == "DATA":
            stream.write(b"354 go on\r\n")
            stream.flush()
            while stream.readline() not in (b".\r\n", b""):
                pass
            stream.write(b"250 queued\r\n")
        elif verb == "QUIT":
            stream.write(b"221 bye\r\n")
            stream.flush()
            return
        else:
            stream.write(b"250 ok\r\n")
        stream.flush()


def send(rc: Path, account: str, home: Path, recipient: str) -> tuple[int, str]:
    """(exit code, stderr) of sending a short message with ``msmtp -C RC -a ACCOUNT RECIPIENT``."""
    binary = need("msmtp")["msmtp"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C.UTF-8"}
    done = subprocess.run(
        [binary, "-C", str(rc), "-a", account, recipient],
        input=b"Subject: test\r\n\r\nhello\r\n",
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stderr.decode("utf-8", "replace")


def serverinfo(rc: Path, account: str, home: Path) -> tuple[int, str]:
    """(exit code, stderr) of ``msmtp --serverinfo``: connects and negotiates TLS as configured."""
    binary = need("msmtp")["msmtp"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LC_ALL": "C.UTF-8"}
    done = subprocess.run(
        [binary, "-C", str(rc), "-a", account, "--serverinfo"],
        capture_output=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stderr.decode("utf-8", "replace")
