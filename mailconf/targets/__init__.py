"""Render targets: one module per client, registered here explicitly.

A target module has:

- ``NAME`` ("msmtp"), ``TITLE`` (one line), and a module docstring that is its
  user documentation, its page ``docs/targets/<NAME>.md`` (where the file goes, how to
  apply it, what it writes, what it cannot express, how it is tested; in the markup
  that ``mailconf/docgen.py`` describes);
- ``CAPABILITIES``: feature -> what the target does with it ("yes", "no: ...",
  "partial: ..."); the capability matrix of ``docs/render.md`` and the table on each
  target's page are generated from these (``python3 -m mailconf.docgen``);
- ``render(model, env, options) -> Rendered``: Python decides every value (TLS
  mapping, codes, defaults, gaps, escaping via the filters in mailconf.escape)
  and hands a flat context to its templates under ``templates/<NAME>/``;
- ``OWN_FILES``: the files it writes that a later render may not write again (named after
  an account or a domain, or written only for some settings), as :class:`OwnFile` patterns:
  ``render -o DIR --check`` and ``--update`` name such a file that no account renders any
  more (mailconf.output.leftovers); ``()`` where nothing tells the target's file from another
  (outlook's ``.reg``).

A target never writes files and never prints: it returns files and gaps.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping
from operator import attrgetter
from typing import NamedTuple, Protocol, TypeVar, cast

import jinja2

from ..escape import UnsafeValue
from ..model import Account, Auth, Model, Security, Server
from ..model import Protocol as MailProtocol
from ..replace import NAME_MAX as NAME_MAX  # the most bytes of a file name: a rendered file's is checked against it


class Gap(NamedTuple):
    """A declared setting the target cannot express. Never silent: a warning, or an error with --strict."""

    account: str
    setting: str  # "incoming.password_command", "outgoing.tls.fingerprint" ...
    instead: str  # what the user must do instead
    #: What only this account's case adds (which domain, which other account): said when the gap has its line to
    #: itself, left out of a line several accounts share. Gaps group by setting and advice (render.group_gaps), so
    #: a gap whose advice named a domain would give one line per domain: 997 lines for a file of 997 domains.
    detail: str = ""

    def __str__(self) -> str:
        return f"account {self.account}: {self.said(alone=True)}"

    def describe(self, who: str) -> str:
        """The message for several accounts that share this gap (``who``: "accounts a, b"): without the detail."""
        return f"{who}: {self.said(alone=False)}"

    def said(self, *, alone: bool) -> str:
        """``SETTING cannot be expressed; ADVICE``, and ``(DETAIL)`` when the line is this account's ``alone``."""
        text = f"{self.setting} cannot be expressed; {self.instead}"
        return f"{text} ({self.detail})" if alone and self.detail else text


def folded(name: str) -> str:
    """``name`` as a file system that ignores case and Unicode normalization compares it (APFS and HFS+ on macOS,
    NTFS on Windows, FAT): Unicode's canonical caseless match, NFD(casefold(NFD(name)))."""
    if name.isascii():  # account names always, addresses nearly always: the same key, without unicodedata
        return name.lower()
    import unicodedata

    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", name).casefold())


#: Where two file names that only case or Unicode normalization tell apart are one file.
FOLDING_SYSTEMS = "macOS, Windows or a FAT drive"
#: The fix for two files named after account names that are one file there (FileNames).
RENAME_ACCOUNT = "rename one of the two accounts"


class FileNames:
    """The names of the files a target names after its accounts (their names, their addresses), each claimed once.

    Two names that only case or Unicode normalization tell apart (``Alice.muttrc``, ``alice.muttrc``) are one
    file where the file system ignores them (FOLDING_SYSTEMS): a folder of rendered files that travels (a
    repository checked out there) keeps one of them, and writing both there replaces one with the other. So they
    are refused whatever file system renders them, before anything is written: ``fix`` says what to change.
    """

    __slots__ = ("_fix", "_taken")

    def __init__(self, fix: str) -> None:
        self._fix = fix
        self._taken: dict[str, tuple[str, str]] = {}  # folded name -> (the name, its account)

    def claim(self, name: str, account: Account, setting: str | None = None) -> str:
        """``name``, the file of ``account`` named after its ``setting`` (its name when None); UnsafeValue when an
        account before it has a file that is one with it on those file systems."""
        first, owner = self._taken.setdefault(folded(name), (name, account.name))
        if owner == account.name:
            return name
        import unicodedata

        same = unicodedata.normalize("NFD", first) == unicodedata.normalize("NFD", name)
        how = "are one name in two Unicode normalizations (NFC, NFD)" if same else "differ only in case"
        where = f"account {account.name}: " + (f"{setting}: " if setting else "")
        raise UnsafeValue(
            f"{where}its file {name} and account {owner}'s file {first} {how}: one file on {FOLDING_SYSTEMS}, "
            f"where a copy of the rendered folder keeps only one of them; {self._fix}"
        )


