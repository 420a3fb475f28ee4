"""A discovery -> the account's data and the comments ``mailconf.emit`` writes beside it.

Each server's comment says where it came from and what the probe said; a
configuration fetched over http, a server outside the address's domain and
its MX's base domain, or one without TLS, is flagged there (Thunderbird asks
the user at that point).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..emit import KeyPath
from ..model import Auth, Security
from .engine import Chosen, Discovery


class Account(NamedTuple):
    data: dict[str, Any]  # the account's mapping (address, incoming, outgoing)
    comments: dict[KeyPath, str]
    warnings: tuple[str, ...]  # to repeat on standard error


def account(found: Discovery, address: str, name: str) -> Account:
    data: dict[str, Any] = {"address": address}
    comments: dict[KeyPath, str] = {
        (): f"mailconf discover {address}\nadd password_command (or token_command for oauth2) to each server"
    }
    warnings: list[str] = []
    for side in ("incoming", "outgoing"):
        chosen = found.chosen.get(side)
        if chosen is None:
            continue
        data[side] = chosen.server.data()
        notes, flags = comment(found, chosen)
        comments[("accounts", name, side)] = "; ".join(flags + notes)
        warnings += [f"{side} {chosen.server.host}: {flag}" for flag in flags]
    return Account(data, comments, tuple(warnings))


def comment(found: Discovery, chosen: Chosen) -> tuple[list[str], list[str]]:
    """(notes, flags): where the server came from and the probe's result; what to check before use."""
    flags: list[str] = []
    if chosen.config.untrusted:
        flags.append(f"UNTRUSTED: {chosen.config.untrusted}, anyone on the path could have written it")
    if found.outside(chosen.server):
        flags.append(f"CHECK: {chosen.server.host} is outside {' and '.join(found.domains)}")
    if chosen.server.security is Security.NONE:  # socketType plain: Thunderbird asks before it uses one too
        what = "the mail" if chosen.server.auth is Auth.NONE else "the password and the mail"
        flags.append(f"CLEARTEXT: security none, anyone on the path can read {what}")
    probe = f"probe: {chosen.probe}" if chosen.probe is not None else chosen.unprobed or "not probed"
    return [f"from {chosen.config.origin}", probe], flags
