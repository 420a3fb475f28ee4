"""An account name that Windows cannot use as a file or folder name.

Condition: an account named after a device Windows reserves (``CON``, ``PRN``,
``AUX``, ``NUL``, ``COM1`` to ``COM9``, ``LPT1`` to ``LPT9``), in any case and
with or without an extension (``nul``, ``AUX.1``, ``com1.work``), or a name
ending in a dot (``work.``). The finding points at the name.

Why: several targets write one file per account, named after it (mutt's and
neomutt's ``NAME.muttrc``, getmail's ``NAME.getmailrc``, ``NAME.mobileconfig``),
and mbsync, getmail and offlineimap keep each account's mail in a folder of that
name. Windows opens the device instead of a file called ``CON.muttrc`` or
``nul.getmailrc``, and drops the dot that ends a folder name (``work.`` is
``work``). A dotfile repository holding such a file cannot be checked out on
Windows, and a render there cannot write it. On Linux and macOS nothing goes
wrong, which is why it is easy to miss. The schema already refuses what else
Windows cannot take in a name: spaces (so a trailing space), and the superscript
forms ``COM¹`` to ``LPT³`` (account names are ASCII letters, digits, ``.``,
``_`` and ``-``).

Fix: rename the account (``con`` to ``con-mail``, ``work.`` to ``work``).

Failing::

    accounts:
      nul: {address: alice@example.com, incoming: {protocol: imap, host: imap.example.com}}
Passing::

    accounts:
      nul-mail: {address: alice@example.com, incoming: {protocol: imap, host: imap.example.com}}

Reference: Microsoft, "Naming Files, Paths, and Namespaces" (Naming Conventions:
reserved names, "NUL.txt and NUL.tar.gz are both equivalent to NUL", and "Do not
end a file or directory name with a space or a period").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..model import Model, Severity
from . import Problem

ID = "MC711"
SLUG = "account-name-reserved-on-windows"
SEVERITY = Severity.WARNING
TITLE = "Account names Windows cannot use for a file (CON, NUL, COM1, a final dot)"

#: The device names, as the part of a file name before its first dot (any case: Windows ignores it).
_DEVICE = re.compile(r"(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?", re.IGNORECASE)


def check(model: Model) -> Iterator[Problem]:
    for account in model.accounts:
        name = account.name
        device = _DEVICE.fullmatch(name)
        if device is not None:
            yield Problem(
                account.path,
                f"account `{name}`: Windows takes `{device[1]}` for a device, with any extension: the files "
                f"rendered for it (`{name}.muttrc`...) cannot be written or checked out there; rename it",
                on_key=True,
            )
        elif name.endswith("."):
            yield Problem(
                account.path,
                f"account `{name}` ends in a dot, which Windows drops from a folder's name: its mail folder "
                f"there would be `{name.rstrip('.')}`; remove the dot",
                on_key=True,
            )
