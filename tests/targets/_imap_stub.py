"""An IMAP server stub on 127.0.0.1 that the target read-backs log in to: it records what a client sent.

The stubs of tests/targets/test_mbsync.py, test_offlineimap.py and _aerc_client.py share the
dialogue here (greeting, CAPABILITY, STARTTLS, LIST, LOGOUT, everything else ``OK``) and add
what each client needs: how a login is recorded, and any command the client needs answered.
A stub, not Dovecot, because it records the login bytes exactly whatever the user name.
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
from typing import Any, Self

from tests.servers import ScriptedServer


class Connection:
    """One client connection: its stream (TLS once started), a reader on it, and whether TLS is on."""

    def __init__(self, conn: socket.socket, stream: socket.socket, secure: bool) -> None:
        self.conn = conn
        self.stream = stream
        self.reader = stream.makefile("rb")
        self.secure = secure

    def send(self, text: str) -> None:
        self.stream.sendall(text.encode())

    def start_tls(self, context: ssl.SSLContext) -> None:
        self.stream = context.wrap_socket(self.conn, server_side=True)
        self.reader = self.stream.makefile("rb")
        self.secure = True


class ImapStub:
    """Implicit TLS, or clear text offering STARTTLS or not; a subclass records the logins in ``answer``."""

    #: The capabilities offered (STARTTLS is added while the connection is clear text, when offered).
    CAPABILITIES = "IMAP4rev1"
    #: The tagged answer to a STARTTLS that is not offered; None: ``OK`` (and no TLS).
    STARTTLS_REFUSED: str | None = None

    def __init__(self, context: ssl.SSLContext | None, *, implicit: bool, offer_starttls: bool) -> None:
        self.context = context
        self.implicit = implicit
        self.offer_starttls = offer_starttls
        self.server = ScriptedServer(self._script)

    @property
    def port(self) -> int:
        return self.server.port

    def capabilities(self, secure: bool) -> str:
        return self.CAPABILITIES + (" STARTTLS" if self.offer_starttls and not secure else "")

    def read_command(self, connection: Connection) -> list[str]:
        """The next command as its words; [] when the client hung up."""
        return read_command(connection.reader, connection.stream)

    def answer(self, connection: Connection, tag: str, verb: str, args: list[str]) -> str | None:
        """The whole answer to a command the shared dialogue leaves to the subclass; None ends the connection."""
        return f"{tag} OK done\r\n"

    def _script(self, conn: socket.socket, stop: threading.Event) -> None:
        secure = self.implicit
        stream = self.context.wrap_socket(conn, server_side=True) if secure and self.context is not None else conn
        connection = Connection(conn, stream, secure)
        try:
            self._dialogue(connection)
        finally:  # the reader holds the descriptor open: close both, so the client sees the end at once
            connection.reader.close()
            connection.stream.close()

    def _dialogue(self, connection: Connection) -> None:
        connection.send(f"* OK [CAPABILITY {self.capabilities(connection.secure)}] stub ready\r\n")
        while words := self.read_command(connection):
            tag, verb, args = words[0], words[1].upper(), words[2:]
            ok = f"{tag} OK done\r\n"
            reply: str | None = ok
            if verb == "CAPABILITY":
                reply = f"* CAPABILITY {self.capabilities(connection.secure)}\r\n{ok}"
            elif verb == "STARTTLS" and self.offer_starttls and not connection.secure and self.context is not None:
                connection.send(ok)
                connection.start_tls(self.context)
                continue
            elif verb == "STARTTLS" and self.STARTTLS_REFUSED is not None:
                reply = f"{tag} {self.STARTTLS_REFUSED}\r\n"
            elif verb == "LIST":
                reply = f'* LIST () "." INBOX\r\n{ok}'
            elif verb == "LOGOUT":
                connection.send(f"* BYE\r\n{ok}")
                return
            else:
                reply = self.answer(connection, tag, verb, args)
                if reply is None:
                    return
            connection.send(reply)

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


class RecordsClientCertificate(ImapStub):
    """Put before a test's own stub class (``class CertStub(RecordsClientCertificate, TheStub)``): records, at each
    login, the DNS name of the client certificate presented (None: none). The context asks for a certificate,
    optionally, so that the login goes on without one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.presented: list[str | None] = []

    def answer(self, connection: Connection, tag: str, verb: str, args: list[str]) -> str | None:
        if verb in ("AUTHENTICATE", "LOGIN"):
            cert = connection.stream.getpeercert()  # type: ignore[attr-defined]  # an ssl.SSLSocket here
            self.presented.append(None if not cert else dict(cert["subjectAltName"])["DNS"])
        return super().answer(connection, tag, verb, args)


_LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r\n$")


def read_command(reader: Any, stream: socket.socket) -> list[str]:
    """One IMAP command as its words: atoms, quoted strings (\\ and \" unescaped) and literals ({N} or {N+})."""
    data = b""
    while True:
        line = reader.readline(65536)
        if not line:
            return []
        literal = _LITERAL.search(line)
        if literal is None:
            data += line.rstrip(b"\r\n")
            break
        if not literal.group(2):
            stream.sendall(b"+ go ahead\r\n")
        data += line[: literal.start()] + b"\0LIT" + reader.read(int(literal.group(1))) + b"\0"
    words: list[str] = []
    i = 0
    while i < len(data):
        if data[i : i + 1] == b" ":
            i += 1
        elif data[i : i + 4] == b"\0LIT":
            end = data.index(b"\0", i + 4)
            words.append(data[i + 4 : end].decode("utf-8"))
            i = end + 1
        elif data[i : i + 1] == b'"':
            value, i = b"", i + 1
            while data[i : i + 1] != b'"':
                if data[i : i + 1] == b"\\":
                    i += 1
                value += data[i : i + 1]
                i += 1
            words.append(value.decode("utf-8"))
            i += 1
        else:
            end = data.find(b" ", i)
            end = len(data) if end < 0 else end
            words.append(data[i:end].decode("utf-8"))
            i = end
    return words