class FolderNames:
    """The folders a client keeps per account (its Maildir, its own state), named after the accounts, each claimed
    once: two that only case tells apart (``~/Mail/Work/``, ``~/Mail/work/``) are one folder where the file system
    ignores case (FOLDING_SYSTEMS), and the client would keep both accounts in it. So they are refused, as
    FileNames refuses files, whatever file system renders them (the file is used where the mail is)."""

    __slots__ = ("_client", "_taken")

    def __init__(self, client: str) -> None:
        self._client = client
        self._taken: dict[str, tuple[str, str]] = {}  # folded folder -> (the folder, its account)

    def claim(self, folder: str, account: Account) -> None:
        """UnsafeValue (naming the account and its name) when an account before it has a folder that is one with
        ``folder`` on those file systems."""
        first, owner = self._taken.setdefault(folded(folder), (folder, account.name))
        if owner != account.name:
            raise UnsafeValue(
                f"account {account.name}: name: its folder {folder} and account {owner}'s folder {first} differ only "
                f"in case: one folder on {FOLDING_SYSTEMS}, where {self._client} would keep both accounts' mail and "
                f"sync state in it; {RENAME_ACCOUNT}"
            )


class RenderedFile(NamedTuple):
    name: str  # relative path under the output directory; also shown on stdout
    content: bytes
    mode: int = 0o600


_Tuple = TypeVar("_Tuple", bound=tuple[object, ...])  # any NamedTuple


class _Built(Protocol):
    def __call__(self, kind: type[_Tuple], values: tuple[object, ...], /) -> _Tuple: ...


#: A NamedTuple built from its fields in order, without its Python-level ``__new__`` (a function call with
#: keyword handling per value), every field given, defaults too: ``built(Gap, (account, setting, instead, ""))``.
#: Where a target makes one or more per account it counts: ``-t all`` of 10,000 accounts makes 338,000 gaps in
#: :meth:`Gaps.unsupported`, where this halves their cost, and the per-account tuples of mutt, neomutt, outlook
#: and autodiscover cost 7-8% of their render with keywords. The fields' order is the class's: a test of the
#: target reads every one back.
built = cast("_Built", tuple.__new__)


class OwnFile(NamedTuple):
    """Files a target writes, as ``render -o DIR`` finds them again: ``pattern`` is their path in the target's
    folder, ``/``-separated, each part a name or an ``fnmatch`` pattern (``*`` never matches a name that begins
    with a dot, as in a shell), and ``marker`` bytes that every such file mailconf writes holds within its first
    MiB (its header comment: a hand-written ``personal.muttrc`` beside the rendered ones is never taken for one),
    after ``start``, the bytes it begins with (a profile signed with ``openssl cms``, which holds the rendered one
    whole, is another file)."""

    pattern: str
    marker: bytes
    start: bytes = b""


class Rendered(NamedTuple):
    files: tuple[RenderedFile, ...]
    gaps: tuple[Gap, ...] = ()


class Target(Protocol):
    NAME: str
    TITLE: str
    CAPABILITIES: Mapping[str, str]
    OPTIONS: Mapping[str, str]  # option name -> help (for --option KEY=VALUE)
    OWN_FILES: tuple[OwnFile, ...]  # the files a later render may not write again (see OwnFile)
    __doc__: str | None

    def render(self, model: Model, env: jinja2.Environment, options: Mapping[str, str]) -> Rendered: ...


#: The rows of the capability matrix, in order. Targets describe each one.
FEATURES: tuple[str, ...] = (
    "imap",
    "pop3",
    "smtp",
    "security: tls",
    "security: starttls",
    "security: none",
    "auth: password",
    "auth: oauth2",
    "auth: gssapi",
    "auth: ntlm",
    "auth: client-cert",
    "password_command",
    "token_command",
    "mechanisms",
    "tls.ca_file",
    "tls.fingerprint",
    "tls.verify: false",
    "tls.min_version",
    "timeout",
    "leave_on_server",
    "leave_days",
)

