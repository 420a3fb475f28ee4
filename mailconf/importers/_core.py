"""import and drift: client files -> a valid account file, or -> what differs from one. Prints nothing.

:func:`import_paths` runs an importer, validates its accounts against the schema
in-process (an account that cannot be valid is left out, with the reason) and
writes the account file text with ``mailconf.emit``.

:func:`compare` reads the client's files and the declared account file and
lists, per account and setting, where they differ. The YAML side is what the
client's format can say about it: the declared accounts are rendered with the
target of the same name and read back by the importer, so a setting the format
cannot express (an msmtprc has no incoming server) is never reported as drift.
For a format that is not a render target, only the settings the
file states are compared.

A declared account that the target writes nothing for is never dropped silently (see :class:`Unheld`): where
the target says why (a gap: mobileconfig needs both servers), the account is a warning, ``not compared``,
or, when the files hold an account of its name or address, one line of drift that quotes the gap; where the
format holds none of its servers by nature (msmtp and an incoming-only account), the format holds nothing of
it to compare, as render says nothing of it, and an account of the files with its name or address is
compared server by server (``outgoing: file says ..., YAML declares nothing``).
"""

from __future__ import annotations

import tempfile
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import emit, schema
from ..errors import UsageError, listed, printable, shown
from ..loader import MAX_NUMBER_DIGITS
from ..model import Account, Location, Model, Server
from ..model import Protocol as MailProtocol
from . import IMPORTERS, Imported, Importer, Note, ReadOptions, Unreadable
from ._base import STDIN

if TYPE_CHECKING:
    from ..targets import Gap


class ImportResult(NamedTuple):
    #: the account file (YAML), valid against the schema
    text: str
    #: account name -> account-file data, the accounts written
    accounts: Mapping[str, Mapping[str, Any]]
    #: warnings in file order: what was not imported and why (never a secret)
    warnings: tuple[str, ...]


_DEFAULT_OPTIONS = ReadOptions()


def importer(name: str) -> Importer:
    found = IMPORTERS.get(name)
    if found is None:
        raise UsageError(f"unknown format {shown(name)}; choose one of: {', '.join(sorted(IMPORTERS))}")
    return found


class NoAccount(Unreadable):
    """The files hold no account of the format (exit 2). ``warnings``: what the importer read and left out, and why
    (msmtp's ``account a`` that names no host, a profile's Wi-Fi payload), which the command prints before this line:
    "no msmtp account found" alone hid them."""

    def __init__(self, location: Location, what: str, fix: str, warnings: tuple[str, ...]) -> None:
        super().__init__(location, what, fix)
        self.warnings = warnings


def read(name: str, paths: Sequence[str], options: ReadOptions) -> Imported:
    """The importer's result; NoAccount when the files hold no account of that format."""
    imported = importer(name).read(paths, options)
    if not imported.accounts:
        raise NoAccount(
            Location(paths[0], 1, 1),
            f"no {name} account found" + (" (the warnings above say what was left out)" if imported.warnings else ""),
            f"check that the file is {importer(name).TITLE.split(':')[0]} configuration, or choose another --from",
            tuple(str(note) for note in imported.warnings),
        )
    return imported


def import_paths(name: str, paths: Sequence[str], options: ReadOptions = _DEFAULT_OPTIONS) -> ImportResult:
    """The account file for ``paths``; no text and no accounts when every account is invalid (see warnings)."""
    imported = read(name, paths, options)
    accounts, skipped = valid_accounts(imported)
    warnings = [str(note) for note in imported.warnings] + [str(left) for left in skipped]
    if not accounts:
        return ImportResult("", {}, tuple(warnings))
    comments = {path: text for path, text in imported.comments.items() if len(path) < 2 or path[1] in accounts}
    files = ", ".join("standard input" if path == STDIN else path for path in paths)
    header = f"imported by `mailconf import --from {name}` from {files}"
    if imported.warnings:
        header += "\nthe comments below say what the files hold that this file does not"
    comments[()] = header
    return ImportResult(emit.account_file(accounts, comments), accounts, tuple(warnings))


