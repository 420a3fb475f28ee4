"""What the three provider-side targets (autoconfig, autodiscover, mobileconfig) share.

Each target decides its own values; this module holds the few facts they must agree on
(the mail domain of an address, the file name an address gets) and :func:`agreement`,
which renders the three forms of one file and reads each back, so that a difference in
any host, port or security mode between them is found (lint rule MC710).
"""

from __future__ import annotations

from typing import NamedTuple

from ..clientconfig import js_text, no_value
from ..errors import double_quoted
from ..escape import UnsafeValue
from ..model import Account, Model, Server
from . import NAME_MAX, Gaps

#: What Thunderbird's account wizard replaces with its user's own in what it read from a provider's document
#: (AccountConfig.replaceVariables, 153: every username and host, and the autoconfig displayName); the
#: autoconfig specification lets any client do so in any field. XML has no escape for them.
THUNDERBIRD_PLACEHOLDERS = ("%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%", "%REALNAME%")


def has_placeholder(text: str) -> bool:
    """Whether ``text`` holds one of :data:`THUNDERBIRD_PLACEHOLDERS`, which a client would fill in."""
    return "%" in text and any(p in text for p in THUNDERBIRD_PLACEHOLDERS)


def domain_of(address: str) -> str:
    """The mail domain of an address, lower-cased (DNS names are case-insensitive; one document per domain)."""
    return address.rpartition("@")[2].lower()


def address_file_name(account: Account, suffix: str) -> str:
    """The address and ``suffix`` as one file name: ``%`` and ``/`` are percent-encoded (a local part may hold
    ``/``, which would otherwise name a folder, ``..`` included); a control character, or a name over
    ``NAME_MAX`` bytes (which no file system takes), is refused naming the account, never quoting the address."""
    address = account.address
    if not address.isprintable():
        raise UnsafeValue(f"account {account.name}: address: a control character cannot be part of a file name")
    name = address.replace("%", "%25").replace("/", "%2F") + suffix
    size = len(name.encode("utf-8"))
    if size > NAME_MAX:
        raise UnsafeValue(
            f"account {account.name}: address: the file named after it would have {size} bytes, over the "
            f"{NAME_MAX} a file name may have; `mailconf serve` answers it without a file"
        )
    return name


def tls_gaps(gaps: Gaps, account: Account, server: Server, *, hostname: str, client_cert: str) -> None:
    """The TLS settings no published form carries, which the capability table has no row for:
    ``tls.verify_hostname: false`` (``hostname``: what to do instead) and a client certificate and key
    (``client_cert``). Reported, never dropped in silence: the published document cannot tell a client."""
    tls = server.tls
    if not tls.verify_hostname:
        gaps.server(account, server, "tls.verify_hostname", hostname)
    if tls.client_cert is not None:
        gaps.server(account, server, "tls.client_cert", client_cert)
    if tls.client_key is not None:
        gaps.server(account, server, "tls.client_key", client_cert)


#: A host that Thunderbird 153's readers of both documents (JXON, then InputSanitizer.hostname) read as a number or a
#: boolean: String() of it (clientconfig.js_text: ``1e3`` is ``1000``), or no value, for which hostname() throws
#: ("You must supply a value for this string") and the server is left out. Read back by test_autoconfig.py.
NOT_TEXT_HOST_GAP = (
    "Thunderbird 153{reads_too} reads the host {host} as {read_as}: {then}; publish a host name that JavaScript "
    "reads as no number and no true or false (like imap.example.org)"
)


def not_text_host_gap(host: str, reads_too: str, left_out: str) -> str | None:
    """NOT_TEXT_HOST_GAP for a host Thunderbird reads as a number or as no value (``left_out`` says what then
    becomes of the server), None for a host it reads as written (``True`` as ``true``: names ignore case)."""
    read = js_text(host)
    if read is not None and (read == host or read == host.lower()):
        return None
    if read is None:
        read_as, then = f"{no_value(host)}, which it takes for no value", left_out
    else:
        read_as, then = "a number", f"it connects to {double_quoted(read)} instead"
    return NOT_TEXT_HOST_GAP.format(reads_too=reads_too, host=double_quoted(host), read_as=read_as, then=then)


class Said(NamedTuple):
    """What one form tells a client about one server of one account."""

    protocol: str  # imap | pop3 | smtp
    host: str
    port: int
    security: str  # tls | starttls | none | "tls or starttls" (a form that cannot tell them apart)

    def __str__(self) -> str:
        return f"{self.protocol} {self.host}:{self.port} {self.security}"


