"""Load + validate + build the typed model: one function every command starts from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    Tls,
    YamlPath,
    default_port,
)

#: Problems found before the rules run: (rule id, located path or line/col, message).
#: Severity comes from policy, like every other finding.


@dataclass(frozen=True)
class Issue:
    """A problem of the document itself (syntax, schema), already located."""

    rule: str
    line: int
    column: int
    message: str


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

    def locate(self, path: YamlPath, *, on_key: bool = False) -> Location:
        line, column = self.positions.locate(self.data, path, on_key=on_key)
        return Location(self.path, line, column)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()


def read_bytes(path: str) -> bytes:
    """The file's bytes, or an InputError (exit 2) with one line: what and how to fix."""
    target = Path(path)
    try:
        return target.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory; name a YAML file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied; make the file readable") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None


def load_document(path: str, raw: bytes | None = None) -> Document:
    """Parse, validate and build. Never raises for bad content: it becomes issues."""
    if raw is None:
        raw = read_bytes(path)
    loaded = loader.load(raw)
    text = raw.decode("utf-8", "replace")
    doc = Document(path, text, loaded.data, loaded.positions)
    doc.issues.extend(Issue(p.rule, p.line, p.column, p.message) for p in loaded.problems)
    if loaded.data is None:
        return doc
    if not isinstance(loaded.data, dict):
        doc.issues.append(Issue("MC002", *loaded.positions.root, "the file must be a mapping with `version: 1` and `accounts:`"))
        return doc
    problems, invalid = schema.validate(loaded.data)
    for problem in problems:
        refined = _refine(problem)
        where = doc.locate(refined.path, on_key=refined.on_key)
        doc.issues.append(Issue(refined.rule, where.line, where.column, refined.message))
    doc.invalid_accounts = invalid
    if any(not p.path or p.path[0] != "accounts" or len(p.path) < 2 for p in problems):
        # the document shell (version, defaults...) is wrong: no account can be trusted
        return doc
    doc.model = build_model(loaded.data, invalid)
    return doc


def _refine(problem: schema.SchemaProblem) -> schema.SchemaProblem:
    """Let a rule explain a schema error it knows better (MC403 credentials in host, MC703 ...)."""
    from .rules import SCHEMA_REFINERS

    for refine in SCHEMA_REFINERS:
        better = refine(problem)
        if better is not None:
            return better
    return problem


# --- the model -------------------------------------------------------------

_SERVER_FIELDS = (
    "protocol", "host", "port", "security", "auth", "username", "password_command", "token_command",
    "password", "mechanisms", "tls", "timeout", "leave_on_server", "leave_days",
)  # fmt: skip
_COMMON_DEFAULTS = ("security", "auth", "mechanisms", "tls", "timeout")


def build_model(data: Mapping[str, Any], invalid: frozenset[str] = frozenset()) -> Model:
    """Schema-valid data -> typed accounts, defaults applied, origins recorded."""
    defaults = data.get("defaults") or {}
    accounts = []
    for name, raw in data["accounts"].items():
        if name in invalid:
            continue
        path: YamlPath = ("accounts", name)
        incoming = _server(raw, "incoming", defaults, path, raw["address"])
        outgoing = _server(raw, "outgoing", defaults, path, raw["address"])
        accounts.append(
            Account(
                name=name,
                address=raw["address"],
                display_name=raw.get("display_name"),
                organization=raw.get("organization"),
                incoming=incoming,
                outgoing=outgoing,
                path=path,
            )
        )
    return Model(tuple(accounts))


def _server(
    account: Mapping[str, Any], side: str, defaults: Mapping[str, Any], account_path: YamlPath, address: str
) -> Server | None:
    own = account.get(side)
    if own is None:
        return None
    path = (*account_path, side)
    side_defaults = defaults.get(side) or {}
    values: dict[str, Any] = {}
    origin: dict[str, YamlPath] = {}
    protocol = Protocol(own.get("protocol", "smtp"))
    layers: tuple[tuple[Mapping[str, Any], YamlPath, tuple[str, ...]], ...] = (
        ({k: defaults[k] for k in _COMMON_DEFAULTS if k in defaults}, ("defaults",), _COMMON_DEFAULTS),
        (side_defaults, ("defaults", side), _SERVER_FIELDS),
        (own, path, _SERVER_FIELDS),
    )
    tls_values: dict[str, Any] = {}
    tls_origin: dict[str, YamlPath] = {}
    for layer, layer_path, allowed in layers:
        for key in allowed:
            if key not in layer:
                continue
            if key in ("leave_on_server", "leave_days") and protocol is not Protocol.POP3:
                continue  # POP3-only defaults skip IMAP servers (the schema rejects them on a server)
            if key == "tls":
                for tls_key, tls_value in layer["tls"].items():
                    tls_values[tls_key] = tls_value
                    tls_origin[tls_key] = (*layer_path, "tls", tls_key)
                origin["tls"] = (*layer_path, "tls")
                continue
            values[key] = layer[key]
            origin[key] = (*layer_path, key)
    for tls_key, where in tls_origin.items():
        origin[f"tls.{tls_key}"] = where
    security = Security(values.get("security", "tls"))
    port = values.get("port", default_port(protocol, security))
    return Server(
        protocol=protocol,
        host=values["host"],
        port=port,
        security=security,
        auth=Auth(values.get("auth", "password")),
        username=values.get("username", address),
        password_command=values.get("password_command"),
        token_command=values.get("token_command"),
        has_literal_password="password" in values,
        mechanisms=tuple(values.get("mechanisms", ())),
        tls=Tls(**tls_values),
        timeout=values.get("timeout"),
        leave_on_server=values.get("leave_on_server"),
        leave_days=values.get("leave_days"),
        path=path,
        origin=origin,
    )


__all__ = ["Document", "Issue", "LoadProblem", "build_model", "load_document", "read_bytes"]
