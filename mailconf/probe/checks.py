"""The probe check catalogue: what ``mailconf probe`` reports, one entry per check id.

Each check has the same shape as a lint rule (``ID``, ``SLUG``, ``SEVERITY``,
``TITLE`` and a docstring), so the reporters' SARIF help text and ``mailconf
explain`` read them like rules. Probe findings are always located at the server
(the ``incoming:`` or ``outgoing:`` key of the account).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Severity


@dataclass(frozen=True)
class Check:
    ID: str
    SLUG: str
    SEVERITY: Severity
    TITLE: str
    __doc__: str | None


def _check(id_: str, slug: str, severity: Severity, title: str, doc: str) -> Check:
    return Check(id_, slug, severity, title, doc.strip() + "\n")


DNS_FAILED = _check(
    "MC801",
    "dns-resolution-failed",
    Severity.ERROR,
    "The host name does not resolve",
    """
The server's host name has no address.

Condition: resolving ``host`` (A/AAAA) fails or takes longer than the timeout.

Fix: correct ``host`` (a typo, a missing domain), or check the resolver.
""",
)

CONNECT_FAILED = _check(
    "MC802",
    "connection-failed",
    Severity.ERROR,
    "No TCP connection to the server",
    """
No TCP connection could be made to any address of the host.

Condition: every address refuses the connection, is unreachable, or does not
answer within the server's timeout.

Fix: check ``host`` and ``port`` (the default port follows protocol and
security: 993/143, 995/110, 465/587), and any firewall on the way.
""",
)

NO_RESPONSE = _check(
    "MC803",
    "server-not-responding",
    Severity.ERROR,
    "The server stopped answering",
    """
The connection was made, but the server did not answer in time.

Condition: no greeting, no reply to a command, or a TLS handshake (implicit or
after STARTTLS) that does not finish within the server's timeout. The message
names the step.

Why: a client would hang there too; a server that accepts and never greets is
often the wrong service or a port that expects implicit TLS.

Fix: check ``port`` and ``security`` (implicit TLS on 993/995/465, STARTTLS on
143/110/587), and raise ``timeout`` if the server is just slow.
""",
)

TLS_FAILED = _check(
    "MC804",
    "tls-handshake-failed",
    Severity.ERROR,
    "The TLS handshake failed",
    """
The TLS handshake failed for a reason other than the certificate.

Condition: the handshake is aborted: the port does not speak TLS (a cleartext
port declared ``security: tls``), no protocol version or cipher in common, or
the server closed the connection. Also a TLS session that fails later: an alert
(in TLS 1.3 a server that requires a client certificate says so at the first
read, ``TLSV13_ALERT_CERTIFICATE_REQUIRED``) or a record that does not decrypt.

Fix: the finding's advice follows OpenSSL's reason. A port that does not speak
TLS (``WRONG_VERSION_NUMBER`` and most others): match ``security`` to the port
(implicit TLS on 993/995/465). No version in common
(``TLSV1_ALERT_PROTOCOL_VERSION``): a server that only speaks TLS 1.0/1.1 must be
upgraded (RFC 8996); when this machine's OpenSSL configuration refuses TLS 1.2
or 1.3 (``Protocol = ALL, -TLSv1.2``, ``MaxProtocol = TLSv1.2``), the advice
says so instead (probe sets its minimum of 1.2 itself, over ``MinProtocol``). A
certificate chain over OpenSSL's 100 KB limit (``EXCESSIVE_MESSAGE_SIZE``): the
server must send a smaller one. Probe sends no
client certificate (``TLSV13_ALERT_CERTIFICATE_REQUIRED``). No version enabled
on this machine (``NO_PROTOCOLS_AVAILABLE``: nothing was sent): the local OpenSSL
configuration (``Protocol``, ``MaxProtocol``; not ``MinProtocol``, which probe overrides) must allow TLS 1.2 or 1.3.
""",
)

STARTTLS_MISSING = _check(
    "MC805",
    "starttls-not-offered",
    Severity.ERROR,
    "STARTTLS is declared but not offered",
    """
