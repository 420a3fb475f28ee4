"""Maintainer tool: regenerate ``_schema_generated.py`` from the schema.

    python3 -m mailconf.schema_codegen

tests/test_schema.py fails when the committed module is out of date.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from . import resources

TARGET = Path(__file__).with_name("_schema_generated.py")
HEADER = '"""Generated from schemas/mailconf.schema.json by `python3 -m mailconf.schema_codegen`. Do not edit."""\n'


def generate() -> str:
    import fastjsonschema

    schema = json.loads(resources.schema_path().read_text(encoding="utf-8"))
    code: str = fastjsonschema.compile_to_code(schema)
    code = re.sub(r'^VERSION = "[^"]*"\n', "", code, flags=re.M)
    entry = re.findall(r"^def (validate_\w+)\(", code, re.M)
    document = entry[0]
    account = next(name for name in entry if name.endswith("___defs_account"))
    return (
        HEADER
        + "# ruff: noqa\n# mypy: ignore-errors\n"
        + code
        + f"\n\nvalidate_document = {document}\nvalidate_account = {account}\n"
    )


def main() -> None:
    code = generate()
    if "--check" in sys.argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else ""
        if current != code:
            print(f"{TARGET.name} is out of date: run `python3 -m mailconf.schema_codegen`", file=sys.stderr)
            sys.exit(1)
        return
    TARGET.write_text(code, encoding="utf-8")


if __name__ == "__main__":
    main()
