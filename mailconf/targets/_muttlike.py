"""What mutt and neomutt share: one muttrc per account, decided here, laid out by one template.

Not a target (not registered). The two targets differ in a few variable names, in
whether the client has ``smtp_user``, and in the SASL mechanisms their
``*_authenticators`` accept: data, in a :class:`Dialect`. The template
(``mutt/account.muttrc.j2``, :data:`TEMPLATE`) is one macro, ``account(rc, d)``, which
:func:`render` calls once per account with its :class:`AccountRc` and the Dialect: one
template module serves every file of a run.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping
from functools import lru_cache
from operator import attrgetter
from typing import NamedTuple, TypeVar

import jinja2

from ..escape import UnsafeValue, fits
from ..escape.mutt import EMPTY_COMMAND, refuse_control
from ..model import CREDENTIAL_COMMAND, Account, Auth, Model, Protocol, Security, Server
from . import (
    FEATURES,
    RENAME_ACCOUNT,
    FileNames,
    GapRules,
    Gaps,
    Rendered,
    RenderedFile,
    built,
    gap_rules,
    locate_unsafe,
    unsafe_in,
    unused_command,
)

T = TypeVar("T")

_SCHEME = {Protocol.IMAP: "imap", Protocol.POP3: "pop", Protocol.SMTP: "smtp"}
_TLS_VERSIONS = ("1.0", "1.1", "1.2", "1.3")
_TLS_VARIABLES = ("ssl_use_tlsv1", "ssl_use_tlsv1_1", "ssl_use_tlsv1_2", "ssl_use_tlsv1_3")
#: What both clients use when the file says nothing: TLS 1.2 and 1.3.
_DEFAULT_MIN_TLS = "1.2"
_OAUTH_MECHANISMS = ("oauthbearer", "xoauth2")
#: The longest host and user name, in UTF-8 bytes, that both clients connect and log in with whole: they copy
#: them into 128-byte buffers (mutt's ACCOUNT, neomutt's ConnAccount: host, user, login) and cut the rest
#: without a word (checked: a 128-byte user logs in as its first 127 bytes, a 194-byte host is looked up cut).
MAX_ACCOUNT_BYTES = 127
#: The longest From: header both clients write whole, without "From: ": the display name, RFC 2047-encoded, then
#: " <address>", go through a 1,024-byte buffer; what does not fit is cut, the address first (checked).
MAX_FROM_BYTES = 1023
#: Where an RFC 2047 encoded word starts, as mail readers such as Thunderbird find one (jsmime: =?charset?B|Q?text?=,
#: the text without a ?): anywhere, inside a word or a quoted string too. Every start, overlapping ones included.
_ENCODED_WORD_START = re.compile(r"(?==\?[^?]*\?[BbQq]\?[^?]*\?=)")
#: What makes both clients encode a header's text (mutt rfc2047.c rfc2047_encode(), neomutt's copy): a character
#: outside ASCII, or =? at the start of a word (after a space: the schema refuses tabs). They then encode one span,
#: from the word holding the first of these to the word holding the last (in the real name, of these and of the
#: RFC 822 specials, _SPECIALS), and write the rest as it is, a name quoted when it holds a special (checked).
_ENCODES = re.compile(r"[^\x00-\x7f]|(?:^|(?<= ))=\?")
_SPECIALS = re.compile(r'[@.,:;<>\[\]\\"()]')


class Dialect(NamedTuple):
    """What differs between mutt and neomutt: data for the one template and for the decisions here."""

    name: str  # "mutt" | "neomutt": names the client in gap messages and in the file's first line
    #: the mechanisms each protocol's *_authenticators accepts; None: any name (GNU SASL takes the rest)
    mechanisms: Mapping[Protocol, tuple[str, ...]] | None
    #: the default OAuth2 authenticators per protocol
    oauth: Mapping[Protocol, tuple[str, ...]]
    #: first characters the client expands as a mailbox shortcut in a command variable (neomutt turns
    #: "=x" into "<folder>/x", "!" into the spool file...); such a command is written after one space,
    #: which sh ignores
    command_shortcuts: str = ""
    #: the variable names that differ (mutt's old names; neomutt renamed them)
    real_name_variable: str = "realname"
    spool_file_variable: str = "spoolfile"
    #: whether the client has smtp_user (mutt has not: the user is in smtp_url)
    smtp_user: bool = False
    #: whether ``source`` reads every file it names (neomutt) or refuses more than one and reads none (mutt:
    #: "source: too many arguments"); the importer reads what the client reads
    source_many: bool = False
    #: whether ``source`` reads a relative path beside the file that names it (neomutt) or from the folder the
    #: client is started in (mutt opens the path as it is)
    source_beside: bool = False
    #: whether ``set noNAME`` empties a text variable as ``unset NAME`` does (mutt), or changes nothing (neomutt:
    #: "Prefixes 'no' and 'inv' may only be used with bool/quad variables")
    no_empties_text: bool = True
    #: whether a ``$name`` in a value is looked up in the environment before the user's ``my_`` variables (mutt:
    #: getenv, then myvar_get), or after them (neomutt)
    environment_first: bool = True
    #: the real name written for an account without ``display_name``: the variable is always set, because
    #: left unset (or, in neomutt, empty) the client puts the name from /etc/passwd (GECOS) in From:
    no_real_name: str = ""

    def variable(self, name: str) -> str:
        """The client's name of a variable named as mutt names it; "" when the client has none (mutt: smtp_user)."""
        if name == "realname":
            return self.real_name_variable
        if name == "spoolfile":
            return self.spool_file_variable
        if name == "smtp_user" and not self.smtp_user:
            return ""
        return name


