"""Probe servers: one asyncio task per server, a bound on how many run at once, a deadline each.

A session is one connection: resolve, connect, (implicit TLS,) greeting,
capabilities, (STARTTLS, handshake, capabilities again,) certificate and
authentication checks, and with ``--login`` the login itself. The lookup and the
session run under one deadline, the server's timeout (:data:`DEFAULT_TIMEOUT` when
none is declared or it is 0), so a server that stalls anywhere costs at most that;
the finding names the step it stalled in. A certificate the handshake rejects is
reported and the session repeated once without verification (see
:mod:`mailconf.probe.tls`), within what is left of the same deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import NamedTuple

from ..model import CREDENTIAL_COMMAND, Auth, CommandField, Protocol, Security, Server, Severity
from ..rules.mc304_mechanism_contradicts_auth import agrees
from . import checks
from .checks import Check
from .conn import (
    MAX_LINE,
    Connection,
    Message,
    Names,
    ProbeError,
    Progress,
    describe_os_error,
    in_daemon_thread,
    named,
    render,
    server_text,
)
from .credentials import kill_running, read_secret
from .dialogue import Capabilities, Dialogue
from .imap import Imap
from .pop3 import Pop3
from .redact import Redactor
from .sasl import MECHANISMS, Credentials
from .smtp import Smtp
from .tls import (
    Negotiated,
    Rejection,
    Trust,
    assess,
    describe_chain,
    negotiated,
    tls_name,
    trust_for,
    unseen,
    unverified_context,
)
from .x509 import try_summarise

#: Seconds a session may take when the server declares no timeout (or 0, "none").
DEFAULT_TIMEOUT = 30

DIALOGUES: dict[Protocol, Callable[[], Dialogue]] = {Protocol.IMAP: Imap, Protocol.POP3: Pop3, Protocol.SMTP: Smtp}

_STRONG = frozenset({"PLAIN", "LOGIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS"})
_WEAK = frozenset({"CRAM-MD5", "DIGEST-MD5", "NTLM"})
#: The mechanisms an auth means when the file declares no ``mechanisms``, best first: what --login tries, and
#: (but for a password, which has its own weak/strong advice) what the server must offer. Which mechanism may
#: carry which auth's credential is not decided here but by MC304 (:func:`agrees`), for declared ones too.
_OWN: dict[Auth, tuple[str, ...]] = {
    Auth.PASSWORD: ("SCRAM-SHA-256", "PLAIN", "LOGIN", "SCRAM-SHA-1", "CRAM-MD5"),
    Auth.OAUTH2: ("OAUTHBEARER", "XOAUTH2"),
    Auth.GSSAPI: ("GSSAPI",),
    Auth.NTLM: ("NTLM",),
    Auth.CLIENT_CERT: ("EXTERNAL",),
    Auth.NONE: (),
}
_NEEDS: dict[Auth, frozenset[str]] = {
    auth: frozenset(names) for auth, names in _OWN.items() if auth not in (Auth.PASSWORD, Auth.NONE)
}
#: What each command of CREDENTIAL_COMMAND prints, for the messages.
_SECRET: dict[CommandField, str] = {"password_command": "password", "token_command": "token"}


class Options(NamedTuple):
    login: bool = False
    allow_cleartext: bool = False
    show_cert: bool = False
    #: --deadline: seconds the whole run may take (probe_all), whatever the servers' timeouts; None: no such bound
    deadline: int | None = None


class Facts(NamedTuple):
    """What a probe learnt about one server, for the summary table."""

    tls_version: str | None = None  # "TLSv1.3"
    expires: dt.datetime | None = None  # the server certificate's notAfter
    #: mechanisms offered, and the LOGIN/USER command: while probing whole, as the server named them;
    #: from probe_all masked and listed (:func:`mailconf.probe.conn.named`)
    auth: tuple[str, ...] = ()


class Board:
    """Each server's current step, start time and facts, while probing (a progress display reads it)."""

    def __init__(self, count: int) -> None:
        self.steps: list[str] = ["waiting"] * count
        self.started: list[float | None] = [None] * count
        self.done: list[bool] = [False] * count
        self.facts: list[Facts] = [Facts()] * count

    def pending(self) -> list[int]:
        """The servers being probed now (started, not done), in order."""
        return [i for i, start in enumerate(self.started) if start is not None and not self.done[i]]


