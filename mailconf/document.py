"""Load + validate + build the typed model: one function every command starts from."""

from __future__ import annotations

import errno
import gc
import os
import re
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from . import loader, schema
from .errors import InputError
from .loader import LoadProblem, Positions
from .model import (
    Account,
    Auth,
    Location,
    Model,
    Protocol,
    Security,
    Server,
    Severity,
    Subject,
    Tls,
    YamlPath,
    default_port,
)
from .rules import mc002_schema_violation as SCHEMA

#: YAML's line breaks, as the loader counts lines (a lone CR too)
_LINE_BREAK = re.compile("\r\n|\r|\n")

#: Problems found before the rules run: (rule id, located path or line/col, message).
#: Severity comes from policy, like every other finding.


@dataclass(frozen=True)
class Issue:
    """A problem of the document itself (syntax, schema), already located."""

    rule: str
    line: int
    column: int
    message: str
    #: the YAML path it is about (schema problems), for baseline keys and fingerprints; None for the text's own
    path: YamlPath | None = None
    #: the rule's default when None (MC713 is a warning for some characters, see LoadProblem)
    severity: Severity | None = None


@dataclass
class Document:
    path: str  # as the user named it: findings print this
    text: str
    data: Any
    positions: Positions
    issues: list[Issue] = field(default_factory=list)
    model: Model = field(default_factory=lambda: Model(()))
    #: accounts that failed the schema (not in the model)
    invalid_accounts: frozenset[str] = frozenset()
    #: what the rules check: ``model`` plus the parts of invalid accounts that can still be
    #: modelled (see :func:`partial_model`). Render and probe use ``model`` only.
    lint_model: Model = field(default_factory=lambda: Model(()))
    #: the accounts and servers the rules could not check, and why (not findings: notes)
    not_checked: list[NotChecked] = field(default_factory=list)

    @property
    def checked_everything(self) -> bool:
        """Whether the rules saw every account and server: the file was read to its end (a syntax error or a
        number too long to read stops the loader: no data), is a mapping with its accounts, and nothing was left
        out (``not_checked``). Only then can a suppression be said to match no finding (MC708): where the rules
        did not look, the finding it suppresses may be there once the file is mended, and ``--fix`` would have
        removed the user's comment."""
        return isinstance(self.data, dict) and isinstance(self.data.get("accounts"), dict) and not self.not_checked

    def locate(self, path: YamlPath, *, on_key: bool = False) -> Location:
        line, column = self.positions.locate(self.data, path, on_key=on_key)
        return Location(self.path, line, column)

    @property
    def lines(self) -> list[str]:
        """The lines as YAML counts them, as the findings number them: ended by LF, CRLF or a lone CR (not by NEL,
        LS or PS, which YAML 1.2 keeps in comments and scalars: str.splitlines would end a line there too). Split
        at LF only, a file with CR line ends was one line, and the baseline matched a finding about its text by the
        whole file (or by nothing, past line 1)."""
        return _LINE_BREAK.split(self.text)

    def subject(self, path: YamlPath) -> Subject:
        """What a finding at ``path`` is about, independent of where it is written.

        The path, and the value there when it is a scalar and not a secret (a changed
        value is a different finding; a secret must never be hashed: it could be
        brute-forced). A container gives no value, so an edit elsewhere in an account
        keeps the account's findings the same.
        """
        value = schema.value_at(self.data, path)
        if isinstance(value, (dict, list)) or (path and path[-1] in schema.SECRET_KEYS):
            value = None
        return Subject(path, value)


#: No account file comes near this (10,000 accounts take about 3 MB); /dev/zero or a
#: multi-gigabyte file named by mistake must not exhaust memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


def _missing(path: str) -> InputError:
    if path == "-":  # `mailconf render - < accounts.yaml`: "check the path" of a path nobody meant
        return InputError("-: no such file; only lint reads standard input as -, name the account file")
    return InputError(f"{path}: no such file; check the path")


class NotRegular(Exception):
    """:func:`read_regular`: the file opened is not a regular file (a folder, a FIFO, a device); ``mode`` says which."""

    def __init__(self, mode: int) -> None:
        super().__init__(mode)
        self.mode = mode