class ServerRc(NamedTuple):
    """One server's lines; `prefix` is imap, pop or smtp. None: the line is not written."""

    prefix: str
    url: str
    user: str | None
    password_command: str | None
    authenticators: str | None
    oauth_command: str | None
    delete: str | None  # POP3 pop_delete: "yes" | "no"


class AccountRc(NamedTuple):
    """One account file: what the template's macro ``account`` lays out (it reads the fields by name)."""

    name: str
    address: str
    real_name: str  # always written: see Dialect.no_real_name
    organization: str | None  # the whole header line "Organization: ..."
    servers: tuple[ServerRc, ...]  # the incoming server first, then the outgoing one (prefix smtp)
    starttls: str  # ssl_starttls: "yes" | "no"
    force_tls: str  # ssl_force_tls: "yes" | "no"
    ca_file: str | None
    verify_host: str | None
    tls_versions: tuple[tuple[str, str], ...]  # (ssl_use_tlsvX, "yes" | "no")
    client_cert: str | None
    connect_timeout: int | None
    #: the variables of OWNED this file does not set (the client's names), each reset to the client's default
    reset: tuple[str, ...]


#: Every variable an account file owns, in mutt's names (Dialect.variable gives the client's), in the order the
#: file resets them. The one list: each file sets every one of them, to its account's value or, when the account
#: does not use it, back to the client's default (``reset NAME``; the Organization header: ``unmy_hdr``), because
#: the client keeps what an earlier file set and the docs have one file sourced after another (a folder-hook per
#: account). ``reset``, not ``unset``: folder (``~/Mail``), spoolfile (from $MAIL), pop_delete (ask-no),
#: ssl_verify_host, ssl_use_tlsv1_2/_3 (yes) and connect_timeout (30) are not empty by default; every other one
#: is empty, which ``reset`` gives too. A variable added to the template goes here and in the field tables below
#: (the tests check that every rendered file sets or resets each of OWNED exactly once, and nothing else).
OWNED: tuple[str, ...] = (
    "from", "realname", "folder", "spoolfile", "imap_user", "imap_pass", "imap_authenticators",
    "imap_oauth_refresh_command", "pop_host", "pop_user", "pop_pass", "pop_authenticators",
    "pop_oauth_refresh_command", "pop_delete", "smtp_url", "smtp_user", "smtp_pass", "smtp_authenticators",
    "smtp_oauth_refresh_command", "ssl_starttls", "ssl_force_tls", "ssl_ca_certificates_file", "ssl_verify_host",
    "ssl_use_tlsv1", "ssl_use_tlsv1_1", "ssl_use_tlsv1_2", "ssl_use_tlsv1_3", "ssl_client_cert", "connect_timeout",
)  # fmt: skip
#: The variables of OWNED a ServerRc field sets when it is not None: {field: variable without its prefix}.
_SERVER_FIELDS = (("user", "_user"), ("password_command", "_pass"), ("authenticators", "_authenticators"),
                  ("oauth_command", "_oauth_refresh_command"))  # fmt: skip
