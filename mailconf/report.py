"""Reporters: findings -> text, json, sarif (2.1.0), github (workflow commands).

Each reporter is a function ``(results, tool) -> str``; REPORTERS feeds the
``--format`` choice. ``lint`` and ``probe`` share them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .catalogue import Entry
from .errors import printable
from .model import Finding, Severity


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
    #: the text format's closing count ("2 errors in 1 file"); off with --quiet
    summary: bool = True


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
            lines.append(f"{printable(str(f.location))}: {label} {f.rule} {f.slug}: {printable(f.message)}")
    total = sum(counts.values())
    if total and tool.summary:
        parts = [f"{counts[s]} {_plural(s.label, counts[s])}" for s in reversed(Severity) if counts[s]]
        files = len(results)
        lines.append(f"{', '.join(parts)} in {files} file{'s' if files != 1 else ''}")
    return "\n".join(lines) + ("\n" if lines else "")


def _plural(label: str, count: int) -> str:
    return label if count == 1 or label == "info" else f"{label}s"


def json_(results: Sequence[Result], tool: Tool) -> str:
    payload = [
        {
            "path": f.location.path,
            "line": f.location.line,
            "column": f.location.column,
            "severity": f.severity.label,
            "rule": f.rule,
            "slug": f.slug,
            "message": f.message,
        }
        for r in results
        for f in r.findings
    ]
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def github(results: Sequence[Result], tool: Tool) -> str:
    """GitHub Actions workflow commands: annotations on the pull request's files."""
    kinds = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
    lines = []
    for r in results:
        for f in r.findings:
            props = (
                f"file={_gh_prop(printable(f.location.path))},line={f.location.line},col={f.location.column},"
                f"title={_gh_prop(f'{f.rule} {f.slug}')}"
            )
            lines.append(f"::{kinds[f.severity]} {props}::{_gh_data(printable(f.message))}")
    return "\n".join(lines) + ("\n" if lines else "")


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def sarif(results: Sequence[Result], tool: Tool) -> str:
    from . import __version__

    rule_ids = sorted(tool.rules)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules: list[dict[str, Any]] = []
    for rule_id in rule_ids:
        rule = tool.rules[rule_id]
        doc = (rule.__doc__ or rule.TITLE).strip()
        rules.append(
            {
                "id": rule.ID,
                "name": _camel(rule.SLUG),
                "shortDescription": {"text": rule.TITLE},
                "fullDescription": {"text": doc.splitlines()[0]},
                "help": {"text": doc},
                "defaultConfiguration": {"level": _SARIF_LEVELS[rule.SEVERITY]},
                "properties": {"slug": rule.SLUG},
            }
        )
    sarif_results = []
    for r in results:
        for f in r.findings:
            entry: dict[str, Any] = {
                "ruleId": f.rule,
                "level": _SARIF_LEVELS[f.severity],
                "message": {"text": f.message},
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
            sarif_results.append(entry)
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
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _camel(slug: str) -> str:
    head, *rest = slug.split("-")
    return head + "".join(part.capitalize() for part in rest)


def _uri(path: str) -> str:
    from urllib.parse import quote

    return quote(path.replace(os.sep, "/"))


REPORTERS: dict[str, Callable[[Sequence[Result], Tool], str]] = {
    "text": text,
    "json": json_,
    "sarif": sarif,
    "github": github,
}


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
