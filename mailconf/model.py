"""The ground floor: typed, immutable values shared by every stage.

Nothing here imports anything else from mailconf.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal, NamedTuple

#: A path into the YAML document: mapping keys and sequence indexes.
YamlPath = tuple[str | int, ...]


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``info``, ``warning`` or ``error`` (any case, spaces around). ValueError names no text: the caller quotes
        it where it says where it was written (settings: ``fail-level: unknown severity loud: ...``), as its other
        messages do; this module imports nothing to quote with."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError("unknown severity: use info, warning or error") from None


class Location(NamedTuple):
    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class Subject(NamedTuple):
    """The YAML path a finding is about (it names the account and the setting), and the scalar
    value there; None for a mapping, a list, or a secret (whose value must never be hashed or shown)."""

    path: YamlPath
    value: str | int | float | bool | None


class Finding(NamedTuple):
    """One problem, located. Equality includes the message."""

    rule: str
    slug: str
    severity: Severity
    location: Location
    message: str
    #: What the finding is about, stable when lines move (see Document.subject). None for a
    #: finding about the file as a whole. Never printed; SARIF's partialFingerprints hash it.
    subject: Subject | None = None

    def __str__(self) -> str:
        return f"{self.location}: {self.severity.label} {self.rule} {self.slug}: {self.message}"

    @property
    def placeless_message(self) -> str:
        """The message without the line numbers it names (MC701's "first defined at line 3"): what a baseline
        entry and a SARIF fingerprint of a finding without a subject hash, so that lines inserted above it
        leave it the same finding."""
        return _LINE_NUMBER.sub("line", self.message)


#: "line 12" in a message (see Finding.placeless_message)
_LINE_NUMBER = re.compile(r"\bline \d+")


class _Member(enum.Enum):
    """An enum whose members hash by identity: the same dict and set behaviour as Enum's (members compare by
    identity), without Enum's ``__hash__``, which is Python code. Targets look servers' enums up in mappings
    about twelve times per account: for 10,000 accounts that hash was a tenth of getmail's render time."""

    __hash__ = object.__hash__


class Protocol(_Member):
    IMAP = "imap"
    POP3 = "pop3"
    SMTP = "smtp"


class Security(_Member):
    TLS = "tls"  # implicit TLS from the first byte (RFC 8314)
    STARTTLS = "starttls"  # required STARTTLS upgrade
    STARTTLS_OPTIONAL = "starttls-optional"  # upgrade only if offered: lint flags it (MC103)
    NONE = "none"


class Auth(_Member):
    PASSWORD = "password"
    OAUTH2 = "oauth2"
    GSSAPI = "gssapi"
    NTLM = "ntlm"
    CLIENT_CERT = "client-cert"
    NONE = "none"


#: The two server fields that hold a command printing a secret.
CommandField = Literal["password_command", "token_command"]

#: The command each auth runs to get its secret, the one definition that lint (MC305) and every target that runs
#: a command read: password and ntlm run password_command (a password), oauth2 runs token_command (an OAuth2
#: access token); gssapi, client-cert and none are absent because they run neither (they log in with a Kerberos
#: ticket, the TLS client certificate, or not at all). A target that cannot do some auth keeps only the auths it
#: renders. A mapping, not a function: targets ask it for each of the 20,000 servers of a 10,000-account render.
CREDENTIAL_COMMAND: Mapping[Auth, CommandField] = {
    Auth.PASSWORD: "password_command",
    Auth.NTLM: "password_command",
    Auth.OAUTH2: "token_command",
}


#: Well-known ports, by protocol and whether TLS is implicit.
DEFAULT_PORTS: Mapping[tuple[Protocol, bool], int] = {
    (Protocol.IMAP, True): 993,
    (Protocol.IMAP, False): 143,
    (Protocol.POP3, True): 995,
    (Protocol.POP3, False): 110,
    (Protocol.SMTP, True): 465,
    (Protocol.SMTP, False): 587,
}


def default_port(protocol: Protocol, security: Security) -> int:
    return DEFAULT_PORTS[(protocol, security is Security.TLS)]


_HOST_ONLY = frozenset("ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ-_")


