"""What the discover tests share: running the command, and clientConfig XML to serve."""

from __future__ import annotations

from typing import NamedTuple

from tests.servers import Dovecot, SmtpServer

ADDRESS = "alice@example.test"
AUTOCONFIG = "https://autoconfig.example.test/mail/config-v1.1.xml"
#: what the probe says about the rig's Dovecot (IMAPS) and SMTP servers
IMAPS_OK = "IMAP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN, LOGIN command"
SMTPS_OK = "SMTP over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN"
POP3S_OK = "POP3 over implicit TLS (TLSv1.3); login offered: LOGIN, PLAIN, USER/PASS"
SUBMISSION_OK = "SMTP over STARTTLS (TLSv1.3); login offered: LOGIN, PLAIN"
HEADER = "# mailconf discover alice@example.test\n# add password_command (or token_command for oauth2) to each server\n"


class Run(NamedTuple):
    code: int
    out: str
    err: str


def config(*servers: str, domain: str = "example.test") -> str:
    return (
        f'<?xml version="1.0"?>\n<clientConfig version="1.1"><emailProvider id="{domain}">'
        f"<domain>{domain}</domain>{''.join(servers)}</emailProvider></clientConfig>"
    )


def server(  # noqa: PLR0917 - the XML's fields, in its order
    kind: str,
    host: str,
    port: int,
    socket: str = "SSL",
    username: str = "%EMAILADDRESS%",
    auth: str = "password-cleartext",
) -> str:
    tag = "outgoingServer" if kind == "smtp" else "incomingServer"
    return (
        f'<{tag} type="{kind}"><hostname>{host}</hostname><port>{port}</port><socketType>{socket}</socketType>'
        f"<username>{username}</username><authentication>{auth}</authentication></{tag}>"
    )


def account(name: str = "example.test", **sides: tuple[str, str]) -> str:
    """The expected output: for each side, (comment, body lines at the server's indentation)."""
    lines = [HEADER + "version: 1", "accounts:", f"  {name}:", "    address: alice@example.test"]
    for side, (comment, body) in sides.items():
        lines.append(f"    {side}:  # {comment}")
        lines += [f"      {line}" for line in body.strip().splitlines()]
    return "\n".join(lines) + "\n"


def imaps(dovecot: Dovecot, host: str = "imap.example.test", username: str = "") -> str:
    return f"protocol: imap\nhost: {host}\nport: {dovecot.ports.imaps}\nsecurity: tls\nauth: password\n{username}"


def smtps(smtp: SmtpServer, host: str = "smtp.example.test") -> str:
    return f"protocol: smtp\nhost: {host}\nport: {smtp.port}\nsecurity: tls\nauth: password"


LOCAL = ("host-record=imap.example.test,127.0.0.1", "host-record=smtp.example.test,127.0.0.1")
