"""mailconf's own settings: severity policy, disabled rules, the fail level.

Where they come from, for each file linted or probed, first found wins:

1. ``--config PATH`` (a ``.mailconf.yaml`` or a ``pyproject.toml``), for every file;
2. walking up from the file's own directory (for standard input: the directory of
   ``--stdin-filename``, else the current one), stopping at the repository root (the
   first directory that holds ``.git``): in each directory a ``.mailconf.yaml``, then
   a ``pyproject.toml`` that has a ``[tool.mailconf]`` table;
3. the user's own file, ``$XDG_CONFIG_HOME/mailconf/config.yaml`` (by default
   ``~/.config/mailconf/config.yaml``, an empty HOME counting as unset; none without a home directory);
4. built-in defaults (every rule on at its default severity, fail level ``error``).

Each is read as an account file is (:func:`_read_settings`): a regular file of at most 64 MiB, a FIFO never
waited on; one that cannot be read is refused, never passed over. A ``pyproject.toml`` is read and parsed once.

Keys (the same in every file)::

    fail-level: warning          # info | warning | error
    disable: [MC704, prefer-implicit-tls]      # ids or slugs (lint rules and probe checks)
    severity: {MC104: error, MC805: info}      # ids or slugs -> info|warning|error
    include: ["*.yaml", "*.yml"]               # which files in a directory are account files
    exclude: ["ci/", "*.template.yaml"]        # never these (.gitignore syntax)
    baseline: .mailconf-baseline.json          # findings to hide (lint --baseline), relative to this file

``include`` and ``exclude`` take .gitignore-style patterns relative to the directory
of the settings file; they decide which files a directory given on the command line
yields (:mod:`mailconf.files`). A file named on the command line is always read.
Command-line options (``--fail-level``, ``--disable``, ``--severity``, ``--baseline``) win
over the file: ``--severity`` turns on a rule the file disables (:meth:`Policy.merged`).
"""

from __future__ import annotations

import errno
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from .errors import ConfigError, cannot_read, plural, shown
from .model import Severity

CONFIG_NAMES = (".mailconf.yaml", "pyproject.toml")
KEYS = ("fail-level", "disable", "severity", "include", "exclude", "baseline")
#: how many unknown settings an error names (then how many more)
LISTED_SETTINGS = 10
#: which files in a directory are account files, unless the settings say otherwise
DEFAULT_INCLUDE = ("*.yaml", "*.yml")
_V = TypeVar("_V")


def first_few(values: Sequence[_V], show: Callable[[_V], str]) -> str:
    """The first :data:`LISTED_SETTINGS` of ``values``, each as ``show`` writes it, then how many more: a message
    that lists every one (20,000 unknown keys, include patterns of 15,000 characters) is one line of kilobytes."""
    listed = ", ".join(map(show, values[:LISTED_SETTINGS]))
    more = len(values) - LISTED_SETTINGS
    return f"{listed} and {more:,} more" if more > 0 else listed


