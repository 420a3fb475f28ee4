"""The values discover passes around: a candidate server, a configuration a lookup found, a lookup's result."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ..errors import cut, double_quoted
from ..model import Auth, Protocol, Security


class Candidate(NamedTuple):
    """One server a source proposes."""

    protocol: Protocol
    host: str
    port: int
    security: Security
    auth: Auth = Auth.PASSWORD
    username: str | None = None  # None: the address (the account file's default)
    mechanisms: tuple[str, ...] = ()
    #: the probe's summary when the source already probed it (guessing)
    probed: str | None = None
    #: POP3: what the configuration says of leaving mail on the server (None: nothing)
    leave_on_server: bool | None = None
    leave_days: int | None = None

    @property
    def side(self) -> str:
        return "outgoing" if self.protocol is Protocol.SMTP else "incoming"

    @property
    def endpoint(self) -> str:
        return f"{self.protocol.value}://{self.host}:{self.port}"

    def data(self) -> dict[str, Any]:
        """The server's mapping in the account file (``username`` only when it is not the address)."""
        data: dict[str, Any] = {"protocol": self.protocol.value, "host": self.host, "port": self.port,
                                "security": self.security.value, "auth": self.auth.value}  # fmt: skip
        if self.username is not None:
            data["username"] = self.username
        if self.mechanisms:
            data["mechanisms"] = list(self.mechanisms)
        if self.leave_on_server is not None:
            data["leave_on_server"] = self.leave_on_server
        if self.leave_days is not None:
            data["leave_days"] = self.leave_days
        return data

    @property
    def key(self) -> tuple[Protocol, str, int, Security]:
        """What makes two candidates the same server (probed once)."""
        return self.protocol, self.host.lower(), self.port, self.security


#: how many notes a reason shows (a hostile file can hold thousands of servers left out, each with a note)
MAX_NOTES = 5


def joined(notes: Sequence[str]) -> str:
    """Notes as part of one reason line: the first :data:`MAX_NOTES`, then how many more there are."""
    more = len(notes) - MAX_NOTES
    return "; ".join(notes[:MAX_NOTES]) + (f"; and {more} more" if more > 0 else "")


#: how much of a value from the network a note shows (a host name of a megabyte is still a short line)
MAX_SHOWN = 64


def shown(value: str) -> str:
    """A value from the network as a note shows it: :func:`~mailconf.errors.double_quoted` (control characters
    escaped), cut past :data:`MAX_SHOWN` (``"9999..."... (5000 characters)``)."""
    return cut(value, MAX_SHOWN, double_quoted)


def listed(values: Sequence[str]) -> str:
    """Values from the network as a note lists them: the first :data:`MAX_NOTES`, each :func:`shown`, then how many
    more there are (a file may hold thousands)."""
    more = len(values) - MAX_NOTES
    return ", ".join(map(shown, values[:MAX_NOTES])) + (f" and {more} more" if more > 0 else "")


#: how much of a longer text from the network a line shows (the value a note quotes has :data:`MAX_SHOWN`): a URL
#: (a redirect's Location may be 64 KiB), an HTTP reason phrase, the probe's summary of a server (a real one is a
#: short sentence, but it lists names the server chose, and warnings: hundreds of characters)
MAX_TEXT = 240


def clipped(text: str) -> str:
    """A longer text from the network as a line shows it: as it is, cut past :data:`MAX_TEXT` (control characters
    are escaped where the line is printed, as in every line)."""
    return cut(text, MAX_TEXT, str)


def clipped_quoted(text: str) -> str:
    """:func:`clipped`, the kept part in double quotes (:func:`~mailconf.errors.double_quoted`): for a URL refused for
    a space or a control character in it, which would otherwise not show where it ends."""
    return cut(text, MAX_TEXT, double_quoted)


#: what urllib.parse (and a browser's URL parser) removes from a URL, wherever it is, before reading it
_URL_REMOVED = str.maketrans("", "", "\t\r\n")


def without_userinfo(url: str) -> str:
    """``url`` with the user name and password in its authority, if any, as ``...@``
    (``https://...@example.com/x``, a scheme-relative ``//...@example.com/x``): discover sends neither (no HTTP
    authentication), and a URL is shown in its lines and comments. ``url`` itself when it has none. The URL is
    looked at as urllib reads it, without its tabs and line breaks (``/\t/bob:pw@host`` is ``//bob:pw@host``),
    and one with a user name or password is shown so."""
    read = url.translate(_URL_REMOVED)
    _, sep, rest = read.partition("//")
    authority = re.split("[/?#]", rest, maxsplit=1)[0]
    if not sep or "@" not in authority:
        return url
    return f"{read[: len(read) - len(rest)]}...@{authority.rpartition('@')[2]}{rest[len(authority) :]}"


class Config(NamedTuple):
    """The servers one lookup found, in the order it prefers them."""

    origin: str  # "autoconfig https://autoconfig.example.com/mail/config-v1.1.xml"
    servers: tuple[Candidate, ...]
    #: why this configuration is not to be trusted blindly ("fetched over http"), or None
    untrusted: str | None = None
    #: what was left out and why (an Exchange server, an unknown authentication...)
    notes: tuple[str, ...] = ()
    #: the domain the configuration was found for, when not the address's (the MX host's base domain)
    related: str | None = None


class Lookup(NamedTuple):
    """What one lookup returned: a configuration, or why there is none."""

    name: str  # "autoconfig https://autoconfig.example.com/mail/config-v1.1.xml"
    rank: tuple[int, ...]  # lower is preferred (see rank.py)
    config: Config | None
    reason: str | None = None  # why there is no configuration
    #: a domain the address's mail belongs to, learnt on the way (the MX host's base domain)
    related: str | None = None


class Related:
    """A domain the address's mail belongs to, which a lookup learns on the way and tells before it ends: the MX
    step knows the MX host's base domain from the DNS answer, and goes on to its web fetches, which may hang.

    Told at most once; whoever listens is called then (at once, when it was told before they listened).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._told = False
        self._domain: str | None = None
        self._listeners: list[Callable[[], None]] = []

    @property
    def told(self) -> bool:
        return self._told

    @property
    def domain(self) -> str | None:
        return self._domain

    def tell(self, domain: str) -> None:
        with self._lock:
            if self._told:
                return
            self._domain, self._told = domain, True
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def listen(self, listener: Callable[[], None]) -> None:
        with self._lock:
            self._listeners.append(listener)
            told = self._told
        if told:
            listener()


class Job(NamedTuple):
    """A lookup to run: ``run`` returns its configuration or raises :class:`NotFound` with the reason."""

    name: str
    rank: tuple[int, ...]
    run: Callable[[], Config]
    #: what ``run`` tells of the address's domains before it ends, if it learns any on the way (the MX step)
    related: Related | None = None


class NotFound(Exception):
    """A lookup found nothing usable; the message says why, in one line."""

    def __init__(self, reason: str, related: str | None = None) -> None:
        super().__init__(reason)
        #: a domain learnt on the way (the MX host's base domain), even though nothing was found
        self.related = related


#: Thunderbird's public ISPDB (mailnews.auto_config_url); the domain is appended
ISPDB_URL = "https://live.thunderbird.net/autoconfig/v1.1/"


class Query(NamedTuple):
    """What to discover, and how (the command line's options)."""

    address: str
    timeout: float = 10.0
    allow_http: bool = False
    ispdb_url: str = ISPDB_URL
    ispdb_dir: str | None = None
    guess: bool = False
    probe: bool = True
    dns_server: tuple[str, int] | None = None
    ca_file: str | None = None

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower()
