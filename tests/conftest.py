"""Shared test helpers.

Tests that need a real client or server binary call :func:`need` (or use the
``binary`` helpers below). Without the binary they skip, with the reason. With
``MAILCONF_REQUIRE_REAL=1`` (set by .ci/run) every skip becomes a failure, so CI
never passes without the real parts.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from mailconf.document import load_document
from mailconf.lint import lint_document
from mailconf.model import Finding
from mailconf.settings import Policy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
REQUIRE_REAL = os.environ.get("MAILCONF_REQUIRE_REAL") == "1"


def need(*binaries: str) -> dict[str, str]:
    """Paths of the binaries, or skip (fail under MAILCONF_REQUIRE_REAL=1) naming the missing ones."""
    found = {b: shutil.which(b) for b in binaries}
    missing = [b for b, p in found.items() if p is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (not installed; .ci/run installs it)")
    return {b: p for b, p in found.items() if p is not None}


@pytest.fixture(autouse=True)
def _no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the settings of the user running it (~/.config/mailconf) or their colour wishes."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
    monkeypatch.delenv("FORCE_COLOR", raising=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome: Any = yield
    report = outcome.get_result()
    if REQUIRE_REAL and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.longrepr = f"MAILCONF_REQUIRE_REAL=1 turns this skip into a failure: {reason}"


def lint_text(text: str, name: str = "accounts.yaml", policy: Policy | None = None) -> list[Finding]:
    """Lint YAML text as if it were a file called `name`."""
    doc = load_document(name, text.encode("utf-8"))
    return lint_document(doc, policy or Policy())


def brief(findings: list[Finding]) -> list[tuple[str, int, int]]:
    """(rule, line, column) of each finding."""
    return [(f.rule, f.location.line, f.location.column) for f in findings]


def all_strings(node: Any) -> list[str]:
    """Every string in a parsed document: keys and values, at any depth."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in (*all_strings(key), *all_strings(value))]
    if isinstance(node, list):
        return [s for item in node for s in all_strings(item)]
    return []
