"""The IMAP dialogue (RFC 9051, RFC 3501): greeting, CAPABILITY, STARTTLS, LOGIN/AUTHENTICATE, LOGOUT."""

from __future__ import annotations

from . import checks
from .conn import MAX_LINES, Connection, ProbeError, Quoted, says, upper, words
from .dialogue import Capabilities, Kind, LoginReply, mechanism_names, sasl_exchange
from .sasl import Credentials


def quoted(text: str) -> str:
    """An IMAP quoted string (RFC 9051 section 4.3); the caller has refused CR, LF and NUL."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Imap:
    NAME = "IMAP"
    STARTTLS = "STARTTLS"
    LOGIN_COMMAND = "LOGIN command"
    UNSOLICITED = b"* "

    def __init__(self) -> None:
        self._tag = 0

    def _next_tag(self) -> str:
        self._tag += 1
        return f"m{self._tag}"

    async def greet(self, conn: Connection) -> bool:
        conn.progress.at("waiting for the IMAP greeting")
        line = await conn.readline()
        if says(line, "* BYE"):
            raise ProbeError(checks.PROTOCOL_ERROR, ("the server refused the connection: ", conn.quote(line)))
        if says(line, "* PREAUTH"):
            return True
        if not says(line, "* OK"):
            raise ProbeError(checks.PROTOCOL_ERROR, ("expected an IMAP greeting (* OK), got ", conn.got(line)))
        return False

    async def _command(self, conn: Connection, command: str) -> tuple[list[str], str]:
        """Send a tagged command; return the untagged lines and the tagged status line."""
        tag = self._next_tag()
        await conn.send(f"{tag} {command}")
        untagged: list[str] = []
        for _ in range(MAX_LINES):
            line = await conn.readline()
            if line.startswith(tag + " "):
                return untagged, line[len(tag) + 1 :]
            _not_bye(conn, line)
            if line.startswith("+"):  # a command of no literal has nothing more to send: it waited for the deadline
                raise ProbeError(
                    checks.PROTOCOL_ERROR,
                    (f"the server asked for more (a continuation) while {conn.progress.step}: ", conn.quote(line)),
                )
            untagged.append(line)
        raise ProbeError(
            checks.PROTOCOL_ERROR, f"the server sent more than {MAX_LINES} lines while {conn.progress.step}"
        )

    async def capabilities(self, conn: Connection) -> Capabilities:
        conn.progress.at("waiting for the CAPABILITY response")
        untagged, status = await self._command(conn, "CAPABILITY")
        if not says(status, "OK"):
            raise ProbeError(checks.PROTOCOL_ERROR, ("CAPABILITY failed: ", conn.quote(status)))
        listed: set[str] = set()
        for line in untagged:
            said = upper(line)
            if said.startswith("* CAPABILITY "):
                listed.update(words(said)[2:])
        return Capabilities(
            starttls="STARTTLS" in listed,
            mechanisms=mechanism_names(w[5:] for w in listed if w.startswith("AUTH=")),
            login_command="LOGINDISABLED" not in listed,
            initial_response="SASL-IR" in listed,
        )

    async def starttls(self, conn: Connection) -> Quoted | None:
        conn.progress.at("waiting for the answer to STARTTLS")
        _untagged, status = await self._command(conn, "STARTTLS")
        return None if says(status, "OK") else conn.quote(status)

    async def login_command(self, conn: Connection, creds: Credentials) -> LoginReply:
        conn.progress.at("waiting for the answer to LOGIN")
        password = quoted(creds.secret)
        conn.redactor.form(password[1:-1])  # the secret with \" and \\ as the server received it
        _untagged, status = await self._command(conn, f"LOGIN {quoted(creds.username)} {password}")
        return LoginReply(says(status, "OK"), conn.quote(status))

    async def authenticate(
        self, conn: Connection, mechanism: str, creds: Credentials, caps: Capabilities
    ) -> LoginReply:
        conn.progress.at(f"waiting for the answer to AUTHENTICATE {mechanism}")
        tag = self._next_tag()

        def command(initial: str | None) -> str:
            return f"{tag} AUTHENTICATE {mechanism}" + (f" {initial}" if initial is not None else "")

        def classify(line: str) -> tuple[Kind, str]:
            if line.startswith("+"):
                return "challenge", line[1:].strip()
            if line.startswith(tag + " "):
                status = line[len(tag) + 1 :]
                return ("ok" if says(status, "OK") else "fail"), status
            _not_bye(conn, line)
            return "skip", line

        return await sasl_exchange(conn, mechanism, creds, command, classify, initial_response=caps.initial_response)

    async def quit(self, conn: Connection) -> None:
        await conn.send(f"{self._next_tag()} LOGOUT")


def _not_bye(conn: Connection, line: str) -> None:
    """An untagged BYE ends the session (RFC 9051 s7.1.5: the server is about to close the connection), whatever
    was asked. Read as one more untagged line, it left probe waiting for a tagged answer that never comes: a
    server that said BYE and kept the connection open was MC803, "no answer within 30 s", and one that closed it
    lost its reason ("closed the connection")."""
    if says(line, "* BYE"):
        raise ProbeError(
            checks.PROTOCOL_ERROR, (f"the server ended the session while {conn.progress.step}: ", conn.quote(line))
        )