@dataclass(frozen=True)
class Policy:
    fail_level: Severity = Severity.ERROR
    disabled: frozenset[str] = frozenset()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    source: str | None = None  # the file the settings came from
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    #: a baseline file (``mailconf/baseline.py``), resolved against the settings file's folder
    baseline: str | None = None
    #: where ``baseline`` is written, "file:line:col": a baseline that cannot be read is named from there
    baseline_at: str | None = field(default=None, compare=False)
    #: where each pattern is written, ("include", 0) -> "file:line:col": checked only when a folder is walked
    patterns_at: Mapping[tuple[str, int], str] = field(default_factory=dict, compare=False)

    def enabled(self, rule: str) -> bool:
        return rule not in self.disabled

    def severity_of(self, rule: str, proposed: Severity) -> Severity:
        return self.severity.get(rule, proposed)

    def merged(
        self,
        fail_level: str | None = None,
        disable: Iterable[str] = (),
        severity: Iterable[str] = (),
    ) -> Policy:
        """Command-line options on top of the file's settings: the command line wins over the file,
        as ruff's ``--extend-select`` wins over its settings' ``ignore``, so ``--severity MC104=error``
        turns on a rule the file disables, and ``--disable`` turns off a rule the file gives a severity.
        On the command line itself ``--disable`` wins over ``--severity`` for the same rule."""
        overrides = dict(self.severity)
        chosen: dict[str, tuple[str, Severity]] = {}  # rule -> (as it was named, its level) on the command line
        for item in severity:
            rule, _, level = item.partition("=")
            if not level:
                raise ConfigError(f"--severity {shown(item)}: write RULE=LEVEL, like MC104=error")
            rule_id = _rule_id(rule, "--severity")
            overrides[rule_id] = _severity(level, "--severity")
            named, before = chosen.setdefault(rule_id, (rule, overrides[rule_id]))
            if before != overrides[rule_id]:  # the last one won without a word; the settings refuse it too
                raise ConfigError(f"--severity {shown(item)}: {rule_id} is given {before.label} already (--severity "
                                  f"{shown(f'{named}={before.label}')}); give each rule one severity")  # fmt: skip
        return replace(
            self,
            fail_level=_severity(fail_level, "--fail-level") if fail_level else self.fail_level,
            disabled=self.disabled.difference(chosen).union(_rule_id(r, "--disable") for r in disable),  # a frozenset
            severity=overrides,
        )

    @property
    def root(self) -> Path | None:
        """The directory ``include`` and ``exclude`` patterns are relative to."""
        return Path(self.source).parent if self.source else None


def _rule_id(name: str, where: str) -> str:
    from .catalogue import did_you_mean, lookup

    rule = lookup(name)
    if rule is None:
        raise ConfigError(
            f"{where}: unknown rule {shown(name.strip())}{did_you_mean(name)}; `mailconf rules [--probe]` lists them"
        )
    if name != name.strip():  # lookup() strips (for suppression comments): "MC104\n" in a settings file is a YAML slip
        raise ConfigError(f"{where}: {shown(name)} has white space around the rule name; write {shown(name.strip())}")
    return rule.ID


def _severity(text: Any, where: str) -> Severity:
    if not isinstance(text, str):  # str() of it said Python's words: unknown severity 'None', 'True', "['x']"
        raise ConfigError(f"{where}: give info, warning or error, not {_written(text)}")
    try:
        return Severity.parse(text)
    except ValueError:
        raise ConfigError(f"{where}: unknown severity {shown(text.strip())}: use info, warning or error") from None


def _each_text(items: list[Any], key: str, wanted: str, at: Where) -> None:
    """Each item of the list ``key`` is text (not blank): one that is not is named at its own place, and what it is
    (`disable` must be a list..., at the list's first line, left a user to find the item in a list of twenty)."""
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ConfigError(f"{at((key, i), False)}: {key}: give {wanted}, not {_written(item)}")
        if not item.strip():
            raise ConfigError(f"{at((key, i), False)}: {key}: give {wanted}, not a blank one")


