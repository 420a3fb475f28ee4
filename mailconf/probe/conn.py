"""One line-oriented connection to a mail server, hardened against what a server may send.

Every read is bounded in length (:data:`MAX_LINE`, and :data:`MAX_RESPONSE` for
all the lines of one response) and, through the session's deadline, in time. Whatever goes wrong ends the session with a
:class:`ProbeError`: one finding, never a traceback. Server text that makes it
into a message is a :class:`Quoted` part (mechanism names a :class:`Names` part): it stays
whole in the message until :func:`render` masks every secret of the run in it, and only then is
it cut and shown (with ``repr`` quotes); every message finally passes :func:`escape_controls`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias, TypeVar, TypeVarTuple

from ..errors import escape_controls, printable, readable
from . import checks
from .checks import Check
from .redact import Redactor

_T = TypeVar("_T")
_Ts = TypeVarTuple("_Ts")


async def in_daemon_thread(function: Callable[[*_Ts], _T], *args: *_Ts, name: str = "mailconf-worker") -> _T:
    """``function(*args)`` in a thread of its own that is abandoned, not joined, when the awaiting task is cancelled.

    The session's deadline cancels the task; the thread is left to finish on its own and, being a daemon, never
    holds up the exit (``asyncio.to_thread`` uses the loop's default executor, whose threads ``asyncio.run``
    waits for). A blocking lookup or a CPU-bound hash runs here so that the event loop serves every other server
    meanwhile, and the wait counts against this server's deadline.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[_T] = loop.create_future()

    def settle(outcome: tuple[_T] | BaseException) -> None:
        if future.done():  # the deadline passed: nobody waits any more
            return
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome[0])

    def work() -> None:
        outcome: tuple[_T] | BaseException
        try:
            outcome = (function(*args),)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting task, which classifies it
            outcome = exc
        with contextlib.suppress(RuntimeError):  # the loop closed while the work hung
            loop.call_soon_threadsafe(settle, outcome)

    threading.Thread(target=work, name=name, daemon=True).start()
    return await future


#: The longest line accepted from a server (RFC 3501 suggests 8000 octets for commands).
MAX_LINE = 16384
#: The most lines one response may have (CAPABILITY, CAPA, EHLO lists are short).
MAX_LINES = 1000
#: The most bytes one response may have, all its lines together (a real server's lists take a few hundred):
#: 1000 lines just short of MAX_LINE, 16 MB of short mechanism names, held 420 MB of memory as strings.
MAX_RESPONSE = 65536

#: The most names (mechanisms, certificate names) one message lists: a server may send thousands.
MAX_NAMED = 20

#: What asyncio is told a TLS handshake may take: longer than any server's deadline (a timeout is at most
#: 86400 s), so that the deadline decides. asyncio's own limit, 60 s, ended the handshake of a server with a
#: longer timeout as a ConnectionAbortedError: an MC804 "closed the connection" from a server that had stalled.
HANDSHAKE_LIMIT = 2 * 86400.0


@dataclass(frozen=True)
class Quoted:
    """A server's text in a message, kept whole (one answer holds at most :data:`MAX_RESPONSE` bytes)
    until :func:`render` has masked every secret of the run in it, and cut to ``limit`` only then.

    Cut earlier, a server that pads its text so that the cut falls inside a secret (its own, or one
    another server of the run received later) would show the part before the cut: no redaction
    recognises a part.
    """

    text: str
    limit: int = 160
    #: shown in double quotes with escapes (:func:`server_text`, ``"`` written ``\\"``: a reply); else as it is
    #: (a certificate's subject)
    in_quotes: bool = True


@dataclass(frozen=True)
class Names:
    """Names a server chose (mechanisms, a certificate's host names): listed by :func:`named` once masked."""

    names: tuple[str, ...]
    limit: int = 40


#: A finding's message as the session makes it: mailconf's own text, and the server's, still whole.
Message: TypeAlias = str | tuple[str | Quoted | Names, ...]


