"""The client side of the SASL mechanisms probe speaks (RFC 4422).

Each mechanism is an :class:`Exchange` made for one login: an initial response
(or ``None``: wait for the first challenge) and an answer to each challenge. The
protocol modules frame them (IMAP ``AUTHENTICATE``, POP3 ``AUTH``, SMTP ``AUTH``);
nothing here does I/O, and nothing here logs: the responses hold the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import NamedTuple, Protocol

import scramp

from ..errors import double_quoted
from .conn import Quoted


class Credentials(NamedTuple):
    username: str
    secret: str  # a password or an OAuth2 access token
    host: str
    port: int


class SaslError(Exception):
    """The server's side of the exchange is wrong (a bad SCRAM challenge or signature)."""

    def __init__(self, *parts: str | Quoted) -> None:
        super().__init__("".join(p if isinstance(p, str) else double_quoted(p.text) for p in parts))
        #: the message, the server's text in it kept whole until the run's secrets are masked (conn.render)
        self.parts = parts


#: What a success means that comes before the response carrying the secret (PLAIN's, made but waiting for the
#: server's go-ahead; LOGIN's password; the CRAM-MD5 digest): the server checked nothing.
UNCHECKED = (
    "the server accepted the login before probe sent the credentials: it did not check them, so whether they work "
    "is unknown"
)


class Exchange(Protocol):
    #: every response made from the secret so far, and the parts of one a server might quote on their
    #: own (a CRAM-MD5 digest, a SCRAM proof): the caller registers them for redaction before sending
    pieces: list[bytes]
    #: the exchange reached its end on the client's side: False until the response that carries the secret is
    #: made (LOGIN, CRAM-MD5), and while a SCRAM server has not yet proved with its signature that it knows the
    #: password; a success before that is refused, with :attr:`unfinished` as the reason
    complete: bool
    unfinished: str

    def initial(self) -> bytes | None: ...
    def respond(self, challenge: bytes) -> bytes: ...


class _Plain:
    complete = True
    unfinished = UNCHECKED

    def __init__(self, c: Credentials) -> None:
        self.response = b"\0" + c.username.encode() + b"\0" + c.secret.encode()
        self.pieces: list[bytes] = [self.response, c.secret.encode()]

    def initial(self) -> bytes | None:
        return self.response

    def respond(self, challenge: bytes) -> bytes:
        return self.response


class _Login:
    unfinished = UNCHECKED

    def __init__(self, c: Credentials) -> None:
        self.c = c
        self.step = 0
        self.pieces: list[bytes] = []
        self.complete = False

    def initial(self) -> bytes | None:
        return None

    def respond(self, challenge: bytes) -> bytes:
        prompt = challenge.lower()
        self.step += 1
        if b"pass" in prompt or (b"user" not in prompt and self.step > 1):
            self.pieces.append(self.c.secret.encode())
            self.complete = True
            return self.c.secret.encode()
        return self.c.username.encode()


class _CramMd5:
    unfinished = UNCHECKED

    def __init__(self, c: Credentials) -> None:
        self.c = c
        self.pieces: list[bytes] = []
        self.complete = False

    def initial(self) -> bytes | None:
        return None

    def respond(self, challenge: bytes) -> bytes:
        digest = hmac.new(self.c.secret.encode(), challenge, hashlib.md5).hexdigest()
        response = f"{self.c.username} {digest}".encode()
        self.pieces += [response, digest.encode()]
        self.complete = True
        return response


class _Bearer:
    """XOAUTH2 and OAUTHBEARER (RFC 7628): after a failure the server sends an error challenge to acknowledge."""

    complete = True
    unfinished = UNCHECKED

    def __init__(self, response: bytes, acknowledge: bytes, token: str) -> None:
        self.response = response
        self.acknowledge = acknowledge
        self.pieces: list[bytes] = [response, f"Bearer {token}".encode()]

    def initial(self) -> bytes | None:
        return self.response

    def respond(self, challenge: bytes) -> bytes:
        return self.acknowledge


def _xoauth2(c: Credentials) -> Exchange:
    return _Bearer(f"user={c.username}\x01auth=Bearer {c.secret}\x01\x01".encode(), b"", c.secret)


def _oauthbearer(c: Credentials) -> Exchange:
    user = c.username.replace("=", "=3D").replace(",", "=2C")
    return _Bearer(
        f"n,a={user},\x01host={c.host}\x01port={c.port}\x01auth=Bearer {c.secret}\x01\x01".encode(), b"\x01", c.secret
    )


