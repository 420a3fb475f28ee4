"""A weak SASL mechanism is chosen: CRAM-MD5, DIGEST-MD5 or NTLM.

Condition: ``mechanisms:`` lists ``cram-md5``, ``digest-md5`` or ``ntlm``, or
``auth: ntlm``.

Why: these mechanisms were designed to protect passwords on connections without
TLS, and no longer do: DIGEST-MD5 is historic (RFC 6331), CRAM-MD5 and NTLM rest
on MD5/MD4 and let anyone who records one login crack the password offline. They
also force the server to store the password in a reversible form. Inside TLS,
PLAIN is simpler and no weaker; SCRAM protects the password even from the server.

Fix: ``mechanisms: [scram-sha-256]`` where the server offers it, else
``[plain]`` or ``[login]`` over TLS; ``auth: password`` instead of ``ntlm``.

Failing::

    incoming: {protocol: imap, host: imap.example.com, mechanisms: [cram-md5]}
Passing::

    incoming: {protocol: imap, host: imap.example.com, mechanisms: [scram-sha-256, plain]}

Reference: RFC 6331 (DIGEST-MD5 to historic); RFC 7677 (SCRAM-SHA-256);
RFC 4616 (PLAIN).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Auth, Model, Severity
from . import DELETE, Fixable, Problem, own_fix
from .mc304_mechanism_contradicts_auth import agrees

ID = "MC301"
SLUG = "weak-sasl-mechanism"
SEVERITY = Severity.WARNING
TITLE = "Weak SASL mechanism (CRAM-MD5, DIGEST-MD5, NTLM)"

_WEAK = frozenset(("cram-md5", "digest-md5", "ntlm"))
FIX = Fixable("unsafe", "drops the weak mechanism from a list that keeps a strong one for the credential `auth` gives")

_FIX = "use scram-sha-256 where offered, else plain inside TLS"


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.auth is Auth.NTLM:
            yield Problem.at(server, "auth", f"auth: ntlm rests on MD4 and is cracked offline; {_FIX} (auth: password)")
        # dropping is clear only when a mechanism that is not weak and logs in with what auth gives stays in the
        # list: one that uses another credential is a fallback next to the weak one (MC304 is quiet) but,
        # left alone, contradicts auth (MC304, an error render refuses): [cram-md5, gssapi] with auth: password
        keeps_one = any(m not in _WEAK and agrees(server.auth, m) for m in server.mechanisms)
        for index, mechanism in enumerate(server.mechanisms):
            if mechanism in _WEAK:
                where = own_fix(server, {"mechanisms": None}) if keeps_one else ()
                yield Problem(
                    (*server.where("mechanisms"), index),
                    f"{mechanism.upper()} no longer protects the password and needs it stored reversibly; {_FIX}",
                    fix=(((*where[0][0], index), DELETE),) if where else (),
                )