class Outcome(NamedTuple):
    check: Check
    message: str
    #: a case that is milder (or worse) than the check's default
    severity: Severity | None = None


class Draft(NamedTuple):
    """A finding as a session makes it: the server's text in its message still whole (see :func:`finish`)."""

    check: Check
    message: Message
    severity: Severity | None = None


def finish(drafts: Sequence[Draft], redactor: Redactor) -> list[Outcome]:
    """The findings as shown: every message masked with every form ``redactor`` knows by now, then cut.

    Only here, once no more secrets can come, is the server's text cut (:func:`mailconf.probe.conn.render`).
    """
    found: list[Outcome] = []
    for draft in drafts:
        outcome = Outcome(draft.check, render(draft.message, redactor.redact), draft.severity)
        if outcome not in found:
            found.append(outcome)
    return found


Address = tuple[str, int]
Resolver = Callable[[str, int], Awaitable[list[Address]]]


def timeout_of(server: Server) -> int:
    return server.timeout or DEFAULT_TIMEOUT


def getaddrinfo(host: str, port: int) -> list[Address]:
    """The addresses of host, as the system resolves them (/etc/hosts, DNS, ...): blocking."""
    addresses: list[Address] = []
    for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = (str(info[4][0]), int(info[4][1]))
        if address not in addresses:
            addresses.append(address)
    return addresses


#: RFC 8305 section 5's Connection Attempt Delay: the next address is tried when the one before has neither
#: connected nor failed within this long, or at once when it failed (docs/probe.md, TCP).
ATTEMPT_DELAY = 0.25
#: Connection attempts of one server at once: a name whose addresses all drop every packet holds this many
#: sockets until its deadline, not one per 250 ms (commands/probe.py's PER_SESSION counts them). While an address
#: is left untried, the oldest attempt gives its place up to it every ATTEMPT_DELAY, so no working address waits.
ATTEMPTS_AT_ONCE = 4

Streams = tuple[asyncio.StreamReader, asyncio.StreamWriter]
#: How much of one address's failure MC802 shows: an address (an IPv6 one with a zone, ``fe80::...%eth0``, up to
#: 56 characters) and mailconf's words for it, whole. At 80, ``2001:db8:85a3:8d3:1319:8a2e:370:7348: no answer
#: yet, stopped to try the next address`` lost its end.
_SAID = 120


def interleaved(addresses: Sequence[Address]) -> list[int]:
    """The indexes of ``addresses`` in the order RFC 8305 section 4 tries them: the families taking turns, the
    lookup's first family first, each family in the lookup's order (IPv6 a, IPv4 a, IPv6 b, IPv4 b, ...). Two IPv6
    addresses behind a route to nowhere thus keep no IPv4 address waiting behind them."""
    first = ":" in addresses[0][0] if addresses else False
    ours = [i for i, (host, _port) in enumerate(addresses) if (":" in host) == first]
    theirs = [i for i, (host, _port) in enumerate(addresses) if (":" in host) != first]
    order = [i for pair in zip(ours, theirs, strict=False) for i in pair]
    return order + ours[len(theirs) :] + theirs[len(ours) :]


