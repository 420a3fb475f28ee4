"""Read a .fetchmailrc back through fetchmail 6.4 itself.

- :func:`configdump`: ``fetchmail -f RC --configdump`` prints the parsed file as a Python
  literal (with TRUE/FALSE); it runs no command. fetchmail 6.4.37 prints a non-ASCII byte
  as ``\\0x`` plus an uninitialised byte (different on every run), so it is only used
  for files that are pure ASCII.
- :func:`verbose`: ``fetchmail -V -f RC`` prints, for every entry that is polled, a
  block "Options for retrieving from USER@NAME:" with one line per setting, with the
  values' bytes as they are. It connects nowhere.

The file must be mode 0600 (or 0700) and owned by the user, or fetchmail exits 6.
"""

from __future__ import annotations

import ast
import io
import os
import socket
import ssl
import subprocess
import threading
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.conftest import need
from tests.servers import ScriptedServer

#: -V lines that would show a shell command or a plugin added to an entry.
COMMAND_LINES = (
    "  Messages will be delivered with",
    "  Server connection will be brought up with",
    "  Server connection will be taken down with",
    "  Server connections will be made via plugin",
    "  Listener connections will be made via plugout",
)


class FetchmailError(AssertionError):
    pass


def _run(rc: Path, home: Path, *args: str) -> str:
    binary = need("fetchmail")["fetchmail"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "FETCHMAILHOME": str(home),
        "LC_ALL": "C.UTF-8",
    }
    done = subprocess.run(
        [binary, "-f", str(rc), *args], capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=60, check=False
    )
    if done.returncode != 0:
        raise FetchmailError(f"fetchmail exit {done.returncode}: {done.stderr.decode('utf-8', 'replace')}")
    return done.stdout.decode("utf-8")


def configdump(rc: Path, home: Path) -> dict[str, Any]:
    """The ``fetchmailrc`` dictionary fetchmail parsed (pure-ASCII files only, see above)."""
    if not rc.read_bytes().isascii():
        raise ValueError("fetchmail --configdump garbles non-ASCII bytes: use verbose() for this file")
    text = _run(rc, home, "--configdump")
    start = text.index("fetchmailrc = ") + len("fetchmailrc = ")
    end = text.index("# End of initializer")
    tokens = []
    for tok in tokenize.generate_tokens(io.StringIO(text[start:end]).readline):
        if tok.type == tokenize.COMMENT:
            continue
        string = (
            {"TRUE": "True", "FALSE": "False"}.get(tok.string, tok.string) if tok.type == tokenize.NAME else tok.string
        )
        tokens.append((tok.type, string))
    result: dict[str, Any] = ast.literal_eval(tokenize.untokenize(tokens).strip())
    return result


def entries(rc: Path, home: Path) -> dict[str, dict[str, Any]]:
    """Each server entry by poll name, with its one user's settings merged in (user keys win)."""
    found: dict[str, dict[str, Any]] = {}
    for server in configdump(rc, home)["servers"]:
        users = server.pop("users")
        if len(users) != 1:
            raise FetchmailError(f"entry {server['pollname']} has {len(users)} users")
        if server["pollname"] in found:
            raise FetchmailError(f"entry {server['pollname']} twice")
        found[server["pollname"]] = {**server, **users[0]}
    return found


def verbose(rc: Path, home: Path) -> dict[str, tuple[str, list[str]]]:
    """For each polled entry (by name): the remote user name and the block's setting lines."""
    text = _run(rc, home, "-V")
    blocks: dict[str, tuple[str, list[str]]] = {}
    current: list[str] | None = None
    for line in text.split("\n"):
        if line.startswith("Options for retrieving from ") and line.endswith(":"):
            user_at_name = line.removeprefix("Options for retrieving from ").removesuffix(":")
            user, _, name = user_at_name.rpartition("@")
            if name in blocks:
                raise FetchmailError(f"entry {name} twice")
            current = []
            blocks[name] = (user, current)
        elif current is not None and line.startswith("  "):
            current.append(line)
        else:
            current = None
    return blocks


def setting(lines: list[str], label: str) -> str | None:
    """The value of a '  LABEL: value' line of a -V block (exactly one), or None."""
    values = [line.removeprefix(f"  {label}: ") for line in lines if line.startswith(f"  {label}: ")]
    if len(values) > 1:
        raise FetchmailError(f"{label} printed {len(values)} times")
    return values[0] if values else None


# --- a POP3 server stub: what fetchmail really sends ------------------------------------------


@contextmanager
def pop3_stub(context: ssl.SSLContext, *, implicit: bool, offer_stls: bool = True) -> Iterator[tuple[int, list[str]]]:
    """A POP3 server on 127.0.0.1 with an empty mailbox; yields (port, commands).

    Each command (of every connection: fetchmail makes one) is recorded as "tls: LINE" or "plain: LINE", so a
    test sees whether the login went over TLS.
    """
    commands: list[str] = []

    def script(conn: socket.socket, _stop: threading.Event) -> None:
        # the client may give up (a refused certificate, a version mismatch): ScriptedServer passes over its OSError
        _pop3_dialogue(conn, context, commands, implicit=implicit, offer_stls=offer_stls)

    # ScriptedServer, not a listener of its own closed at the end: close() does not wake a thread blocked in
    # accept() on Linux, so stopping where no client came waited for the accept's 30 s timeout
    with ScriptedServer(script) as server:
        yield server.port, commands


def _pop3_dialogue(
    conn: socket.socket, context: ssl.SSLContext, commands: list[str], *, implicit: bool, offer_stls: bool
) -> None:
    sock: socket.socket = context.wrap_socket(conn, server_side=True) if implicit else conn
    secure = implicit
    stream = sock.makefile("rwb")
    stream.write(b"+OK stub ready\r\n")
    stream.flush()
    while line := stream.readline():
        text = line.decode("utf-8").rstrip("\r\n")
        commands.append(f"{'tls' if secure else 'plain'}: {text}")
        verb = text.split(" ", 1)[0].upper()
        if verb == "CAPA":
            stream.write(b"+OK\r\n" + (b"STLS\r\n" if offer_stls and not secure else b"") + b"USER\r\nUIDL\r\n.\r\n")
        elif verb == "STLS" and offer_stls and not secure:
            stream.write(b"+OK begin TLS\r\n")
            stream.flush()
            sock = context.wrap_socket(conn, server_side=True)
            secure = True
            stream = sock.makefile("rwb")
            continue
        elif verb in ("USER", "PASS", "NOOP"):
            stream.write(b"+OK\r\n")
        elif verb == "STAT":
            stream.write(b"+OK 0 0\r\n")
        elif verb == "QUIT":
            stream.write(b"+OK bye\r\n")
            stream.flush()
            return
        else:
            stream.write(b"-ERR not here\r\n")
        stream.flush()


def fetch(rc: Path, home: Path) -> tuple[int, str]:
    """(exit code, stderr) of one ``fetchmail`` run (1: no mail). The password comes from home/.netrc."""
    binary = need("fetchmail")["fetchmail"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "FETCHMAILHOME": str(home),
        "LC_ALL": "C.UTF-8",
    }
    done = subprocess.run(
        [binary, "-f", str(rc), "--nosyslog"],
        capture_output=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stderr.decode("utf-8", "replace")