def _written(value: Any) -> str:
    """What a settings value that is not text is, in the words of YAML and TOML (no value, true, 3, a list)."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "a date or time"


def discover(start: Path | None = None) -> Path | None:
    """The settings file that applies in ``start`` (default: the current directory), or None."""
    here = _real(start or Path.cwd())
    return _discover_in(here) or user_settings()


def _real(path: Path) -> Path:
    """``path.resolve()``, where a loop of symbolic links on the way is left as it is: Path.resolve() raised
    RuntimeError ("Symlink loop"), and ``lint LOOP/a.yaml`` was an internal error, not the file's own
    `cannot be read (Too many levels of symbolic links)`."""
    try:
        return path.resolve()
    except RuntimeError:
        return Path(os.path.realpath(path))


def _discover_in(
    directory: Path, known: dict[Path, Path | None] | None = None, tables: Tables | None = None
) -> Path | None:
    """The nearest project settings file, from ``directory`` up to the repository root.

    A loop, not recursion: a folder 1,000 levels deep is still a folder. ``known`` remembers the
    answer for every folder passed on the way up, and the walk stops at the first folder it holds:
    over every folder of a deep tree, each folder is looked at once, not once per folder below it.
    ``tables`` receives the ``pyproject.toml`` found, read and parsed, for :func:`_load_policy`: it was
    parsed twice, once to find its ``[tool.mailconf]`` table and once to load it.
    """
    known = {} if known is None else known
    passed: list[Path] = []
    found: Path | None = None
    while True:
        if directory in known:
            found = known[directory]
            break
        passed.append(directory)
        candidate = directory / ".mailconf.yaml"
        if _is_file(candidate) or os.path.lexists(candidate):  # one that cannot be read is refused when it is read:
            found = candidate  # it was passed over for the settings further up
            break
        pyproject = directory / "pyproject.toml"
        if os.path.lexists(pyproject):  # a FIFO, a device, a file over 64 MiB: refused, as a .mailconf.yaml is
            read = _read_pyproject(pyproject, found=True)
            if read[1] is not None:
                if tables is not None:
                    tables[pyproject] = read
                found = pyproject
                break
        if _exists(directory / ".git") or directory.parent == directory:
            break  # the repository root, or the file system's: settings above it are someone else's
        directory = directory.parent
    for folder in passed:
        known[folder] = found
    return found


def _is_file(path: Path) -> bool:
    """Path.is_file(), False for a name the system refuses: Python 3.11 raises ENAMETOOLONG (a folder name over 255
    bytes, from lint - --stdin-filename, which names no real file), and that was exit 3."""
    try:
        return path.is_file()
    except OSError:
        return False


def _exists(path: Path) -> bool:
    """Path.exists(), False for a name the system refuses (see _is_file)."""
    try:
        return path.exists()
    except OSError:
        return False


def user_settings(environ: Mapping[str, str] | None = None) -> Path | None:
    """``$XDG_CONFIG_HOME/mailconf/config.yaml`` (default ``~/.config/...``) when it exists; without either, none.

    An XDG_CONFIG_HOME that is empty or relative is passed over for the default, as the XDG Base Directory
    specification asks: relative, it named a different file in every folder mailconf was started from.
    """
    env = os.environ if environ is None else environ
    xdg = env.get("XDG_CONFIG_HOME", "")
    if os.path.isabs(xdg):
        base = Path(xdg)
    else:
        home = _home(env)
        if home is None:  # no HOME and no passwd entry (a container's random uid): no user file, as none is set
            return None  # (it was an internal error, exit 3)
        base = Path(home) / ".config"
    path = base / "mailconf" / "config.yaml"
    # a FIFO, a device, a link to a missing file: refused when read, as a .mailconf.yaml is (it was passed over);
    # an XDG_CONFIG_HOME with a name over 255 bytes is none (it was exit 3)
    return path if os.path.lexists(path) else None


def _home(env: Mapping[str, str]) -> str | None:
    """The user's home folder: HOME, else the passwd entry's (None: neither names one).

    An empty HOME counts as unset, as Rust's ``std::env::home_dir`` has it (ruff's user settings): Python's
    ``Path.home()`` made it ``/``, so ``HOME= mailconf lint`` read ``/.config/mailconf/config.yaml``, a file of
    the system's root folder that no user owns.
    """
    home = env.get("HOME", "")
    if home:
        return home
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_dir or None
    except KeyError:
        return None


class PolicyFinder:
    """The policy for each file: ``--config`` for all, else the settings found from its directory.

    Each settings file is read once, however many files it applies to; the command
    line's options are applied on top of every one.
    """

    def __init__(self, config: str | None = None, fail_level: str | None = None,
                 disable: Iterable[str] = (), severity: Iterable[str] = ()) -> None:  # fmt: skip
        self._config = config
        self._options = (fail_level, tuple(disable), tuple(severity))
        self._by_source: dict[Path | None, Policy] = {}
        self._by_directory: dict[Path, Policy] = {}
        #: each folder as given -> resolved, and each resolved folder -> its project settings file (or None)
        self._resolved: dict[Path, Path] = {}
        self._found: dict[Path, Path | None] = {}
        #: each pyproject.toml found, read and parsed, until its policy is made
        self._tables: Tables = {}

    def for_directory(self, directory: Path) -> Policy:
        known = self._by_directory.get(directory)
        if known is None:
            known = self._by_directory[directory] = self._policy(directory)
        return known

    def _policy(self, directory: Path) -> Policy:
        source = Path(self._config) if self._config else self._discover(directory)
        policy = self._by_source.get(source)
        if policy is None:
            fail_level, disable, severity = self._options
            read = self._tables.pop(source, None) if source else None  # held until now only
            loaded = _load_policy(source, found=not self._config, read=read) if source else Policy()
            policy = self._by_source[source] = loaded.merged(fail_level, disable, severity)
        return policy

    def _discover(self, directory: Path) -> Path | None:
        """:func:`discover`, remembering what every folder resolves to and which settings apply in it."""
        return _discover_in(self._resolve(directory), self._found, self._tables) or user_settings()

    def _resolve(self, directory: Path) -> Path:
        """``directory.resolve()``, from its parent's when that is known and it is no link: resolving every
        folder of a deep tree from the root again made a walk quadratic in the tree's depth."""
        parent = self._resolved.get(directory.parent)
        if parent is not None and directory.name not in ("", ".", "..") and not directory.is_symlink():
            resolved = parent / directory.name
        else:
            resolved = _real(directory)
        self._resolved[directory] = resolved
        return resolved

    def for_file(self, path: str) -> Policy:
        return self.for_directory(Path(path).parent if path not in ("", "-") else Path.cwd())