class _Scram:
    """SCRAM-SHA-1 / SCRAM-SHA-256 without channel binding (RFC 5802, RFC 7677), by the scramp library.

    scramp prepares the password with SASLprep (RFC 4013) as servers do: a password holding,
    say, a soft hyphen (U+00AD, mapped to nothing) or a Roman numeral (U+2168, NFKC "IX")
    logs in. Channel binding (the -PLUS mechanisms) is not offered: the first message says
    ``n,,`` ("the client does not support it"), and no -PLUS mechanism is in
    :data:`MECHANISMS`, so none is ever chosen. The server proves it knows the password too:
    a wrong server signature is an error.
    """

    #: More iterations than this are refused before any hashing. RFC 5802 section 9 warns that a hostile
    #: server can ask for a count big enough to be a denial of service; RFC 7677 sets only a floor (4096).
    #: Servers use 4096 (Dovecot, Cyrus) to 600,000 (OWASP's figure for PBKDF2-SHA256); the MongoDB drivers'
    #: proposed default cap is 100,000, node-postgres's too. A million keeps every real server, and the
    #: hashing a run may abandon when a deadline passes (it runs in a thread) at about a quarter second.
    MAX_ITERATIONS = 1_000_000
    unfinished = (
        "the server accepted the login without its SCRAM signature: it did not prove that it knows the password"
    )

    def __init__(self, c: Credentials, mechanism: str, nonce: str | None = None) -> None:
        self.mechanism = mechanism
        try:
            self.client = scramp.ScramClient([mechanism], c.username, c.secret, c_nonce=nonce)
        except scramp.ScramException:
            raise SaslError("the user name or password cannot be prepared for SCRAM (SASLprep)") from None
        self.pieces: list[bytes] = []
        self.answered_first = False
        self.complete = False

    def initial(self) -> bytes | None:
        return str(self.client.get_client_first()).encode()

    def respond(self, challenge: bytes) -> bytes:
        try:
            text = challenge.decode("utf-8")
        except UnicodeDecodeError:
            raise SaslError("the server's SCRAM challenge is malformed") from None
        fields = dict(part.split("=", 1) for part in text.split(",") if "=" in part)
        if self.answered_first:
            if "e" in fields:
                raise SaslError("the server refused the SCRAM proof (", Quoted(fields["e"], 40), ")")
            try:
                self.client.set_server_final(text)
            except scramp.ScramException:
                raise SaslError("the server's SCRAM signature is wrong: it does not know the password") from None
            self.complete = True
            return b""
        if not {"r", "s", "i"} <= fields.keys():
            raise SaslError("the server's SCRAM challenge is malformed")
        # a posit-number (RFC 5802): ASCII digits ("²".isdigit() holds, and int() refuses it), no leading zero
        count = fields["i"]
        if not (count.isascii() and count.isdigit()) or count.startswith("0"):
            raise SaslError("the server's SCRAM challenge is invalid (nonce or iteration count)")
        # the length first: int() refuses more than 4300 digits
        if len(count) > len(str(self.MAX_ITERATIONS)) or int(count) > self.MAX_ITERATIONS:
            shown = count if len(count) <= 12 else f"a {len(count)}-digit number of"
            raise SaslError(
                f"the server asks for {shown} iterations, more than the {self.MAX_ITERATIONS:,} probe computes:"
                " refused before hashing, no proof sent"
            )
        try:
            self.client.set_server_first(text)
        except scramp.ScramException as exc:
            # scramp's reason names what is wrong (the nonce, a salt shorter than 12 bytes) and quotes
            # no more than one character of the server's text; the session's redaction still applies
            reason = str(exc.args[0] if exc.args else exc).rstrip(".")
            raise SaslError(f"the server's SCRAM challenge is invalid: {reason[:1].lower()}{reason[1:]}") from None
        final = str(self.client.get_client_final())
        self.answered_first = True
        self.pieces += [final.encode(), final.rsplit("p=", 1)[-1].encode()]  # the proof alone too
        return final.encode()


MECHANISMS: dict[str, Callable[[Credentials], Exchange]] = {
    "PLAIN": _Plain,
    "LOGIN": _Login,
    "CRAM-MD5": _CramMd5,
    "SCRAM-SHA-1": lambda c: _Scram(c, "SCRAM-SHA-1"),
    "SCRAM-SHA-256": lambda c: _Scram(c, "SCRAM-SHA-256"),
    "XOAUTH2": _xoauth2,
    "OAUTHBEARER": _oauthbearer,
}

#: The most challenges answered in one exchange (LOGIN and SCRAM need two).
MAX_STEPS = 4
