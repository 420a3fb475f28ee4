"""The rule catalogue: one module per rule, registered here explicitly.

A rule module has:

- ``ID`` ("MC101"), ``SLUG`` ("cleartext-credentials"), ``SEVERITY`` (the default),
  ``TITLE`` (one line);
- a module docstring that *is* its documentation (``mailconf explain``): the
  condition, why it matters, the fix, a failing and a passing example, and the
  reference;
- ``check(model) -> Iterator[Problem]``: what is wrong and where. The engine
  attaches the id, applies severity policy and suppressions, and locates the path;
- optionally ``refine(problem) -> SchemaProblem | None``, to explain a schema error
  it knows better (a host written as a URL is MC703, not a bare pattern failure);
- optionally ``FIX = Fixable("safe" | "unsafe", "what --fix does")`` when the rule
  has an unambiguous remedy. A model rule then yields each problem with ``fix=``:
  the settings to change, as ``(path, new value)`` pairs (:func:`own_fix` builds
  them), or ``(path, DELETE)`` to remove a list item or a mapping key; the engine (``mailconf/fix.py``)
  turns them into text edits. A rule raised before the model (MC004, MC005, MC708)
  defines ``fix_text(text, findings)`` instead. "unsafe" is for a fix that changes
  what the server must support (cleartext to TLS, STARTTLS to implicit TLS, a
  mechanism dropped): shown, applied only with ``--unsafe-fixes``;
- optionally ``repr_spelt(message) -> str | None`` when a message of the rule without a subject (which a
  baseline entry and a SARIF fingerprint hash) once spelt the text it quotes with Python's ``repr()``: that
  older message, so that an entry written then still matches and an alert keeps its fingerprint (MC001, MC701);
- optionally ``STILL_READ = True`` when the rule is raised before the model and the
  file is still read whole when it is (MC004, MC005, MC713: the finding is about
  how a valid value or the text is written). Render and probe work from the model,
  so such a finding refuses nothing at any severity, and settings decide it as any
  other. Without it, an error raised before the model means the file, or an account
  in it, could not be read: :func:`mailconf.lint.refusal` refuses the file.

Rules whose ``check`` yields nothing are raised by an earlier stage (the loader,
the schema, the suppression scanner); their modules exist for their docs and ids.

``Problem.at(server, "tls.verify", message)`` points at a server field where it
was written (the account or ``defaults:``), else at the server's own key.
``providers.py`` is not a rule: it reads the dated provider policy in
``mailconf/data/providers.json`` for MC303 and MC601-MC604.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from types import ModuleType
from typing import Any, NamedTuple, Protocol

from ..model import Model, Security, Server, Severity, YamlPath, default_port
from ..schema import SECRET_KEYS, SchemaProblem

#: A setting to change: (its YAML path, the new value or DELETE).
Change = tuple[YamlPath, Any]


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


#: The value of a Change that removes a list item or a mapping key (with its value).
DELETE: Any = _Delete()


class Edit(NamedTuple):
    """Replace ``text[start:end]`` (offsets into the file's text) with ``replacement``."""

    start: int
    end: int
    replacement: str


class Fixable(NamedTuple):
    """A rule's declaration that it can fix what it finds."""

    safety: str  # "safe" | "unsafe"
    summary: str  # what --fix does, one line


def own_fix(server: Server, values: Mapping[str, Any]) -> tuple[Change, ...]:
    """Changes to a server's own settings, or () when any of them is not the server's to change.

    A field set in ``defaults:`` is shared by other servers, and a secret-carrying
    field is never written. A field that is not written needs no change when the
    default already gives the new value (security: tls); otherwise a key would have
    to be added, which is not a value edit: no fix. ``values``: field -> new value
    (``"tls.verify"`` for a TLS field).
    """
    changes: list[Change] = []
    for name, value in values.items():
        if name.rpartition(".")[2] in SECRET_KEYS:
            return ()
        if not server.declared(name):
            if _current(server, name) == value:
                continue
            return ()
        where = server.where(name)
        if where[: len(server.path)] != server.path:
            return ()  # written in defaults: would change other servers too
        changes.append((where, value))
    return tuple(changes)


def to_implicit_tls(server: Server) -> tuple[Change, ...]:
    """security: tls, and the implicit-TLS port where the port written is the protocol's other one."""
    implicit = default_port(server.protocol, Security.TLS)
    if not server.declared("port") or server.port == implicit:
        return own_fix(server, {"security": "tls"})
    if server.port == default_port(server.protocol, Security.STARTTLS):
        return own_fix(server, {"security": "tls", "port": implicit})
    return ()  # a port of its own: which one TLS listens on is not clear


def _current(server: Server, name: str) -> Any:
    head, _, tail = name.partition(".")
    value = getattr(server.tls, tail) if head == "tls" and tail else getattr(server, name)
    return value.value if isinstance(value, enum.Enum) else value


class Problem(NamedTuple):
    """What a rule yields: where (a YAML path) and what, with the fix."""

    path: YamlPath
    message: str
    on_key: bool = False
    #: a rule may lower or raise its own default for one case (MC102 is info on loopback);
    #: settings still win over it.
    severity: Severity | None = None
    #: the settings that fix it (a rule with ``FIX``); () when the remedy is not clear here
    fix: tuple[Change, ...] = ()

    @classmethod
    def at(
        cls,
        server: Server,
        name: str,
        message: str,
        severity: Severity | None = None,
        fix: tuple[Change, ...] = (),
    ) -> Problem:
        """A problem with a server's field: at its value where written, else at the server's key."""
        return cls(server.where(name), message, on_key=not server.declared(name), severity=severity, fix=fix)


class Rule(Protocol):
    ID: str
    SLUG: str
    SEVERITY: Severity
    TITLE: str
    __doc__: str | None

    def check(self, model: Model) -> Iterator[Problem]: ...


from . import (  # noqa: E402 - the registry needs Problem and Rule defined above
    mc001_yaml_syntax,
    mc002_schema_violation,
    mc003_file_encoding,
    mc004_byte_order_mark,
    mc005_crlf_line_endings,
    mc101_cleartext_credentials,
    mc102_cleartext_connection,
    mc103_starttls_opportunistic,
    mc104_prefer_implicit_tls,
    mc105_tls_version_too_low,
    mc201_implicit_port_with_starttls,
    mc202_cleartext_port_with_implicit_tls,
    mc203_port_protocol_mismatch,
    mc204_smtp_port_25_submission,
    mc205_submission_without_auth,
    mc301_weak_sasl_mechanism,
    mc302_oauth2_incomplete,
    mc303_password_for_oauth_only_provider,
    mc304_mechanism_contradicts_auth,
    mc305_credential_command_unused,
    mc401_plaintext_password,
    mc402_literal_password_command,
    mc403_credentials_in_host,
    mc501_tls_verify_disabled,
    mc502_hostname_check_disabled,
    mc503_ip_literal_with_tls,
    mc504_weak_fingerprint_pin,
    mc601_google_password_auth,
    mc602_m365_basic_auth_imap_pop,
    mc603_m365_smtp_basic_auth,
    mc604_outlook_consumer_basic_auth,
    mc701_duplicate_account,
    mc702_duplicate_endpoint,
    mc703_invalid_hostname,
    mc704_unqualified_hostname,
    mc705_pop3_deletes_from_server,
    mc706_timeout_too_short,
    mc707_timeout_unbounded,
    mc708_unused_suppression,
    mc709_stale_baseline_entry,
    mc710_account_names_differ_in_case,
    mc711_account_name_reserved_on_windows,
    mc712_blank_value,
    mc713_bidi_or_invisible_character,
)

#: The registry, in id order: one module per rule. Adding a rule = its module, its import here, its test
#: (tests/rules/test_catalogue.py fails for a module under rules/ that is not listed).
_MODULES: tuple[ModuleType, ...] = (
    mc001_yaml_syntax,
    mc002_schema_violation,
    mc003_file_encoding,
    mc004_byte_order_mark,
    mc005_crlf_line_endings,
    mc101_cleartext_credentials,
    mc102_cleartext_connection,
    mc103_starttls_opportunistic,
    mc104_prefer_implicit_tls,
    mc105_tls_version_too_low,
    mc201_implicit_port_with_starttls,
    mc202_cleartext_port_with_implicit_tls,
    mc203_port_protocol_mismatch,
    mc204_smtp_port_25_submission,
    mc205_submission_without_auth,
    mc301_weak_sasl_mechanism,
    mc302_oauth2_incomplete,
    mc303_password_for_oauth_only_provider,
    mc304_mechanism_contradicts_auth,
    mc305_credential_command_unused,
    mc401_plaintext_password,
    mc402_literal_password_command,
    mc403_credentials_in_host,
    mc501_tls_verify_disabled,
    mc502_hostname_check_disabled,
    mc503_ip_literal_with_tls,
    mc504_weak_fingerprint_pin,
    mc601_google_password_auth,
    mc602_m365_basic_auth_imap_pop,
    mc603_m365_smtp_basic_auth,
    mc604_outlook_consumer_basic_auth,
    mc701_duplicate_account,
    mc702_duplicate_endpoint,
    mc703_invalid_hostname,
    mc704_unqualified_hostname,
    mc705_pop3_deletes_from_server,
    mc706_timeout_too_short,
    mc707_timeout_unbounded,
    mc708_unused_suppression,
    mc709_stale_baseline_entry,
    mc710_account_names_differ_in_case,
    mc711_account_name_reserved_on_windows,
    mc712_blank_value,
    mc713_bidi_or_invisible_character,
)

RULES: dict[str, Rule] = {m.ID: m for m in _MODULES}

#: rule id -> its fix declaration, for the rules that have one
FIXES: Mapping[str, Fixable] = {m.ID: m.FIX for m in _MODULES if hasattr(m, "FIX")}

#: the rules raised before the model whose findings leave the file read whole (``STILL_READ = True``)
STILL_READ: frozenset[str] = frozenset(m.ID for m in _MODULES if getattr(m, "STILL_READ", False))

#: rule id -> its message as spelt before it quoted text in double quotes (``repr_spelt``), for the rules with one
REPR_SPELT: Mapping[str, Callable[[str], str | None]] = {
    m.ID: m.repr_spelt for m in _MODULES if hasattr(m, "repr_spelt")
}

SCHEMA_REFINERS: tuple[Callable[[SchemaProblem], SchemaProblem | None], ...] = tuple(
    m.refine for m in _MODULES if hasattr(m, "refine")
)