class LeftOut(NamedTuple):
    """An account of the files that the schema refuses: not imported; ``--compare`` names it, with why, as drift."""

    name: str
    where: str  # "FILE:LINE:COL: " where the account starts, or "" where the importer does not say
    reason: str  # its first problem: "outgoing.port: `port` must be a whole number (got \"abc\")"
    address: object  # what the files give as its address (None, or not even text): --compare pairs by it

    def __str__(self) -> str:
        return f"{self.where}account {self.name}: not imported, it cannot be valid: {self.reason}"


def valid_accounts(imported: Imported) -> tuple[dict[str, Mapping[str, Any]], list[LeftOut]]:
    """The accounts the schema accepts, and each account left out with its first problem."""
    import copy

    reasons: dict[str, str] = {}
    for name, data in imported.accounts.items():
        setting = _huge_number(data)
        if setting is not None:  # the schema's message would quote it: str() of such an int can raise
            reasons[name] = (
                f"{setting}: a number of more than {MAX_NUMBER_DIGITS} digits, far too large for any setting"
            )
    checked = {name: data for name, data in imported.accounts.items() if name not in reasons}
    # a deep copy: the generated validator fills in schema defaults, and the output holds only what the file says
    problems, refused = schema.validate({"version": 1, "accounts": copy.deepcopy(checked)}, first=True)
    invalid = {*refused, *reasons}
    if not invalid:
        return checked, []
    for problem in problems:
        if len(problem.path) >= 2 and problem.path[0] == "accounts":
            account = str(problem.path[1])
            setting = ".".join(str(p) for p in problem.path[2:]) or "account"
            reasons.setdefault(account, f"{setting}: {problem.message}")
    skipped = [
        LeftOut(name, _at(imported, name), reasons.get(name, "the schema refuses it"), _address(data))
        for name, data in imported.accounts.items()
        if name in invalid
    ]
    return {n: a for n, a in imported.accounts.items() if n not in invalid}, skipped


#: a number no setting takes, as the loader refuses it in an account file (str() of an int over 4,300 digits raises)
_HUGE = 10**MAX_NUMBER_DIGITS


def _huge_number(value: Any, at: str = "") -> str | None:
    """The first setting (``incoming.port``) holding a whole number of more than MAX_NUMBER_DIGITS digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (at or "account") if abs(value) >= _HUGE else None
    children = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        if type(child) is str or (type(child) is int and -_HUGE < child < _HUGE):
            continue  # nearly every value: no call, no path made (an import of 10,000 accounts asks 120,000 times)
        found = _huge_number(child, f"{at}.{key}" if at else str(key))
        if found is not None:
            return found
    return None


def _address(data: object) -> object:
    return data.get("address") if isinstance(data, Mapping) else None


def _at(imported: Imported, name: str) -> str:
    where = imported.where.get(name)
    return f"{where}: " if where is not None else ""


# --- drift ------------------------------------------------------------------


class Difference(NamedTuple):
    account: str  # "" for the client's default account (setting DEFAULT_ACCOUNT)
    setting: str  # "incoming.port"; "" for an account on one side only
    file: Any  # what the client's file says (None: nothing)
    yaml: Any  # what the account file declares (None: nothing)
    #: the account of the files paired with this one cannot be valid: where and why ("FILE:LINE:COL: setting: ...")
    invalid: str | None = None
    #: the format cannot hold the declared account paired with one of the files: the target's gap that says why
    #: ("mobileconfig cannot hold the YAML's: outgoing cannot be expressed; ..."); ``file``: its name in the files
    cannot_hold: str | None = None
    #: a setting's line: the name of the account of the files paired with this one where it is another (paired by
    #: address, or the one left on each side), else None
    file_account: str | None = None

    def __str__(self) -> str:
        """One line of import --check: the account, the setting and both values quoted (errors.printable), as the
        files and the YAML hold them; ``invalid`` and ``cannot_hold`` are messages, which quote what they name."""
        if not self.account:
            said = f"{self.setting}: file says {_say(self.file)}, YAML declares {_say(self.yaml)}"
            return f"{said} (the first account render writes)"
        account = printable(self.account)
        named = "" if self.file == self.account else f" (as {printable(str(self.file))})"
        if self.cannot_hold is not None:
            return f"account {account}: in the file{named}, but {self.cannot_hold}"
        if self.invalid is not None and self.yaml is None:
            return f"account {account}: in the file, not in the YAML, and invalid there: {self.invalid}"
        if self.invalid is not None:
            return f"account {account}: in the file{named} but invalid there: {self.invalid}"
        if not self.setting:
            side = "in the file, not in the YAML" if self.yaml is None else "in the YAML, not in the file"
            return f"account {account}: {side}"
        if self.file_account is not None:
            account += f" (as {printable(self.file_account)} in the file)"
        return f"account {account}: {self.setting}: file says {_say(self.file)}, YAML declares {_say(self.yaml)}"


#: the setting of the Difference that says which account the client uses where none is named
DEFAULT_ACCOUNT = "default account"


def _say(value: Any) -> str:
    """A value as the line shows it; ``nothing`` where a side has none: no value, or no ``mechanisms`` (the auth's
    own), which ``[]`` made look like a list the file or the YAML writes empty."""
    if value is None or value == []:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(printable(str(v)) for v in value) + "]"
    return printable(str(value))


class Unrenderable(UsageError):
    """The account file cannot be rendered in the client's format, so drift cannot be computed (exit 2)."""


