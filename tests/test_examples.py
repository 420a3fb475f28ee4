"""examples/ are fixtures: each lints exactly as documented."""

from __future__ import annotations

import pytest

from mailconf.cli import main
from mailconf.document import load_document
from mailconf.lint import lint_document
from mailconf.settings import Policy
from tests.conftest import EXAMPLES

EXPECTED: dict[str, list[tuple[str, int, int, str]]] = {
    "personal-oauth2.yaml": [],
    "company.yaml": [],
    "pop3-pinned.yaml": [
        ("MC504", 25, 22, "info"),
        ("MC504", 35, 22, "info"),
    ],
    "insecure.yaml": [
        ("MC705", 9, 5, "warning"),
        ("MC101", 13, 17, "error"),
        ("MC401", 15, 17, "error"),
        ("MC707", 16, 16, "warning"),
        ("MC204", 20, 13, "warning"),
        ("MC104", 21, 17, "info"),
        ("MC205", 22, 13, "error"),
        ("MC201", 28, 13, "error"),
        ("MC301", 30, 20, "warning"),
        ("MC402", 31, 25, "error"),
        ("MC501", 33, 17, "error"),
        ("MC105", 34, 22, "error"),
        ("MC503", 37, 13, "warning"),
        ("MC103", 39, 17, "error"),
        ("MC601", 46, 13, "warning"),
    ],
}


def findings(name: str) -> list[tuple[str, int, int, str]]:
    doc = load_document(str(EXAMPLES / name))
    return [(f.rule, f.location.line, f.location.column, f.severity.label) for f in lint_document(doc, Policy())]


def test_every_example_is_listed() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_findings(name: str) -> None:
    assert findings(name) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_points_editors_at_the_schema(name: str) -> None:
    first = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/mailconf.schema.json"


def test_insecure_example_says_so_at_its_top() -> None:
    head = (EXAMPLES / "insecure.yaml").read_text(encoding="utf-8").splitlines()[:4]
    assert any("DELIBERATELY INSECURE" in line for line in head)


def test_insecure_example_never_shows_its_secret(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(EXAMPLES / "insecure.yaml")]) == 1
    out = capsys.readouterr()
    assert "correct-horse" not in out.out + out.err


def test_lint_examples_fails_only_because_of_insecure(capsys: pytest.CaptureFixture[str]) -> None:
    paths = sorted(str(p) for p in EXAMPLES.glob("*.yaml"))
    assert main(["lint", *paths]) == 1
    good = [p for p in paths if not p.endswith("insecure.yaml")]
    assert main(["lint", "--fail-level", "warning", *good]) == 0
    capsys.readouterr()
