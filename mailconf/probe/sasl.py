"""The client side of the SASL mechanisms probe speaks (RFC 4422).

Each mechanism is an initial response (or ``None``: wait for the first
challenge) and a function answering a challenge. The protocol modules frame
them (IMAP ``AUTHENTICATE``, POP3 ``AUTH``, SMTP ``AUTH``); nothing here does I/O,
and nothing here logs: the responses hold the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import NamedTuple


class Credentials(NamedTuple):
    username: str
    secret: str  # a password or an OAuth2 access token
    host: str
    port: int


class Mechanism(NamedTuple):
    name: str
    initial: Callable[[Credentials], bytes | None]
    respond: Callable[[Credentials, bytes, int], bytes]


def _plain(c: Credentials) -> bytes:
    return b"\0" + c.username.encode() + b"\0" + c.secret.encode()


def _login(c: Credentials, challenge: bytes, step: int) -> bytes:
    prompt = challenge.lower()
    if b"pass" in prompt or (b"user" not in prompt and step > 0):
        return c.secret.encode()
    return c.username.encode()


def _cram_md5(c: Credentials, challenge: bytes, step: int) -> bytes:
    digest = hmac.new(c.secret.encode(), challenge, hashlib.md5).hexdigest()
    return f"{c.username} {digest}".encode()


def _xoauth2(c: Credentials) -> bytes:
    return f"user={c.username}\x01auth=Bearer {c.secret}\x01\x01".encode()


def _oauthbearer(c: Credentials) -> bytes:
    user = c.username.replace("=", "=3D").replace(",", "=2C")
    return f"n,a={user},\x01host={c.host}\x01port={c.port}\x01auth=Bearer {c.secret}\x01\x01".encode()


MECHANISMS: dict[str, Mechanism] = {
    "PLAIN": Mechanism("PLAIN", _plain, lambda c, _ch, _s: _plain(c)),
    "LOGIN": Mechanism("LOGIN", lambda _c: None, _login),
    "CRAM-MD5": Mechanism("CRAM-MD5", lambda _c: None, _cram_md5),
    # after a failure both send an error challenge (JSON) that the client acknowledges
    "XOAUTH2": Mechanism("XOAUTH2", _xoauth2, lambda _c, _ch, _s: b""),
    "OAUTHBEARER": Mechanism("OAUTHBEARER", _oauthbearer, lambda _c, _ch, _s: b"\x01"),
}

#: The most challenges answered in one exchange (LOGIN needs two).
MAX_STEPS = 4