async def first_connection(addresses: Sequence[Address], errors: dict[int, str]) -> Streams | None:
    """The first of ``addresses`` to accept a TCP connection, tried as RFC 8305 (Happy Eyeballs) tries them.

    The addresses are tried in :func:`interleaved` order: the first at once, each next one
    ATTEMPT_DELAY after the one before or as soon as an attempt fails, while the earlier
    attempts go on; the first connection made wins and every other attempt is ended (a
    connection made meanwhile closed). At most ATTEMPTS_AT_ONCE attempts go on at once: when
    that many are going on and an address is left, the oldest gives its place up (it has
    had ATTEMPTS_AT_ONCE times ATTEMPT_DELAY, a second, at least); the last ones go on until
    the deadline. One address after the other, a first address whose packets are dropped
    (an IPv6 route that goes nowhere) took the server's whole deadline, and the addresses
    after it were never tried; with four attempts at most and no giving up, four such
    addresses kept a fifth that works untried. None when every attempt failed; ``errors``
    has each failed address's reason, by its index in ``addresses``. The caller's deadline
    ends the attempts left.
    """
    order = interleaved(addresses)
    attempts: dict[asyncio.Task[Streams], int] = {}  # attempt -> its place in order
    given_up: list[asyncio.Task[Streams]] = []
    started = 0
    try:
        while started < len(order) or attempts:
            if started < len(order):
                if len(attempts) >= ATTEMPTS_AT_ONCE:  # the oldest gives its place up
                    oldest = min(attempts, key=attempts.__getitem__)
                    index = order[attempts.pop(oldest)]
                    oldest.cancel()
                    given_up.append(oldest)
                    errors[index] = f"{addresses[index][0]}: no answer yet, stopped to try the next address"
                host, port = addresses[order[started]]
                attempts[asyncio.ensure_future(asyncio.open_connection(host, port, limit=MAX_LINE))] = started
                started += 1
            wait = ATTEMPT_DELAY if started < len(order) else None  # else until one ends
            done, _ = await asyncio.wait(attempts, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
            for attempt in sorted(done, key=attempts.__getitem__):  # two at once: the one tried first wins
                index = order[attempts.pop(attempt)]
                failure = attempt.exception()
                if failure is None:
                    return attempt.result()
                if not isinstance(failure, OSError):
                    raise failure
                errors[index] = f"{addresses[index][0]}: {describe_os_error(failure)}"
        return None
    finally:
        for attempt in attempts:
            attempt.cancel()
        for outcome in await asyncio.gather(*attempts, *given_up, return_exceptions=True):
            if isinstance(outcome, tuple):  # connected while this one won, or while being ended
                outcome[1].transport.abort()


#: The blocking lookup :func:`resolve` runs (a test may point it at its own DNS server).
LOOKUP: Callable[[str, int], list[Address]] = getaddrinfo


async def resolve(host: str, port: int) -> list[Address]:
    """:data:`LOOKUP` in a thread that is abandoned, not joined, when the deadline passes.

    ``loop.getaddrinfo`` runs in the loop's default executor, and ``asyncio.run`` waits for
    that executor's threads at exit: a DNS server that never answers kept the process alive
    long after the finding said "took longer than 2 s". A daemon thread of our own is left
    to finish on its own, and never holds up the exit.
    """
    return await in_daemon_thread(LOOKUP, host.strip("[]"), port, name=f"mailconf-resolve {host}")


async def probe_server(
    server: Server,
    options: Options,
    resolver: Resolver = resolve,
    board: Board | None = None,
    index: int = 0,
) -> list[Outcome]:
    """Every finding about one server, in the order found (its step and facts kept on ``board``)."""
    redactor = Redactor()
    return finish(await _drafts(server, options, resolver, board, index, redactor=redactor), redactor)


def run_deadline_passed(options: Options, step: str) -> str:
    """MC823's message: the run's deadline (``--deadline``) passed while at ``step``."""
    return f"the run's deadline (--deadline {options.deadline}) passed while {step}"


async def _drafts(
    server: Server,
    options: Options,
    resolver: Resolver,
    board: Board | None,
    index: int,
    *,
    redactor: Redactor,
    run_end: float | None = None,
) -> list[Draft]:
    """The findings about one server, unmasked; ``redactor`` (shared by a run) gathers every secret's forms.
    ``run_end``: when the run's deadline passes (the event loop's time), if it has one."""
    found: list[Draft] = []
    timeout = timeout_of(server)
    # one deadline for the lookup and both connections: a server that stalls the first session, then
    # has its certificate rejected, must not get a second full timeout for the repeat
    deadline = asyncio.get_running_loop().time() + timeout
    cut = run_end is not None and run_end < deadline  # the run's deadline comes first: it ends the session
    if run_end is not None and cut:
        deadline = run_end
    if board is not None:
        board.steps[index] = "resolving"
    try:
        async with asyncio.timeout_at(deadline):
            addresses = await resolver(server.host, server.port)
    except TimeoutError:
        if cut:
            return [Draft(checks.RUN_DEADLINE, run_deadline_passed(options, f"resolving {server.host}"))]
        return [Draft(checks.DNS_FAILED, f"resolving {server.host} took longer than {timeout} s")]
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
        return [Draft(checks.DNS_FAILED, f"{server.host} does not resolve ({reason}); check host")]
    if not addresses:
        return [Draft(checks.DNS_FAILED, f"{server.host} has no address; check host")]
    session = Session(
        server, options, trust_for(server), addresses, found, deadline=deadline, redactor=redactor, cut=cut
    )
    if board is not None:
        session.board_slot = (board, index)
    rejection = await session.run(session.trust.context, None)
    if rejection is not None:
        await session.run(unverified_context(), rejection)
        if not session.assessed:  # the repeat ended before its handshake (the deadline, an error): say why
            session.add(*unseen(server, session.trust, rejection))
    return found


class Session:
    """The state of probing one server: what it is, how it is trusted, what was found so far."""

    def __init__(
        self,
        server: Server,
        options: Options,
        trust: Trust,
        addresses: Sequence[Address],
        found: list[Draft],
        *,
        deadline: float,
        redactor: Redactor,
        cut: bool = False,
    ) -> None:
        self.server = server
        self.options = options
        self.trust = trust
        self.addresses = addresses
        self.found = found
        self.timeout = timeout_of(server)
        #: the event loop's time by which every connection of the session has ended
        self.deadline = deadline
        #: the TLS session of the current connection (None while, or when, there is none)
        self.tls: Negotiated | None = None
        #: every form of the secrets produced in this session (the connections register them), and in the
        #: other sessions of the run when the redactor is shared
        self.redactor = redactor
        #: the certificate of a connection has been checked (the repeat after a rejection may not get there)
        self.assessed = False
        #: where this server's steps and facts are shown while probing, if anywhere
        self.board_slot: tuple[Board, int] | None = None
        #: the deadline is the run's (--deadline), which comes before the server's own timeout
        self.cut = cut

    def _step(self, step: str) -> None:
        if self.board_slot is not None:
            board, index = self.board_slot
            board.steps[index] = step

    def _learnt(self, dialogue: Dialogue, caps: Capabilities) -> None:
        if self.board_slot is None:
            return
        board, index = self.board_slot
        summary = try_summarise(self.tls.leaf) if self.tls is not None and self.tls.leaf else None
        auth = tuple(sorted(caps.mechanisms) + ([dialogue.LOGIN_COMMAND] if caps.login_command else []))
        board.facts[index] = Facts(self.tls.version if self.tls else None, summary.not_after if summary else None,
                                   auth)  # fmt: skip

    def add(self, check: Check, message: Message, severity: Severity | None = None) -> None:
        """Every finding of a session passes here; its secrets are masked when the run is done (:func:`finish`)."""
        draft = Draft(check, message, severity)
        if draft not in self.found:
            self.found.append(draft)

    async def run(self, context: ssl.SSLContext, rejection: Rejection | None) -> Rejection | None:
        """One connection. Returns the rejection when the handshake refused the certificate."""
        progress = Progress(on_step=self._step)
        conn: Connection | None = None
        try:
            async with asyncio.timeout_at(self.deadline):
                conn = await self._connect(progress)
                await self._dialogue(conn, context, rejection)
        except ssl.SSLCertVerificationError as exc:
            if rejection is None:
                return Rejection(exc.verify_code, exc.verify_message or exc.reason or "verification failed")
            self.add(checks.TLS_FAILED, f"the TLS handshake failed: {exc.verify_message}")
        except TimeoutError:
            if self.cut:  # not the server's timeout: nothing is said about the server
                self.add(checks.RUN_DEADLINE, run_deadline_passed(self.options, progress.step))
            else:
                self.add(progress.check, self._stalled(progress))
        except ProbeError as exc:
            self.add(exc.check, exc.message)
        finally:
            if conn is not None:
                conn.abort()
        return None

    def _stalled(self, progress: Progress) -> str:
        if progress.check is checks.CONNECT_FAILED:
            return f"no TCP connection to {self.server.host} port {self.server.port} within {self.timeout} s"
        if progress.check in (checks.SECRET_FAILED, checks.LOGIN_FAILED):  # our own work, not the server's answer
            return f"{progress.step} did not finish within {self.timeout} s"
        return f"no answer within {self.timeout} s while {progress.step}"

    async def _connect(self, progress: Progress) -> Connection:
        progress.at("connecting", checks.CONNECT_FAILED)
        errors: dict[int, str] = {}
        streams = await first_connection(self.addresses, errors)
        if streams is not None:
            return Connection(*streams, progress, self.redactor)
        said = [errors[index] for index in sorted(errors)]  # in the resolver's order, whichever failed first
        raise ProbeError(
            checks.CONNECT_FAILED,
            f"cannot connect to {self.server.host} port {self.server.port} ({'; '.join(named(said, _SAID))}); "
            "check host and port",
        )

    async def _handshake(
        self, conn: Connection, context: ssl.SSLContext, rejection: Rejection | None, upgrade: str | None = None
    ) -> bool:
        """TLS (implicit, or after the command ``upgrade``), then the certificate checks; True when credentials may
        be sent."""
        await conn.start_tls(context, tls_name(self.server.host), upgrade)
        ssl_object = conn.ssl_object
        if ssl_object is None:
            raise ProbeError(checks.TLS_FAILED, "the TLS handshake produced no TLS session")
        tls = negotiated(ssl_object)
        found, trusted = assess(self.server, self.trust, tls, rejection, dt.datetime.now(dt.UTC))
        self.assessed = True
        for outcome in found:
            self.add(*outcome)
        if self.options.show_cert:
            for line in describe_chain(tls):
                self.add(checks.CERTIFICATE, line)
        self.tls = tls
        return trusted

    async def _dialogue(self, conn: Connection, context: ssl.SSLContext, rejection: Rejection | None) -> None:
        server = self.server
        dialogue = DIALOGUES[server.protocol]()
        conn.unsolicited = dialogue.UNSOLICITED
        self.tls = None
        trusted = False
        if server.security is Security.TLS:
            trusted = await self._handshake(conn, context, rejection)
            preauthenticated = await dialogue.greet(conn)
            caps = await dialogue.capabilities(conn)
        else:
            preauthenticated = await dialogue.greet(conn)
            if preauthenticated and server.security is not Security.NONE:
                # the attack of CVE-2020-12398 (Thunderbird) and CVE-2020-14093 (mutt): a PREAUTH injected before
                # TLS made those clients go on without STARTTLS; fixed, they refuse it. probe went on to STARTTLS
                # (not allowed once logged in) and, when the server took it, said the server was ok
                raise ProbeError(
                    checks.STARTTLS_MISSING,
                    f"the server greeted with PREAUTH: the session is logged in before TLS, when {dialogue.STARTTLS} "
                    "is no longer allowed (RFC 9051 section 6.2), and mail clients refuse such a connection (it is how "
                    "an attacker on the path keeps a client from starting TLS); use security: tls",
                )
            caps = await dialogue.capabilities(conn)
            if server.security is Security.NONE:
                if caps.starttls:
                    self.add(
                        checks.TLS_AVAILABLE,
                        f"the server offers {dialogue.STARTTLS}; use security: starttls, or security: tls on its "
                        "implicit-TLS port",
                    )
            else:
                if not caps.starttls:
                    raise ProbeError(
                        checks.STARTTLS_MISSING,
                        f"the server does not offer {dialogue.STARTTLS} (security: {server.security.value}); "
                        "use security: tls on its implicit-TLS port, or have STARTTLS enabled",
                    )
                self._cleartext_login(dialogue, caps)
                refusal = await dialogue.starttls(conn)
                if refusal is not None:
                    raise ProbeError(checks.STARTTLS_MISSING, (f"the server refused {dialogue.STARTTLS}: ", refusal))
                trusted = await self._handshake(conn, context, rejection, dialogue.STARTTLS)
                caps = await dialogue.capabilities(conn)
        if preauthenticated:
            # logged in at the greeting (over TLS, or with security: none): its capabilities are those of a session
            # logged in (AUTH= and LOGINDISABLED mean nothing there), and a login is a command of the state before.
            # Checked as any other server, it got MC813, or --login ran the password command and sent the password
            # to be answered BAD (MC815)
            self._learnt(dialogue, caps)
            self.add(checks.SERVER_OK, self._summary(dialogue, caps, preauthenticated=True))
            if self.options.login and server.auth is not Auth.NONE:
                self.add(
                    checks.LOGIN_SKIPPED,
                    "the server logged the session in at its greeting (PREAUTH): there is no login to try, and no "
                    "password or token command ran",
                    Severity.INFO,
                )
        else:
            self._auth_offered(dialogue, caps)
            self._learnt(dialogue, caps)
            self.add(checks.SERVER_OK, self._summary(dialogue, caps))
            if self.options.login:
                await self._login(conn, dialogue, caps, trusted)
        with contextlib.suppress(ProbeError):  # a polite goodbye; the connection is aborted anyway
            await dialogue.quit(conn)

    def _cleartext_login(self, dialogue: Dialogue, caps: Capabilities) -> None:
        offered = caps.cleartext_password
        if not offered:
            return
        names = [dialogue.LOGIN_COMMAND if m == "command" else f"AUTH {m}" for m in offered]
        why = " (no LOGINDISABLED)" if dialogue.NAME == "IMAP" and caps.login_command else ""
        self.add(
            checks.CLEARTEXT_LOGIN,
            f"before {dialogue.STARTTLS} the server accepts {', '.join(names)}{why}: a client that skips "
            f"{dialogue.STARTTLS} would send the password in cleartext; prefer security: tls",
        )

    def _offered(self, dialogue: Dialogue, caps: Capabilities) -> Names | str:
        # the server's words, each quoted (a name spelt \U00100000 must not look like that character)
        names = [server_text(m) for m in sorted(caps.mechanisms)]
        names += [dialogue.LOGIN_COMMAND] if caps.login_command else []
        return Names(tuple(names)) if names else "nothing"

    def _auth_offered(self, dialogue: Dialogue, caps: Capabilities) -> None:
        server = self.server
        if server.auth is Auth.NONE:
            return
        declared = [m.upper() for m in server.mechanisms]
        if declared:
            usable = [m for m in declared if m in caps.mechanisms or (m == "LOGIN" and caps.login_command)]
            if not usable:
                self.add(
                    checks.AUTH_MISSING,
                    (
                        f"none of the declared mechanisms ({', '.join(declared)}) is offered; the server offers ",
                        self._offered(dialogue, caps),
                    ),
                )
            return
        if server.auth is Auth.PASSWORD:
            if caps.login_command or caps.mechanisms & _STRONG:
                return
            weak = sorted(caps.mechanisms & _WEAK)
            if weak:
                self.add(
                    checks.WEAK_AUTH_ONLY,
                    f"for password login the server offers only {', '.join(weak)}; ask for PLAIN over TLS or "
                    "SCRAM-SHA-256, or declare mechanisms: to accept it",
                )
            else:
                self.add(
                    checks.AUTH_MISSING,
                    ("the server offers no password login (it offers ", self._offered(dialogue, caps), ")"),
                )
            return
        needs = _NEEDS[server.auth]
        if not caps.mechanisms & needs:
            self.add(
                checks.AUTH_MISSING,
                (
                    f"auth {server.auth.value} needs {' or '.join(sorted(needs))}; the server offers ",
                    self._offered(dialogue, caps),
                ),
            )

    def _summary(self, dialogue: Dialogue, caps: Capabilities, *, preauthenticated: bool = False) -> Message:
        security = {
            Security.TLS: "implicit TLS",
            Security.STARTTLS: dialogue.STARTTLS,
            Security.STARTTLS_OPTIONAL: dialogue.STARTTLS,
            Security.NONE: "no TLS",
        }[self.server.security]
        version = f" ({self.tls.version})" if self.tls is not None else ""
        assumed = f" (assumed: {caps.assumed})" if caps.assumed else ""
        if preauthenticated:
            return f"{dialogue.NAME} over {security}{version}; logged in at the greeting (PREAUTH)"
        return (f"{dialogue.NAME} over {security}{version}; login offered: ", self._offered(dialogue, caps), assumed)

    async def _login(self, conn: Connection, dialogue: Dialogue, caps: Capabilities, trusted: bool) -> None:
        server = self.server
        field = CREDENTIAL_COMMAND.get(server.auth)  # the one map lint and the targets read
        if field is None:  # gssapi, client-cert: a ticket or a certificate, no secret a command prints
            if server.auth is not Auth.NONE:
                self.add(checks.LOGIN_SKIPPED, f"--login cannot log in with auth {server.auth.value}", Severity.INFO)
            return
        own = _OWN[server.auth]
        # ntlm: the auth runs a command, but probe speaks none of its mechanisms (declared ones are chosen from below)
        if not server.mechanisms and not MECHANISMS.keys() & own:
            self.add(
                checks.LOGIN_SKIPPED,
                f"--login cannot log in with auth {server.auth.value}: probe does not speak "
                f"{' or '.join(sorted(own))}, so it does not run {field}",
                Severity.INFO,
            )
            return
        what = _SECRET[field]
        command = server.credential_command
        if self.tls is None and not self.options.allow_cleartext:
            self.add(
                checks.LOGIN_SKIPPED,
                f"--login would send the {what} of {server.username} without TLS; nothing was sent "
                "(--allow-cleartext allows it, for a test server only)",
            )
            return
        if self.tls is not None and not trusted:
            self.add(
                checks.LOGIN_SKIPPED,
                f"the {what} of {server.username} was not sent: the connection failed the TLS checks above",
            )
            return
        if command is None:
            literal = " (a literal password: is never used)" if server.has_literal_password else ""
            self.add(checks.LOGIN_SKIPPED, f"--login needs {field} to read the {what}{literal}")
            return
        method = choose_method(server, caps)
        if method is None:
            self.add(
                checks.LOGIN_SKIPPED,
                (
                    f"no mechanism probe can log in with is offered for auth {server.auth.value} (the server offers ",
                    self._offered(dialogue, caps),
                    ")",
                ),
            )
            return
        conn.progress.at(f"running {field}", checks.SECRET_FAILED)
        secret = await read_secret(command, field)
        self.redactor.secret(secret)
        creds = Credentials(server.username, secret, server.host, server.port)
        label = dialogue.LOGIN_COMMAND if method == "command" else method
        conn.nothing_ahead(f"the login ({label})")  # sent with the capabilities, or while the command ran
        if method == "command":
            reply = await dialogue.login_command(conn, creds)
        else:
            reply = await dialogue.authenticate(conn, method, creds, caps)
        if reply.accepted:
            self.add(checks.LOGIN_OK, f"{server.username} logged in with {label}")
        else:
            self.add(
                checks.LOGIN_FAILED,
                (f"the server refused the credentials of {server.username} ({label}): ", reply.text),
            )


def choose_method(server: Server, caps: Capabilities) -> str | None:
    """The SASL mechanism (or "command": IMAP LOGIN, POP3 USER/PASS) --login uses, or None.

    The first of the declared mechanisms, or else of the auth's own (:data:`_OWN`), that probe speaks, the server
    offers, and that carries the credential the auth gives (MC304's :func:`agrees`, the one table of which
    mechanism uses which credential): so no auth ever logs in with a mechanism of another, whatever
    :data:`MECHANISMS` comes to hold. The IMAP LOGIN and POP3 USER/PASS commands send a password as LOGIN does.
    """
    declared = [m.upper() for m in server.mechanisms]
    for name in declared or _OWN[server.auth]:
        if not agrees(server.auth, name.lower()):
            continue
        if name in MECHANISMS and name in caps.mechanisms:
            return name
        if name == "LOGIN" and caps.login_command:
            return "command"
    return None


async def probe_all(
    servers: Sequence[Server],
    options: Options,
    concurrency: int,
    resolver: Resolver = resolve,
    board: Board | None = None,
) -> list[list[Outcome] | Exception]:
    """Every server at once, at most ``concurrency`` in flight, servers alike (:func:`session_key`) once; results in
    the order given.

    A bug while probing one server is that server's result, the exception itself, so the others
    are still reported; the command turns it into an internal error (exit 3), never a finding.

    One redactor serves every session, and every message (and mechanism name on ``board``) passes it
    once all have ended, only then cut to length: a server may quote a password another server of
    the run received later (the same account's IMAP and SMTP hosts), or its own before its login.
    """
    gate = asyncio.Semaphore(concurrency)
    redactor = Redactor()
    loop = asyncio.get_running_loop()
    run_end = None if options.deadline is None else loop.time() + options.deadline
    # servers that would be probed alike (session_key) are probed once, as the first of them: index -> the others
    alike: dict[int, list[int]] = {}
    first: dict[tuple[object, ...], int] = {}
    for index, server in enumerate(servers):
        alike.setdefault(first.setdefault(session_key(server, options), index), []).append(index)

    async def one(index: int, server: Server) -> list[Draft] | Exception:
        async with gate:
            if board is not None:
                for each in alike[index]:
                    board.started[each] = time.monotonic()
            try:
                if run_end is not None and loop.time() >= run_end:  # its turn came (the gate) once the run was over
                    return [
                        Draft(checks.RUN_DEADLINE, f"not probed: the run's deadline (--deadline {options.deadline}) "
                              "passed before its turn")
                    ]  # fmt: skip
                return await _drafts(server, options, resolver, board, index, redactor=redactor, run_end=run_end)
            except Exception as exc:  # noqa: BLE001 - a bug must not hide the other servers' results
                return exc
            finally:
                if board is not None:
                    for each in alike[index]:
                        board.facts[each] = board.facts[index]
                        board.done[each] = True

    with _signals_end_commands():
        results = await asyncio.gather(*(one(i, servers[i]) for i in alike))
    if board is not None:  # the mechanism names of the summary table are the server's text too: masked, then cut
        board.facts = [f._replace(auth=tuple(named(f.auth, mask=redactor.redact))) for f in board.facts]
    shown: list[list[Outcome] | Exception] = [[] for _ in servers]
    for index, result in zip(alike, results, strict=True):
        outcomes = result if isinstance(result, Exception) else finish(result, redactor)
        for each in alike[index]:
            shown[each] = outcomes
    return shown


def session_key(server: Server, options: Options) -> tuple[object, ...]:
    """What a session's findings depend on: servers with the same key are probed once (the accounts of a company's
    one IMAP server: 10,000 connections were 10,000 sessions). The user name and the command count only with
    ``--login``; where the server is written in the file never does."""
    key = (server.protocol, server.host, server.port, server.security, server.auth, server.mechanisms, server.tls,
           timeout_of(server))  # fmt: skip
    if not options.login:
        return key
    return (*key, server.username, server.password_command, server.token_command, server.has_literal_password)


#: The exit status after a signal, as a shell reports it (128 + the signal number).
_SIGNALS = {signal.SIGINT: 130, signal.SIGTERM: 143}


@contextlib.contextmanager
def _signals_end_commands() -> Iterator[None]:
    """While probing, SIGINT and SIGTERM kill the password/token commands' process groups, then exit.

    The commands run in sessions of their own (so a terminal's Ctrl-C does not reach them):
    without this they outlived an interrupted mailconf. The exit is ``SystemExit`` (130 for
    SIGINT, 143 for SIGTERM), raised in the loop: the tasks are cancelled and clean up.
    """
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def end(status: int) -> None:
        kill_running()
        raise SystemExit(status)

    for signum, status in _SIGNALS.items():
        try:
            loop.add_signal_handler(signum, end, status)
        except (ValueError, RuntimeError, NotImplementedError):  # not the main thread, or no signals here
            continue
        installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