The server does not offer STARTTLS (IMAP ``STARTTLS``, POP3 ``STLS``, SMTP
``STARTTLS``) although the file declares ``security: starttls``, or it refuses
the command, or an IMAP server greets with ``PREAUTH``: logged in before TLS,
when STARTTLS is no longer allowed (RFC 9051 section 6.2). An attacker on the
path sends that to keep a client from starting TLS (CVE-2020-12398,
CVE-2020-14093): Thunderbird and mutt refuse it.

Why: a client that requires STARTTLS cannot connect; one that does not would
send everything in cleartext. Either way the file and the server disagree.

Fix: use implicit TLS if the server has it (``security: tls``, port
993/995/465), or have the server administrator enable STARTTLS.

Reference: RFC 2595 section 3 (IMAP, POP3), RFC 3207 (SMTP), RFC 8314.
""",
)

TLS_AVAILABLE = _check(
    "MC806",
    "tls-available",
    Severity.INFO,
    "TLS is available but not used",
    """
The file declares ``security: none`` but the server offers STARTTLS.

Fix: use ``security: starttls``, or better implicit TLS (``security: tls``)
if the server listens on 993/995/465.

Reference: RFC 8314 section 4.
""",
)

UNTRUSTED = _check(
    "MC807",
    "certificate-untrusted",
    Severity.ERROR,
    "The certificate chain is not trusted",
    """
The certificate does not chain to a trusted authority: the system store, or
the ``tls.ca_file`` when one is declared.

Condition: a self-signed certificate, an unknown or private CA, a missing
intermediate, or an unreadable ``tls.ca_file``; or a certificate that OpenSSL
refuses for a fault of its own, whoever issued it (issued for clients only,
an unknown critical extension, a signature that does not verify): the message
gives OpenSSL's reason. Checked only without a pin.

Why: without a trusted chain anyone on the path can impersonate the server.
Probe never sends credentials to such a server (``--login`` is skipped).

Fix: name the private CA in ``tls.ca_file``, or pin the certificate with
``tls.fingerprint`` (``mailconf probe --show-cert`` prints the pin; compare it
with one obtained from the administrator over a trusted channel). A certificate
at fault itself must be replaced by the server's administrator: no CA makes it
valid.

Reference: RFC 8314 section 5.3, RFC 5280 section 6.
""",
)

WRONG_NAME = _check(
    "MC808",
    "certificate-name-mismatch",
    Severity.ERROR,
    "The certificate is for another name",
    """
The certificate is trusted but does not name the declared ``host``.

Condition: ``host`` matches none of the certificate's subjectAltName entries
(checked unless ``tls.verify_hostname: false``, and not with a pin). The
subject's CN is not read (as in Thunderbird; RFC 9525), an address host matches
only an IP address entry, and a trailing dot on ``host`` is ignored.

Fix: use the name the certificate is for (the message lists them) as ``host``.

Reference: RFC 6125, RFC 9525; RFC 9051 section 11.1.
""",
)

EXPIRED = _check(
    "MC809",
    "certificate-expired",
    Severity.ERROR,
    "The certificate has expired or is not yet valid",
    """