#: a pyproject.toml -> its text and its [tool.mailconf] table (None: it has none), as :func:`_read_pyproject` gives them
Tables = dict[Path, tuple[str, dict[str, Any] | None]]


def _read_settings(path: Path, *, found: bool) -> bytes:
    """A settings file's bytes, or the ConfigError saying what is wrong with it, for all three kinds alike.

    Read as an account file is (``document.read_regular``): a regular file only, never waited on, at most
    MAX_FILE_BYTES. A ``pyproject.toml`` was read whole, whatever its size, and one that was a FIFO or a device was
    passed over. ``found``: met on the way up, or the user's own file, rather than named by ``--config``.
    """
    from .document import MAX_FILE_BYTES, NotRegular, ReadFailed, TooLarge, read_regular

    fix = "fix or remove it" if found else "check --config"
    not_regular = (
        f"{path}: not a regular file; {fix if found else '--config names a .mailconf.yaml or a pyproject.toml'}"
    )
    try:
        return read_regular(path)
    except (FileNotFoundError, NotADirectoryError):
        what = "a link to a missing file" if os.path.islink(path) else "no such configuration file"
        raise ConfigError(f"{path}: {what}; {fix}") from None
    except PermissionError as exc:
        raise ConfigError(cannot_read(str(path), exc)) from None
    except OSError as exc:  # a name too long, a loop of links ("no such file"); a socket cannot be opened at all
        if exc.errno == errno.ENXIO:
            raise ConfigError(not_regular) from None
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__}); {fix}") from None
    except NotRegular:  # a FIFO, a device, a folder
        raise ConfigError(not_regular) from None
    except TooLarge:
        raise ConfigError(
            f"{path}: larger than {MAX_FILE_BYTES >> 20} MiB, too large for a settings file; {fix}"
        ) from None
    except ReadFailed as exc:
        raise ConfigError(cannot_read(str(path), exc.error)) from None