#: The URL variables of each incoming or outgoing prefix.
_URL_VARIABLES = {"imap": ("folder", "spoolfile"), "pop": ("pop_host",), "smtp": ("smtp_url",)}
#: The variables of OWNED an AccountRc field sets when it is not None (or, tls_versions, not empty).
_ACCOUNT_FIELDS = (("ca_file", ("ssl_ca_certificates_file",)), ("verify_host", ("ssl_verify_host",)),
                   ("tls_versions", _TLS_VARIABLES), ("client_cert", ("ssl_client_cert",)),
                   ("connect_timeout", ("connect_timeout",)))  # fmt: skip


#: The one template of both clients: their differences are the Dialect's data.
TEMPLATE = "mutt/account.muttrc.j2"

#: What mutt and neomutt cannot express at all (CAPABILITIES' "no" rows), per dialect: built once.
_GAP_RULES: dict[str, GapRules] = {}


def render(model: Model, env: jinja2.Environment, dialect: Dialect, capabilities: Mapping[str, str]) -> Rendered:
    """One file per account, laid out by the template's macro ``account(rc, dialect)``, called here once per
    account (one template module for the whole run: no include, no context per file)."""
    layout: jinja2.runtime.Macro = env.get_template(TEMPLATE).module.account  # type: ignore[attr-defined]
    rules = _GAP_RULES.get(dialect.name)
    if rules is None:
        # a mechanism the client lacks is reported per protocol, with what it accepts (_authenticators)
        own = [f for f in ("auth: ntlm", "auth: gssapi", "auth: client-cert") if capabilities[f].startswith("no")]
        rules = _GAP_RULES[dialect.name] = gap_rules(capabilities, _instead(dialect), own)
    files: list[RenderedFile] = []
    gaps = Gaps()
    names = FileNames(RENAME_ACCOUNT)
    for account in model.accounts:
        rc = decide(account, dialect, rules, gaps)
        try:
            text = layout(rc, dialect)
        except UnsafeValue as exc:  # a control character: a line break would start a new muttrc command
            raise locate_unsafe([account], refuse_control, exc) from None
        files.append(RenderedFile(names.claim(f"{account.name}.muttrc", account), text.encode("utf-8")))
    return Rendered(tuple(files), tuple(gaps.found))


def _instead(dialect: Dialect) -> dict[str, str]:
    """The messages of the features both clients lack (the capability cells hold the short form)."""
    return {
        "tls.fingerprint": f"{dialect.name} has no fingerprint pin: pin the certificate with certificate_file "
        "instead (save the server's PEM certificate in a file and `set certificate_file` to it)",
        "tls.verify: false": f"{dialect.name} always verifies the certificate: name the issuing CA with "
        "tls.ca_file, or accept the certificate once when it asks (it is saved in certificate_file)",
        "leave_days": f"{dialect.name} cannot delete copies after a number of days (pop_delete keeps or deletes at "
        "fetch time): delete old messages from the server yourself",
    }


