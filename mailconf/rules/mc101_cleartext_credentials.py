"""A server logs in without TLS: the credentials cross the network in cleartext.

Condition: ``security: none`` and any ``auth`` other than ``none``. The message says what is lost: the
credentials (password, oauth2, ntlm), the session (gssapi: Kerberos sends a ticket, not the password), or
the login itself (client-cert: a client certificate is presented inside TLS only).

Why: anyone on the path (a café network, a compromised router) reads the
password or token. RFC 8314 requires TLS for mail access and submission.

Fix: use implicit TLS (``security: tls``, port 993/995/465); where the server
cannot, at least ``security: starttls``.

Failing::

    incoming: {protocol: imap, host: imap.example.com, port: 143, security: none}
Passing::

    incoming: {protocol: imap, host: imap.example.com, security: tls}

Reference: RFC 8314 sections 4.1 and 5.2; RFC 2595 section 2.3.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Auth, Model, Security, Severity, default_port
from . import Fixable, Problem, to_implicit_tls

ID = "MC101"
SLUG = "cleartext-credentials"
SEVERITY = Severity.ERROR
TITLE = "Credentials sent over a connection without TLS"
FIX = Fixable("unsafe", "security: tls (and the implicit-TLS port when the port written is 143/110/587)")


#: what goes wrong without TLS, for the logins that send no reusable secret: Kerberos sends a ticket, not the
#: password, but the session it authenticates is cleartext; a client certificate is presented inside TLS only
_WHAT = {
    Auth.GSSAPI: "leaves the session it authenticates in cleartext (the mail, and the session can be taken over)",
    Auth.CLIENT_CERT: "cannot present the certificate (a client certificate is sent inside TLS only)",
}


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        if server.security is Security.NONE and server.auth is not Auth.NONE:
            port = default_port(server.protocol, Security.TLS)
            what = _WHAT.get(server.auth, "sends the credentials in cleartext")
            yield Problem(
                server.where("security"),
                f"{server.auth.value} login to {server.host} without TLS {what}; set security: tls (port {port})",
                fix=to_implicit_tls(server),
            )
