"""Where the schema and the templates are: inside the installed package, or in the checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    # The wheel carries schemas/ and templates/ inside the package (see pyproject.toml);
    # a checkout or an editable install has them beside the package.
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"mailconf is installed without its {name}/ folder; reinstall it")


def schema_path() -> Path:
    return _find("schemas") / "mailconf.schema.json"


def templates_dir() -> Path:
    return _find("templates")


def data_dir() -> Path:
    return _PACKAGE / "data"
