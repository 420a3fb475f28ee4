"""`.ci/constraints.txt` pins the test tools only, each at one exact version, and `.ci/run` installs with it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"


def _name(requirement: str) -> str:
    """A requirement's distribution name, normalized (PEP 503)."""
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def _pins() -> dict[str, str]:
    lines = [line.strip() for line in CONSTRAINTS.read_text("utf-8").splitlines()]
    pins = {}
    for line in lines:
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        assert sep and re.fullmatch(r"[0-9][0-9A-Za-z.]*", version), f"not NAME==VERSION: {line}"
        pins[_name(name)] = version
    return pins


def test_every_pinned_tool_is_a_test_tool_and_no_dependency_of_mailconf_itself() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    test_extra = {_name(r) for r in project["optional-dependencies"]["test"]}
    pins = _pins()
    assert {"hypothesis", "pytest", "ruff", "mypy"} <= pins.keys()
    assert pins.keys() <= test_extra, sorted(pins.keys() - test_extra)
    assert not pins.keys() & runtime, sorted(pins.keys() & runtime)


def test_ci_installs_the_test_tools_with_the_constraints() -> None:
    run = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "pip install --quiet -c .ci/constraints.txt -e '.[test]'" in run