def _read_pyproject(path: Path, *, found: bool) -> tuple[str, dict[str, Any] | None]:
    """The text of a ``pyproject.toml`` and its ``[tool.mailconf]`` table (None: it has none)."""
    import tomllib

    from .loader import LoadAbort, decode

    try:
        text = decode(_read_settings(path, found=found))[0]
        _refuse_deep_keys(path, text)
        data = tomllib.loads(text)
    except LoadAbort as abort:  # bytes that are not UTF-8, UTF-16: at their place, as in a .mailconf.yaml
        raise ConfigError(f"{path}:{abort.problem.line}:{abort.problem.column}: {abort.problem.message}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}{_toml_error(str(exc), text)}; fix the file") from None
    except RecursionError:  # tomllib has no depth limit: arrays or tables nested thousands deep
        raise ConfigError(f"{path}: invalid TOML (nested too deeply); fix the file") from None
    except ValueError:  # int() of an integer of more than 4,300 digits, which tomllib does not catch
        raise ConfigError(
            f"{path}: invalid TOML (an integer of more than {sys.get_int_max_str_digits()} digits); fix the file"
        ) from None
    tool = data.get("tool")
    table = tool.get("mailconf") if isinstance(tool, dict) else None
    if table is not None and not isinstance(table, dict):  # `mailconf = "..."` under [tool]: ours, but no settings
        raise ConfigError(f"{path}: `tool.mailconf` must be a table of settings ([tool.mailconf]); fix the file")
    return text, table


#: tomllib's place at the end of its messages ("what (at line L, column C)", "what (at end of document)")
_TOML_PLACE = re.compile(r"(?P<what>.*) \((?:at line (?P<line>\d+), column (?P<column>\d+)|at end of document)\)", re.S)


def _toml_error(message: str, text: str) -> str:
    """``:L:C: invalid TOML (what)``: the place where every other settings error has it, not inside the words."""
    found = _TOML_PLACE.fullmatch(message)
    if found is None:
        return f": invalid TOML ({message})"
    line, column = found["line"], found["column"]
    if line is None:  # the end of the document: its last line, after its last character
        line, column = str(text.count("\n") + 1), str(len(text) - text.rfind("\n"))
    return f":{line}:{column}: invalid TOML ({found['what']})"


#: a TOML key: bare, "basic" or 'literal'; dotted; at the start of a line, as a [table] header or before `=`
_TOML_KEY = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_TOML_DOTTED = rf"{_TOML_KEY}(?:[ \t]*\.[ \t]*{_TOML_KEY})*"
_TOML_HEADER = re.compile(rf"[ \t]*\[\[?[ \t]*(?P<key>{_TOML_DOTTED})[ \t]*\]")
_TOML_ASSIGN = re.compile(rf"[ \t]*(?P<key>{_TOML_DOTTED})[ \t]*=[ \t]*")
_TOML_PART = re.compile(_TOML_KEY)
#: what a TOML text holds that may hold a dot: multi-line and one-line strings, comments, and dotted keys (whose parts
#: may be quoted), each taken whole, so that the text is scanned once; outside a string a value holds one dot at most
_TOML_DOTS = re.compile(
    "|".join((r'"""(?:[^"\\]|\\.|"(?!""))*"""', r"'''(?:[^']|'(?!''))*'''", r"#[^\n]*", rf"(?P<chain>{_TOML_DOTTED})")),
    re.S,
)
_TOML_KEY_END = re.compile(r"[ \t]*[=\]]")


