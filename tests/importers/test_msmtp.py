"""The msmtp importer's messages on hand-written files (what msmtp 1.8.23 reads is in test_real_readers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths, read

TWO_ACCOUNTS = """\
account a
host smtp.example.com
from a@example.com

account b
host smtp.example.org
from b@example.org
"""


def test_a_defaults_setting_that_is_not_imported_is_reported_once_at_its_line(tmp_path: Path) -> None:
    # a published msmtprc's `logfile` under defaults gave the same warning line once per account inheriting it
    rc = tmp_path / "msmtprc"
    rc.write_text(f"defaults\nlogfile ~/.msmtp.log\ntls on\n\n{TWO_ACCOUNTS}")
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    assert result.warnings == (f"{rc}:2:1: msmtp's logfile has no place in an account file",)
    # each account still comments what it inherited
    comments = read("msmtp", [str(rc)], ReadOptions()).comments
    assert {name: comments[("accounts", name, "outgoing")] for name in result.accounts} == {
        "a": f"{rc}:2: msmtp's logfile has no place in an account file",
        "b": f"{rc}:2: msmtp's logfile has no place in an account file",
    }


def test_protocol_smtp_is_what_the_account_file_means_and_is_not_reported(tmp_path: Path) -> None:
    # msmtp's default protocol was reported as "msmtp's protocol has no place in an account file"
    rc = tmp_path / "msmtprc"
    rc.write_text(f"defaults\nprotocol smtp\n\n{TWO_ACCOUNTS}")
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    assert (sorted(result.accounts), result.warnings) == (["a", "b"], ())


def test_protocol_lmtp_leaves_the_account_out(tmp_path: Path) -> None:
    # an LMTP account was imported as an SMTP server on port 25, with a warning that protocol has no place
    rc = tmp_path / "msmtprc"
    rc.write_text(f"defaults\nprotocol lmtp\nport 24\n\n{TWO_ACCOUNTS}protocol smtp\nport 587\n")
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    assert (list(result.accounts), result.accounts["b"]["outgoing"]["port"]) == (["b"], 587)
    assert result.warnings == (
        f"{rc}:2:1: account a: protocol lmtp hands mail to a mail store's delivery service (LMTP), not to an SMTP "
        "server as an account file describes; not imported",
    )


def test_account_default_that_differs_only_in_what_is_not_imported_is_left_out(tmp_path: Path) -> None:
    # a published msmtprc ends `account default : gmail` then `logfile ~/.msmtp.log`: the logfile made `default` an
    # account of its own, the very servers of gmail under another name (lint: MC702 duplicate-endpoint)
    rc = tmp_path / "msmtprc"
    rc.write_text(
        "account gmail\nhost smtp.gmail.com\nport 587\ntls on\nauth on\nfrom a@example.com\nuser a@example.com\n\n"
        "account default : gmail\nlogfile ~/.msmtp.log\n"
    )
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    assert list(result.accounts) == ["gmail"]
    assert result.warnings == (f"{rc}:10:1: msmtp's logfile has no place in an account file",)
    # a comment at the account msmtp's default is, as for a setting of its own
    assert read("msmtp", [str(rc)], ReadOptions()).comments == {
        ("accounts", "gmail", "outgoing"): f"{rc}:10: msmtp's logfile has no place in an account file"
    }


def test_account_default_with_a_setting_of_its_own_is_still_an_account(tmp_path: Path) -> None:
    rc = tmp_path / "msmtprc"
    rc.write_text(
        "account gmail\nhost smtp.gmail.com\nport 587\ntls on\nauth on\nfrom a@example.com\n\n"
        "account default : gmail\nlogfile ~/.msmtp.log\nport 2525\n"
    )
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    assert [(name, account["outgoing"]["port"]) for name, account in result.accounts.items()] == [
        ("gmail", 587),
        ("default", 2525),
    ]
    assert result.warnings == (f"{rc}:9:1: msmtp's logfile has no place in an account file",)


@pytest.mark.parametrize(
    "lines",
    ["account default : gmail\ntls on\nport 587\n", "defaults\ntls_starttls on\n\naccount default : gmail\n",
     "account default : gmail\nauth on\nuser a@example.com\nlogfile ~/.msmtp.log\n"],
    ids=["restated", "defaults-restated", "restated-and-logfile"],
)  # fmt: skip
def test_account_default_that_restates_what_it_has_is_the_account_it_names(tmp_path: Path, lines: str) -> None:
    """``tls on`` or ``port 587`` after ``account default : gmail``, where gmail has them already, made ``default``
    an account of its own, gmail's very server under another name (lint: MC702 duplicate-endpoint): any setting the
    import reads counted as a difference. It is compared with gmail on the account each imports to."""
    rc = tmp_path / "msmtprc"
    rc.write_text(
        "account gmail\nhost smtp.gmail.com\nport 587\ntls on\nauth on\nfrom a@example.com\nuser a@example.com\n\n"
        + lines
    )
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    assert list(result.accounts) == ["gmail"]
    logfile = [f"{rc}:12:1: msmtp's logfile has no place in an account file"] if "logfile" in lines else []
    assert list(result.warnings) == logfile


def test_an_account_inherits_what_its_parents_set_not_what_they_have_from_defaults(tmp_path: Path) -> None:
    """msmtp hands on to ``account c : b, o`` what each parent set itself or inherited (its mask), not what it has
    from ``defaults``: ``msmtp -a c --pretend`` prints o's host and b's port 2525 (from a). The import took o's
    whole settings, defaults and all, over b's: port 587, the defaults'."""
    rc = tmp_path / "msmtprc"
    rc.write_text(
        "defaults\nport 587\n\naccount a\nhost a.example.org\nfrom a@example.org\nport 2525\n\naccount b : a\n\n"
        "account o\nhost o.example.org\nfrom a@example.org\n\naccount c : b, o\n"
    )
    result = import_paths("msmtp", [str(rc)], ReadOptions())
    assert {name: (a["outgoing"]["host"], a["outgoing"]["port"]) for name, a in result.accounts.items()} == {
        "a": ("a.example.org", 2525),
        "b": ("a.example.org", 2525),
        "o": ("o.example.org", 587),
        "c": ("o.example.org", 2525),
    }
