"""Python's ConfigParser, as offlineimap3 and getmail6 read their files, with the line and column of every key.

Both clients read their configuration with the standard library's ``configparser``
(offlineimap3: ``CustomConfigParser``, a ``SafeConfigParser``, so ``%`` interpolation;
getmail6: ``RawConfigParser``, none). Reading with the same class is reading exactly as
they do: the same sections, keys (lower-cased), continuation lines, comments and errors.
ConfigParser keeps no positions, so the dictionaries it fills note the line being read
when each key is first set. Nothing in the file is evaluated.
"""

from __future__ import annotations

import configparser
import copy
import io
import re
import sys
from collections.abc import Iterator
from typing import Any, NoReturn

from ..model import Location
from . import Unreadable
from ._base import read_text, shown


class _Cursor:
    """The line the parser is reading, shared with the dictionaries that note where each key is set."""

    def __init__(self) -> None:
        self.line = 0
        self.column = 1


class Positions(dict[str, Any]):
    """A section's dictionary that notes where each key was first set (``at``)."""

    cursor = _Cursor()

    def __init__(self) -> None:
        super().__init__()
        self.at: dict[str, tuple[int, int]] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self.at:
            self.at[key] = (self.cursor.line, self.cursor.column)
        super().__setitem__(key, value)


class _FirstError:
    """Stop at the first line ConfigParser cannot read, the line the import reports.

    ConfigParser reads on after such a line and gathers every bad line into one ParsingError,
    extending its message line by line: quadratic (80,000 bad lines took 16 s), for a message
    that is never shown. The file is refused all the same, at the same first line.
    """

    if sys.version_info >= (3, 13):

        def _handle_option(self, st: Any, line: str, fpname: str) -> None:
            super()._handle_option(st, line, fpname)  # type: ignore[misc]
            if st.errors:
                raise st.errors[0]

    else:

        def _handle_error(self, exc: object, fpname: str, lineno: int, line: str) -> NoReturn:
            error = configparser.ParsingError(fpname)
            # the line as ConfigParser's own _handle_error notes it (repr()): never shown, the import names only the
            # line number (read(), ParsingError)
            error.append(lineno, repr(line))
            raise error


class _Linear:
    """ConfigParser's NAME = VALUE pattern, read in one pass.

    Its own, ``(?P<option>.*?)\\s*(?P<vi>=|:)\\s*(?P<value>.*)$``, tries every end of the name and, at each one,
    every space after it: on a line without '=' or ':' that takes time in the square of the spaces on it (one of
    20,000 spaces took 7 s, before the line was refused). The name runs to the first delimiter instead, spaces
    and all, which ConfigParser strips (``optname.rstrip()``): the same name, delimiter and value for every line,
    as the lazy name cannot pass a delimiter. The delimiters are the default ones, as both clients keep them.
    """

    OPTCRE = re.compile(r"(?P<option>[^=:]*)(?P<vi>[=:])\s*(?P<value>.*)$")


class _RawParser(_FirstError, _Linear, configparser.RawConfigParser):
    """getmail6's parser."""


class _Parser(_FirstError, _Linear, configparser.ConfigParser):
    """offlineimap3's parser (``%`` interpolation)."""


