"""A password or token command that only prints a literal.

Condition: ``password_command`` or ``token_command`` is ``echo WORDS``,
``printf WORDS`` or ``cat <<< WORDS`` with nothing that reads a secret store:
no ``$``, backquote, pipe, redirection, ``;`` or ``&``. ``exec``, ``command``,
``builtin`` or ``env`` before ``echo``/``printf`` change nothing: they run it as it is.

Why: the secret is in the file after all, only disguised as a command; MC401's
reasons apply, and a reviewer may miss it.

Fix: keep the secret in a secret store and read it from there:
``password_command: pass show mail/work``. Change the password if the file was
ever shared.

Failing::

    incoming: {protocol: imap, host: imap.example.com, password_command: echo hunter2}
Passing::

    incoming: {protocol: imap, host: imap.example.com, password_command: pass show mail/work}

Reference: CWE-798 (use of hard-coded credentials).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC402"
SLUG = "literal-password-command"
SEVERITY = Severity.ERROR
TITLE = "Password command that only prints a literal"

_PRINTERS = frozenset(("echo", "printf", "print"))
#: shell words that run the next word as it is (without options of their own: `command -v echo` prints a path)
_WRAPPERS = frozenset(("exec", "command", "builtin", "env"))
_HERESTRING = re.compile(r"\s*cat\s*<<<\s*(?P<rest>.*)\Z", re.DOTALL)
_SHELL_ACTIVE = re.compile(r"[$`|;&<>()]")
#: a cheap first look: only these can print a literal (most commands are `pass show ...`)
_CANDIDATE = re.compile(r"\s*(?:(?:exec|command|builtin|env)\s+)*(?:\S*/)?(?:echo|printf|print|cat)(?:\s|<|\Z)")


def prints_literal(command: str) -> bool:
    """True when the command can only print text written in the command itself."""
    if not _CANDIDATE.match(command):
        return False
    herestring = _HERESTRING.match(command)
    rest = herestring.group("rest") if herestring else command
    if _SHELL_ACTIVE.search(rest):
        return False
    try:
        words = shlex.split(rest)
    except ValueError:
        return False
    if herestring:
        return bool(words)
    while words and words[0] in _WRAPPERS:
        words = words[1:]
    if not words or words[0].rsplit("/", 1)[-1] not in _PRINTERS:
        return False
    return any(not w.startswith("-") for w in words[1:])


def check(model: Model) -> Iterator[Problem]:
    for _account, server in model.servers():
        for key in ("password_command", "token_command"):
            command = getattr(server, key)
            if command is not None and prints_literal(command):
                yield Problem.at(
                    server,
                    key,
                    f"{key} only prints a literal, so the secret is in the file (not shown here); "
                    "read it from a secret store instead (e.g. pass show mail/work)",
                )
