"""Reporters: findings -> text, json, sarif (2.1.0), github (workflow commands).

Each reporter is a function ``(results, tool) -> str``; REPORTERS feeds the
``--format`` choice. ``lint`` and ``probe`` share them.

Every format is valid UTF-8 whatever the file names are. A name that is not
UTF-8 reaches Python with its undecodable bytes as lone surrogates
(``surrogateescape``); every format shows such a byte as ``\\xFF``
(:func:`~mailconf.errors.readable`), and SARIF's ``uri`` percent-encodes the original bytes
(``%FF``), so a SARIF consumer still finds the file.

No message carries a control, format or separator character that it quotes
(:func:`~mailconf.errors.escape_controls`), in any format: a bidirectional override
(U+202E) in an account's name reverses the rest of the line in a terminal, a code
scanning alert or an editor's problem list alike, so JSON and SARIF show it as
``\\u202e`` as the text and github formats do. A JSON ``path`` stays the file's
name (a program opens it), as SARIF's ``uri`` does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .catalogue import Entry
from .errors import counted, escape_controls, escaped_before, readable
from .model import Finding, Severity
from .rules import REPR_SPELT


class Result(Protocol):
    """What a reporter needs of one file's result (lint.FileResult, probe results)."""

    @property
    def path(self) -> str: ...
    @property
    def findings(self) -> tuple[Finding, ...]: ...


#: What a reporter needs of a rule or check (SARIF's rule list): a catalogue entry.
RuleInfo = Entry


@dataclass(frozen=True)
class Tool:
    """The command that produced the findings, with its rule catalogue (SARIF needs it)."""

    name: str  # "mailconf lint" ...
    rules: Mapping[str, RuleInfo]
    color: bool = False
    #: the text format's closing count ("2 errors in 1 file (3 files checked)"); off with --quiet
    summary: bool = True
    #: how many of the results are files checked, when not all are: lint's stale baseline entries (MC709) are
    #: reported at the baseline, a file read, not checked; None: every result is a file checked
    checked: int | None = None


_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_RESET = "\033[0m"


def text(results: Sequence[Result], tool: Tool) -> str:
    lines = []
    counts = dict.fromkeys(Severity, 0)
    for result in results:
        for f in result.findings:
            counts[f.severity] += 1
            label = f.severity.label
            if tool.color:
                label = f"{_COLORS[f.severity]}{label}{_RESET}"
            lines.append(f"{_shown(str(f.location))}: {label} {f.rule} {f.slug}: {_shown(f.message)}")
    total = sum(counts.values())
    if total and tool.summary:
        parts = [f"{counts[s]} {_plural(s.label, counts[s])}" for s in reversed(Severity) if counts[s]]
        # both counts, as mypy does ("in 1 file (checked 5 source files)"): the files checked alone would read
        # as the files with findings. When the files with findings are the files checked, one count says both.
        found = sum(1 for r in results if r.findings)
        checked = len(results) if tool.checked is None else tool.checked
        also = f" ({counted(checked, 'file')} checked)" if checked != found or checked != len(results) else ""
        lines.append(f"{', '.join(parts)} in {counted(found, 'file')}{also}")
    return "\n".join(lines) + ("\n" if lines else "")


def _shown(text: str) -> str:
    """A message or a path as every format shows it: undecodable bytes as ``\\xNN`` (:func:`readable`), then no
    control character."""
    return escape_controls(readable(text))


def _plural(label: str, count: int) -> str:
    return label if count == 1 or label == "info" else f"{label}s"


def json_(results: Sequence[Result], tool: Tool) -> str:
    return "".join(_json_list(_json_entries(results), 0, end="]\n"))


def _json_entries(results: Sequence[Result]) -> Iterator[dict[str, Any]]:
    for r in results:
        fixes = getattr(r, "fixes", None)  # lint results carry them (mailconf/fix.py), probe's do not
        for f in r.findings:
            entry: dict[str, Any] = {
                "path": readable(f.location.path),
                "line": f.location.line,
                "column": f.location.column,
                "severity": f.severity.label,
                "rule": f.rule,
                "slug": f.slug,
                "message": _shown(f.message),
            }
            if fixes is not None:
                entry["fix"] = _json_fix(fixes.get(f))
            yield entry


