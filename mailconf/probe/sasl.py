"""The client side of the SASL mechanisms probe speaks (RFC 4422).

Each mechanism is an :class:`Exchange` made for one login: an initial response
(or ``None``: wait for the first challenge) and an answer to each challenge. The
protocol modules frame them (IMAP ``AUTHENTICATE``, POP3 ``AUTH``, SMTP ``AUTH``);
nothing here does I/O, and nothing here logs: the responses hold the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import NamedTuple, Protocol


class Credentials(NamedTuple):
    username: str
    secret: str  # a password or an OAuth2 access token
    host: str
    port: int


class SaslError(Exception):
    """The server's side of the exchange is wrong (a bad SCRAM challenge or signature)."""


class Exchange(Protocol):
    def initial(self) -> bytes | None: ...
    def respond(self, challenge: bytes) -> bytes: ...


class _Plain:
    def __init__(self, c: Credentials) -> None:
        self.response = b"\0" + c.username.encode() + b"\0" + c.secret.encode()

    def initial(self) -> bytes | None:
        return self.response

    def respond(self, challenge: bytes) -> bytes:
        return self.response


class _Login:
    def __init__(self, c: Credentials) -> None:
        self.c = c
        self.step = 0

    def initial(self) -> bytes | None:
        return None

    def respond(self, challenge: bytes) -> bytes:
        prompt = challenge.lower()
        self.step += 1
        if b"pass" in prompt or (b"user" not in prompt and self.step > 1):
            return self.c.secret.encode()
        return self.c.username.encode()


class _CramMd5:
    def __init__(self, c: Credentials) -> None:
        self.c = c

    def initial(self) -> bytes | None:
        return None

    def respond(self, challenge: bytes) -> bytes:
        digest = hmac.new(self.c.secret.encode(), challenge, hashlib.md5).hexdigest()
        return f"{self.c.username} {digest}".encode()


class _Bearer:
    """XOAUTH2 and OAUTHBEARER (RFC 7628): after a failure the server sends an error challenge to acknowledge."""

    def __init__(self, response: bytes, acknowledge: bytes) -> None:
        self.response = response
        self.acknowledge = acknowledge

    def initial(self) -> bytes | None:
        return self.response

    def respond(self, challenge: bytes) -> bytes:
        return self.acknowledge


def _xoauth2(c: Credentials) -> Exchange:
    return _Bearer(f"user={c.username}\x01auth=Bearer {c.secret}\x01\x01".encode(), b"")


def _oauthbearer(c: Credentials) -> Exchange:
    user = c.username.replace("=", "=3D").replace(",", "=2C")
    return _Bearer(f"n,a={user},\x01host={c.host}\x01port={c.port}\x01auth=Bearer {c.secret}\x01\x01".encode(), b"\x01")


class _Scram:
    """SCRAM-SHA-1 / SCRAM-SHA-256 without channel binding (RFC 5802, RFC 7677).

    The server proves it knows the password too: a wrong server signature is an error.
    """

    #: More iterations than this are refused: a hostile server could ask for years of hashing.
    MAX_ITERATIONS = 1_000_000

    def __init__(self, c: Credentials, digest: str) -> None:
        self.c = c
        self.digest = digest
        user = c.username.replace("=", "=3D").replace(",", "=2C")
        self.nonce = base64.b64encode(secrets.token_bytes(18)).decode()
        self.first_bare = f"n={user},r={self.nonce}"
        self.server_signature: bytes | None = None

    def initial(self) -> bytes | None:
        return f"n,,{self.first_bare}".encode()

    def _hmac(self, key: bytes, data: bytes) -> bytes:
        return hmac.new(key, data, self.digest).digest()

    def respond(self, challenge: bytes) -> bytes:
        fields = dict(part.split("=", 1) for part in challenge.decode("utf-8", "replace").split(",") if "=" in part)
        if self.server_signature is not None:
            try:
                signature = base64.b64decode(fields.get("v", ""), validate=True)
            except ValueError:
                signature = b""
            if not hmac.compare_digest(signature, self.server_signature):
                raise SaslError("the server's SCRAM signature is wrong: it does not know the password")
            return b""
        try:
            nonce, salt, iterations = fields["r"], base64.b64decode(fields["s"], validate=True), int(fields["i"])
        except (KeyError, ValueError):
            raise SaslError("the server's SCRAM challenge is malformed") from None
        if not nonce.startswith(self.nonce) or not 0 < iterations <= self.MAX_ITERATIONS:
            raise SaslError("the server's SCRAM challenge is invalid (nonce or iteration count)")
        salted = hashlib.pbkdf2_hmac(self.digest, self.c.secret.encode(), salt, iterations)
        client_key = self._hmac(salted, b"Client Key")
        stored_key = hashlib.new(self.digest, client_key).digest()
        final_bare = f"c=biws,r={nonce}"
        message = f"{self.first_bare},{challenge.decode('utf-8', 'replace')},{final_bare}".encode()
        signature = self._hmac(stored_key, message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        self.server_signature = self._hmac(self._hmac(salted, b"Server Key"), message)
        return f"{final_bare},p={base64.b64encode(proof).decode()}".encode()


MECHANISMS: dict[str, Callable[[Credentials], Exchange]] = {
    "PLAIN": _Plain,
    "LOGIN": _Login,
    "CRAM-MD5": _CramMd5,
    "SCRAM-SHA-1": lambda c: _Scram(c, "sha1"),
    "SCRAM-SHA-256": lambda c: _Scram(c, "sha256"),
    "XOAUTH2": _xoauth2,
    "OAUTHBEARER": _oauthbearer,
}

#: The most challenges answered in one exchange (LOGIN and SCRAM need two).
MAX_STEPS = 4