@lru_cache(maxsize=4096)
def _ip_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names literally, or None (for a name: most hosts, so answered without parsing)."""
    if "%" not in host and not _HOST_ONLY.isdisjoint(host):  # letters past f: a name (or a scoped IPv6 "%eth0")
        return None
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


@dataclass(frozen=True)
class Tls:
    verify: bool = True
    verify_hostname: bool = True
    ca_file: str | None = None
    #: "sha256:AB:CD:..." (algorithm prefix, upper-case hex with colons)
    fingerprint: str | None = None
    min_version: str | None = None  # "1.0" | "1.1" | "1.2" | "1.3"
    client_cert: str | None = None
    client_key: str | None = None

    @property
    def fingerprint_algorithm(self) -> str | None:
        return self.fingerprint.split(":", 1)[0] if self.fingerprint else None

    @property
    def fingerprint_hex(self) -> str | None:
        """The pin without its algorithm prefix: 'AB:CD:...'."""
        return self.fingerprint.split(":", 1)[1] if self.fingerprint else None


@dataclass(frozen=True)
class Server:
    """One endpoint of an account, with every default already applied."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    auth: Auth
    username: str
    password_command: str | None = None
    token_command: str | None = None  # OAuth2: prints an access token
    #: True when the file holds a literal `password:`. The secret itself is never kept.
    has_literal_password: bool = False
    mechanisms: tuple[str, ...] = ()
    tls: Tls = field(default_factory=Tls)
    timeout: int | None = None  # seconds; 0 means no timeout
    leave_on_server: bool | None = None  # POP3 only
    leave_days: int | None = None  # POP3 only
    #: Where the server mapping is (the `incoming:`/`outgoing:` key).
    path: YamlPath = ()
    #: Where each field that was written came from (the account or `defaults:`).
    origin: Mapping[str, YamlPath] = field(default_factory=dict)

    def where(self, name: str) -> YamlPath:
        """The YAML path of a field, or of the server itself when it was defaulted."""
        return self.origin.get(name, self.path)

    def declared(self, name: str) -> bool:
        return name in self.origin

    @property
    def credential_command(self) -> str | None:
        """The command this server's auth runs (CREDENTIAL_COMMAND), or None: the auth runs none, or it is unset."""
        field = CREDENTIAL_COMMAND.get(self.auth)
        if field is None:
            return None
        return self.password_command if field == "password_command" else self.token_command

    @property
    def side(self) -> str:
        return "outgoing" if self.protocol is Protocol.SMTP else "incoming"

    @property
    def is_loopback(self) -> bool:
        """localhost (any case, with or without the root's trailing dot) or a loopback address, IPv4-mapped too:
        ``::ffff:127.0.0.1`` is 127.0.0.1 over IPv6 (Python 3.11's ``is_loopback`` says no to it)."""
        if self.host.lower().rstrip(".") in ("localhost", "localhost.localdomain"):
            return True
        address = _ip_address(self.host.strip("[]"))
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return address is not None and address.is_loopback

    @property
    def is_ip_literal(self) -> bool:
        return _ip_address(self.host.strip("[]")) is not None

    @property
    def endpoint(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.protocol.value}://{host}:{self.port}"


@dataclass(frozen=True)
class Account:
    name: str
    address: str
    display_name: str | None
    organization: str | None
    incoming: Server | None
    outgoing: Server | None
    path: YamlPath = ()

    @property
    def servers(self) -> tuple[Server, ...]:
        """The incoming server first, then the outgoing one (the declared ones)."""
        # No generator: every target asks for every account, some twice (a third of the cost of the genexpr)
        incoming, outgoing = self.incoming, self.outgoing
        if incoming is None:
            return () if outgoing is None else (outgoing,)
        return (incoming,) if outgoing is None else (incoming, outgoing)


@dataclass(frozen=True)
class Model:
    """All accounts of one file that passed the schema, in file order."""

    accounts: tuple[Account, ...]

    def servers(self) -> tuple[tuple[Account, Server], ...]:
        return self._servers  # every rule asks: built once

    @cached_property
    def _servers(self) -> tuple[tuple[Account, Server], ...]:
        return tuple((a, s) for a in self.accounts for s in a.servers)

    def account(self, name: str) -> Account | None:
        for account in self.accounts:
            if account.name == name:
                return account
        return None