def _refuse_deep_keys(path: Path, text: str) -> None:
    """A key of more dotted parts than a settings file may nest levels (``a.a.a... = 1``, ``[a.a.a...]``) is refused
    before tomllib reads it: tomllib takes time quadratic in a key's parts, so a pyproject.toml of 100 kB in a
    cloned repository (any one met on the way up, with a [tool.mailconf] table or not) held ``mailconf lint`` for
    minutes."""
    from .loader import MAX_DEPTH

    for token in _TOML_DOTS.finditer(text):
        chain = token["chain"]
        if chain is None or chain.count(".") < MAX_DEPTH or not _TOML_KEY_END.match(text, token.end()):
            continue  # not a key (a key is followed by `=`, or by `]` in a header); `x = "a.a.a...` is unterminated
        if len(_TOML_PART.findall(chain)) > MAX_DEPTH:
            line = text.count("\n", 0, token.start()) + 1
            column = token.start() - text.rfind("\n", 0, token.start())
            raise ConfigError(f"{path}:{line}:{column}: invalid TOML (a key of more than {MAX_DEPTH} dotted parts, "
                              f"nested deeper than {MAX_DEPTH} levels); fix the file")  # fmt: skip


#: what may open a multi-line string in the rest of a line (a one-line string or a comment is passed over whole)
_TOML_TOKEN = re.compile("|".join((r'"""', r"'''", r'"(?:[^"\\\n]|\\.)*"', r"'[^'\n]*'", "#")))
#: the rest of a multi-line string, up to its closing delimiter (a """ string's backslash escapes a quote)
_TOML_CLOSE = {'"""': re.compile(r'(?:[^"\\]|\\.?|"(?!""))*"""+'), "'''": re.compile(r"(?:[^']|'(?!''))*'''+")}

#: a key's full path -> (line, column of the key, column of its value), 1-based; a [table]'s value is its header
TomlPlaces = dict[tuple[str, ...], tuple[int, int, int]]


def _toml_where(path: Path, text: str) -> Where:
    """``file:line:col`` of a setting in a ``pyproject.toml``, as a ``.mailconf.yaml`` has it: tomllib gives no
    places, so the text is scanned for the keys' lines (once, at the first call). A setting whose own place is
    not found (an element of an array) is placed at its nearest enclosing key's value; none found: the file."""
    places: list[TomlPlaces] = []

    def where(key_path: tuple[str | int, ...], on_key: bool) -> str:
        if not places:
            places.append(_toml_places(text))
        found = _toml_place(places[0], text, key_path, on_key)
        return f"{path}:{found[0]}:{found[1]}" if found else str(path)

    return where


def _toml_place(places: TomlPlaces, text: str, key_path: tuple[str | int, ...], on_key: bool) -> tuple[int, int] | None:
    """(line, column) of ``[tool.mailconf]``'s ``key_path``: the key itself, or the nearest enclosing key found."""
    wanted = ("tool", "mailconf", *(str(k) for k in key_path))
    for length in range(len(wanted), 1, -1):
        place = places.get(wanted[:length])
        if place is None:
            continue
        line, key_column, value_column = place
        rest = key_path[length - 2 :]
        if rest and isinstance(rest[0], str) and key_column != value_column:  # severity = {MC101 = "info"}
            inline = _inline_key(text.split("\n")[line - 1], value_column, rest[0])
            if inline is not None:
                return line, inline[0] if on_key else inline[1]
        return line, key_column if on_key and not rest else value_column
    return None


def _inline_key(line: str, start: int, key: str) -> tuple[int, int] | None:
    """(column of the key, column of its value) of ``key`` in the inline table ``line`` holds from ``start``."""
    spelt = "|".join(re.escape(form) for form in (key, f'"{key}"', f"'{key}'"))
    found = re.compile(rf"[{{,][ \t]*(?P<key>{spelt})[ \t]*=[ \t]*").search(line, start - 1)
    return (found.start("key") + 1, found.end() + 1) if found else None