class TooLarge(Exception):
    """:func:`read_regular`: the file holds more than the bytes allowed."""


class ReadFailed(Exception):
    """:func:`read_regular`: the file was opened, and reading it failed (``error``: an I/O error)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error)
        self.error = error


def read_regular(path: str | os.PathLike[str], limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes: the one way every file mailconf reads is read (an
    account file, a settings file, a baseline, a file to import). Each caller says what went wrong in its own words.

    Opened without blocking (a FIFO would wait for a writer forever, and the files after it would never be read)
    and checked with fstat on the open descriptor, so what is read is what was checked; at most ``limit`` + 1
    bytes are read, even from a file that grows. Opening it raises OSError as it comes (FileNotFoundError,
    PermissionError; ENXIO for a socket); then NotRegular, TooLarge or ReadFailed."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    try:
        try:
            info = os.fstat(fd)
        except OSError as exc:
            raise ReadFailed(exc) from None
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(info.st_mode)
        if info.st_size > limit:
            raise TooLarge
        try:
            data = _read_at_most(fd, limit + 1)
        except OSError as exc:
            raise ReadFailed(exc) from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise TooLarge
    return data


def read_bytes(path: str) -> bytes:
    """The account file's bytes (:func:`read_regular`), or an InputError (exit 2) with one line: what and how to
    fix."""
    if not path:  # `mailconf lint "$FILE"` with FILE unset
        raise InputError("'': an empty path names no file (an unset variable?); name a YAML file")
    try:
        return read_regular(path)
    except FileNotFoundError:
        raise _missing(path) from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; name a YAML file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied; make the file readable") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket cannot be opened at all
            raise InputError(f"{path}: not a regular file; it is a socket, name a YAML file") from None
        raise InputError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    except NotRegular as exc:
        if stat.S_ISDIR(exc.mode):
            raise InputError(f"{path}: is a directory; name a YAML file") from None
        raise InputError(f"{path}: not a regular file; it is {_kind(exc.mode)}, name a YAML file") from None
    except TooLarge:
        raise InputError(_too_large(path)) from None
    except ReadFailed as exc:
        raise InputError(f"{path}: cannot be read ({exc.error.strerror or type(exc.error).__name__})") from None


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _too_large(path: str) -> str:
    return f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB, too large for an account file; check the path"


def _kind(mode: int) -> str:
    kinds = {stat.S_ISFIFO: "a named pipe", stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device"}
    return next((name for test, name in kinds.items() if test(mode)), "of an unknown kind")


def load_document(path: str, raw: bytes | None = None) -> Document:
    """Parse, validate and build. Never raises for bad content: it becomes issues."""
    if raw is None:
        raw = read_bytes(path)
    with gc_paused():
        return _load_document(path, raw)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file becomes data and a model.

    Those stages make hundreds of thousands of containers and no reference
    cycles; the collector would walk them all again and again for nothing
    (20-30% of the time on a 10,000-account file).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_document(path: str, raw: bytes) -> Document:
    loaded = loader.load(raw)
    text = raw.decode("utf-8", "replace")
    doc = Document(path, text, loaded.data, loaded.positions)
    doc.issues.extend(Issue(p.rule, p.line, p.column, p.message, severity=p.severity) for p in loaded.problems)
    if loaded.data is None:
        return doc
    if not isinstance(loaded.data, dict):
        doc.issues.append(
            Issue(SCHEMA.ID, *loaded.positions.root, "the file must be a mapping with `version: 1` and `accounts:`")
        )
        return doc
    found, invalid = schema.validate(loaded.data)
    problems = [_refine(problem) for problem in found]
    for problem in problems:
        where = doc.locate(problem.path, on_key=problem.on_key)
        doc.issues.append(Issue(problem.rule or SCHEMA.ID, where.line, where.column, problem.message, problem.path))
    doc.invalid_accounts = invalid
    if any(not p.path or p.path[0] != "accounts" or len(p.path) < 2 for p in problems):
        # the document shell (version, defaults...) is wrong: render and probe trust no account
        doc.lint_model, skipped = partial_model(loaded.data, problems, None)
    else:
        doc.model = doc.lint_model = build_model(loaded.data, invalid)
        if not invalid:
            return doc
        partial, skipped = partial_model(loaded.data, problems, invalid)
        # in file order, as the rules read accounts (MC710 names the first of two names as the one to compare with)
        order = {name: n for n, name in enumerate(loaded.data["accounts"])}
        doc.lint_model = Model(tuple(sorted(doc.model.accounts + partial.accounts, key=lambda a: order[a.name])))
    doc.not_checked = [NotChecked(doc.locate(where, on_key=True), message) for where, message in skipped]
    return doc


def _refine(problem: schema.SchemaProblem) -> schema.SchemaProblem:
    """Let a rule explain a schema error it knows better (MC403 credentials in host, MC703 ...)."""
    from .rules import SCHEMA_REFINERS

    for refine in SCHEMA_REFINERS:
        better = refine(problem)
        if better is not None:
            return better
    return problem


# --- what can be checked of an invalid file --------------------------------


class NotChecked(NamedTuple):
    """A part of the file the rules did not check: a note beside the findings, not a finding."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: not checked: {self.message}"