def _json_list(items: Iterable[Any], level: int, *, end: str) -> list[str]:
    """The pieces of ``json.dumps(list(items), indent=2, ensure_ascii=False)`` as it is written at nesting ``level``,
    ending with ``end`` (which begins with the list's ``]``), made an item at a time: Python's encoder with an indent
    is the one written in Python, which holds a string for each token of the whole document at once (95,000 findings
    in SARIF: 2.1 GB), and each item's dict is dropped once written. A string in JSON holds no line break, so each of
    an item's lines is indented by replacing them. The caller joins the pieces once."""
    pad = "\n" + "  " * (level + 1)
    pieces = ["["]
    for item in items:
        text = json.dumps(item, indent=2, ensure_ascii=False).replace("\n", pad)
        pieces += ("," if len(pieces) > 1 else "", pad, text)
    if len(pieces) > 1:
        pieces.append("\n" + "  " * level)
    pieces.append(end)
    return pieces


def _json_fix(fix: Any) -> dict[str, Any] | None:
    """A fix as edits: replace from ``start`` up to, not including, ``end`` (1-based lines and columns)."""
    if fix is None:
        return None
    return {
        "safety": fix.safety,
        "message": fix.summary,
        "edits": [
            {
                "start": {"line": e.start.line, "column": e.start.column},
                "end": {"line": e.end.line, "column": e.end.column},
                "replacement": e.replacement,
            }
            for e in fix.edits
        ],
    }


def github(results: Sequence[Result], tool: Tool) -> str:
    """GitHub Actions workflow commands: annotations on the pull request's files."""
    kinds = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for r in results:
        for f in r.findings:
            props = (
                f"file={_gh_prop(_shown(f.location.path))},line={f.location.line},col={f.location.column},"
                f"title={_gh_prop(f'{f.rule} {f.slug}')}"
            )
            lines.append(f"::{kinds[f.severity]} {props}::{_gh_data(_shown(f.message))}")
    return "\n".join(lines) + ("\n" if lines else "")


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def sarif(results: Sequence[Result], tool: Tool) -> str:
    from . import __version__
    from .docgen import plain_text, rule_markdown

    rule_ids = sorted(tool.rules)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules: list[dict[str, Any]] = []
    for rule_id in rule_ids:
        rule = tool.rules[rule_id]
        # the docstring is reST-lite: a viewer shows `text` as it is and renders `markdown`, so each
        # gets the form made for it (what `mailconf explain` prints, what rules.md shows)
        doc = plain_text(rule.__doc__ or rule.TITLE)
        rules.append(
            {
                "id": rule.ID,
                "name": _camel(rule.SLUG),
                "shortDescription": {"text": rule.TITLE},
                "fullDescription": {"text": " ".join(doc.split("\n\n")[0].split())},
                "help": {"text": doc, "markdown": rule_markdown(rule)},
                "helpUri": help_uri(rule),
                "defaultConfiguration": {"level": _SARIF_LEVELS[rule.SEVERITY]},
                "properties": {"slug": rule.SLUG},
            }
        )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mailconf",
                        "semanticVersion": __version__,
                        "informationUri": "https://mailconf.dev",
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": _RESULTS,
            }
        ],
    }
    # the results, a list at nesting level 3 (log, runs, the run), are written in place of the placeholder
    head, _, tail = json.dumps(log, indent=2, ensure_ascii=False).partition(json.dumps(_RESULTS))
    return "".join([head, *_json_list(_sarif_results(results, index), 3, end="]" + tail + "\n")])


#: Where the SARIF results go (written as ``"\u0000results"``: no text of a rule's can hold that, as its
#: backslash would be written doubled).
_RESULTS = "\x00results"


def _sarif_results(results: Sequence[Result], index: Mapping[str, int]) -> Iterator[dict[str, Any]]:
    for r in results:
        seen: dict[str, int] = {}
        fixes = getattr(r, "fixes", None) or {}
        for f in r.findings:
            fingerprint = _fingerprint(f)
            seen[fingerprint] = occurrence = seen.get(fingerprint, 0) + 1
            entry: dict[str, Any] = {
                "ruleId": f.rule,
                "level": _SARIF_LEVELS[f.severity],
                "message": {"text": _shown(f.message)},
                "partialFingerprints": {FINGERPRINT_KEY: f"{fingerprint}:{occurrence}"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(f.location.path)},
                            "region": {"startLine": f.location.line, "startColumn": f.location.column},
                        }
                    }
                ],
            }
            if f.rule in index:
                entry["ruleIndex"] = index[f.rule]
            if f in fixes:
                entry["fixes"] = [_sarif_fix(f.location.path, fixes[f])]
            yield entry


