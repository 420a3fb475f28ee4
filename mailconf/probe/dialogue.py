"""What every protocol dialogue (IMAP, POP3, SMTP) offers the runner, and the shared SASL framing."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple, Protocol

from . import checks
from .conn import MAX_LINES, Connection, ProbeError, Quoted, in_daemon_thread
from .sasl import MAX_STEPS, MECHANISMS, UNCHECKED, Credentials, Exchange, SaslError


@dataclass(frozen=True)
class Capabilities:
    starttls: bool
    #: SASL mechanisms, upper-case (IMAP AUTH=, POP3 SASL, SMTP AUTH)
    mechanisms: frozenset[str]
    #: the protocol's own password command is accepted (IMAP LOGIN without LOGINDISABLED, POP3 USER)
    login_command: bool
    #: an initial response may follow the mechanism name (IMAP needs SASL-IR)
    initial_response: bool = True
    #: why these are assumed, not read from a list the server gave (a POP3 server without CAPA), for the summary
    assumed: str | None = None

    @property
    def cleartext_password(self) -> tuple[str, ...]:
        """What would take a password as it is: the login command, PLAIN, LOGIN."""
        found = [m for m in ("PLAIN", "LOGIN") if m in self.mechanisms]
        return (*(("command",) if self.login_command else ()), *found)


def mechanism_names(names: Iterable[str]) -> frozenset[str]:
    """The SASL mechanisms a server named: an empty name (IMAP ``AUTH=``, SMTP ``AUTH=`` with nothing after
    it) is no mechanism, and would otherwise show as a blank entry in "login offered: ..."."""
    return frozenset(name for name in names if name)


class LoginReply(NamedTuple):
    accepted: bool
    text: Quoted  # the server's final line


class Dialogue(Protocol):
    NAME: str  # "IMAP"
    STARTTLS: str  # the command: "STARTTLS", "STLS"
    LOGIN_COMMAND: str  # how the password command reads in messages: "LOGIN", "USER/PASS"
    UNSOLICITED: bytes  # how lines start that may come at any time and answer nothing: IMAP b"* ", else b""

    async def greet(self, conn: Connection) -> bool:
        """True when the greeting says the session is logged in already (IMAP PREAUTH)."""
        ...

    async def capabilities(self, conn: Connection) -> Capabilities: ...
    async def starttls(self, conn: Connection) -> Quoted | str | None:
        """None when the server agreed; otherwise its answer, or what it was in words (POP3's empty line)."""
        ...

    async def login_command(self, conn: Connection, creds: Credentials) -> LoginReply: ...
    async def authenticate(
        self, conn: Connection, mechanism: str, creds: Credentials, caps: Capabilities
    ) -> LoginReply: ...
    async def quit(self, conn: Connection) -> None: ...


Kind = Literal["challenge", "ok", "fail", "skip"]
Classify = Callable[[str], tuple[Kind, str]]


def _register(conn: Connection, exchange: Exchange) -> None:
    """What the exchange made from the secret so far: masked in every message from now on."""
    for data in exchange.pieces:
        conn.redactor.sent(data)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def _respond(conn: Connection, mechanism: str, exchange: Exchange, challenge: bytes) -> bytes:
    """The exchange's answer, made in a thread: a SCRAM answer is up to a million rounds of PBKDF2 (a
    quarter of a second each million here, and the server chooses how many), which in the event loop held
    every other server of the run, past their deadlines. In a thread (hashlib releases the GIL) the others
    are served meanwhile, and the hashing counts against this server's deadline: when it passes, the wait
    ends with a finding that names the step, and the thread is abandoned."""
    waiting = (conn.progress.step, conn.progress.check)
    conn.progress.at(f"computing the {mechanism} answer", checks.LOGIN_FAILED)
    try:
        answer = await in_daemon_thread(exchange.respond, challenge, name=f"mailconf-sasl {mechanism}")
    except SaslError as exc:
        raise ProbeError(checks.LOGIN_FAILED, (f"{mechanism}: ", *exc.parts)) from None
    conn.progress.at(*waiting)
    return answer


async def sasl_exchange(
    conn: Connection,
    mechanism: str,
    creds: Credentials,
    command: Callable[[str | None], str],
    classify: Classify,
    *,
    initial_response: bool,
    longest: int | None = None,
) -> LoginReply:
    """Run one SASL exchange: ``command(initial or None)`` starts it, ``classify`` reads each line.

    ``longest`` is the protocol's longest command line, CRLF included: an initial response that would make the
    command longer waits for the server's empty challenge (RFC 4954 and RFC 5034, section 4).
    """
    try:
        exchange = MECHANISMS[mechanism](creds)
    except SaslError as exc:
        raise ProbeError(checks.LOGIN_FAILED, (f"{mechanism}: ", *exc.parts)) from None
    initial = exchange.initial()
    if initial is not None:
        _register(conn, exchange)
    line = command(b64(initial) or "=") if initial is not None and initial_response else None
    sent_initial = line is not None and (longest is None or len(line.encode("utf-8")) + 2 <= longest)
    await conn.send(line if line is not None and sent_initial else command(None))
    step = 0
    for _ in range(MAX_LINES):
        kind, payload = classify(await conn.readline())
        if kind == "skip":
            continue
        if kind == "ok" and not exchange.complete:
            raise ProbeError(checks.LOGIN_FAILED, f"{mechanism}: {exchange.unfinished}")
        if kind == "ok" and initial is not None and not sent_initial:  # made, still waiting for the go-ahead
            raise ProbeError(checks.LOGIN_FAILED, f"{mechanism}: {UNCHECKED}")
        if kind != "challenge":
            return LoginReply(kind == "ok", conn.quote(payload))
        if step >= MAX_STEPS:
            raise ProbeError(checks.PROTOCOL_ERROR, f"the server sent more than {MAX_STEPS} {mechanism} challenges")
        if not sent_initial and initial is not None:
            answer = initial
            sent_initial = carries = True
        else:
            try:
                challenge = base64.b64decode(payload.strip(), validate=False)
            except (binascii.Error, ValueError):
                challenge = b""
            made = len(exchange.pieces)
            answer = await _respond(conn, mechanism, exchange, challenge)
            carries = len(exchange.pieces) > made  # not LOGIN's user name, an OAuth2 error's or SCRAM's last answer
        _register(conn, exchange)
        if carries:  # a verdict already sent predates the credentials; one after an answer of nothing does not
            conn.nothing_ahead(f"the {mechanism} response")
        await conn.send(b64(answer))
        step += 1
    raise ProbeError(checks.PROTOCOL_ERROR, f"the server sent more than {MAX_LINES} lines while {conn.progress.step}")