#: The rows that say which servers a target configures. A protocol marked "no" is out of the target's scope
#: (msmtp only sends): such a server is left out as the module's docstring says, not reported per account.
PROTOCOL_FEATURES: tuple[str, ...] = ("imap", "pop3", "smtp")

#: feature -> (the Server attribute read, which is also the setting a gap names after "incoming."/"outgoing.",
#: and the value it has when the feature is not declared; for "security: X" and "auth: X", the value that
#: declares it). Every row of FEATURES but the protocols; tests/targets/test_contract.py checks each one on
#: every target.
DECLARES: Mapping[str, tuple[str, object]] = {
    **{f"security: {s.value}": ("security", s) for s in Security if s is not Security.STARTTLS_OPTIONAL},
    **{f"auth: {a.value}": ("auth", a) for a in Auth if a is not Auth.NONE},
    "password_command": ("password_command", None),
    "token_command": ("token_command", None),
    "mechanisms": ("mechanisms", ()),
    "tls.ca_file": ("tls.ca_file", None),
    "tls.fingerprint": ("tls.fingerprint", None),
    "tls.verify: false": ("tls.verify", True),
    "tls.min_version": ("tls.min_version", None),
    "timeout": ("timeout", None),
    "leave_on_server": ("leave_on_server", None),
    "leave_days": ("leave_days", None),
}

#: The one message for ``auth: oauth2`` without ``token_command``, on every target that runs a token command.
NO_TOKEN_COMMAND = (
    "auth oauth2 needs a token_command that prints an access token (lint: MC302); without one the client "
    "cannot log in: add it"
)


#: Why a target refuses ``security: starttls-optional`` (render refuses it before any target runs, in
#: ``common_gaps``; a target called directly refuses it the same way rather than write an upgrade that an
#: attacker can skip).
NEVER_RENDERED_SECURITY = (
    "starttls-optional is never rendered (a client that may skip STARTTLS can be downgraded); use starttls or tls"
)


#: A gap's setting on each side, ("incoming.SETTING", "outgoing.SETTING") (indexed by "is it outgoing"), and
#: its message.
_Rule = tuple[tuple[str, str], str]


class GapRules(NamedTuple):
    """What a target cannot express, decided once from its capability table (see :func:`gap_rules`).

    Laid out for speed: a render of 10,000 accounts asks for every server, and nearly every server declares
    none of these, which one C-level read and tuple comparison (``values(server) == defaults``) answers.
    """

    #: the rule of each "security: X" and "auth: X" feature marked no, by X (a server has one of each: one lookup)
    securities: Mapping[Security, _Rule]
    auths: Mapping[Auth, _Rule]
    #: the other features marked no: their fields read at once, the values that mean "not declared", a rule each
    values: Callable[[Server], tuple[object, ...]] | None
    defaults: tuple[object, ...]
    value_rules: tuple[_Rule, ...]
    #: the target runs token_command for oauth2, so oauth2 without one is a gap (NO_TOKEN_COMMAND)
    needs_token: bool


def _sides(setting: str) -> tuple[str, str]:
    return f"incoming.{setting}", f"outgoing.{setting}"


_NO_TOKEN_RULE: _Rule = (_sides("token_command"), NO_TOKEN_COMMAND)


def gap_rules(
    capabilities: Mapping[str, str], instead: Mapping[str, str] | None = None, own: Collection[str] = ()
) -> GapRules:
    """The rules behind :meth:`Gaps.unsupported`: every feature the target marks ``no`` is a gap wherever a
    server declares it, with the target's message from ``instead`` (keyed by feature), else the capability
    cell's own reason. ``own``: ``no`` features the target reports itself, because its message depends on
    the server, or because it applies to some servers only (a TLS setting on a server without TLS: there is
    no certificate to pin); tests/targets/test_contract.py checks that the gap comes all the same. A key of ``instead``
    or ``own`` that is not a ``no`` feature is a mistake (ValueError)."""
    messages = dict(instead or {})
    unknown = {f for f in own if not capabilities.get(f, "").startswith("no")}
    securities: dict[Security, _Rule] = {}
    auths: dict[Auth, _Rule] = {}
    fields: list[str] = []
    defaults: list[object] = []
    value_rules: list[_Rule] = []
    for feature, (setting, value) in DECLARES.items():
        cell = capabilities[feature]
        if not cell.startswith("no") or feature in own:
            continue
        message = messages.pop(feature, None) or cell.partition(":")[2].strip() or f"the target has no {setting}"
        rule = (_sides(setting), message)
        if isinstance(value, Security):
            securities[value] = rule
        elif isinstance(value, Auth):
            auths[value] = rule
        else:
            fields.append(setting)
            defaults.append(value)
            value_rules.append(rule)
    unknown.update(messages)
    if unknown:
        raise ValueError(f"features that are not marked no: {', '.join(sorted(unknown))}")
    if len(fields) == 1:  # attrgetter of one name returns the value itself, not a 1-tuple: read it twice
        fields.append(fields[0])
        defaults.append(defaults[0])
    return GapRules(
        securities,
        auths,
        attrgetter(*fields) if fields else None,
        tuple(defaults),
        tuple(value_rules),
        not capabilities["token_command"].startswith("no"),
    )


