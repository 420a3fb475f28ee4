"""Render targets: one module per client, registered here explicitly.

A target module has:

- ``NAME`` ("msmtp"), ``TITLE`` (one line), and a module docstring that is its
  user documentation, its page ``docs/targets/<NAME>.md`` (where the file goes, how to
  apply it, what it writes, what it cannot express, how it is tested; in the markup
  that ``mailconf/docgen.py`` describes);
- ``CAPABILITIES``: feature -> what the target does with it ("yes", "no: ...",
  "partial: ..."); the capability matrix of ``docs/render.md`` and the table on each
  target's page are generated from these (``python -m mailconf.docgen``);
- ``render(model, env, options) -> Rendered``: Python decides every value (TLS
  mapping, codes, defaults, gaps, escaping via the filters in mailconf.escape)
  and hands a flat context to its templates under ``templates/<NAME>/``.

A target never writes files and never prints: it returns files and gaps.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import NamedTuple, Protocol

import jinja2

from ..model import Model


class Gap(NamedTuple):
    """A declared setting the target cannot express. Never silent: a warning, or an error with --strict."""

    account: str
    setting: str  # "incoming.password_command", "outgoing.tls.fingerprint" ...
    instead: str  # what the user must do instead

    def __str__(self) -> str:
        return self.describe(f"account {self.account}")

    def describe(self, who: str) -> str:
        """The message for ``who`` ("account work", or several accounts that share this gap)."""
        return f"{who}: {self.setting} cannot be expressed; {self.instead}"


class RenderedFile(NamedTuple):
    name: str  # relative path under the output directory; also shown on stdout
    content: bytes
    mode: int = 0o600


class Rendered(NamedTuple):
    files: tuple[RenderedFile, ...]
    gaps: tuple[Gap, ...] = ()


class Target(Protocol):
    NAME: str
    TITLE: str
    CAPABILITIES: Mapping[str, str]
    OPTIONS: Mapping[str, str]  # option name -> help (for --option KEY=VALUE)
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

from . import fetchmail, getmail, mbsync, msmtp, mutt, neomutt, outlook, outlook_prf, thunderbird  # noqa: E402

_MODULES: tuple[ModuleType, ...] = (thunderbird, outlook, outlook_prf, mutt, neomutt, fetchmail, msmtp, mbsync, getmail)

TARGETS: dict[str, Target] = {m.NAME: m for m in _MODULES}