def help_uri(rule: RuleInfo) -> str:
    """The rule's section of docs/rules.md (its heading's anchor), from the one documentation home (DOCS_URL)."""
    from . import DOCS_URL
    from .docgen import anchor

    return f"{DOCS_URL}rules.md#{anchor(rule)}"


#: SARIF partialFingerprints key (versioned: a new way of fingerprinting gets a new key).
FINGERPRINT_KEY = "mailconf/v1"


def _fingerprint(finding: Finding) -> str:
    """Stable when lines move: the rule and what the finding is about (Finding.subject: the YAML
    path, which names the account and the setting, and the value there; never a secret's).

    A finding about the file as a whole (a syntax error, an encoding) has no subject; its
    message stands in, without the line numbers it names (MC701's "first defined at line 3" made a duplicate
    key a new alert whenever a line was inserted above it). MC701's key, and MC001's value that its tag does not
    fit and the tag it does not read, are hashed as their messages spelt them before they quoted text in double quotes
    (``'work'``, Python's repr(); the tag bare: ``rules.REPR_SPELT``), and every message with a character from U+0080
    to U+00FF escaped as it was before, ``\\x85`` (``errors.escaped_before``): the spelling of a message is not
    what the alert is about, and a new fingerprint would close every alert, a dismissed one too, and open it again.
    Equal fingerprints in one file are told apart by their order (``:1``, ``:2``, as GitHub's own fingerprints are).
    """
    import hashlib  # SARIF only: 2.5 ms of OpenSSL loading that a text-format lint does not pay

    if finding.subject is None:
        spelt = REPR_SPELT.get(finding.rule)
        older = None if spelt is None else spelt(finding.message)
        if older is not None:
            finding = finding._replace(message=older)
        # "first defined at line 3" moves with the lines; "\u0085" was "\x85" (errors.escaped_before)
        about = "message:" + escaped_before(finding.placeless_message)
    else:
        about = json.dumps([list(finding.subject.path), finding.subject.value], ensure_ascii=True, default=str)
    return hashlib.sha256(f"{finding.rule}\0{about}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _sarif_fix(path: str, fix: Any) -> dict[str, Any]:
    """SARIF 2.1.0 section 3.55: one artifactChange with a replacement per edit."""
    replacements = []
    for e in fix.edits:
        replacement: dict[str, Any] = {
            "deletedRegion": {
                "startLine": e.start.line,
                "startColumn": e.start.column,
                "endLine": e.end.line,
                "endColumn": e.end.column,
            }
        }
        if e.replacement:
            replacement["insertedContent"] = {"text": e.replacement}
        replacements.append(replacement)
    unsafe = " (unsafe: applied only with --unsafe-fixes)" if fix.safety == "unsafe" else ""
    return {
        "description": {"text": f"{fix.summary}{unsafe}"},
        "artifactChanges": [{"artifactLocation": {"uri": _uri(path)}, "replacements": replacements}],
        "properties": {"safety": fix.safety},
    }


def _camel(slug: str) -> str:
    head, *rest = slug.split("-")
    return head + "".join(part.capitalize() for part in rest)


def _uri(path: str) -> str:
    """A relative URI reference: the file name's own bytes, percent-encoded (RFC 3986)."""
    from urllib.parse import quote

    return quote(os.fsencode(path.replace(os.sep, "/")))


REPORTERS: dict[str, Callable[[Sequence[Result], Tool], str]] = {
    "text": text,
    "json": json_,
    "sarif": sarif,
    "github": github,
}


#: The formats that are documents, written in UTF-8 whatever the locale (JSON and SARIF are UTF-8 by their
#: specifications); the others are for a person, in standard output's encoding (mailconf.commands.console).
DOCUMENT_FORMATS = frozenset({"json", "sarif"})


def default_format(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return "github" if env.get("GITHUB_ACTIONS") == "true" else "text"


#: ``--color`` choices
COLOR_MODES = ("auto", "always", "never")


def use_color(stream: Any, environ: Mapping[str, str] | None = None, mode: str = "auto") -> bool:
    """``--color always|never`` decide; ``auto``: NO_COLOR (https://no-color.org) turns colour off, else
    FORCE_COLOR (https://force-color.org) turns it on, else colour only on a terminal.

    NO_COLOR wins over FORCE_COLOR when both are set, as in CPython's own colouring.
    """
    if mode != "auto":
        return mode == "always"
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
