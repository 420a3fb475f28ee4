"""docs/import.md holds every importer's docstring (its user documentation), as docgen renders it."""

from __future__ import annotations

from mailconf.importers import _docs


def test_the_format_sections_of_docs_import_md_are_current() -> None:
    current = _docs.PAGE.read_text(encoding="utf-8")
    assert _docs.page(current) == current, "docs/import.md is stale: run `python3 -m mailconf.importers._docs`"


def test_every_importer_has_its_section() -> None:
    region = _docs.region()
    for name in (
        "msmtp",
        "mutt",
        "neomutt",
        "fetchmail",
        "thunderbird",
        "mbsync",
        "outlook",
        "outlook-prf",
        "autoconfig",
        "autodiscover",
    ):
        assert f"\n### {name}\n\n" in region