def unused_command(auth: Auth) -> str:
    """The advice of a password or token command that ``auth`` does not run: one text on every target."""
    advice = "use token_command for oauth2" if auth is Auth.OAUTH2 else "remove it or change auth"
    return f"auth {auth.value} does not use it, so it is left out; {advice}"


class Gaps:
    """The gaps of one render, in the order found: the one way every target reports what it cannot express.

    :meth:`unsupported` adds the gaps a target's capability table implies (its ``no`` features, and
    oauth2 without a token command); :meth:`add` and :meth:`server` add the target's own (a ``partial``
    feature's failing case, a value that does not fit). A target returns ``Rendered(files, gaps.found)``.
    """

    __slots__ = ("found",)

    def __init__(self) -> None:
        self.found: list[Gap] = []

    def add(self, account: Account, setting: str, instead: str) -> None:
        self.found.append(Gap(account.name, setting, instead))

    def server(self, account: Account, server: Server, setting: str, instead: str, detail: str = "") -> None:
        """A gap in one server's setting: ``incoming.SETTING`` or ``outgoing.SETTING`` (``detail``: see Gap)."""
        self.found.append(Gap(account.name, f"{server.side}.{setting}", instead, detail))

    def unused_commands(self, account: Account, server: Server, used: str | None) -> None:
        """The gap of a password or token command the server's auth does not run (``used``: the field it runs)."""
        for field, command in (("password_command", server.password_command), ("token_command", server.token_command)):
            if command is not None and field != used:
                self.server(account, server, field, unused_command(server.auth))

    def unsupported(self, account: Account, server: Server, rules: GapRules) -> None:
        """The gaps of the features this server declares and the target marks ``no``, in FEATURES order.

        Called for every server a target writes, before it maps the server's values: a ``starttls-optional``
        server (which no target writes, see :data:`NEVER_RENDERED_SECURITY`) stops the render here.
        """
        if server.security is Security.STARTTLS_OPTIONAL:
            raise unsafe_in(account.name, f"{server.side}.security", UnsafeValue(NEVER_RENDERED_SECURITY))
        outgoing = server.protocol is MailProtocol.SMTP
        found = self.found
        name = account.name
        rule = rules.securities.get(server.security)
        if rule is not None:
            found.append(built(Gap, (name, rule[0][outgoing], rule[1], "")))
        rule = rules.auths.get(server.auth)
        if rule is not None:
            found.append(built(Gap, (name, rule[0][outgoing], rule[1], "")))
        if rules.values is not None:
            values = rules.values(server)
            if values != rules.defaults:
                for v, d, (settings, instead) in zip(values, rules.defaults, rules.value_rules, strict=False):
                    if v != d:
                        found.append(built(Gap, (name, settings[outgoing], instead, "")))
        if rules.needs_token and server.auth is Auth.OAUTH2 and server.token_command is None:
            settings, instead = _NO_TOKEN_RULE
            found.append(built(Gap, (name, settings[outgoing], instead, "")))


def unsafe_in(account: str, setting: str, exc: UnsafeValue) -> UnsafeValue:
    """The error for a value that cannot be written: it names the account and setting, never the value."""
    return UnsafeValue(f"account {account}: {setting}: {exc}")