def _trailing_dot_gap(dialect: Dialect) -> str:
    """GnuTLS's name check gets the host as written: a trailing dot matches no name a certificate holds (an IP
    address matches the certificate's IP addresses: no gap)."""
    return (
        f"{dialect.name} checks the certificate's names against the host with its trailing dot, which no "
        "certificate holds: it asks whether to accept the certificate ((r)eject, accept (o)nce, (a)ccept always) "
        "before it logs in, and sending without a terminal (batch mode) fails; write the host without the dot"
    )


class _Messages(NamedTuple):
    """The gap messages of decide() that name the client: built once per dialect, not once per account."""

    client_key: str
    ca_file: str
    client_cert: str
    timeout: str
    trailing_dot: str
    encoded_word: str
    encoded_organization: str
    blank_organization: str


_MESSAGES: dict[str, _Messages] = {}

_CA_FILE = attrgetter("tls.ca_file")
_CLIENT_CERT = attrgetter("tls.client_cert")
_TIMEOUT = attrgetter("timeout")


def _messages(dialect: Dialect) -> _Messages:
    messages = _MESSAGES.get(dialect.name)
    if messages is None:
        messages = _MESSAGES[dialect.name] = _Messages(
            client_key=f"{dialect.name} reads the key from the client_cert file (ssl_client_cert): put the key and "
            "the certificate in one PEM file and name it in tls.client_cert",
            ca_file=f"{dialect.name} uses one ssl_ca_certificates_file for every connection (the incoming one is "
            "written): put both CAs in one file and name it on both servers",
            client_cert=f"{dialect.name} uses one ssl_client_cert for every connection (the incoming one is "
            "written): use the same certificate for both servers",
            timeout=f"{dialect.name} uses one connect_timeout for every connection (the incoming one is written): "
            "use the same timeout for both servers",
            trailing_dot=_trailing_dot_gap(dialect),
            encoded_word=f"{dialect.name} sends an RFC 2047 encoded word in this name as written when it starts "
            'inside a word (a=?utf-8?q?Bob?=, "=?utf-8?q?Bob?="), and mail readers such as Thunderbird decode it '
            'there (they show a Bob, "Bob"); it encodes, and so sends as text, only words that start with =? or '
            "hold a character outside ASCII, and the words between them: leave the encoded word out of "
            "display_name, or put a space before it",
            encoded_organization=f"{dialect.name} sends an RFC 2047 encoded word in the Organization: header as "
            "written when it starts inside a word (a=?utf-8?q?Bob?=, (=?utf-8?q?Bob?=)), and mail readers decode it "
            "there (Python's email reads aBob, (Bob)); it encodes, and so sends as text, only words that start with "
            "=? or hold a character outside ASCII, and the words between them: leave the encoded word out of "
            "organization, or put a space before it",
            blank_organization=f"{dialect.name} sends no header whose value is blank (it leaves empty fields out), "
            "so the account sends no Organization: header (unmy_hdr Organization is written); give organization a "
            "text, or remove it",
        )
    return messages


