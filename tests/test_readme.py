"""The README states what the code does: its tables are generated from the code."""

from __future__ import annotations

from pathlib import Path

from mailconf.render import capability_matrix
from mailconf.targets import FEATURES, TARGETS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_readme_holds_the_generated_capability_matrix() -> None:
    assert capability_matrix() in README, "regenerate: mailconf targets --format markdown"


def test_every_target_is_documented_with_every_feature() -> None:
    for name, target in TARGETS.items():
        assert f"#### `{name}`" in README
        assert (Path(__file__).resolve().parent.parent / "docs" / "targets" / f"{name}.md").is_file()
        assert set(target.CAPABILITIES) == set(FEATURES), name


def test_readme_starts_with_the_two_commands() -> None:
    first = README.index("```sh")
    block = README[first : README.index("```", first + 5)]
    assert "pip install . && mailconf lint examples/*.yaml" in block
    assert "bash .ci/run" in block
