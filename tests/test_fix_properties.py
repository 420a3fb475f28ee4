"""lint --fix keeps what a user wrote: generated account files with fixable findings, in the YAML layouts users
write, fixed by the real command; the result must be the original with exactly the fixed values' tokens changed.

The generator builds each file from pieces: literal text and *slots*, the tokens of values, each with its YAML path.
``--fix`` reports the settings it changed (``Outcome.changes``); the expected file is the original with those
slots alone rewritten, in the token's own quoting (or removed, for a list item or a blank key: its line, or its
item and one comma in a flow list). Everything else, comments, blank lines, spacing, quoting, anchors, line ends,
the byte-order mark and the final line end, must be byte for byte as written.

Set ``MAILCONF_FIX_EXAMPLES`` for a longer hunt: that many examples, new ones each run (the suite runs 120,
derandomized).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from mailconf import cli
from mailconf.baseline import _keys_of, accepted, render
from mailconf.document import load_document
from mailconf.fix import fix_text
from mailconf.lint import LintedFile, details_by_finding, lint_detailed, lint_document
from mailconf.rules import DELETE
from mailconf.settings import Policy
from tests.test_fix import about

EXAMPLES = int(os.environ.get("MAILCONF_FIX_EXAMPLES", "120"))

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class Slot:
    """A value's token in the text; ``whole_line``: a block list item, or a block mapping's value on its key's line
    (removed, the line goes)."""

    path: Path_
    token: str
    whole_line: bool = False


Piece = str | Slot


@dataclass
class Generated:
    lines: list[list[Piece]] = field(default_factory=list)
    ending: str = "\n"
    final_newline: bool = True
    bom: bool = False

    def text(self, lines: list[list[Piece]] | None = None) -> str:
        rendered = [_join(line) for line in (self.lines if lines is None else lines)]
        body = self.ending.join(rendered) + (self.ending if self.final_newline else "")
        return ("\ufeff" if self.bom else "") + body


def _join(line: list[Piece]) -> str:
    return "".join(p.token if isinstance(p, Slot) else p for p in line)


# --- generating ----------------------------------------------------------------------------------------------------


class _Writer:
    """Draws the layout choices and writes lines of pieces; every comment is `# cN`, N unique."""

    def __init__(self, draw: Any, *, directives: bool = False) -> None:
        self.draw = draw
        self.directives = directives
        self.lines: list[list[Piece]] = []
        self.count = 0
        self.step = draw(st.sampled_from([2, 4]))
        self.seq_indented = draw(st.booleans())
        self.anchors = 0

    def comment(self, always: bool = False) -> str:
        if not always and self.draw(st.integers(0, 3)) != 0:
            return ""
        self.count += 1
        gap: str = self.draw(st.sampled_from([" ", "  ", "\t", " \t", "   "]))
        if self.directives and self.draw(st.integers(0, 2)) == 0:
            return gap + self.directive() + (self.comment(always=True) if self.draw(st.booleans()) else "")
        body = self.draw(
            st.sampled_from(
                ["", " tab\there", " café ☃ 日本語", " ünïcödé\t", " x: 1, [a] {b}", "#", " 😀 astral", " nel\x85",
                 " ls\u2028ps\u2029", " ' \" quotes", " trailing   "]
            )
        )  # fmt: skip
        return f"{gap}# c{self.count}{body}"

    def directive(self) -> str:
        """A ``# mailconf: disable=`` of one or two rules, used or not, with a reason or none."""
        rules = self.draw(st.lists(st.sampled_from(_DIRECTIVE_RULES), min_size=1, max_size=2))
        reason: str = self.draw(st.sampled_from(["", " old", " no IMAPS here (ticket 12)"]))
        return "# mailconf: disable=" + ",".join(rules) + reason

    def own_line_comments(self, indent: int) -> None:
        """Comments and blank lines on lines of their own, before an entry."""
        for _ in range(self.draw(st.integers(0, 2)) if self.draw(st.integers(0, 3)) == 0 else 0):
            kind = self.draw(st.integers(0, 3))
            if kind == 0:
                self.lines.append([self.draw(st.sampled_from(["", "", "  "]))])
            else:
                at = self.draw(st.sampled_from([indent, 0, indent + 1]))
                self.lines.append([" " * at + self.comment(always=True).lstrip(" \t")])

    def block_map(self, indent: int, entries: list[tuple[str, Any]], path: Path_) -> None:
        for key, value in entries:
            self.own_line_comments(indent)
            self.entry(indent, key, value, (*path, key))

    def entry(self, indent: int, key: str, value: Any, path: Path_) -> None:  # noqa: PLR0911 - one layout each
        pad = " " * indent
        anchor = ""
        if isinstance(value, Anchored):
            anchor, value = f" &{value.name}", value.value
        if isinstance(value, Raw):  # an alias, an anchored node: written as given
            self.lines.append([f"{pad}{key}: ", *value.pieces, self.comment()])
            return
        if isinstance(value, list):
            style = self.draw(st.integers(0, 2))
            if style == 0:
                self.lines.append([f"{pad}{key}:{anchor} ", *self.flow_seq(value, path), self.comment()])
                return
            if style == 1 and len(value) > 1:
                self.flow_seq_lines(indent, key + ":" + anchor, value, path)
                return
            self.lines.append([f"{pad}{key}:{anchor}" + self.comment()])
            item_pad = " " * (indent + (self.step if self.seq_indented else 0))
            for i, token in enumerate(value):
                self.own_line_comments(len(item_pad))
                self.lines.append([f"{item_pad}- ", Slot((*path, i), token, whole_line=True), self.comment()])
            return
        if isinstance(value, dict):
            style = self.draw(st.integers(0, 3))
            if style == 0:
                self.lines.append([f"{pad}{key}:{anchor} ", *self.flow_map(value, path), self.comment()])
                return
            if style == 1 and all(not isinstance(v, (dict, list, Raw)) for v in value.values()):
                self.flow_map_lines(indent, key + ":" + anchor, value, path)
                return
            self.lines.append([f"{pad}{key}:{anchor}" + self.comment()])
            self.block_map(
                indent + self.draw(st.sampled_from([self.step, self.step, self.step, 1, 3])), list(value.items()), path
            )
            return
        if isinstance(value, Folded):
            self.lines.append([f"{pad}{key}: >-" + self.comment()])
            self.lines.append([" " * (indent + self.step) + value.text])
            return
        after = self.comment() or self.draw(st.sampled_from(["", "", "", "  ", "\t"]))
        if self.draw(st.integers(0, 9)) == 0:  # the value on the next line, a comment or none after the key
            self.lines.append([f"{pad}{self.key(key)}:" + self.comment()])
            self.lines.append([" " * (indent + self.step), Slot(path, value), after])
            return
        self.lines.append([pad + self.colon(key), Slot(path, value, whole_line=True), after])

    def colon(self, key: str, *, flow: bool = False) -> str:
        """A key, its colon and the white space after it: a tab, a space before the colon, none after a quoted key
        in a flow mapping (as JSON writes it) now and then."""
        written = self.key(key)
        before = " " if key != "<<" and self.draw(st.integers(0, 9)) == 0 else ""
        after = self.draw(st.sampled_from([" ", " ", " ", " ", "\t", "  "]))
        if flow and written[:1] in "'\"" and self.draw(st.booleans()):
            after = ""
        return f"{written}{before}:{after}"

    def key(self, key: str) -> str:
        """A key as written: plain, or quoted now and then (not ``<<``: quoted, it is a key, not a merge)."""
        if key == "<<":
            return key
        style = self.draw(st.integers(0, 9))
        return f'"{key}"' if style == 0 else f"'{key}'" if style == 1 else key

    def flow_map(self, value: dict[str, Any], path: Path_) -> list[Piece]:
        inner = self.draw(st.sampled_from(["", " "]))
        sep = self.draw(st.sampled_from([", ", ",  ", ","]))
        out: list[Piece] = ["{" + inner]
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(sep)
            out.append(Key(self.colon(key, flow=True)))
            out.extend(self.flow_value(item, (*path, key)))
        out.append(self.draw(st.sampled_from(["", "", ","])) + inner + "}")  # a trailing comma is YAML too
        return out

    def flow_seq(self, value: list[str], path: Path_) -> list[Piece]:
        sep = self.draw(st.sampled_from([", ", ",  ", ","]))
        out: list[Piece] = ["["]
        for i, token in enumerate(value):
            if i:
                out.append(sep)
            out.append(Slot((*path, i), token))
        out.append(self.draw(st.sampled_from(["", "", ","])) + "]")
        return out

    def flow_value(self, value: Any, path: Path_) -> list[Piece]:
        if isinstance(value, Anchored):
            return [f"&{value.name} ", *self.flow_value(value.value, path)]
        if isinstance(value, Raw):
            return list(value.pieces)
        if isinstance(value, dict):
            return self.flow_map(value, path)
        if isinstance(value, list):
            return self.flow_seq(value, path)
        if isinstance(value, Folded):
            return [json_quote(value.text)]
        return [Slot(path, value)]

    def flow_map_lines(self, indent: int, head: str, value: dict[str, Any], path: Path_) -> None:
        """A flow mapping over several lines, a comment after a comma at the end of a line."""
        self.flow_lines(
            indent, head, "{}", [([Key(self.colon(k, flow=True))], v, (*path, k)) for k, v in value.items()]
        )

    def flow_seq_lines(self, indent: int, head: str, value: list[str], path: Path_) -> None:
        """A flow sequence over several lines, a comment after a comma at the end of a line."""
        self.flow_lines(indent, head, "[]", [([], token, (*path, i)) for i, token in enumerate(value)])

    def flow_lines(self, indent: int, head: str, brackets: str, items: list[tuple[list[Piece], Any, Path_]]) -> None:
        pad = " " * indent
        cont = " " * (indent + self.draw(st.sampled_from([1, self.step, self.step + 1])))
        line: list[Piece] = [f"{pad}{head} {brackets[0]}"]
        for i, (lead, v, where) in enumerate(items):
            line += [*lead, *self.flow_value(v, where)]
            if i == len(items) - 1:
                line.append(brackets[1] + self.comment())
                self.lines.append(line)
                break
            if self.draw(st.booleans()):
                line.append("," + self.comment())
                self.lines.append(line)
                line = [cont]
            else:
                line.append(self.draw(st.sampled_from([", ", ","])))