def decide(account: Account, dialect: Dialect, rules: GapRules, found: Gaps) -> AccountRc:
    servers = account.servers
    messages = _messages(dialect)

    def gap(server: Server, setting: str, instead: str) -> None:
        found.server(account, server, setting, instead)

    for server in servers:
        found.unsupported(account, server, rules)
        _check_lengths(account, server, dialect)
    _check_from(account, dialect)
    name = account.display_name
    if name and "=?" in name and _sends_encoded_word(name, specials=True):
        found.add(account, "display_name", messages.encoded_word)
    organization = account.organization
    if organization is not None and not organization.strip(" "):  # blank: the client leaves the header out
        found.add(account, "organization", messages.blank_organization)
        organization = None
    elif organization and "=?" in organization and _sends_encoded_word(organization, specials=False):
        found.add(account, "organization", messages.encoded_organization)
    server_rcs = tuple([_server(account.name, server, dialect, gap) for server in servers])
    starttls, force_tls = _transport(servers, dialect, gap)

    for server in servers:
        if server.tls.client_key and server.tls.client_key != server.tls.client_cert:
            gap(server, "tls.client_key", messages.client_key)

    ca_file = _one_value(servers, "tls.ca_file", _CA_FILE, gap, messages.ca_file)
    client_cert = _one_value(servers, "tls.client_cert", _CLIENT_CERT, gap, messages.client_cert)
    verify_host = _verify_host(servers, dialect, gap)
    if verify_host != "no":  # ssl_verify_host is on for every connection (set, or the client's default)
        for server in servers:
            if server.security is not Security.NONE and server.host.endswith("."):
                gap(server, "host", messages.trailing_dot)
    timeout = _one_value(servers, "timeout", _TIMEOUT, gap, messages.timeout)
    rc = built(
        AccountRc,
        (
            account.name,
            account.address,
            account.display_name or dialect.no_real_name,  # real_name
            None if organization is None else f"Organization: {organization}",
            server_rcs,
            starttls,
            force_tls,
            ca_file,
            verify_host,
            _tls_versions(servers, dialect, gap),
            client_cert,
            None if timeout is None else (timeout or -1),  # connect_timeout: 0 (none) is -1, wait forever
            (),  # reset: below
        ),
    )
    key = (dialect.name, _assigned_key(rc))
    reset = _RESETS.get(key)
    if reset is None:
        reset = _RESETS[key] = _reset(key[1], dialect)
    return rc._replace(reset=reset)


#: Which variables the template sets for an AccountRc (not their values), a small key to cache on: per server
#: (prefix, which _SERVER_FIELDS are set, whether pop_delete is), then which _ACCOUNT_FIELDS are set.
_Shape = tuple[tuple[tuple[str, tuple[bool, ...], bool], ...], tuple[bool, ...]]
#: _reset's answers per (dialect name, shape): accounts alike in shape share one (a few dozen shapes in all).
_RESETS: dict[tuple[str, _Shape], tuple[str, ...]] = {}


def _assigned_key(rc: AccountRc) -> _Shape:
    # the fields of _SERVER_FIELDS and _ACCOUNT_FIELDS, in their order, spelt out: once per account
    servers = tuple([(s.prefix, (s.user is not None, s.password_command is not None, s.authenticators is not None,
                                 s.oauth_command is not None), s.delete is not None) for s in rc.servers])  # fmt: skip
    return servers, (rc.ca_file is not None, rc.verify_host is not None, bool(rc.tls_versions),
                     rc.client_cert is not None, rc.connect_timeout is not None)  # fmt: skip


def _reset(shape: _Shape, dialect: Dialect) -> tuple[str, ...]:
    """The variables of OWNED the template does not set for an AccountRc of this shape, in the client's names."""
    servers, account = shape
    assigned = {"from", "realname", "ssl_starttls", "ssl_force_tls"}
    for prefix, fields, delete in servers:
        assigned.update(_URL_VARIABLES[prefix])
        assigned.update(prefix + suffix for (_, suffix), has in zip(_SERVER_FIELDS, fields, strict=True) if has)
        if delete:
            assigned.add("pop_delete")
    for (_, variables), has in zip(_ACCOUNT_FIELDS, account, strict=True):
        if has:
            assigned.update(variables)
    unknown = assigned.difference(OWNED)
    assert not unknown, f"the template sets variables OWNED does not list: {sorted(unknown)}"
    return tuple([dialect.variable(v) for v in OWNED if v not in assigned and dialect.variable(v)])


GapSink = Callable[[Server, str, str], None]