def _toml_places(text: str) -> TomlPlaces:
    """Where each key and [table] of a TOML text is written (see :data:`TomlPlaces`)."""
    places: TomlPlaces = {}
    table: tuple[str, ...] = ()
    closing: str | None = None  # the delimiter of the multi-line string the line starts inside
    for number, line in enumerate(text.split("\n"), 1):
        start = 0
        if closing is not None:
            end = _TOML_CLOSE[closing].match(line)
            if end is None:
                continue
            start, closing = end.end(), None
        elif header := _TOML_HEADER.match(line):
            table, start = _toml_key(header["key"]), header.end()
            bracket = line.index("[") + 1
            places.setdefault(table, (number, bracket, bracket))  # the same column twice: a header, not a key
        elif assign := _TOML_ASSIGN.match(line):
            start = assign.end()
            places.setdefault((*table, *_toml_key(assign["key"])), (number, assign.start("key") + 1, start + 1))
        closing = _opened(line, start)
    return places


def _toml_key(dotted: str) -> tuple[str, ...]:
    """``tool."mailconf".x`` -> ("tool", "mailconf", "x")."""
    import tomllib

    return tuple(tomllib.loads(f"k = {part}")["k"] if part[0] in "\"'" else part for part in _TOML_PART.findall(dotted))


def _opened(line: str, start: int) -> str | None:
    """The delimiter of a multi-line string that opens in ``line`` after ``start`` and does not close in it."""
    position = start
    while token := _TOML_TOKEN.search(line, position):
        if token.group() == "#":
            return None
        position = token.end()
        if token.group() in _TOML_CLOSE:
            end = _TOML_CLOSE[token.group()].match(line, position)
            if end is None:
                return token.group()
            position = end.end()
    return None


def load_policy(config: str | None = None, *, search: bool = True) -> Policy:
    """The policy of ``config``; without one, of the file found from the current directory (``search``)."""
    if config:
        return _load_policy(Path(config), found=False)
    tables: Tables = {}
    path = (_discover_in(_real(Path.cwd()), tables=tables) or user_settings()) if search else None
    return _load_policy(path, found=True, read=tables.get(path)) if path else Policy()


def _load_policy(path: Path, *, found: bool, read: tuple[str, dict[str, Any] | None] | None = None) -> Policy:
    """The policy of the settings file ``path``; ``read``: its text and table, when it is a pyproject.toml read
    already; ``found``: met on the way up, or the user's own file, rather than named by ``--config``."""
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        text, table = read or _read_pyproject(path, found=found)
        if table is None:
            raise ConfigError(f"{path}: has no [tool.mailconf] table; add one or name another file")
        return _policy(table, str(path), _toml_where(path, text))
    from .loader import EMPTY_FILE, load
    from .rules import mc004_byte_order_mark as BOM
    from .rules import mc005_crlf_line_endings as CRLF
    from .rules import mc701_duplicate_account as DUPLICATE

    loaded = load(_read_settings(path, found=found))
    # empty, or only comments: the defaults. Every other problem that leaves no data stops the run: a number of
    # 101 digits (an MC002 too) left the whole file passed over for the defaults without a word. A BOM or CRLF
    # line ends change nothing here, in an empty file as in any other.
    fatal = [p for p in loaded.problems if p.message != EMPTY_FILE and p.rule not in (BOM.ID, CRLF.ID)]
    if loaded.data is None and fatal:
        raise ConfigError(f"{path}:{fatal[0].line}:{fatal[0].column}: {fatal[0].message}")
    # a key given twice: YAML keeps one, so the other setting would be dropped without a word (a BOM or CRLF
    # line ends, the other problems a parsed file can have, change nothing here)
    for problem in loaded.problems:
        if problem.rule == DUPLICATE.ID:
            raise ConfigError(f"{path}:{problem.line}:{problem.column}: {problem.message}")
    if loaded.data is None:
        return Policy(source=str(path))
    if not isinstance(loaded.data, dict):
        raise ConfigError(f"{path}:1:1: settings must be a mapping ({', '.join(KEYS)})")
    data, positions = loaded.data, loaded.positions

    def where(key_path: tuple[str | int, ...], on_key: bool) -> str:
        line, column = positions.locate(data, key_path, on_key=on_key)
        return f"{path}:{line}:{column}"

    return _policy(data, str(path), where)