class Ini:
    """One file as the client's ConfigParser read it, with the location of every section and key."""

    def __init__(self, path: str, parser: configparser.RawConfigParser, sections: Positions) -> None:
        self.path = path
        self.parser = parser
        self._sections = sections

    def sections(self) -> list[str]:
        return self.parser.sections()

    def without_defaults(self) -> Ini:
        """The same file with [DEFAULT]'s keys taken by no section, as getmail reads [retriever]: it clears the
        parser's defaults (``configparser._defaults = {}``) once [options] is read."""
        parser = copy.copy(self.parser)  # shares the sections; only its defaults are its own
        setattr(parser, "_defaults", {})  # noqa: B010 (what getmail sets)
        return Ini(self.path, parser, self._sections)

    def defaults(self) -> list[str]:
        """The keys [DEFAULT] sets, in file order."""
        found = self.parser.defaults()
        return list(found.at) if isinstance(found, Positions) else []

    def section_at(self, section: str) -> Location:
        line, column = self._sections.at.get(section, (1, 1))
        return Location(self.path, line, column)

    def own(self, section: str) -> list[str]:
        """The keys the section itself sets (not those of [DEFAULT]), in file order."""
        found = self._sections.get(section)
        return list(found.at) if isinstance(found, Positions) else []

    def at(self, section: str, key: str) -> Location:
        """Where the key is set: in the section, else in [DEFAULT]."""
        for where in (self._sections.get(section), self.parser.defaults()):  # defaults(): [DEFAULT]'s own dict
            if isinstance(where, Positions) and key in where.at:
                line, column = where.at[key]
                return Location(self.path, line, column)
        return self.section_at(section)

    def has(self, section: str, key: str) -> bool:
        return self.parser.has_option(section, key)

    def get(self, section: str, key: str) -> str | None:
        """The value as the client reads it (interpolated for offlineimap), None when absent; Unreadable on a bad %."""
        if not self.parser.has_option(section, key):
            return None
        try:
            return self.parser.get(section, key)
        except configparser.InterpolationMissingOptionError as exc:
            raise Unreadable(
                self.at(section, key),
                f"{shown(key)} refers to %({shown(exc.reference)})s, which is not set",
                "set it, or write %% for a percent sign",
            ) from None
        except configparser.InterpolationDepthError:  # a well-formed %(name)s: it said "a % that is not %(name)s"
            raise Unreadable(
                self.at(section, key),
                f"{shown(key)}: its %(name)s refers back to itself, or through more than "
                f"{configparser.MAX_INTERPOLATION_DEPTH} values (the client stops reading the file there)",
                "write the value itself in one of them",
            ) from None
        except configparser.InterpolationError:
            raise Unreadable(
                self.at(section, key),
                f"{shown(key)}: a % that is not %% or %(name)s (the client stops reading the file there)",
                "write %% for a percent sign",
            ) from None

    def boolean(self, section: str, key: str, default: bool) -> bool:
        """ConfigParser's getboolean (1/yes/true/on, 0/no/false/off, any case), ``default`` when absent."""
        value = self.get(section, key)
        if value is None:
            return default
        states = configparser.RawConfigParser.BOOLEAN_STATES
        if value.lower() not in states:
            raise Unreadable(self.at(section, key), f"{shown(key)} is not a boolean", "write yes or no")
        return states[value.lower()]

    def integer(self, section: str, key: str) -> int | None:
        """Python's int() of the value, as ConfigParser's getint; None when absent."""
        value = self.get(section, key)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise Unreadable(
                self.at(section, key), f"{shown(key)} is not a whole number", "write digits only"
            ) from None


def read_ini(path: str, what: str, *, interpolation: bool, client: str) -> Ini:
    """The file read by ConfigParser (``SafeConfigParser`` with interpolation, else ``RawConfigParser``), as
    ``client`` reads it (opened as UTF-8: a byte-order mark is no section header)."""
    text = read_text(path, what, refused_by=client)
    cursor = _Cursor()
    # a class per file: the dictionaries it makes share this file's cursor
    positions = type("Positions", (Positions,), {"cursor": cursor})
    parser: configparser.RawConfigParser = (
        _Parser(dict_type=positions) if interpolation else _RawParser(dict_type=positions)
    )

    def lines() -> Iterator[str]:
        # newline=None: universal newlines, as open() in text mode (what the clients do) splits lines
        for number, line in enumerate(io.StringIO(text, newline=None), 1):
            cursor.line = number
            cursor.column = len(line) - len(line.lstrip()) + 1
            yield line

    try:
        parser.read_file(lines(), source=path)
    except configparser.MissingSectionHeaderError as exc:
        raise Unreadable(
            Location(path, exc.lineno, 1), "a setting before the first [section]", f"check that the file is {what}"
        ) from None
    except configparser.DuplicateSectionError as exc:
        raise Unreadable(
            Location(path, exc.lineno or 1, 1),
            f"section [{shown(exc.section)}] appears twice (the client refuses the file)",
            "merge the two sections",
        ) from None
    except configparser.DuplicateOptionError as exc:
        raise Unreadable(
            Location(path, exc.lineno or 1, 1),
            f"{shown(exc.option)} is set twice in [{shown(exc.section)}] (the client refuses the file)",
            "keep one of them",
        ) from None
    except configparser.ParsingError as exc:
        line = exc.errors[0][0] if exc.errors else 1
        raise Unreadable(
            Location(path, line, 1),
            "not a setting (NAME = VALUE), a [section] or a comment",
            "fix or remove the line (a value that continues is indented)",
        ) from None
    sections = getattr(parser, "_sections")  # noqa: B009 (the Positions that noted where each section starts)
    assert isinstance(sections, Positions)
    return Ini(path, parser, sections)