def _check_lengths(account: Account, server: Server, dialect: Dialect) -> None:
    """UnsafeValue naming the account and setting (never the value) when the client would cut the host or the
    user name: it would connect to another name, or log in as another user."""
    user = server.username if server.auth is not Auth.NONE else ""
    if fits(server.host, MAX_ACCOUNT_BYTES) and fits(user, MAX_ACCOUNT_BYTES):
        return  # nearly every server: no message built
    checks = (
        ("host", server.host, "host name", "connect to the name cut short: use a shorter name"),
        ("username", user, "user name (UTF-8)", "log in with the name cut short: use a shorter one"),
    )
    for setting, value, what, effect in checks:
        if not fits(value, MAX_ACCOUNT_BYTES):
            raise UnsafeValue(
                f"account {account.name}: {server.side}.{setting}: {dialect.name} keeps only the first "
                f"{MAX_ACCOUNT_BYTES} bytes of a {what} and would {effect}"
            )


def _sends_encoded_word(text: str, *, specials: bool) -> bool:
    """Whether the client sends an RFC 2047 encoded word of ``text`` (the real name with ``specials``, or the
    Organization header) as written, outside the one span it encodes (see _ENCODES), where readers decode it: the
    recipient sees other text than the one declared."""
    low = high = 0
    if _ENCODES.search(text):
        spans = [m.start() for m in _ENCODES.finditer(text)]
        if specials:
            spans += [m.start() for m in _SPECIALS.finditer(text)]
        low = text.rfind(" ", 0, min(spans)) + 1
        high = text.find(" ", max(spans))
        high = len(text) if high < 0 else high
    return any(not low <= m.start() < high for m in _ENCODED_WORD_START.finditer(text))


