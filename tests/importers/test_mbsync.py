"""The mbsync importer on hand-written files: each line split into arguments as mbsync 1.4.4's get_arg splits it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths


def imported(path: Path) -> tuple[dict[str, Any], tuple[str, ...]]:
    result = import_paths("mbsync", [str(path)], ReadOptions())
    return {k: dict(v) for k, v in result.accounts.items()}, result.warnings


def test_a_comment_after_a_value_is_not_part_of_it(tmp_path: Path) -> None:
    # mbsync reads `Host imap.example.org # work` as the host imap.example.org (a '#' where an argument
    # would start ends the line); the importer read the host "imap.example.org # work", which the schema
    # refused, so the account was left out
    rc = tmp_path / "mbsyncrc"
    rc.write_text(
        "IMAPAccount work # the office\nHost imap.example.org # work\nUser alice@example.org #me\nPort 993 #x\n"
        "CertificateFile /etc/ssl/ca#2.pem\n"  # a '#' inside an argument is part of it
    )
    accounts, warnings = imported(rc)
    assert accounts == {
        "work": {
            "address": "alice@example.org",
            "incoming": {"protocol": "imap", "host": "imap.example.org", "port": 993, "security": "starttls",
                         "auth": "password", "username": "alice@example.org",
                         "tls": {"ca_file": "/etc/ssl/ca#2.pem"}},
        }
    }  # fmt: skip
    assert warnings == ()