class Comparison(NamedTuple):
    differences: tuple[Difference, ...]
    #: the importer's warnings about the client's files, then the declared accounts not compared (Unheld), those
    #: that share a reason on one line
    warnings: tuple[str, ...]


class Unheld(NamedTuple):
    """A declared account that the format, as the target renders it, holds nothing of.

    ``reason`` is the target's gap that leaves it out (``outgoing cannot be expressed; Apple's mail payload
    needs ...``), said as a warning, or as drift when the files hold an account
    of its name or address. None: the format holds none of its servers by nature (msmtp holds outgoing servers
    only; fetchmail, getmail, mbsync and offlineimap incoming ones only) and render says nothing of it either:
    there is nothing of it for the format to hold, which is no drift and no warning (one for each
    incoming-only account of an msmtp comparison, on every cron run, would be noise no one can silence).
    """

    account: Account  # named as the format's accounts are named (autoconfig: by its mail domain)
    declared: tuple[str, ...]  # the declared accounts it stands for (autoconfig: those of the domain)
    reason: str | None


class Projection(NamedTuple):
    model: Model
    unheld: tuple[Unheld, ...]
    #: the account the rendered files make the client's default (Imported.default)
    default: str | None = None


#: the formats that hold no account name: the importer names each account after its address (an Autodiscover response,
#: ``alice@example.com.xml``), so a line has no other name in the files to point at (Difference.file_account)
_UNNAMED = frozenset(["autodiscover"])


def compare(name: str, paths: Sequence[str], declared: Model, options: ReadOptions = _DEFAULT_OPTIONS) -> Comparison:
    """What the client's files say against what ``declared`` (a valid account file's model) says."""
    imported = read(name, paths, options)
    accounts, skipped = valid_accounts(imported)
    found = _model(accounts)
    projection = _projection(name, declared, options)
    projected = projection.model if projection is not None else None
    wanted = projected if projected is not None else declared
    unheld = {u.account.name: u for u in projection.unheld} if projection is not None else {}
    invalid = _pair_invalid(skipped, found, wanted)
    pairs = _pair(found, wanted, aside=invalid.keys(), unheld=[u.account for u in unheld.values()])
    differences: list[Difference] = []
    told: set[str] = set()  # the unheld accounts said as drift: no warning beside
    for file_account, yaml_account in pairs:
        gone = unheld.get(yaml_account.name) if yaml_account is not None else None
        if gone is not None and file_account is not None:
            told.add(gone.account.name)
            differences.extend(_unheld_differences(name, gone, file_account))
            continue
        left = invalid.get(yaml_account.name) if yaml_account is not None else None
        if yaml_account is not None and left is not None:
            # said once, with its reason: not "in the YAML, not in the file" beside a warning that it is in the file
            reason = f"{left.where}{left.reason}"
            differences.append(Difference(yaml_account.name, "", left.name, yaml_account.name, reason))
            continue
        if file_account is None or yaml_account is None:
            assert (file_account or yaml_account) is not None
            named = file_account or yaml_account
            assert named is not None
            differences.append(Difference(named.name, "", file_account and named.name, yaml_account and named.name))
            continue
        mine, theirs = settings(file_account), settings(yaml_account)
        other = file_account.name if file_account.name != yaml_account.name and name not in _UNNAMED else None
        if projected is not None:
            keys = list(dict.fromkeys([*theirs, *mine]))
        else:  # no target to project through: only what the file states
            keys = [k for k, v in mine.items() if v is not None]
        for key in keys:
            if key in ("incoming", "outgoing") and mine.get(key) is not None and theirs.get(key) is not None:
                continue  # both have the server: its settings say how they differ
            if key.split(".")[0] in ("incoming", "outgoing") and "." in key and _server_missing(key, mine, theirs):
                continue  # the server itself differs: said once
            if mine.get(key) != theirs.get(key):
                differences.append(
                    Difference(yaml_account.name, key, mine.get(key), theirs.get(key), file_account=other)
                )
    differences.extend(_default_account(imported.default, projection, pairs))
    said = {left.name for left in invalid.values()}
    for left in skipped:
        if left.name not in said:  # an account of the files alone, as a valid one would be: drift, with its reason
            differences.append(Difference(left.name, "", left.name, None, f"{left.where}{left.reason}"))
    not_compared = [u for u in unheld.values() if u.reason is not None and u.account.name not in told]
    warnings = [str(note) for note in imported.warnings] + _not_compared(name, not_compared)
    return Comparison(tuple(differences), tuple(warnings))