def _check_from(account: Account, dialect: Dialect) -> None:
    """UnsafeValue naming the account and display_name when the From: header the client writes could be cut,
    address and all. An upper bound for UTF-8, so that a $send_charset of utf-8 fits too (iso-8859-1, the
    default's choice for Latin-1 text, is shorter): the name's bytes in base64 (4 characters per 3 bytes), in
    encoded words of at least 36 bytes, each with 14 characters around it ("=?utf-8?B?", "?=" and a folding
    line break; the clients' words hold about 40 to 45 bytes), then " <address>"."""
    if not account.display_name:
        return
    size = len(account.display_name.encode("utf-8"))
    encoded = 4 * -(-size // 3) + 14 * -(-size // 36)
    if encoded + len(account.address.encode("utf-8")) + 3 > MAX_FROM_BYTES:
        raise UnsafeValue(
            f"account {account.name}: display_name: {dialect.name} writes the From: header in {MAX_FROM_BYTES} "
            "bytes, and this name, encoded, with the address would not fit: it would cut the address off; use a "
            "shorter name"
        )


#: What urllib.parse.quote(..., safe="") percent-encodes in ASCII text: all but letters, digits and "_.-~".
_URL_UNSAFE = re.compile(r"[^A-Za-z0-9_.~-]")


def _percent(match: re.Match[str]) -> str:
    return f"%{ord(match.group()):02X}"


#: ASCII text whose only character to encode is ``@``: a user name that is an address, nearly every one.
_URL_SAFE_BUT_AT = re.compile(r"[A-Za-z0-9_.~@-]*")


def _url_quote(text: str) -> str:
    """``urllib.parse.quote(text, safe="")``, with faster paths for ASCII text."""
    if _URL_SAFE_BUT_AT.fullmatch(text):  # no call per character: one replace
        return text.replace("@", "%40")
    if text.isascii():
        return _URL_UNSAFE.sub(_percent, text)
    return urllib.parse.quote(text, safe="")


def url(server: Server, *, with_user: bool) -> str:
    """imaps://host:993/, pop://host:110/, smtps://user%40example.org@host:465/ ..."""
    scheme = _SCHEME[server.protocol] + ("s" if server.security is Security.TLS else "")
    host = server.host
    if ":" in host:
        host = f"[{host}]"
    if with_user:
        return f"{scheme}://{_url_quote(server.username)}@{host}:{server.port}/"
    return f"{scheme}://{host}:{server.port}/"


def _server(account: str, server: Server, dialect: Dialect, gap: GapSink) -> ServerRc:
    auth = server.auth
    protocol = server.protocol
    logs_in = auth is not Auth.NONE
    if not logs_in and protocol is not Protocol.SMTP:
        gap(server, "auth",
            f"{dialect.name} always logs in to IMAP and POP3 servers (it will ask for a user name and "
            "password): declare the login the server expects")  # fmt: skip
    runs = CREDENTIAL_COMMAND.get(auth)
    password = server.password_command if runs == "password_command" else None
    if password is not None and not password.strip():
        # mutt_command refuses it in the template, where the setting is no longer known (it is printable, so
        # locate_unsafe, which looks for control characters, would not find it): named here
        raise unsafe_in(account, f"{server.side}.password_command", UnsafeValue(EMPTY_COMMAND))
    if password is None and server.password_command:
        gap(server, "password_command", unused_command(auth))
    token = server.token_command
    oauth = token if runs == "token_command" else None
    if oauth and oauth.lstrip(" ")[:1] in tuple(dialect.command_shortcuts):
        # neomutt expands a path shortcut at the start of a command variable: one more space stops it (the shell
        # ignores it), also before a command that starts with spaces, so that the importer, which removes exactly
        # that one space before a shortcut, gives back the command as declared
        oauth = " " + oauth
    if token and oauth is None:
        gap(server, "token_command", unused_command(auth))
    leave = server.leave_on_server
    smtp = protocol is Protocol.SMTP
    return built(
        ServerRc,
        (
            _SCHEME[protocol],  # prefix
            url(server, with_user=smtp and logs_in),
            server.username if logs_in and (dialect.smtp_user or not smtp) else None,  # user
            password,  # password_command
            _authenticators(server, dialect, gap),
            oauth,  # oauth_command
            None if leave is None else ("no" if leave else "yes"),  # delete
        ),
    )


def _authenticators(server: Server, dialect: Dialect, gap: GapSink) -> str | None:
    """The *_authenticators list: the declared mechanisms, else what the auth method implies."""
    if server.mechanisms:
        wanted = server.mechanisms
    elif server.auth is Auth.PASSWORD or server.auth is Auth.NONE:
        return None  # password: every method the server offers; none: no login
    elif server.auth is Auth.OAUTH2:
        wanted = dialect.oauth[server.protocol]
    elif server.auth is Auth.GSSAPI:
        wanted = ("gssapi",)
    elif server.auth is Auth.NTLM:
        wanted = ("ntlm",)
    else:  # Auth.CLIENT_CERT
        wanted = ("external",)
    accepted = None if dialect.mechanisms is None else dialect.mechanisms[server.protocol]
    usable = tuple(m for m in wanted if accepted is None or m in accepted)
    dropped = [m for m in wanted if m not in usable]
    if dropped and accepted is not None:
        setting = "mechanisms" if server.mechanisms else "auth"
        can = ", ".join(accepted) or "none"
        gap(server, setting,
            f"{dialect.name} cannot log in to {server.protocol.value.upper()} with {', '.join(dropped)} "
            f"(its {_SCHEME[server.protocol]}_authenticators accepts {can}): choose one of those")  # fmt: skip
    return ":".join(usable) or None


def _transport(servers: tuple[Server, ...], dialect: Dialect, gap: GapSink) -> tuple[str, str]:
    """(ssl_starttls, ssl_force_tls): one pair for every connection; implicit TLS is in the URL scheme."""
    plain = starttls = False
    for server in servers:
        if server.security is Security.NONE:
            plain = True
        elif server.security is Security.STARTTLS:
            starttls = True
    if plain and not starttls:
        return "no", "no"
    if plain:
        for server in servers:
            if server.security is Security.NONE:
                gap(server, "security",
                    f"{dialect.name} applies ssl_starttls and ssl_force_tls to every connection and the other "
                    "server needs STARTTLS, so this one must offer STARTTLS too: declare security starttls or "
                    "tls for it, or keep it in a separate configuration")  # fmt: skip
    return "yes", "yes"


def _verify_host(servers: tuple[Server, ...], dialect: Dialect, gap: GapSink) -> str | None:
    declared = checked = False
    for server in servers:
        declared = declared or server.declared("tls.verify_hostname")
        checked = checked or server.tls.verify_hostname
    if not declared:
        return None
    if not checked:
        return "no"
    for server in servers:
        if not server.tls.verify_hostname:
            gap(server, "tls.verify_hostname",
                f"{dialect.name} applies ssl_verify_host to every connection and the other server checks "
                "the host name, so this one is checked too: fix its certificate or its host name")  # fmt: skip
    return "yes"


@lru_cache(maxsize=64)  # keys: the min_version of each server (at most 5 x 5 pairs)
def _tls_choice(declared: tuple[str | None, ...]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """(the version every connection gets, the ssl_use_tlsv* lines) for the servers' declared min_version."""
    lowest = max((v or _DEFAULT_MIN_TLS for v in declared), key=_TLS_VERSIONS.index)
    start = _TLS_VERSIONS.index(lowest)
    return lowest, tuple((var, "yes" if i >= start else "no") for i, var in enumerate(_TLS_VARIABLES))


def _tls_versions(servers: tuple[Server, ...], dialect: Dialect, gap: GapSink) -> tuple[tuple[str, str], ...]:
    declared = tuple([s.tls.min_version for s in servers])
    if not any(declared):
        return ()
    lowest, versions = _tls_choice(declared)
    for server, version in zip(servers, declared, strict=True):
        if version and version != lowest and _TLS_VERSIONS.index(version) < _TLS_VERSIONS.index(lowest):
            gap(server, "tls.min_version",
                f"{dialect.name} applies one set of TLS versions to every connection and the other server "
                f"needs TLS {lowest} or later, so this one gets it too: declare min_version {lowest}")  # fmt: skip
    return versions


def _one_value(
    servers: tuple[Server, ...], setting: str, get: Callable[[Server], T | None], gap: GapSink, instead: str
) -> T | None:
    """A setting the client has once for every connection: the first declared value; a gap for any other."""
    chosen: T | None = None
    for server in servers:
        value = get(server)
        if value is None:
            continue
        if chosen is None:
            chosen = value
        elif value != chosen:
            gap(server, setting, instead)
    return chosen


#: What mutt and neomutt express alike (a setting mutt has once for all connections is "partial").
_SHARED_CAPABILITIES: Mapping[str, str] = {
    "imap": "yes",
    "pop3": "yes",
    "smtp": "yes",
    "security: tls": "yes",
    "security: starttls": "yes",
    "security: none": "partial: not next to a starttls server (ssl_force_tls is global)",
    "auth: password": "yes",
    "password_command": "yes",
    "token_command": "yes",
    "tls.ca_file": "partial: one value for every connection (differing incoming/outgoing values warn)",
    "tls.fingerprint": "no: pin the certificate with certificate_file instead",
    "tls.min_version": "partial: one value for every connection (differing incoming/outgoing values warn)",
    "timeout": "partial: connect_timeout (connection set-up only; one value for every connection)",
    "leave_on_server": "yes: pop_delete, applied by fetch-mail (G)",
    "leave_days": "no: delete old messages from the server yourself",
}


def capabilities(own: Mapping[str, str]) -> dict[str, str]:
    """One target's capability rows: the shared ones plus its own, in the order of FEATURES."""
    merged = {**_SHARED_CAPABILITIES, **own}
    return {feature: merged[feature] for feature in FEATURES}