#: What each form's security value means, as a mailconf security mode.
_AUTOCONFIG_SECURITY = {"SSL": "tls", "STARTTLS": "starttls", "plain": "none"}
_POX_SECURITY = {"SSL": "tls", "TLS": "starttls", "None": "none"}
_POX_TYPE = {"IMAP": "imap", "POP3": "pop3", "SMTP": "smtp"}
_APPLE_TYPE = {"EmailTypeIMAP": "imap", "EmailTypePOP": "pop3"}
_EITHER = "tls or starttls"


def _autoconfig_said(content: bytes) -> dict[str, Said]:
    """The first incoming and outgoing server of a domain's document: what a client takes."""
    from xml.etree import ElementTree  # only mailconf's own output, never a file from outside; not on render's path

    root = ElementTree.fromstring(content)
    said = {}
    for side, tag in (("incoming", "incomingServer"), ("outgoing", "outgoingServer")):
        element = root.find(f"emailProvider/{tag}")
        if element is not None:
            said[side] = Said(
                str(element.get("type")),
                element.findtext("hostname", ""),
                int(element.findtext("port", "0")),
                _AUTOCONFIG_SECURITY[element.findtext("socketType", "")],
            )
    return said


def _autodiscover_said(content: bytes, namespace: str) -> dict[str, Said]:
    from xml.etree import ElementTree  # mailconf's own output

    said = {}
    for element in ElementTree.fromstring(content).iter(f"{{{namespace}}}Protocol"):
        text = {child.tag.removeprefix(f"{{{namespace}}}"): child.text or "" for child in element}
        protocol = _POX_TYPE[text["Type"]]
        encryption = text.get("Encryption")  # it overrides SSL ([MS-OXDSCLI] 2.2.4.1.1.2.6.22)
        security = _POX_SECURITY[encryption] if encryption else (_EITHER if text["SSL"] == "on" else "none")
        said["outgoing" if protocol == "smtp" else "incoming"] = Said(
            protocol, text["Server"], int(text["Port"]), security
        )
    return said


def _mobileconfig_said(content: bytes) -> dict[str, Said]:
    import plistlib

    [payload] = plistlib.loads(content)["PayloadContent"]
    said = {}
    for side, prefix, protocol in (
        ("incoming", "Incoming", _APPLE_TYPE[payload["EmailAccountType"]]),
        ("outgoing", "Outgoing", "smtp"),
    ):
        security = _EITHER if payload[f"{prefix}MailServerUseSSL"] else "none"
        said[side] = Said(
            protocol, payload[f"{prefix}MailServerHostName"], payload[f"{prefix}MailServerPortNumber"], security
        )
    return said


def _agree(a: Said, b: Said) -> bool:
    if (a.protocol, a.host.lower(), a.port) != (b.protocol, b.host.lower(), b.port):
        return False
    if _EITHER in (a.security, b.security):  # one form says only "encrypted": compare that much
        return (a.security == "none") == (b.security == "none")
    return a.security == b.security


def agreement(model: Model) -> list[str]:
    """Render the three provider forms of every account of ``model`` (autoconfig for its domain, its
    Autodiscover response, its Apple profile), read each back, and list every server on which they
    disagree, in host, port, protocol or security mode (as far as each form can say it: a profile says
    only "encrypted or not"). One line per account and side, naming what each form says. An account a form
    refuses to render (a control character) is left out: render reports it."""
    from . import autoconfig, autodiscover, mobileconfig  # here: this module is imported by them

    domains: dict[str, list[Account]] = {}
    for account in model.accounts:
        domains.setdefault(domain_of(account.address), []).append(account)
    found = []
    for domain, accounts in domains.items():
        try:
            document = autoconfig.domain_document(accounts, domain)[0]
        except UnsafeValue:
            continue
        published = {} if document is None else _autoconfig_said(document)  # no document: nothing to disagree
        for account in accounts:
            forms: dict[str, dict[str, Said]] = {"autoconfig": published}
            try:
                forms["autodiscover"] = _autodiscover_said(
                    autodiscover.account_response(account), autodiscover.NS_RESPONSE
                )
                if account.incoming is not None and account.outgoing is not None:
                    forms["mobileconfig"] = _mobileconfig_said(mobileconfig.account_profile(account, ""))
            except UnsafeValue:
                continue
            for server in account.servers:
                said = {form: s[server.side] for form, s in forms.items() if server.side in s}
                values = list(said.values())
                if any(not _agree(values[0], other) for other in values[1:]):
                    told = ", ".join(f"{form} says {s}" for form, s in said.items())
                    found.append(f"account {account.name}: {server.side}: {told}")
    return found
