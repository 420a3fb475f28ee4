"""Every module in mailconf/importers is registered, and each has what the command and the docs need."""

from __future__ import annotations

import pkgutil

import mailconf.importers
from mailconf.importers import IMPORTERS


def test_every_importer_module_is_registered() -> None:
    modules = {m.name for m in pkgutil.iter_modules(mailconf.importers.__path__) if not m.name.startswith("_")}
    assert modules == {getattr(importer, "__name__", "").rsplit(".", 1)[1] for importer in IMPORTERS.values()}
    assert sorted(IMPORTERS) == [
        "aerc", "autoconfig", "autodiscover", "fetchmail", "getmail", "mbsync", "mobileconfig", "msmtp", "mutt",
        "neomutt", "offlineimap", "outlook", "outlook-prf", "thunderbird",
    ]  # fmt: skip


def test_each_importer_has_a_name_a_title_and_user_docs() -> None:
    for name, importer in IMPORTERS.items():
        assert name == importer.NAME
        assert importer.TITLE
        assert importer.__doc__ is not None
        assert f"mailconf import --from {name}" in importer.__doc__
        assert callable(importer.read)
