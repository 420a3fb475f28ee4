"""The README is the five-minute page: the two commands first, short, and pointing into docs/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailconf.cli import cli, main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands() -> None:
    first = README.index("```sh")
    block = README[first : README.index("```", first + 5)]
    assert "pip install . && mailconf lint examples/*.yaml" in block
    assert "bash .ci/run" in block
    assert README.index("## Two commands") < first < README.index("\n## ", README.index("## Two commands") + 1)


def test_readme_is_short() -> None:
    assert len(README.splitlines()) <= 150, "the manual belongs in docs/"


def test_readme_links_every_top_level_page_of_the_manual() -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"](docs/{page.name})" in README, page.name


def block(text: str, after: str, fence: str) -> str:
    """The first code block of kind ``fence`` (```yaml, ```text) after the line ``after``."""
    start = text.index(fence + "\n", text.index(after)) + len(fence) + 1
    return text[start : text.index("```\n", start)]


def test_the_tour_lints_as_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "accounts.yaml").write_text(block(README, "## A short tour", "```yaml"), encoding="utf-8")
    command, *output, explain = block(README, "### lint", "```text").splitlines()
    assert (command, explain.split("  ")[0]) == ("$ mailconf lint accounts.yaml", "$ mailconf explain MC104")
    monkeypatch.chdir(tmp_path)
    assert main(["lint", "accounts.yaml"]) == 0
    assert capsys.readouterr() == ("".join(line + "\n" for line in output), "")


def test_the_targets_the_readme_names_are_those_mailconf_targets_lists(capsys: pytest.CaptureFixture[str]) -> None:
    """The render paragraph names the clients, then the provider forms: every target, once."""
    text = " ".join(README.split())
    start = text.index("(`mailconf targets` lists ") + len("(`mailconf targets` lists ")
    clients, _, provider = text[start : text.index(")", start)].partition(", and the provider forms ")
    assert main(["targets"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.split("\n\n")[0].splitlines()]
    assert sorted([*clients.split(", "), *provider.split(", ")]) == listed


def test_the_tour_says_the_name_its_commands_give_its_file() -> None:
    """The commands of the tour run on accounts.yaml: the tour says to save its file so."""
    text = " ".join(README[README.index("## A short tour") : README.index("### lint")].split())
    assert "save it as `accounts.yaml`" in text


def test_an_account_a_readme_command_selects_is_the_tours_or_its_comment_says_whose() -> None:
    """`probe -a other accounts.yaml` ran on a file with an account `other`, which the tour's file does not have: as
    pasted, `mailconf: no account named other in accounts.yaml (accounts: work)`."""
    tour = block(README, "## A short tour", "```yaml")
    declared = re.findall(r"^  ([\w.-]+):$", tour, flags=re.MULTILINE)
    assert declared == ["work"]
    unexplained = []
    for line in README.splitlines():
        command, _, comment = line.partition("#")
        for name in re.findall(r"(?:^|\s)(?:-a|--account)\s+(\S+)", command):
            if name not in declared and f"`{name}`" not in comment:
                unexplained.append(line)
    assert unexplained == []


def test_every_command_the_readme_shows_is_one_mailconf_has() -> None:
    """A newcomer copies these: a command renamed or never made must be caught here (the README did not name
    `mailconf rules`, the catalogue's listing, at all)."""
    found = re.findall(r"^(?:\$ )?mailconf ([a-z][a-z-]*)|`mailconf ([a-z][a-z-]*)", README, re.MULTILINE)
    shown = {first or second for first, second in found}
    assert shown <= set(cli.commands), shown - set(cli.commands)
    assert {"lint", "explain", "rules", "render", "probe", "targets"} <= shown