def partial_model(
    data: Mapping[str, Any], problems: list[schema.SchemaProblem], invalid: frozenset[str] | None
) -> tuple[Model, list[tuple[YamlPath, str]]]:
    """The valid servers of invalid accounts, and what was not checked (path, why).

    A server is modelled when it matches the schema once keys the schema does not
    know are set aside (a typo such as ``securty:`` is MC002 and nothing more: the
    rest of the server means what it says). A value that is wrong is never guessed
    at: its server is not checked. An account is modelled with its valid servers
    (none, when none is valid) when its address is text. ``defaults:`` that break the schema would change every
    server, so then no account is checked; a wrong ``version`` or an unknown top-level
    key changes no server, so everything else still is.

    ``invalid``: the accounts to model (the others are in the full model already), or
    None for every account.
    """
    accounts = data.get("accounts")
    if not isinstance(accounts, dict) or not accounts:
        return Model(()), []
    if any(p.path[:1] == ("defaults",) for p in problems):
        fix = _rules_at(problems, ("defaults",))
        return Model(()), [(("defaults",), "every account: `defaults:` does not match the schema and would change "
                            f"every server; fix its {fix} findings and lint again")]  # fmt: skip
    layered = _DefaultLayers(data.get("defaults") or {})
    built: list[Account] = []
    skipped: list[tuple[YamlPath, str]] = []
    for name, raw in accounts.items():
        if invalid is not None and name not in invalid:
            continue  # already in the full model
        path: YamlPath = ("accounts", name)
        if not isinstance(raw, dict) or not isinstance(raw.get("address"), str):
            why = f"account `{name}`: it has no `address` as text; fix the {_rules_at(problems, path)} findings"
            why += " and lint again"
            skipped.append((path, why))
            continue
        address = raw["address"]
        servers: dict[str, Server | None] = {"incoming": None, "outgoing": None}
        for side in servers:
            own = raw.get(side)
            if own is None:
                continue
            cleaned = _known_keys(own, side)
            if cleaned is None or not _side_validator(side).is_valid(cleaned):
                fix = _rules_at(problems, (*path, side))
                skipped.append(((*path, side), f"`{side}` of account `{name}`: it does not match the schema; "
                                               f"fix its {fix} findings and lint again"))  # fmt: skip
                continue
            try:
                servers[side] = _server(cleaned, side, layered, path, address)
            except (KeyError, TypeError, ValueError):  # defaults that do not fit this server
                fix = _rules_at(problems, path)
                skipped.append(((*path, side), f"`{side}` of account `{name}`: it cannot be modelled; "
                                               f"fix the {fix} findings and lint again"))  # fmt: skip
        # an account none of whose servers can be checked is still checked as an account: its name (MC710, MC711)
        # and display_name (MC712) are right or wrong whatever its servers say, and every finding on the first run
        display, organization = raw.get("display_name"), raw.get("organization")
        built.append(
            Account(
                name=name,
                address=address,
                display_name=display if isinstance(display, str) else None,
                organization=organization if isinstance(organization, str) else None,
                incoming=servers["incoming"],
                outgoing=servers["outgoing"],
                path=path,
            )
        )
    return Model(tuple(built)), skipped