#: (path into the settings, at the key?) -> "file" or "file:line:col", for error messages
Where = Callable[[tuple[str | int, ...], bool], str]


def _policy(table: Mapping[str, Any], source: str, where: Where | None = None) -> Policy:
    at: Where = where or (lambda _path, _on_key: source)
    known = set(KEYS)
    unknown = [key for key in table if key not in known]  # in the file's order, the first one located
    if unknown:  # the first few: a pyproject.toml of 20,000 other keys under [tool.mailconf] made a line of 150 kB
        listed = first_few(unknown, str)
        raise ConfigError(
            f"{at((unknown[0],), True)}: unknown {plural(len(unknown), 'setting')} {listed}; allowed: {', '.join(KEYS)}"
        )
    patterns = {key: _patterns(table, key, at) for key in ("include", "exclude")}
    baseline = table.get("baseline")
    if "baseline" in table and (not isinstance(baseline, str) or not baseline):  # `baseline:` alone, too
        raise ConfigError(f"{at(('baseline',), False)}: `baseline` must be the path of a baseline file")
    if baseline is not None and "\0" in baseline:  # os.open() raises ValueError: it was an internal error
        raise ConfigError(f"{at(('baseline',), False)}: `baseline` holds a NUL character, which no path can hold")
    disable = table.get("disable", [])
    if not isinstance(disable, list):
        raise ConfigError(f"{at(('disable',), False)}: `disable` must be a list of rule ids or slugs")
    _each_text(disable, "disable", "a rule id or slug", at)
    severity = table.get("severity", {})
    if not isinstance(severity, dict):
        raise ConfigError(
            f"{at(('severity',), False)}: `severity` must map rule ids or slugs to info, warning or error"
        )
    fail_level = table.get("fail-level")
    return Policy(
        fail_level=_severity(fail_level, f"{at(('fail-level',), False)}: fail-level")
        if "fail-level" in table  # `fail-level:` alone was the default without a word
        else Severity.ERROR,
        disabled=frozenset(_rule_id(d, f"{at(('disable', i), False)}: disable") for i, d in enumerate(disable)),
        severity=_severities(severity, at),
        source=source,
        include=patterns["include"] if "include" in table else DEFAULT_INCLUDE,
        exclude=patterns["exclude"],
        baseline=str(Path(source).parent / baseline) if baseline else None,
        baseline_at=at(("baseline",), False) if baseline else None,
        patterns_at={(key, i): at((key, i), False) for key, values in patterns.items() for i in range(len(values))},
    )


def _severities(table: Mapping[Any, Any], at: Where) -> dict[str, Severity]:
    """``severity``'s rules and levels. One rule named twice (``MC101`` and ``cleartext-credentials``) is refused as
    a key written twice is: one of the two levels would be dropped without a word."""
    out: dict[str, Severity] = {}
    named: dict[str, Any] = {}
    for key, level in table.items():
        rule = _rule_id(str(key), f"{at(('severity', key), True)}: severity")
        if rule in named:
            raise ConfigError(f"{at(('severity', key), True)}: severity: {shown(str(key))} names {rule} again (as "
                              f"{shown(str(named[rule]))} above); give each rule one severity")  # fmt: skip
        named[rule] = key
        out[rule] = _severity(level, f"{at(('severity', key), False)}: severity {key}")
    return out


def _patterns(table: Mapping[str, Any], key: str, at: Where) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f'{at((key,), False)}: `{key}` must be a list of .gitignore-style patterns, like "*.yaml"')
    _each_text(value, key, 'a .gitignore-style pattern, like "*.yaml"', at)
    for i, pattern in enumerate(value):
        if ".." in pattern.lstrip("!").split("/"):  # matched against paths below this folder, which hold no `..`
            raise ConfigError(f"{at((key, i), False)}: {key}: `{pattern}` matches nothing: patterns are matched "
                              "against the paths below the settings file's folder, which hold no `..`; write it "
                              "without `..`")  # fmt: skip
    return tuple(value)
