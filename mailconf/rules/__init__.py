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
  it knows better (a host written as a URL is MC703, not a bare pattern failure).

Rules whose ``check`` yields nothing are raised by an earlier stage (the loader,
the schema, the suppression scanner); their modules exist for their docs and ids.

``Problem.at(server, "tls.verify", message)`` points at a server field where it
was written (the account or ``defaults:``), else at the server's own key.
``providers.py`` is not a rule: it reads the dated provider policy in
``mailconf/data/providers.json`` for MC303 and MC601-MC604.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, NamedTuple, Protocol

from ..model import Model, Server, Severity, YamlPath

if TYPE_CHECKING:  # the schema module is a stage before the rules; only its type is named here
    from ..schema import SchemaProblem


class Problem(NamedTuple):
    """What a rule yields: where (a YAML path) and what, with the fix."""

    path: YamlPath
    message: str
    on_key: bool = False
    #: a rule may lower or raise its own default for one case (MC102 is info on loopback);
    #: settings still win over it.
    severity: Severity | None = None

    @classmethod
    def at(cls, server: Server, name: str, message: str, severity: Severity | None = None) -> Problem:
        """A problem with a server's field: at its value where written, else at the server's key."""
        return cls(server.where(name), message, on_key=not server.declared(name), severity=severity)


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
)

RULES: dict[str, Rule] = {m.ID: m for m in _MODULES}
SCHEMA_REFINERS: tuple[Callable[[SchemaProblem], SchemaProblem | None], ...] = tuple(
    m.refine for m in _MODULES if hasattr(m, "refine")
)