def _rules_at(problems: list[schema.SchemaProblem], prefix: YamlPath) -> str:
    """The rules that reported the schema problems under ``prefix`` (MC703 for a bad host, not only MC002), as a
    note names them."""
    rules = sorted({p.rule or SCHEMA.ID for p in problems if p.path[: len(prefix)] == prefix} or {SCHEMA.ID})
    return " and ".join(rules)


def _known_keys(server: Any, side: str) -> dict[str, Any] | None:
    """The server without the keys its schema does not define (in it and in its `tls:`)."""
    if not isinstance(server, dict):
        return None
    props = schema.schema()["$defs"][side]["properties"]
    cleaned = {k: v for k, v in server.items() if k in props}
    if cleaned.get("protocol") != "pop3":
        cleaned.pop("leave_on_server", None)
        cleaned.pop("leave_days", None)
    tls = cleaned.get("tls")
    if isinstance(tls, dict):
        tls_props = schema.schema()["$defs"]["tls"]["properties"]
        cleaned["tls"] = {k: v for k, v in tls.items() if k in tls_props}
    return cleaned


_VALIDATORS: dict[str, Any] = {}


def _side_validator(side: str) -> Any:
    found = _VALIDATORS.get(side)
    if found is None:
        found = _VALIDATORS[side] = schema.explaining_validator_class()(
            {"$ref": f"#/$defs/{side}", "$defs": schema.schema()["$defs"]}
        )
    return found


# --- the model -------------------------------------------------------------

_SERVER_FIELDS = (
    "protocol", "host", "port", "security", "auth", "username", "password_command", "token_command",
    "password", "mechanisms", "tls", "timeout", "leave_on_server", "leave_days",
)  # fmt: skip
_COMMON_DEFAULTS = ("security", "auth", "mechanisms", "tls", "timeout")
_E = TypeVar("_E", Protocol, Security, Auth)


def build_model(data: Mapping[str, Any], invalid: frozenset[str] = frozenset()) -> Model:
    """Schema-valid data -> typed accounts, defaults applied, origins recorded."""
    defaults = data.get("defaults") or {}
    layered = _DefaultLayers(defaults)
    accounts = []
    for name, raw in data["accounts"].items():
        if name in invalid:
            continue
        path: YamlPath = ("accounts", name)
        address = raw["address"]
        incoming = raw.get("incoming")
        outgoing = raw.get("outgoing")
        accounts.append(
            Account(
                name=name,
                address=address,
                display_name=raw.get("display_name"),
                organization=raw.get("organization"),
                incoming=None if incoming is None else _server(incoming, "incoming", layered, path, address),
                outgoing=None if outgoing is None else _server(outgoing, "outgoing", layered, path, address),
                path=path,
            )
        )
    return Model(tuple(accounts))


_PROTOCOLS = {p.value: p for p in Protocol}
_SECURITIES = {s.value: s for s in Security}
_AUTHS = {a.value: a for a in Auth}


class _DefaultLayers:
    """What `defaults:` gives a server of one side and protocol, computed once per file.

    Layers, later ones winning: the top-level defaults common to both sides, the
    side's defaults, then the server's own keys (applied by :func:`_server`).
    """

    def __init__(self, defaults: Mapping[str, Any]) -> None:
        self.defaults = defaults
        self.cache: dict[tuple[str, bool], _Layer] = {}
        self.tls_cache: dict[tuple[tuple[str, Any], ...], Tls] = {}

    def layer(self, side: str, pop3: bool) -> _Layer:
        found = self.cache.get((side, pop3))
        if found is None:
            defaults = self.defaults
            found = _Layer({}, {}, {}, {})
            common = {k: defaults[k] for k in _COMMON_DEFAULTS if k in defaults}
            _apply(found, common, ("defaults",), _COMMON_DEFAULTS, pop3)
            _apply(found, defaults.get(side) or {}, ("defaults", side), _SERVER_FIELDS, pop3)
            self.cache[(side, pop3)] = found
        return found

    def tls(self, values: dict[str, Any]) -> Tls:
        """Equal settings give one shared (immutable) Tls value."""
        key = tuple(values.items())
        try:
            found = self.tls_cache.get(key)
        except TypeError:  # an unhashable value: not schema-valid, but never crash here
            return Tls(**values)
        if found is None:
            found = self.tls_cache[key] = Tls(**values)
        return found