def render(message: Message, redact: Callable[[str], str]) -> str:
    """The message as shown: each server text masked whole, then cut; then the whole masked again.

    The second pass catches a form that only the quoting made; the last guards, a byte that was not UTF-8 written
    ``\\xNN`` (:func:`~mailconf.errors.readable`; :func:`server_text` has written those of the quoted parts) and
    :func:`escape_controls`, come after it.
    """
    if isinstance(message, str):
        return escape_controls(readable(redact(message)))
    shown: list[str] = []
    for part in message:
        if isinstance(part, Quoted):
            text = cap(redact(part.text), part.limit)
            shown.append('"' + server_text(text).replace('"', '\\"') + '"' if part.in_quotes else text)
        elif isinstance(part, Names):
            shown.append(", ".join(named(part.names, part.limit, redact)))
        else:
            shown.append(part)
    return escape_controls(readable(redact("".join(shown))))


#: a run of bytes that were not UTF-8, as :meth:`Connection.readline` decodes them (``surrogateescape``)
_NOT_UTF8 = re.compile("[\udc80-\udcff]+")


def server_text(text: str) -> str:
    """A server's text (a reply, a mechanism name) for a message: :func:`~mailconf.errors.printable`, and each byte
    that was not UTF-8 written ``\\xNN`` by :func:`~mailconf.errors.readable`, as reports show such a byte of a file
    name. A character from U+0080 on that the server sent in UTF-8 is ``\\u0080``, never ``\\x80``.

    Decoded with ``errors="replace"``, such a byte read as U+FFFD, the character a server may send in UTF-8 (it is
    shown as it is); and the backslash a server sends is doubled, so that it cannot spell a byte in plain text.
    """
    pieces: list[str] = []
    shown = 0
    for run in _NOT_UTF8.finditer(text):
        pieces += [printable(text[shown : run.start()]), readable(run.group())]
        shown = run.end()
    return "".join(pieces) + printable(text[shown:])


class ProbeError(Exception):
    """Ends one session with one finding."""

    def __init__(self, check: Check, message: Message) -> None:
        super().__init__(message)
        self.check = check
        self.message = message