class Key(str):
    """A flow mapping's key as written, with its colon: removed with the value."""

    __slots__ = ()


@dataclass(frozen=True)
class Anchored:
    """A mapping or list with an anchor."""

    name: str
    value: Any


@dataclass(frozen=True)
class Raw:
    """Text written as it is (an alias, an anchored scalar), with its slots."""

    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class Folded:
    text: str


def json_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_STR = {
    "security": ["tls", "starttls", "starttls-optional", "none"],
    "min_version": ["1.0", "1.1", "1.2", "1.3"],
}


def _string(draw: Any, value: str, *, must_quote: bool = False) -> str:
    style = draw(st.sampled_from(["plain", "single", "double"] if not must_quote else ["single", "double"]))
    if style == "single":
        return f"'{value}'"
    if style == "double":
        return f'"{value}"'
    return value


def _bool(draw: Any) -> str:
    return str(draw(st.sampled_from(["true", "false", "false", "True", "FALSE", "False"])))


@st.composite
def server(draw: Any, protocol: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if protocol != "smtp" or draw(st.booleans()):
        out["protocol"] = protocol
    out["host"] = _string(draw, draw(st.sampled_from(["mail.example.com", "imap.example.org"])))
    if draw(st.integers(0, 4)):
        out["port"] = draw(
            st.sampled_from(["993", "143", "587", "465", "110", "995", "25", "1143", "0x8f", "0o1741", "!!int 143"])
        )
    if draw(st.integers(0, 4)):
        out["security"] = _string(draw, draw(st.sampled_from(_STR["security"])))
    if draw(st.booleans()):
        out["timeout"] = draw(st.sampled_from(["0", "2", "30", "900", "2.0"]))
    if draw(st.booleans()):
        weak = ["cram-md5", "digest-md5"]
        out["mechanisms"] = draw(
            st.lists(st.sampled_from(["plain", "scram-sha-256", "login", *weak]), min_size=1, max_size=3, unique=True)
        )
    if protocol == "pop3" and draw(st.booleans()):
        out["leave_on_server"] = _bool(draw)
    if draw(st.booleans()):
        tls: dict[str, Any] = {}
        if draw(st.booleans()):
            tls["verify"] = _bool(draw)
        if draw(st.booleans()):
            tls["verify_hostname"] = _bool(draw)
        if draw(st.booleans()) or not tls:
            tls["min_version"] = _string(draw, draw(st.sampled_from(_STR["min_version"])), must_quote=True)
        out["tls"] = tls
    if draw(st.integers(0, 3)) == 0:
        out["password_command"] = Folded("pass show mail/x")
    else:
        out["password_command"] = _string(draw, draw(st.sampled_from(["pass show x", "pass show ☃/😀/日本"])))
    keys = list(out)
    order = draw(st.permutations(keys))
    return {k: out[k] for k in order}


#: rules a directive names: each fixable one, twice in one directive at times, a slug, one that does not exist
_DIRECTIVE_RULES = [
    "MC101", "MC103", "MC104", "MC105", "MC201", "MC203", "MC301", "MC501", "MC502", "MC705", "MC706", "MC707",
    "MC712", "prefer-implicit-tls", "MC999",
]  # fmt: skip


@st.composite
def account_files(draw: Any, *, directives: bool = False) -> Generated:  # noqa: PLR0912, PLR0915
    w = _Writer(draw, directives=directives)
    gen = Generated()
    if draw(st.booleans()):
        w.lines.append(["# c0 the header, " + draw(st.sampled_from(["ascii", "née ✉", "tab\tin it"]))])
    if draw(st.integers(0, 3)) == 0:
        w.lines.append(["%YAML 1.2" + w.comment()])
        w.lines.append(["---" + w.comment()])
    elif draw(st.booleans()):
        w.lines.append(["---" + w.comment()])
    top: dict[str, Any] = {"version": "1"}
    # shared pieces: an anchored TLS mapping and server, used through an alias and a merge key
    shared: dict[str, str] = {}
    if draw(st.booleans()):
        tls = {"min_version": _string(draw, draw(st.sampled_from(["1.0", "1.2"])), must_quote=True)}
        tls["verify"] = _bool(draw)
        top["x-tls"] = Anchored("tls", tls)
        shared["tls"] = "*tls"
    if draw(st.booleans()):
        base = {"protocol": "imap", "host": "imap.example.com", "port": draw(st.sampled_from(["143", "993"]))}
        base["security"] = draw(st.sampled_from(["starttls", "tls", "none", "starttls-optional"]))
        top["x-imap"] = Anchored("imap", base)
        shared["merge"] = "*imap"
    if draw(st.booleans()):
        defaults: dict[str, Any] = {}
        if draw(st.booleans()):
            defaults["timeout"] = draw(st.sampled_from(["0", "2", "60"]))
        if draw(st.booleans()):
            defaults["security"] = _string(draw, draw(st.sampled_from(["tls", "starttls"])))
        if draw(st.booleans()):
            defaults["tls"] = {"min_version": _string(draw, draw(st.sampled_from(["1.1", "1.2"])), must_quote=True)}
        if defaults:
            top["defaults"] = defaults
    accounts: dict[str, Any] = {}
    anchored_timeout = False
    for n in range(draw(st.integers(1, 3))):
        name = f"a{n}"
        account: dict[str, Any] = {"address": f"{name}@example.com"}
        if draw(st.integers(0, 3)) == 0:
            account["display_name"] = _string(draw, draw(st.sampled_from(["", " ", "Al Ice"])), must_quote=True)
        if draw(st.integers(0, 4)) == 0:
            account["organization"] = _string(draw, draw(st.sampled_from(["", "Org"])), must_quote=True)
        protocol = draw(st.sampled_from(["imap", "pop3"]))
        incoming = draw(server(protocol))
        if protocol == "imap" and "merge" in shared and draw(st.booleans()):
            keep = {k: v for k, v in incoming.items() if k not in ("protocol", "host") and draw(st.booleans())}
            keep.setdefault("password_command", incoming["password_command"])
            incoming = {"<<": Raw(("*imap",)), **keep}
        if "tls" in shared and draw(st.integers(0, 2)) == 0:
            incoming["tls"] = Raw(("*tls",))
        if "timeout" in incoming and not anchored_timeout and n == 0 and draw(st.integers(0, 2)) == 0:
            incoming["timeout"] = Raw(("&t ", Slot(("accounts", name, "incoming", "timeout"), incoming["timeout"])))
            anchored_timeout = True
        if n == 0 and draw(st.integers(0, 3)) == 0:  # shared with a later account: never fixed
            incoming = Anchored("in0", incoming)
            shared["in0"] = "*in0"
        elif n > 0 and "in0" in shared and draw(st.booleans()):
            incoming = Raw(("*in0",))
        account["incoming"] = incoming
        if draw(st.integers(0, 3)):
            outgoing = draw(server("smtp"))
            if anchored_timeout and n > 0 and draw(st.booleans()):
                outgoing["timeout"] = Raw(("*t",))
            account["outgoing"] = outgoing
        if draw(st.booleans()):
            account = {k: account[k] for k in draw(st.permutations(list(account)))}
        accounts[name] = account
    top["accounts"] = accounts
    if draw(st.integers(0, 5)) == 0:  # the whole document one flow mapping, on the first line but for a header
        w.lines.append([*w.flow_map(top, ()), w.comment()])
    else:
        for key, value in top.items():
            w.own_line_comments(0)
            w.entry(0, key, value, (key,))
    if draw(st.booleans()):
        w.own_line_comments(0)
    if draw(st.integers(0, 3)) == 0:
        w.lines.append(["..." + w.comment()])
    gen.lines = w.lines
    gen.ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    gen.final_newline = draw(st.integers(0, 3)) > 0
    gen.bom = draw(st.booleans())
    return gen


# --- the oracle ----------------------------------------------------------------------------------------------------


def as_written(gen: Generated, made: Sequence[tuple[Path_, Any]], after: Any) -> dict[Path_, Any]:
    """The changes made over every pass, by the paths of the slots they change. A setting changed in two passes (993
    to 143 by MC201, then back by MC104) ends with the last value. The list items removed are those missing from the
    list in the fixed file (``after``, its data): the items of a generated list differ, and the index a removal
    names is the item's in the list of its own pass."""
    slots = [p for line in gen.lines for p in line if isinstance(p, Slot)]
    out: dict[Path_, Any] = {}
    removed: dict[Path_, int] = {}
    for path, value in made:
        if value is DELETE and isinstance(path[-1], int):
            removed[path[:-1]] = removed.get(path[:-1], 0) + 1
            continue
        assert path in {slot.path for slot in slots}, (path, slots)
        out[path] = value
    for where, count in removed.items():
        node = after
        for step in where:
            node = node[step]
        items = [slot for slot in slots if slot.path[:-1] == where]
        gone = [slot for slot in items if slot.token.strip("'\"") not in node]
        assert len(gone) == count, (where, count, node)
        out.update((slot.path, DELETE) for slot in gone)
    return out


def _render(value: Any, token: str) -> str:
    if isinstance(value, bool):
        word = "true" if value else "false"
        if token.isupper():
            return word.upper()
        return word.capitalize() if token[:1].isupper() else word
    if isinstance(value, str) and token[:1] in "'\"":
        return token[0] + value + token[0]
    return str(value)


def expected(gen: Generated, changes: dict[Path_, Any]) -> str:
    """The original with the slots of ``changes`` rewritten, every other byte as it was."""
    lines: list[list[Piece]] = []
    dropped_last = False
    for number, line in enumerate(gen.lines):
        out: list[Piece] = list(line)
        drop = False
        for i in reversed(range(len(out))):  # from the right: a removal leaves the pieces before it in place
            slot = out[i]
            if not isinstance(slot, Slot) or slot.path not in changes:
                continue
            value = changes[slot.path]
            if value is not DELETE:
                out[i] = _render(value, slot.token)
            elif slot.whole_line:
                drop = True
            else:
                out = _remove_flow_item(out, i)
        if drop:
            dropped_last = number == len(gen.lines) - 1
            continue
        lines.append(out)
    text = gen.text(lines)
    if dropped_last and not gen.final_newline:
        text = text.removesuffix(gen.ending)  # the line end before the last line went with it
    return text


def _remove_flow_item(line: list[Piece], i: int) -> list[Piece]:
    """The item (a mapping's key too) and one comma: the one before it, else the one after (and the spaces after
    that, but before a comment)."""
    first = i - 1 if isinstance(line[i - 1], Key) else i
    before, after = _join(line[:first]), _join(line[i + 1 :])
    # (the slots after it were rewritten already: the line is done from the right)
    stripped = before.rstrip(" \t")
    if stripped.endswith(","):
        return [*_text_before(line, first, len(stripped) - 1), after]
    rest = after.lstrip(" \t")
    assert rest.startswith(","), line
    rest = rest[1:]
    return [*line[:first], rest if rest.lstrip(" \t").startswith("#") else rest.lstrip(" \t")]


def _text_before(line: list[Piece], i: int, length: int) -> list[Piece]:
    """The pieces before ``i`` cut to ``length`` characters (the cut falls in text after the last slot)."""
    out: list[Piece] = []
    at = 0
    for piece in line[:i]:
        size = len(piece.token if isinstance(piece, Slot) else piece)
        if at + size <= length:
            out.append(piece)
        else:
            assert isinstance(piece, str), line
            out.append(piece[: length - at])
            break
        at += size
    return out


# --- running -------------------------------------------------------------------------------------------------------

TEXT_RULES = ("MC004", "MC005")


def run_fix(folder: Path, text: str, *, text_rules: bool) -> tuple[int, bytes, str]:
    """``mailconf lint --fix --unsafe-fixes`` in-process on a file holding ``text``: exit code, bytes, stderr."""
    path = folder / "accounts.yaml"
    path.write_bytes(text.encode("utf-8"))
    config = folder / ".mailconf.yaml"
    config.write_text("{}\n" if text_rules else "disable: [MC004, MC005]\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["lint", "--fix", "--unsafe-fixes", "--config", str(config), str(path)])
    return code, path.read_bytes(), err.getvalue()


#: a fixed rule -> the rule that may then find something about a setting of the same server, whose fix cannot apply
#: (starttls-optional on port 1143 becomes starttls: MC103, then MC104's advice; port 993 with a starttls that
#: ``defaults`` gives becomes 143: MC201, then MC104 about the ``defaults`` that it cannot change)
_HANDED_TO = {"MC103": (("MC104", "security"),), "MC201": (("MC104", "security"),)}


def _handed(fixed: set[tuple[str, Any]]) -> set[tuple[str, Any]]:
    """The findings the fixes may hand on: about the same server's setting, or the ``defaults`` that give it."""
    out = set()
    for rule, where in fixed:
        for then, setting in _HANDED_TO.get(rule, ()):
            side = where[2:-1] if where[:1] == ("accounts",) else ()
            out |= {(then, (*where[:-1], setting)), (then, ("defaults", setting))}
            out |= {(then, ("defaults", *side, setting))}
    return out


def _removes_line(piece: Piece, changes: dict[Path_, Any]) -> bool:
    return isinstance(piece, Slot) and piece.whole_line and changes.get(piece.path) is DELETE


def _line_diff(before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), "before", "after"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize="MAILCONF_FIX_EXAMPLES" not in os.environ,  # a hunt draws new examples each run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(account_files(), st.booleans())
def test_fix_changes_only_the_fixed_values_tokens(gen: Generated, text_rules: bool) -> None:
    text = gen.text()
    note(f"text: {text!r}")
    policy = Policy() if text_rules else Policy().merged(disable=list(TEXT_RULES))
    doc = load_document("accounts.yaml", text.encode("utf-8"))
    assert not [i for i in doc.issues if i.rule in ("MC001", "MC002", "MC003")], (text, doc.issues)
    outcome = fix_text("accounts.yaml", text.encode("utf-8"), policy, unsafe=True)
    assert outcome.refused is None, (outcome.refused, text)
    for rule in sorted({f.rule for f in outcome.fixed}) or ["nothing fixed"]:
        event(rule)
    fixed_data = load_document("accounts.yaml", outcome.after.encode("utf-8")).data
    changes = as_written(gen, outcome.changes, fixed_data)
    want = expected(gen, changes)
    if text_rules:
        want = want.removeprefix("\ufeff").replace("\r\n", "\n")
    assert outcome.after == want, _line_diff(want, outcome.after)
    # (2) every comment but those on the line of an item or key removed, (4) line ends, BOM and final line end
    kept = [_join(line) for line in gen.lines if not any(_removes_line(p, changes) for p in line)]
    assert re.findall(r"# c\d+", outcome.after) == re.findall(r"# c\d+", "\n".join(kept))
    if not text_rules:
        assert outcome.after.startswith("\ufeff") == gen.bom
        assert outcome.after.endswith(("\n", "\r")) == text.endswith(("\n", "\r"))
    # the real command writes the same bytes
    with tempfile.TemporaryDirectory() as folder:
        code, written, stderr = run_fix(Path(folder), text, text_rules=text_rules)
        assert written == outcome.after.encode("utf-8"), stderr
        assert code in (0, 1), stderr
        # (5) a second --fix changes nothing
        assert run_fix(Path(folder), outcome.after, text_rules=text_rules)[1] == written
    # (3) what is left is what was there less what was fixed, and none of what was fixed
    before = {about(f) for f in lint_document(doc, policy)}
    fixed = {about(f) for f in outcome.fixed}
    left = {about(f) for f in outcome.result.findings}
    handed = _handed(fixed)
    assert not (left & fixed) - handed, (left & fixed, outcome.after)
    assert left - (before - fixed) <= handed, (left - before, outcome.after)


#: a directive and its reason: the white space after it too before another comment (which a fix keeps), else the
#: white space before it (which a fix takes with it)
_DIRECTIVE = r"# mailconf: disable=[\w,-]+(?: [\w()]+)*"
_STRIP = re.compile(rf"{_DIRECTIVE}[ \t]*(?=#)|[ \t]*{_DIRECTIVE}$")


def without_directives(text: str) -> str:
    """The text with every directive taken out, and each line that held only directives."""
    lines = re.split("(\r\n|\r|\n)", text)
    out = []
    for line, end in zip(lines[::2], [*lines[1::2], ""], strict=True):
        stripped = line
        while stripped != (again := _STRIP.sub("", stripped, count=1)):  # one at a time: the next sees the gap
            stripped = again
        if stripped != line and not stripped.strip(" \t"):
            continue
        out.append(stripped + end)
    return "".join(out)


@settings(
    max_examples=EXAMPLES // 3,
    deadline=None,
    database=None,
    derandomize="MAILCONF_FIX_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(account_files(directives=True))
def test_fix_with_directives_keeps_all_but_the_fixed_values_and_the_directives_it_removes(gen: Generated) -> None:
    """Directives, used or not, that MC708's fix edits or removes; all else as without them."""
    text = gen.text()
    note(f"text: {text!r}")
    policy = Policy().merged(disable=list(TEXT_RULES))
    outcome = fix_text("accounts.yaml", text.encode("utf-8"), policy, unsafe=True)
    assert outcome.refused is None, (outcome.refused, text)
    changes = as_written(gen, outcome.changes, load_document("accounts.yaml", outcome.after.encode("utf-8")).data)
    want = without_directives(expected(gen, changes))
    assert without_directives(outcome.after) == want, _line_diff(want, without_directives(outcome.after))
    kept = [_join(line) for line in gen.lines if not any(_removes_line(p, changes) for p in line)]
    assert re.findall(r"# c\d+", outcome.after) == re.findall(r"# c\d+", "\n".join(kept))
    assert fix_text("accounts.yaml", outcome.after.encode("utf-8"), policy, unsafe=True).after == outcome.after
    before = {about(f) for f in lint_document(load_document("accounts.yaml", text.encode("utf-8")), policy)}
    fixed = {about(f) for f in outcome.fixed}
    left = {about(f) for f in outcome.result.findings}
    assert left - (before - fixed) <= _handed(fixed), (left - before, outcome.after)
    # removing a directive never changes which values are fixed, nor to what: with MC708 off, the same values
    # (not the removals: an item that a directive alone on the line above applies to goes only with the directive)
    alone = fix_text("accounts.yaml", text.encode("utf-8"), policy.merged(disable=["MC708"]), unsafe=True)
    assert _values(outcome.changes) == _values(alone.changes), (outcome.after, alone.after)


def _values(changes: Sequence[tuple[Path_, Any]]) -> dict[Path_, Any]:
    """Each setting changed, and its value at the end."""
    return {path: value for path, value in changes if value is not DELETE}


@settings(
    max_examples=EXAMPLES // 3,
    deadline=None,
    database=None,
    derandomize="MAILCONF_FIX_EXAMPLES" not in os.environ,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(account_files(directives=True), st.randoms(use_true_random=False))
def test_fix_with_a_baseline_keeps_every_directive_it_accepted(gen: Generated, random: Any) -> None:
    """A baseline that accepts every unused suppression (MC708) of a file, and some of its other findings: --fix
    --unsafe-fixes fixes the rest and leaves every directive as written, but on a line it removes (a list item);
    a second --fix with the baseline changes nothing.
    A fix on a directive's line changed the line the baseline's entry was matched by (the whole line), and the next
    pass removed it; then the line of a later pass as first written, cut at the column of the finding in that pass,
    was not the directive's text when a fix before it on its line changed the length of a value."""
    text = gen.text()
    note(f"text: {text!r}")
    policy = Policy().merged(disable=list(TEXT_RULES))
    with tempfile.TemporaryDirectory() as folder:
        path, baseline = f"{folder}/accounts.yaml", f"{folder}/baseline.json"
        doc = load_document(path, text.encode("utf-8"))
        findings, details = lint_detailed(doc, policy)
        result = LintedFile(path, tuple(findings), None, (), details_by_finding(findings, details), doc)
        entries = [k.entry for k in _keys_of(result) if k.finding.rule == "MC708" or random.random() < 0.5]
        note(f"accepted: {entries}")
        Path(baseline).write_text(render({"accounts.yaml": entries}), encoding="utf-8")
        outcome = fix_text(path, text.encode("utf-8"), policy, unsafe=True, accepted=accepted(baseline))
        # a second --fix with the baseline changes nothing (a pre-commit hook runs it at every commit)
        again = fix_text(path, outcome.after.encode("utf-8"), policy, unsafe=True, accepted=accepted(baseline))
    assert again.after == outcome.after, _line_diff(outcome.after, again.after)
    assert outcome.refused is None, (outcome.refused, text)
    changes = as_written(gen, outcome.changes, load_document(path, outcome.after.encode("utf-8")).data)
    lines = [_join(line) for line in gen.lines if not any(_removes_line(p, changes) for p in line)]
    directive = r"# mailconf: disable=[\w,-]+"
    assert re.findall(directive, outcome.after) == re.findall(directive, "\n".join(lines)), outcome.after
