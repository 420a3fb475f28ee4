"""The SMTP submission dialogue (RFC 5321 EHLO, RFC 3207 STARTTLS, RFC 4954 AUTH)."""

from __future__ import annotations

from . import checks
from .conn import MAX_LINES, Connection, ProbeError, Quoted, upper, words
from .dialogue import Capabilities, Kind, LoginReply, mechanism_names, sasl_exchange
from .sasl import Credentials

#: The EHLO name: it names no local host (RFC 5321 section 4.1.4 allows an address literal).
EHLO_NAME = "[127.0.0.1]"


#: The longest command line, CRLF included (RFC 5321 section 4.5.3.1.4): a longer AUTH sends its initial response
#: after the "334 " (RFC 4954 section 4), as Dovecot's own SMTP client does
LONGEST_COMMAND = 512


class Smtp:
    NAME = "SMTP"
    STARTTLS = "STARTTLS"
    LOGIN_COMMAND = "AUTH LOGIN"
    UNSOLICITED = b""

    async def _reply(self, conn: Connection) -> tuple[int, list[str]]:
        """A reply: its code and the text of each line."""
        texts: list[str] = []
        first = ""
        for _ in range(MAX_LINES):
            line = await conn.readline()
            if not _is_reply(line):
                raise ProbeError(checks.PROTOCOL_ERROR, ("expected an SMTP reply, got ", conn.got(line)))
            first = first or line
            _same_code(conn, first, line)
            texts.append(line[4:])
            if line[3:4] != "-":
                return int(line[:3]), texts
        raise ProbeError(checks.PROTOCOL_ERROR, f"an SMTP reply has more than {MAX_LINES} lines")

    async def greet(self, conn: Connection) -> bool:
        conn.progress.at("waiting for the SMTP greeting")
        code, texts = await self._reply(conn)
        if code != 220:
            raise ProbeError(
                checks.PROTOCOL_ERROR, (f"the server refused the connection: {code} ", conn.quote(texts[0]))
            )
        return False

    async def capabilities(self, conn: Connection) -> Capabilities:
        conn.progress.at("waiting for the answer to EHLO")
        await conn.send(f"EHLO {EHLO_NAME}")
        code, texts = await self._reply(conn)
        if code != 250:
            raise ProbeError(checks.PROTOCOL_ERROR, (f"EHLO failed: {code} ", conn.quote(texts[0])))
        keywords = [listed for listed in (words(upper(t)) for t in texts[1:]) if listed]
        mechanisms = {m for kw in keywords if kw[0] == "AUTH" for m in kw[1:]}
        mechanisms |= {m for kw in keywords if kw[0].startswith("AUTH=") for m in (kw[0][5:], *kw[1:])}
        return Capabilities(
            starttls=any(kw[0] == "STARTTLS" for kw in keywords),
            mechanisms=mechanism_names(mechanisms),
            login_command=False,
        )

    async def starttls(self, conn: Connection) -> Quoted | None:
        conn.progress.at("waiting for the answer to STARTTLS")
        await conn.send("STARTTLS")
        code, texts = await self._reply(conn)
        return None if code == 220 else conn.quote(f"{code} {texts[0]}")

    async def login_command(self, conn: Connection, creds: Credentials) -> LoginReply:
        raise ProbeError(checks.LOGIN_SKIPPED, "SMTP has no login command besides AUTH")

    async def authenticate(
        self, conn: Connection, mechanism: str, creds: Credentials, caps: Capabilities
    ) -> LoginReply:
        conn.progress.at(f"waiting for the answer to AUTH {mechanism}")
        pending: list[str] = []

        def command(initial: str | None) -> str:
            return f"AUTH {mechanism}" + (f" {initial}" if initial is not None else "")

        def classify(line: str) -> tuple[Kind, str]:
            if not _is_reply(line):  # "2350 ok" is no 235: the code is three digits and then SP, "-" or the end
                raise ProbeError(checks.PROTOCOL_ERROR, ("expected an SMTP reply, got ", conn.got(line)))
            if pending:
                _same_code(conn, pending[0], line)
            if line[3:4] == "-":  # a multi-line reply: keep its first line for the message
                pending.append(line)
                return "skip", line
            first = pending[0] if pending else line
            pending.clear()
            if line.startswith("334"):
                return "challenge", line[4:]
            return ("ok" if line.startswith("235") else "fail"), first

        return await sasl_exchange(
            conn, mechanism, creds, command, classify, initial_response=caps.initial_response, longest=LONGEST_COMMAND
        )

    async def quit(self, conn: Connection) -> None:
        await conn.send("QUIT")


def _is_reply(line: str) -> bool:
    """A line of an SMTP reply (RFC 5321 s4.2): three ASCII digits (str.isdigit() holds for "²", which int()
    refuses), then a space, "-" (more lines follow) or the end of the line."""
    code = line[:3]
    return len(code) == 3 and code.isascii() and code.isdigit() and line[3:4] in ("", " ", "-")


def _same_code(conn: Connection, first: str, line: str) -> None:
    """Every line of one reply has its first line's code (RFC 5321 s4.2.1: "the reply code on each of the lines
    MUST be the same"). Read by its last line, as smtplib reads one, "535-no" then "235 ok" was a login that
    succeeded, and "554-" then "220" a greeting: a reply that says both is no answer."""
    if line[:3] != first[:3]:
        raise ProbeError(
            checks.PROTOCOL_ERROR,
            (
                f"one SMTP reply changed its code from {first[:3]} to {line[:3]} while {conn.progress.step} "
                "(RFC 5321 section 4.2.1: every line of a reply has the same code): ",
                conn.quote(line),
            ),
        )