class _Layer(NamedTuple):
    values: dict[str, Any]
    origin: dict[str, YamlPath]
    tls_values: dict[str, Any]
    tls_origin: dict[str, YamlPath]


def _apply(into: _Layer, layer: Mapping[str, Any], layer_path: YamlPath, allowed: tuple[str, ...], pop3: bool) -> None:
    values, origin, tls_values, tls_origin = into
    for key in allowed:
        if key not in layer:
            continue
        if key in _POP3_ONLY and not pop3:
            continue  # POP3-only defaults skip IMAP servers (the schema rejects them on a server)
        if key == "tls":
            for tls_key, tls_value in layer["tls"].items():
                tls_values[tls_key] = tls_value
                tls_origin[tls_key] = (*layer_path, "tls", tls_key)
            origin["tls"] = (*layer_path, "tls")
            continue
        values[key] = layer[key]
        origin[key] = (*layer_path, key)


_POP3_ONLY = frozenset(("leave_on_server", "leave_days"))


def _server(own: Mapping[str, Any], side: str, layered: _DefaultLayers, account_path: YamlPath, address: str) -> Server:
    path = (*account_path, side)
    name = own.get("protocol", "smtp")
    protocol = _PROTOCOLS.get(name) if isinstance(name, str) else None
    if protocol is None:
        protocol = Protocol(name)  # raises the same ValueError as before
    pop3 = protocol is Protocol.POP3
    base = layered.layer(side, pop3)
    layer = _Layer(base.values.copy(), base.origin.copy(), base.tls_values.copy(), base.tls_origin.copy())
    _apply(layer, own, path, _SERVER_FIELDS, pop3)
    values, origin, tls_values, tls_origin = layer
    for tls_key, where in tls_origin.items():
        origin[f"tls.{tls_key}"] = where
    get = values.get
    security = _enum(_SECURITIES, Security, get("security", "tls"))
    port = _whole(values["port"]) if "port" in values else default_port(protocol, security)
    return Server(
        protocol=protocol,
        host=values["host"],
        port=port,
        security=security,
        auth=_enum(_AUTHS, Auth, get("auth", "password")),
        username=get("username", address),
        password_command=get("password_command"),
        token_command=get("token_command"),
        has_literal_password="password" in values,
        mechanisms=tuple(get("mechanisms", ())),
        tls=layered.tls(tls_values),
        timeout=_whole(get("timeout")),
        leave_on_server=_leaves(get("leave_on_server"), get("leave_days")),
        leave_days=_whole(get("leave_days")),
        path=path,
        origin=origin,
    )


def _leaves(leave_on_server: Any, leave_days: Any) -> Any:
    """``leave_on_server`` as the file means it: ``leave_days`` alone (days to keep the copies left on the server)
    says to leave them, so it is ``true`` there. Each client read it its own way: Outlook and getmail kept the mail,
    Thunderbird and fetchmail deleted it at download (docs/account-file.md, "leave_days")."""
    return True if leave_on_server is None and leave_days is not None else leave_on_server


def _whole(value: Any) -> Any:
    """JSON Schema's `integer` admits 993.0: the model holds the int, so no client ever reads "993.0"."""
    return int(value) if isinstance(value, float) else value


def _enum(members: Mapping[str, _E], cls: type[_E], value: Any) -> _E:
    found = members.get(value) if isinstance(value, str) else None
    return cls(value) if found is None else found


__all__ = ["Document", "Issue", "LoadProblem", "NotChecked", "build_model", "load_document", "read_bytes"]