def _default_account(
    found: str | None, projection: Projection | None, pairs: Sequence[tuple[Account | None, Account | None]]
) -> list[Difference]:
    """The account the files make the client's default (msmtp's ``account default : NAME``) against the one the
    rendered account file does (its first), named as the YAML names it where paired. Nothing where the files name
    none: the account file cannot say "no default", so that would be drift on every run that no edit of it ends."""
    declared = projection.default if projection is not None else None
    if found is None or declared is None:
        return []
    paired = {mine.name: theirs.name for mine, theirs in pairs if mine is not None and theirs is not None}
    found = paired.get(found, found)
    return [] if found == declared else [Difference("", DEFAULT_ACCOUNT, found, declared)]


def _unheld_differences(fmt: str, gone: Unheld, file_account: Account) -> list[Difference]:
    """An account of the files paired with a declared account the format holds nothing of: drift, said once."""
    name = gone.account.name
    if gone.reason is not None:
        why = f"{fmt} cannot hold the YAML's: {gone.reason}"
        return [Difference(name, "", file_account.name, name, cannot_hold=why)]
    # by nature: the YAML declares none of the servers the format holds, so each server of the files is drift
    return [
        Difference(name, side, server.endpoint, None)
        for side, server in (("incoming", file_account.incoming), ("outgoing", file_account.outgoing))
        if server is not None
    ]


def _not_compared(fmt: str, unheld: Sequence[Unheld]) -> list[str]:
    """One warning per reason: ``account a: not compared: FMT cannot hold it: REASON``, ``accounts a, b, c and 9997
    more (10000): not compared: FMT cannot hold them: ...``."""
    groups: dict[str, list[str]] = {}
    for gone in unheld:
        assert gone.reason is not None
        groups.setdefault(gone.reason, []).extend(gone.declared)
    lines = []
    for reason, names in groups.items():
        if len(names) == 1:
            who, it = f"account {names[0]}", "it"
        else:
            who, it = f"accounts {listed(names)}", "them"
        lines.append(f"{who}: not compared: {fmt} cannot hold {it}: {reason}")
    return lines


def _pair_invalid(skipped: Sequence[LeftOut], found: Model, declared: Model) -> dict[str, LeftOut]:
    """Declared account name -> the account of the files, left out as invalid, that stands for it: by name, then
    by address where no valid account of the files has that account's name or address (as :func:`_pair` would
    pair them first)."""
    by_name = {left.name: left for left in skipped}
    paired = {a.name: by_name.pop(a.name) for a in declared.accounts if a.name in by_name}
    by_address: dict[object, LeftOut] = {}
    for left in by_name.values():
        if isinstance(left.address, str):
            by_address.setdefault(left.address, left)
    names, addresses = {a.name for a in found.accounts}, {a.address for a in found.accounts}
    for account in declared.accounts:
        taken = account.name in paired or account.name in names or account.address in addresses
        if not taken and account.address in by_address:
            paired[account.name] = by_address.pop(account.address)
    return paired