def text_settings(account: Account) -> list[tuple[str, str | None]]:
    """Every text an account holds, by setting name (what a template may refuse)."""
    values: list[tuple[str, str | None]] = [
        ("address", account.address),
        ("display_name", account.display_name),
        ("organization", account.organization),
    ]
    for server in account.servers:
        side = server.side
        tls = server.tls
        values += [
            (f"{side}.host", server.host),
            (f"{side}.username", server.username),
            (f"{side}.password_command", server.password_command),
            (f"{side}.token_command", server.token_command),
            (f"{side}.tls.ca_file", tls.ca_file),
            (f"{side}.tls.client_cert", tls.client_cert),
            (f"{side}.tls.client_key", tls.client_key),
        ]
    return values


#: What Python's imaplib (getmail) and imaplib2 (offlineimap3) send as the user name of an IMAP LOGIN: the name
#: itself, unquoted. RFC 9051's grammar (section 9) keeps % * and \\ out of an unquoted name too, but servers read
#: them as written: Dovecot 2.3's parser takes them into an atom (the tests log in to it as user%domain), and Cyrus
#: ends an atom only at a blank, ( ) or ". What no unquoted name carries: a blank (the name ends there), ( ) { "
#: (Dovecot answers BAD, "Invalid characters in atom"), and non-ASCII, which both libraries cannot encode: they
#: stop before they log in (UnicodeEncodeError).
_LOGIN_NAME_CHARS = frozenset(map(chr, range(0x21, 0x7F))) - set('(){"')
#: The gap both give for any other name ({client}: the client's name).
LOGIN_NAME_GAP = (
    "{client} sends the user name of an IMAP LOGIN unquoted, and this one holds a blank, a non-ASCII character or "
    'one of ( ) {{ ": Dovecot refuses such a LOGIN (BAD), a laxer server reads another name, and a non-ASCII name '
    "stops {client} before it logs in"
)


def sent_unquoted(username: str) -> bool:
    """Whether a client that sends the user name of an IMAP LOGIN unquoted gets it to the server as written."""
    return set(username) <= _LOGIN_NAME_CHARS


def locate_unsafe(
    accounts: Iterable[Account], check: Callable[[str], object], refused: UnsafeValue, written: tuple[str, ...] = ()
) -> UnsafeValue:
    """A template refused a value (its escaping filter raised ``refused``): the same error, naming the first
    account and setting whose value ``check`` (that filter) refuses, never the value. ``written``: the
    settings (prefixes: "outgoing.") the target writes, when not all. Looked up only after a refusal, so a
    render that succeeds pays nothing for it."""
    for account in accounts:
        for setting, value in text_settings(account):
            if written and not setting.startswith(written):
                continue
            if value is not None and not value.isprintable():
                try:
                    check(value)
                except UnsafeValue as exc:
                    return unsafe_in(account.name, setting, exc)
    return refused


class _Registry(MutableMapping[str, "Target"]):
    """:data:`TARGETS`: every target by NAME, its module imported the first time it is looked up.

    A render imports only the targets it renders (with fourteen modules, importing all of them was a fifth of
    a 1,000-account ``render -t mutt``; benchmarks/README.md). The names are listed explicitly in
    :data:`_MODULES`; tests/targets/test_contract.py checks that every module of this package is listed, under
    its own NAME. Mutable like the dict it replaces, so that a test can register a target of its own.
    """

    __slots__ = ("_entries",)

    def __init__(self, modules: Mapping[str, str]) -> None:
        #: NAME -> the target, or the name of its module while it is not imported yet
        self._entries: dict[str, Target | str] = dict(modules)

    def __getitem__(self, name: str) -> Target:
        entry = self._entries[name]  # KeyError: not a target
        if isinstance(entry, str):
            entry = self._entries[name] = cast("Target", importlib.import_module(f"{__name__}.{entry}"))
        return entry

    def __setitem__(self, name: str, target: Target) -> None:
        self._entries[name] = target

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries


#: Every target: NAME -> its module in this package (the order: clients, then what a provider publishes).
_MODULES: dict[str, str] = {
    "thunderbird": "thunderbird",
    "outlook": "outlook",
    "outlook-prf": "outlook_prf",
    "mutt": "mutt",
    "neomutt": "neomutt",
    "fetchmail": "fetchmail",
    "msmtp": "msmtp",
    "mbsync": "mbsync",
    "offlineimap": "offlineimap",
    "aerc": "aerc",
    "getmail": "getmail",
    "autoconfig": "autoconfig",
    "autodiscover": "autodiscover",
    "mobileconfig": "mobileconfig",
}

TARGETS: MutableMapping[str, Target] = _Registry(_MODULES)
