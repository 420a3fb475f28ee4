"""Importers: one module per client format, registered here explicitly.

An importer module has:

- ``NAME`` ("msmtp"), ``TITLE`` (one line), and a module docstring that is its
  user documentation (what it reads, what it cannot hold);
- ``read(paths, options) -> Imported``: the accounts the files declare, as
  account-file data (the mappings ``mailconf.emit`` writes), comments keyed by key
  path, and a located warning for everything the files say that an account file
  cannot hold.

An importer never executes anything a file holds (no backticks, no
``passwordeval``, no ``eval``, no ``source "cmd|"``), never prints, and never
puts a literal password into its result: it notes that there was one. A file it
cannot read at all raises :class:`Unreadable` (exit 2) with ``FILE:LINE:COL``, or ``FILE`` alone
when the file as a whole is the problem (missing, a directory).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any, NamedTuple, Protocol

from ..emit import KeyPath
from ..errors import InputError
from ..model import Location


class Note(NamedTuple):
    """A warning: where the file says something, and what became of it."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class Imported(NamedTuple):
    """What an importer read: account name -> account-file data, comments, warnings (in file order)."""

    accounts: Mapping[str, Mapping[str, Any]]
    comments: Mapping[KeyPath, str]
    warnings: tuple[Note, ...]
    #: where each account starts in the files (for messages about a whole account)
    where: Mapping[str, Location] = {}
    #: the account the client uses where none is named (msmtp's ``account default : NAME``), by its name here; it is
    #: the first account, as render writes the first one as the default (an account named default aside, which its
    #: name makes msmtp's default wherever it is). None: the files name none
    default: str | None = None


class ReadOptions(NamedTuple):
    #: mutt/neomutt: read the files a ``source`` command names (never a command: ``source "cmd|"``)
    follow_source: bool = False
    #: outlook: the code page of a REGEDIT4 file (``--encoding``); None: cp1252, or UTF-8 when the file is UTF-8
    encoding: str | None = None


class Unreadable(InputError):
    """A file that cannot be imported at all: ``FILE:LINE:COL: what; how to fix``. Exit 2.

    Given a path instead of a Location, the file as a whole (missing, a directory, too large): ``FILE: what; how to
    fix``, as lint and every other command say it; no line is made up where there is none. ``location`` is None then.
    """

    def __init__(self, location: Location | str, what: str, fix: str, *, unopened: bool = False) -> None:
        super().__init__(f"{location}: {what}; {fix}")
        self.location = location if isinstance(location, Location) else None
        self.what = what
        self.fix = fix
        #: the file could not be opened (missing, a directory, no permission), where a client that reads it
        #: reports an error: mutt's ``source`` then goes on
        self.unopened = unopened


class Importer(Protocol):
    NAME: str
    TITLE: str
    __doc__: str | None

    def read(self, paths: Sequence[str], options: ReadOptions) -> Imported: ...


from . import (  # noqa: E402 - the registry needs the types above
    aerc,
    autoconfig,
    autodiscover,
    fetchmail,
    getmail,
    mbsync,
    mobileconfig,
    msmtp,
    mutt,
    neomutt,
    offlineimap,
    outlook,
    outlook_prf,
    thunderbird,
)

_MODULES: tuple[ModuleType, ...] = (
    msmtp, mutt, neomutt, fetchmail, thunderbird, mbsync, offlineimap, getmail, aerc, outlook, outlook_prf,
    autoconfig, autodiscover, mobileconfig,
)  # fmt: skip

IMPORTERS: dict[str, Importer] = {m.NAME: m for m in _MODULES}