def _server_missing(key: str, mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> bool:
    side = key.split(".", maxsplit=1)[0]
    return mine.get(side) is None or theirs.get(side) is None


def _model(accounts: Mapping[str, Mapping[str, Any]]) -> Model:
    from ..document import build_model

    return build_model({"version": 1, "accounts": dict(accounts)})


def _projection(name: str, declared: Model, options: ReadOptions) -> Projection | None:
    """``declared`` as the format sees it: rendered with the target ``name`` and read back (None: no such target),
    and the declared accounts it holds nothing of."""
    from ..render import render_model
    from ..targets import TARGETS

    target = TARGETS.get(name)
    if target is None:
        return None
    from ..render import RenderError, common_gaps

    _, refusals = common_gaps(declared)
    if refusals:
        raise Unrenderable(f"{refusals[0]}; drift is computed from what render writes")
    try:
        rendered = render_model(target, declared, {})
    except RenderError as exc:  # a value the format cannot carry: it would be exit 1, which says "drift"
        raise Unrenderable(f"{exc}; drift is computed from what render writes") from None
    if not rendered.files:
        return Projection(Model(()), _unheld(name, declared, Model(()), rendered.gaps))
    with tempfile.TemporaryDirectory(prefix="mailconf-compare-") as tmp:
        written = []
        for file in rendered.files:
            path = Path(tmp, file.name)
            path.parent.mkdir(parents=True, exist_ok=True)  # autoconfig/<domain>/, getmail/ ...
            path.write_bytes(file.content)
            written.append(str(path))
        paths = [tmp] if name == "thunderbird" else [p for p in written if not p.endswith(".sh")]
        imported = IMPORTERS[name].read(paths, options)
    accounts, _ = valid_accounts(imported)
    projected = _declared_names(_model(accounts), declared)
    return Projection(projected, _unheld(name, declared, projected, rendered.gaps), imported.default)


def _unheld(name: str, declared: Model, projected: Model, gaps: Sequence[Gap]) -> tuple[Unheld, ...]:
    """The declared accounts of which the projection holds nothing, each with the target's reason (Unheld)."""
    import dataclasses

    from ..targets import TARGETS
    from ..targets._provider import domain_of

    held = {a.name for a in projected.accounts}
    # autoconfig holds one account per mail domain, named after it: a declared account is held by its domain's
    key: Callable[[Account], str] = (lambda a: domain_of(a.address)) if name == "autoconfig" else (lambda a: a.name)
    missing = [account for account in declared.accounts if key(account) not in held]
    if not missing:
        return ()
    capabilities = TARGETS[name].CAPABILITIES
    kinds = {protocol for protocol in MailProtocol if not capabilities[protocol.value].startswith("no")}
    by_account: dict[str, list[Gap]] = {}
    wanted = {account.name for account in missing}
    for gap in gaps:
        if gap.account in wanted:
            by_account.setdefault(gap.account, []).append(gap)
    found: dict[str, tuple[Account, list[str], str | None]] = {}
    for account in missing:
        reason: str | None
        why = _why_left_out(by_account.get(account.name, ()))
        if why is not None:
            reason = why.said(alone=True)
        elif any(server.protocol in kinds for server in account.servers):
            reason = f"what render -t {name} writes for it reads back as no account"
        else:
            reason = None  # by nature: the format holds none of its servers, and render says nothing of it
        named = key(account)
        if named in found:
            found[named][1].append(account.name)
        else:
            found[named] = (dataclasses.replace(account, name=named), [account.name], reason)
    return tuple(Unheld(stub, tuple(names), reason) for stub, names, reason in found.values())


def _why_left_out(gaps: Sequence[Gap]) -> Gap | None:
    """Of the gaps of an account the target leaves out, the one that says why: a whole server (``incoming``),
    then another setting of the account (``address``), then a server's setting (``incoming.protocol``) other
    than a secret, which every target of a password command reports for the accounts it writes too."""

    def rank(gap: Gap) -> int:
        if gap.setting in ("incoming", "outgoing"):
            return 0
        if "." not in gap.setting:
            return 1
        return 3 if gap.setting.endswith(("_command", ".password")) else 2

    return min(gaps, key=rank, default=None)


def _declared_names(projected: Model, declared: Model) -> Model:
    """A format that keeps no account names (an Autodiscover response is named by its address) reads each
    account back under another name: give it the declared account's, found by its address, so that drift
    names the account of the YAML."""
    import dataclasses

    names = {a.name for a in declared.accounts}
    owners: dict[str, list[str]] = {}
    for account in declared.accounts:
        owners.setdefault(account.address, []).append(account.name)
    renamed = []
    for account in projected.accounts:
        owner = owners.get(account.address, [])
        keep = account.name in names or len(owner) != 1
        renamed.append(account if keep else dataclasses.replace(account, name=owner[0]))
    return Model(tuple(renamed))


def _pair(
    found: Model, declared: Model, aside: Collection[str] = (), unheld: Sequence[Account] = ()
) -> list[tuple[Account | None, Account | None]]:
    """Accounts matched by name, then by address, then the one left on each side; the rest alone (and the
    declared accounts named in ``aside``, never matched). The ``unheld`` accounts (declared, that the format
    holds nothing of) are matched by name and address only, and left out when nothing matches them."""
    left = list(found.accounts)
    right = [account for account in declared.accounts if account.name not in aside] + list(unheld)
    pairs: list[tuple[Account | None, Account | None]] = []
    keys: tuple[Callable[[Account], str], ...] = (lambda a: a.name, lambda a: a.address)
    for key in keys:
        # each declared account takes the first account of the files with its key that is not taken yet
        # (an index per key: searching the list for each one was quadratic)
        waiting: dict[str, deque[Account]] = {}
        for account in left:
            waiting.setdefault(key(account), deque()).append(account)
        unmatched = []
        for account in right:
            same = waiting.get(key(account))
            if same:
                pairs.append((same.popleft(), account))
            else:
                unmatched.append(account)
        taken = {id(match) for match, _ in pairs}
        left = [account for account in left if id(account) not in taken]
        right = unmatched
    if unheld:
        stubs = {id(account) for account in unheld}
        right = [account for account in right if id(account) not in stubs]
    if len(left) == 1 and len(right) == 1:
        pairs.append((left.pop(), right.pop()))
    pairs.extend((None, a) for a in right)
    pairs.extend((None, a) for a in declared.accounts if a.name in aside)
    pairs.extend((a, None) for a in left)
    order = {a.name: i for i, a in enumerate([*declared.accounts, *unheld])}
    return sorted(pairs, key=lambda p: order.get(p[1].name, len(order)) if p[1] is not None else len(order))


_FIELDS = (
    "protocol", "host", "port", "security", "auth", "username", "password_command", "token_command",
    "mechanisms", "timeout", "leave_on_server", "leave_days",
)  # fmt: skip
_TLS_FIELDS = ("verify", "verify_hostname", "ca_file", "fingerprint", "min_version", "client_cert", "client_key")


def settings(account: Account) -> dict[str, Any]:
    """An account as setting -> value, every default applied (the form drift compares and the round trip checks)."""
    flat: dict[str, Any] = {
        "address": account.address,
        "display_name": account.display_name,
        "organization": account.organization,
    }
    for side, server in (("incoming", account.incoming), ("outgoing", account.outgoing)):
        flat[side] = None if server is None else server.endpoint
        if server is not None:
            flat.update(server_settings(server, side))
    return flat


def server_settings(server: Server, side: str) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for field in _FIELDS:
        value = getattr(server, field)
        if hasattr(value, "value"):  # an enum
            value = value.value
        flat[f"{side}.{field}"] = list(value) if isinstance(value, tuple) else value
    for field in _TLS_FIELDS:
        flat[f"{side}.tls.{field}"] = getattr(server.tls, field)
    return flat


__all__ = ["DEFAULT_ACCOUNT", "Comparison", "Difference", "ImportResult", "Note", "compare", "import_paths", "settings"]