The server's certificate is outside its validity period, or a certificate of
its chain is (an intermediate the server sends, or the CA it is verified
against: the message then says which dates the server's own has).

Condition: now is after its notAfter (or before its notBefore). Checked with
a pin too: a pinned certificate still expires, and ``--login`` then sends
nothing (MC816). A certificate whose dates
cannot be read, when no verification checked them either (a pin,
``tls.verify: false``), gives a warning that the expiry was not checked.

Fix: the server administrator must renew it; a pinned certificate then needs
a new ``tls.fingerprint``.
""",
)

EXPIRES_SOON = _check(
    "MC810",
    "certificate-expires-soon",
    Severity.WARNING,
    "The certificate expires within 14 days",
    """
The server's certificate expires within 14 days.

Fix: tell the server administrator; with a pin, prepare the new
``tls.fingerprint``.
""",
)

PIN_MISMATCH = _check(
    "MC811",
    "fingerprint-mismatch",
    Severity.ERROR,
    "The certificate does not match the pin",
    """
The declared ``tls.fingerprint`` (sha256, sha1 or md5) is not the fingerprint
of the certificate the server presented. A pin replaces chain and name
checks, so this is the only certificate check made when one is declared.

Why: either the certificate was replaced, or someone is impersonating the
server. Probe never sends credentials to it.

Fix: confirm the new certificate with the administrator, then update the pin
(``--show-cert`` prints it).

Reference: RFC 8314 section 5.4.
""",
)

OLD_TLS = _check(
    "MC812",
    "tls-version-below-minimum",
    Severity.ERROR,
    "The negotiated TLS version is below tls.min_version",
    """
The connection used a TLS version below the declared ``tls.min_version``
(1.2 when none is declared: RFC 8996 deprecates 1.0 and 1.1).

Fix: the server must support the declared version; lowering ``min_version``
below 1.2 is flagged by lint (MC105).
""",
)

AUTH_MISSING = _check(
    "MC813",
    "auth-not-offered",
    Severity.ERROR,
    "The declared authentication is not offered",
    """
After TLS (or on the cleartext connection for ``security: none``), the
server offers none of the mechanisms the declared ``auth`` (or
``mechanisms:``) needs.

Condition: ``password``: PLAIN, LOGIN, SCRAM-*, or the IMAP LOGIN / POP3 USER
commands; ``oauth2``: XOAUTH2 or OAUTHBEARER; ``gssapi``: GSSAPI; ``ntlm``:
NTLM; ``client-cert``: EXTERNAL. A declared ``mechanisms:`` list narrows it.
A POP3 server that does not answer ``CAPA`` (RFC 2449) lists nothing: it is
taken to accept USER/PASS, the login of RFC 1939, as mail clients take it.

Fix: use a mechanism the server lists in the message.
""",
)

CLEARTEXT_LOGIN = _check(
    "MC814",
    "cleartext-login-offered",
    Severity.WARNING,
    "The server accepts a password before TLS",
    """
Before STARTTLS the server already offers password login: IMAP without
``LOGINDISABLED`` (RFC 3501 section 6.2.3), POP3 ``USER`` or SASL PLAIN/LOGIN,
SMTP ``AUTH PLAIN``/``LOGIN``.

Why: a client that skips STARTTLS (or is tricked into it) sends the password
in cleartext, and the server takes it.

Fix: prefer implicit TLS (``security: tls``); ask the administrator to refuse
cleartext login (Dovecot: ``disable_plaintext_auth = yes``).

Reference: RFC 8314 section 4; RFC 2595 section 3.2.
""",
)

LOGIN_FAILED = _check(
    "MC815",
    "login-failed",
    Severity.ERROR,
    "The server refused the credentials",
    """
With ``--login``, the server rejected the username and password (or token),
or, with SCRAM, the server could not prove that it knows the password, or the
server announced success before probe sent the credentials (it checked none).

Fix: check ``username`` (it defaults to the address) and what the
``password_command`` prints (its first line is used).
""",
)

LOGIN_SKIPPED = _check(
    "MC816",
    "login-not-attempted",
    Severity.ERROR,
    "--login did not send the credentials",
    """
With ``--login``, probe kept the credentials to itself.

Condition: the connection has no TLS (pass ``--allow-cleartext`` to allow it,
for a test server only); the certificate is not trusted or does not match the
pin, or is pinned but expired or not yet valid; the negotiated TLS version is below ``tls.min_version``; or no mechanism
probe can speak is offered (probe speaks SCRAM-SHA-256, SCRAM-SHA-1, PLAIN,
LOGIN, CRAM-MD5, XOAUTH2, OAUTHBEARER, and the IMAP LOGIN and POP3 USER/PASS
commands). An info when the auth is one probe cannot log in with: ``ntlm``
(probe speaks no NTLM, so its ``password_command`` does not run), ``gssapi``,
``client-cert``.
""",
)

SECRET_FAILED = _check(
    "MC817",
    "secret-command-failed",
    Severity.ERROR,
    "The password or token command failed",
    """
``password_command`` (or ``token_command``) did not produce a secret: it exited
with a non-zero status, printed nothing, or did not finish within the timeout.

Probe runs it with ``/bin/sh -c``, standard input closed; its first output
line is the secret. Neither its output nor its error output is ever shown:
they may hold the secret.

Fix: run the command yourself and check it prints the secret on one line.
""",
)

PROTOCOL_ERROR = _check(
    "MC818",
    "protocol-error",
    Severity.ERROR,
    "The server does not speak the declared protocol",
    """
The server's answers are not what the declared protocol expects: a wrong
greeting (another service on the port, a protocol mismatch such as POP3 on an
IMAP port), a refusal (IMAP ``BYE``, POP3 ``-ERR``, SMTP 554), an overlong line
or answer (more than 64 KiB), or a closed connection; or an answer sent before
the question: cleartext along with the STARTTLS go-ahead (STARTTLS injection),
or a verdict already there when probe was about to send credentials.

Fix: check ``protocol`` and ``port``.
""",
)

LOGIN_OK = _check(
    "MC819",
    "login-succeeded",
    Severity.INFO,
    "The credentials were accepted",
    """
With ``--login``, the server accepted the credentials. The message names the
mechanism used.
""",
)

SERVER_OK = _check(
    "MC820",
    "server-ok",
    Severity.INFO,
    "The server answered as declared",
    """
A summary for a server that answered: protocol, security, the negotiated TLS
version and the mechanisms offered. Reported for every server that got as far
as its capabilities, so a clean run still shows what was checked.
""",
)

WEAK_AUTH_ONLY = _check(
    "MC821",
    "weak-auth-only",
    Severity.WARNING,
    "Only weak password mechanisms are offered",
    """
For password login the server offers only CRAM-MD5, DIGEST-MD5 or NTLM.

Why: these need the server to keep the password in a recoverable form, and
DIGEST-MD5 is historic (RFC 6331). Inside TLS, PLAIN or SCRAM are preferred.

Fix: ask the administrator for PLAIN over TLS or SCRAM-SHA-256 (RFC 7677), or
pin ``mechanisms:`` to what the server offers deliberately.
""",
)

CERTIFICATE = _check(
    "MC822",
    "certificate-summary",
    Severity.INFO,
    "The server certificate (--show-cert)",
    """
With ``--show-cert``: one finding per certificate the server presented (the
server's own first; the first 20, then one finding counts the rest): its
SHA-256 fingerprint in the form ``tls.fingerprint`` takes, then subject, issuer
and not-after.

Before pasting a pin, compare it with one obtained over a trusted channel:
a pin taken from a connection that is being intercepted pins the attacker.
""",
)

RUN_DEADLINE = _check(
    "MC823",
    "run-deadline-passed",
    Severity.ERROR,
    "The run's deadline left the server unchecked (--deadline)",
    """
With ``--deadline``: the deadline of the whole run passed before this server
was checked to the end. Nothing is said about the server itself: it was cut
short at the step the message names, or never got its turn (``--concurrency``
servers are probed at once, the others wait).

Condition: the run's deadline came before the server's own timeout ran out, or
before the server's turn.

Fix: give the run a longer ``--deadline`` (or none), a higher
``--concurrency``, or probe fewer accounts at once (``--account``).
""",
)

#: The catalogue, by id: feeds SARIF's rule list and ``mailconf explain``.
CHECKS: dict[str, Check] = {
    c.ID: c
    for c in (
        DNS_FAILED,
        CONNECT_FAILED,
        NO_RESPONSE,
        TLS_FAILED,
        STARTTLS_MISSING,
        TLS_AVAILABLE,
        UNTRUSTED,
        WRONG_NAME,
        EXPIRED,
        EXPIRES_SOON,
        PIN_MISMATCH,
        OLD_TLS,
        AUTH_MISSING,
        CLEARTEXT_LOGIN,
        LOGIN_FAILED,
        LOGIN_SKIPPED,
        SECRET_FAILED,
        PROTOCOL_ERROR,
        LOGIN_OK,
        SERVER_OK,
        WEAK_AUTH_ONLY,
        CERTIFICATE,
        RUN_DEADLINE,
    )
}