def cap(text: str, limit: int = 160) -> str:
    """Server text no longer than ``limit`` (a hostile server may send 16 KiB lines)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def named(names: Sequence[str], limit: int = 40, mask: Callable[[str], str] = str) -> list[str]:
    """The first :data:`MAX_NAMED` names, each masked whole and then capped at ``limit`` characters,
    then how many more (a server may name thousands: only those shown are worth masking)."""
    shown = [cap(mask(name), limit) for name in names[:MAX_NAMED]]
    return shown + ([f"and {len(names) - MAX_NAMED} more"] if len(names) > MAX_NAMED else [])


_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def upper(text: str) -> str:
    """A server's keywords in upper case, as the protocols compare them: ASCII letters only (RFC 3501 s9, RFC 5321
    s2.4). ``str.upper()`` also folds look-alikes: ``ſTARTTLS`` (long s) read as STARTTLS, ``AUTH=PLAıN``
    (dotless i) as PLAIN."""
    return text.translate(_ASCII_UPPER)


#: the white space between the words of a server's line: SP (RFC 9051, RFC 2449, RFC 5321), and the ASCII others
_SPACES = re.compile("[ \t\r\n\x0b\x0c]+")


def words(line: str) -> list[str]:
    """The words of a server's line, split at ASCII white space only. ``str.split()`` also splits at U+00A0, U+2028,
    U+0085 and ``\\x1c``-``\\x1f``: ``X<U+00A0>STARTTLS``, one word to a mail client (which splits at SP, mutt at C's
    isspace()), read as STARTTLS, and probe went on where the client finds no STARTTLS."""
    return [word for word in _SPACES.split(line) if word]


def says(line: str, word: str) -> bool:
    """``line`` starts with the status or keyword ``word`` (in upper case) as a word of its own: followed by a space
    or nothing. A status is a token (RFC 9051 resp-cond-state ``"OK" SP resp-text``, RFC 1939's ``+OK``, RFC 5321's
    three digits then SP or ``-``): ``OKAY``, ``+OKAY`` and ``2350`` are not OK, +OK and 235."""
    said = upper(line)
    return said.startswith(word) and said[len(word) : len(word) + 1] in ("", " ")


@dataclass
class Progress:
    """What the session is doing now: a deadline that fires names this step."""

    step: str = "connecting"
    check: Check = checks.CONNECT_FAILED
    #: told of every step (the progress display of ``mailconf probe`` on a terminal)
    on_step: Callable[[str], None] | None = None

    def at(self, step: str, check: Check = checks.NO_RESPONSE) -> None:
        self.step = step
        self.check = check
        if self.on_step is not None:
            self.on_step(step)


_NO_COMMON_VERSION = "the server and probe share no TLS version (probe speaks TLS 1.2 and 1.3; RFC 8996)"

#: What to do about a TLS failure, by OpenSSL's reason, where "check security and port" would point the wrong
#: way: that advice fits a port that does not speak TLS (WRONG_VERSION_NUMBER, HTTP_REQUEST, PACKET_LENGTH_TOO_LONG,
#: UNKNOWN_PROTOCOL, and any reason not named here), not a server whose TLS is broken or out of date.
TLS_ADVICE: Mapping[str, str] = {
    # OpenSSL's limit on a server's Certificate and CertificateRequest messages (max_cert_list) is 100 KB; its
    # other handshake messages have smaller limits no real server comes near
    "EXCESSIVE_MESSAGE_SIZE": "the server's certificate chain (or its list of client certificate CAs) is over "
    "OpenSSL's 100 KB limit: the server must send a smaller one",
    "TLSV1_ALERT_PROTOCOL_VERSION": _NO_COMMON_VERSION,
    "UNSUPPORTED_PROTOCOL": _NO_COMMON_VERSION,
    # probe's own OpenSSL, before its hello: the configuration caps the versions below 1.2; the server saw nothing
    "NO_PROTOCOLS_AVAILABLE": "this machine's OpenSSL configuration enables no TLS version probe speaks (1.2 and "
    "1.3), so nothing was sent: check Protocol and MaxProtocol in openssl.cnf, or in the file OPENSSL_CONF names",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "the server refused the handshake: no cipher suite or key exchange in common, "
    "or it requires a client certificate, which probe does not send",
    "TLSV1_ALERT_INSUFFICIENT_SECURITY": "the server accepts no cipher suite or key exchange that probe offers",
    "DH_KEY_TOO_SMALL": "the server's Diffie-Hellman key is too small for OpenSSL: the server must use a larger one",
    "UNSAFE_LEGACY_RENEGOTIATION_DISABLED": "the server lacks secure renegotiation (RFC 5746), which OpenSSL 3 "
    "requires: its TLS library must be upgraded",
    "TLSV1_UNRECOGNIZED_NAME": "the server does not serve the host name probe asked for (SNI): check host",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED": "the server requires a client certificate, which probe does not send",
    "TLSV1_ALERT_INTERNAL_ERROR": "the server failed on its own side",
}


#: The TLS versions probe speaks (RFC 8996), each with the option that turns it off
_VERSIONS = (("1.2", ssl.TLSVersion.TLSv1_2, ssl.OP_NO_TLSv1_2), ("1.3", ssl.TLSVersion.TLSv1_3, ssl.OP_NO_TLSv1_3))


def spoken_versions(context: ssl.SSLContext) -> list[str]:
    """Which of TLS 1.2 and 1.3 ``context`` offers. probe sets the minimum to 1.2 itself, which overrides a
    ``MinProtocol`` of the local OpenSSL configuration; its ``Protocol = -TLSv1.2`` (an option) or ``MaxProtocol``
    still take a version away (a negative bound is OpenSSL's own: none set)."""
    low, high = context.minimum_version, context.maximum_version
    return [
        name
        for name, version, off in _VERSIONS
        if not context.options & off and (low < 0 or low <= version) and (high < 0 or version <= high)
    ]


def handshake_advice(reason: str, context: ssl.SSLContext, upgrade: str | None = None) -> str:
    """What to do about a failed handshake: :data:`TLS_ADVICE`, except that no version in common is put down to the
    local OpenSSL configuration when that refuses one of the versions probe would speak, and that a server that
    agreed to ``upgrade`` (STARTTLS, STLS) and then answered in something else has the right port and security."""
    advice = TLS_ADVICE.get(reason)
    if advice is None and upgrade is not None:
        # "check security and port" fits a port that does not speak TLS; this one said it would
        return (
            f"the server agreed to {upgrade}, then did not answer in TLS: its {upgrade} is broken, or something on "
            "the path (a firewall, a proxy) keeps TLS off; use security: tls on its implicit-TLS port if it has one"
        )
    advice = advice or "check security and port"
    spoken = spoken_versions(context)
    if advice != _NO_COMMON_VERSION or len(spoken) == len(_VERSIONS):
        return advice
    refused = " and ".join(name for name, _, _ in _VERSIONS if name not in spoken)
    return (
        f"the server and probe share no TLS version: this machine's OpenSSL configuration refuses TLS {refused}, so "
        f"probe speaks only TLS {' and '.join(spoken)}; check Protocol and MaxProtocol in openssl.cnf, or in the "
        "file OPENSSL_CONF names"
    )


class Connection:
    """A stream to the server; TLS may start at any time (STARTTLS)."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        progress: Progress,
        redactor: Redactor | None = None,
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.progress = progress
        #: every form of the secret produced so far: masked in anything quoted back
        self.redactor = redactor if redactor is not None else Redactor()
        #: bytes read since the last command was sent: one response (or the greeting)
        self.received = 0
        #: how the lines start that the protocol lets a server send at any time, which answer nothing: IMAP's
        #: untagged responses, ``* `` (RFC 9051 section 7); none in POP3 and SMTP (:meth:`nothing_ahead`)
        self.unsolicited = b""

    async def readline(self) -> str:
        try:
            raw = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            where = self.progress.step
            if exc.partial:
                raise ProbeError(
                    checks.PROTOCOL_ERROR, f"the server closed the connection mid-line while {where}"
                ) from None
            raise ProbeError(checks.PROTOCOL_ERROR, f"the server closed the connection while {where}") from None
        except asyncio.LimitOverrunError:
            raise ProbeError(
                checks.PROTOCOL_ERROR, f"the server sent a line longer than {MAX_LINE} bytes while {self.progress.step}"
            ) from None
        except OSError as exc:
            raise self._failed(exc) from None
        self.received += len(raw)
        if self.received > MAX_RESPONSE:
            raise ProbeError(
                checks.PROTOCOL_ERROR,
                f"the server sent more than {MAX_RESPONSE} bytes in one answer while {self.progress.step}",
            )
        # a byte that is not UTF-8 stays itself (a lone surrogate, U+DC80-U+DCFF) and is shown as one
        # (server_text); "replace" made it U+FFFD, as if the server had sent that character
        return raw.decode("utf-8", "surrogateescape").rstrip("\r\n")

    async def send(self, line: str) -> None:
        self.received = 0
        self.writer.write(line.encode("utf-8") + b"\r\n")
        try:
            await self.writer.drain()
        except OSError as exc:
            raise self._failed(exc) from None

    def _failed(self, exc: OSError) -> ProbeError:
        """The connection broke while reading or writing."""
        if isinstance(exc, ssl.SSLError):
            # an alert after the handshake (TLS 1.3 refuses a missing client certificate only then), a record
            # that does not decrypt: a TLS failure, named by its reason as a failed handshake is (the error's
            # own text is OpenSSL's, with a place in CPython's source: "(_ssl.c:2580)")
            reason = exc.reason or type(exc).__name__
            advice = f"; {TLS_ADVICE[reason]}" if reason in TLS_ADVICE else ""
            return ProbeError(checks.TLS_FAILED, f"the TLS session failed while {self.progress.step}: {reason}{advice}")
        return ProbeError(
            checks.PROTOCOL_ERROR, f"the connection failed while {self.progress.step} ({describe_os_error(exc)})"
        )

    def pending(self) -> int:
        """How many bytes the server has sent that no read has taken yet: an answer to nothing asked so far."""
        return len(getattr(self.reader, "_buffer", b""))

    def nothing_ahead(self, sending: str) -> None:
        """End the session if the server has already answered what probe is about to send (``sending``, "the
        PLAIN response"): sent with the capabilities or a challenge, "235 accepted" read next was taken for the
        verdict on credentials the server had not yet read (MC819). Whole lines the protocol lets come at any time
        (:attr:`unsolicited`: an IMAP ``* BYE`` while the password command ran, ``* OK`` alerts) answer nothing,
        and are read with the login's answer as they were before; so, in IMAP, does an empty line (a server that
        ends its capabilities with CRLF CRLF), which IMAP clients read as no response and go on (mutt, curl).
        POP3 and SMTP have no such lines: their clients take an empty line for the next answer, as probe would."""
        buffered = bytes(getattr(self.reader, "_buffer", b""))
        lines = buffered.split(b"\n")
        if (
            self.unsolicited
            and not lines[-1]
            and all(line.startswith(self.unsolicited) or line in (b"", b"\r") for line in lines[:-1])
        ):
            return
        ahead = len(buffered)
        if ahead:
            raise ProbeError(
                checks.PROTOCOL_ERROR,
                f"the server sent {ahead} bytes before probe sent {sending}; they would be taken for the answer to "
                f"{sending}, which the server had not yet seen, so it was not sent",
            )

    def quote(self, text: str) -> Quoted:
        """Server text for a message: masked, cut and put in double quotes when the message is rendered."""
        return Quoted(text)

    def got(self, line: str) -> Quoted | str:
        """A line the server sent where an answer was due, for a message: quoted, or in words when it was empty (a
        stray empty line, which quoted read ``got ""``)."""
        return Quoted(line) if line else "an empty line"

    @property
    def ssl_object(self) -> ssl.SSLObject | None:
        obj = self.writer.get_extra_info("ssl_object")
        return obj if isinstance(obj, ssl.SSLObject) else None

    async def start_tls(self, context: ssl.SSLContext, server_hostname: str, upgrade: str | None = None) -> None:
        """The handshake, implicit or after ``upgrade`` (STARTTLS, STLS), which names it in messages.

        Certificate errors propagate (the runner classifies them); others end the session.
        """
        label = f"the TLS handshake after {upgrade}" if upgrade else "the TLS handshake"
        self.progress.at(f"doing {label}")
        # Bytes that came with or after the server's "go ahead" were sent in cleartext; once TLS
        # starts they would be read as if they were protected (the STARTTLS injection attack,
        # CVE-2011-0411 and kin). asyncio keeps them in the reader's buffer: refuse them.
        pending = self.pending()
        if pending and upgrade is None:
            raise self._before_the_hello(context, server_hostname)
        if pending:
            raise ProbeError(
                checks.PROTOCOL_ERROR,
                f"the server sent {pending} bytes in cleartext before {label}; they would be read as if "
                "encrypted (STARTTLS injection), so the session was ended",
            )
        try:
            await self.writer.start_tls(context, server_hostname=server_hostname, ssl_handshake_timeout=HANDSHAKE_LIMIT)
        except ssl.SSLCertVerificationError:
            raise
        except ssl.SSLError as exc:
            reason = exc.reason or exc.strerror or type(exc).__name__
            advice = handshake_advice(reason, context, upgrade)
            raise ProbeError(checks.TLS_FAILED, f"{label} failed: {reason}; {advice}") from None
        except (ConnectionError, OSError) as exc:
            raise ProbeError(
                checks.TLS_FAILED, f"the server closed the connection during {label} ({describe_os_error(exc)})"
            ) from None

    def _before_the_hello(self, context: ssl.SSLContext, server_hostname: str) -> ProbeError:
        """Under implicit TLS, bytes that came before probe's hello: no injection (nothing was agreed in cleartext),
        but a cleartext port's greeting, or the alert of a TLS server that has no version to speak. Whether they came
        before the handshake began or during it is a race: OpenSSL reads them here as the handshake would have, so
        that the finding is the same either way (MC804, with the advice for its reason)."""
        sent = bytes(getattr(self.reader, "_buffer", b""))
        incoming = ssl.MemoryBIO()
        tls = context.wrap_bio(incoming, ssl.MemoryBIO(), server_hostname=server_hostname)
        with contextlib.suppress(ssl.SSLWantReadError):
            tls.do_handshake()  # the hello, written to a buffer nobody reads
        incoming.write(sent)
        try:
            tls.do_handshake()
        except ssl.SSLError as exc:
            if not isinstance(exc, ssl.SSLWantReadError):
                reason = exc.reason or type(exc).__name__
                return ProbeError(
                    checks.TLS_FAILED, f"the TLS handshake failed: {reason}; {handshake_advice(reason, context)}"
                )
        return ProbeError(
            checks.TLS_FAILED,
            f"the server sent {len(sent)} bytes before probe's TLS hello, and a TLS server sends nothing before it: "
            "check security and port",
        )

    def abort(self) -> None:
        self.writer.transport.abort()


def describe_os_error(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return type(exc).__name__
