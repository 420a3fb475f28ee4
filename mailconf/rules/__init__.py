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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType
from typing import NamedTuple, Protocol

from ..model import Model, Severity, YamlPath
from ..schema import SchemaProblem


class Problem(NamedTuple):
    """What a rule yields: where (a YAML path) and what, with the fix."""

    path: YamlPath
    message: str
    on_key: bool = False
    #: a rule may lower or raise its own default for one case (MC102 is info on loopback);
    #: settings still win over it.
    severity: Severity | None = None


class Rule(Protocol):
    ID: str
    SLUG: str
    SEVERITY: Severity
    TITLE: str
    __doc__: str | None

    def check(self, model: Model) -> Iterator[Problem]: ...


from . import (  # noqa: E402  (the registry needs Problem defined first)
    mc001_yaml_syntax,
    mc002_schema_violation,
    mc003_file_encoding,
    mc004_byte_order_mark,
    mc005_crlf_line_endings,
    mc101_cleartext_credentials,
)

_MODULES: tuple[ModuleType, ...] = (
    mc001_yaml_syntax,
    mc002_schema_violation,
    mc003_file_encoding,
    mc004_byte_order_mark,
    mc005_crlf_line_endings,
    mc101_cleartext_credentials,
)

RULES: dict[str, Rule] = {m.ID: m for m in _MODULES}  # type: ignore[misc]
BY_SLUG: dict[str, Rule] = {r.SLUG: r for r in RULES.values()}

SCHEMA_REFINERS: tuple[Callable[[SchemaProblem], SchemaProblem | None], ...] = tuple(
    m.refine for m in _MODULES if hasattr(m, "refine")
)


def lookup(name: str) -> Rule | None:
    """A rule by id (any case) or slug."""
    return RULES.get(name.upper()) or BY_SLUG.get(name.lower())
