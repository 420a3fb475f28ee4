"""The POP3 dialogue (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH)."""

from __future__ import annotations

from . import checks
from .conn import MAX_LINES, Connection, ProbeError, Quoted, says, upper, words
from .dialogue import Capabilities, Kind, LoginReply, mechanism_names, sasl_exchange
from .sasl import Credentials

#: The longest command, CRLF included (RFC 2449 section 4): a longer AUTH sends its initial response after the "+"
LONGEST_COMMAND = 255


class Pop3:
    NAME = "POP3"
    STARTTLS = "STLS"
    LOGIN_COMMAND = "USER/PASS"
    UNSOLICITED = b""

    async def greet(self, conn: Connection) -> bool:
        conn.progress.at("waiting for the POP3 greeting")
        line = await conn.readline()
        if says(line, "-ERR"):
            raise ProbeError(checks.PROTOCOL_ERROR, ("the server refused the connection: ", conn.quote(line)))
        if not says(line, "+OK"):
            raise ProbeError(checks.PROTOCOL_ERROR, ("expected a POP3 greeting (+OK), got ", conn.got(line)))
        return False

    async def _status(self, conn: Connection, command: str) -> tuple[bool, str]:
        await conn.send(command)
        line = await conn.readline()
        return says(line, "+OK"), line

    async def capabilities(self, conn: Connection) -> Capabilities:
        conn.progress.at("waiting for the CAPA response")
        ok, _line = await self._status(conn, "CAPA")
        if not ok:
            # CAPA is an extension (RFC 2449): a server without it is an RFC 1939 server, whose password login
            # is USER/PASS, and mail clients try them. Read as "it offers nothing", it was a false MC813 error
            # about a server that lists nothing, and --login refused (MC816) what every client of it does.
            return Capabilities(
                starttls=False,
                mechanisms=frozenset(),
                login_command=True,
                assumed="the server does not answer CAPA",
            )
        lines: list[str] = []
        for _ in range(MAX_LINES + 1):  # the list's lines and the "." that ends it
            line = await conn.readline()
            if line == ".":
                break
            lines.append(upper(line))
        else:
            raise ProbeError(checks.PROTOCOL_ERROR, f"the CAPA list has more than {MAX_LINES} lines")
        # a capability is the line's first word (RFC 2449 s6: capa-tag *(SP param)), as IMAP's and SMTP's are read:
        # compared as whole lines, "STLS " (a trailing space) was no STLS (a false MC805) and "USER\t" no USER
        tags = [tag for tag in (words(line) for line in lines) if tag]
        mechanisms = {m for tag in tags if tag[0] == "SASL" for m in tag[1:]}
        return Capabilities(
            starttls=any(tag[0] == "STLS" for tag in tags),
            mechanisms=mechanism_names(mechanisms),
            login_command=any(tag[0] == "USER" for tag in tags),
        )

    async def starttls(self, conn: Connection) -> Quoted | str | None:
        conn.progress.at("waiting for the answer to STLS")
        ok, line = await self._status(conn, "STLS")
        if ok:
            return None
        # a stray empty line after the CAPA list, taken for the answer as mail clients take it: quoted, it read
        # 'the server refused STLS: ""'
        return "it answered with an empty line, not +OK" if line == "" else conn.quote(line)

    async def login_command(self, conn: Connection, creds: Credentials) -> LoginReply:
        conn.progress.at("waiting for the answer to USER")
        ok, line = await self._status(conn, f"USER {creds.username}")
        if not ok:
            return LoginReply(False, conn.quote(line))
        conn.progress.at("waiting for the answer to PASS")
        conn.nothing_ahead("the password (PASS)")
        ok, line = await self._status(conn, f"PASS {creds.secret}")
        return LoginReply(ok, conn.quote(line))

    async def authenticate(
        self, conn: Connection, mechanism: str, creds: Credentials, caps: Capabilities
    ) -> LoginReply:
        conn.progress.at(f"waiting for the answer to AUTH {mechanism}")

        def command(initial: str | None) -> str:
            return f"AUTH {mechanism}" + (f" {initial}" if initial is not None else "")

        def classify(line: str) -> tuple[Kind, str]:
            if line == "+" or line.startswith("+ "):
                return "challenge", line[1:].strip()
            return ("ok" if says(line, "+OK") else "fail"), line

        return await sasl_exchange(
            conn, mechanism, creds, command, classify, initial_response=caps.initial_response, longest=LONGEST_COMMAND
        )

    async def quit(self, conn: Connection) -> None:
        await conn.send("QUIT")
