"""``import --from mutt``/``neomutt``: the account's address and display name are the From the client sends.

The client reads ``from`` as an address (``Name <a@b>``, ``a@b (Comment)``: the comment is the name when there is no
other) and sends its name, and ``realname`` only when ``from`` has none. Each file is sent with by the real client first
(batch mode, to a sendmail that keeps the message: Client.sent_headers), then imported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailconf.importers import ReadOptions
from mailconf.importers._core import import_paths
from tests.conftest import need
from tests.targets._mutt_client import Client

FROM = {
    "a name and an address": "Me <a@b.example>",
    "a comment as the name": "a@b.example (Com Ment)",
    "an address alone": "a@b.example",
    "an address in angle brackets": "<a@b.example>",
    "an empty quoted name": '"" <a@b.example>',
    "a quoted name with a comma": '"Last, First" <a@b.example>',
    "a name not in ASCII": "Mé <a@b.example>",
    "a list: its first address": "a@b.example, c@d.example",
    "a list: its first name and address": "Me <a@b.example>, You <c@d.example>",
}


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize("case", sorted(FROM))
def test_the_address_and_name_are_the_from_the_client_sends(tmp_path: Path, binary: str, case: str) -> None:
    # from = "Me <a@b.example>" with realname = Real was imported as display_name Real (the client sends "Me"), and
    # "a@b.example (Com Ment)" as the address "a@b.example (Com Ment)"
    need(binary)
    rc = tmp_path / "work.muttrc"
    quoted = FROM[case].replace("\\", "\\\\").replace("'", "\\'")
    rc.write_text(f"set folder = imaps://imap.example.com/ realname = Real\nset from = '{quoted}'\n")
    sent = Client(binary, tmp_path).sent_headers(rc, tmp_path / "sent.eml")["From"].addresses
    assert len(sent) == 1
    result = import_paths(binary, [str(rc)], ReadOptions())
    account = result.accounts["work"]
    assert (account["address"], account.get("display_name"), result.warnings) == (
        sent[0].addr_spec,
        sent[0].display_name,
        (),
    )


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize("header", ["b@b.example", "<b@b.example>", "Hdr <b@b.example>"])
def test_a_my_hdr_from_of_no_name_is_sent_with_realname_s(tmp_path: Path, binary: str, header: str) -> None:
    # my_hdr From: b@b.example was imported with no display name: the client gives it realname's (not from's name)
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(
        f"set folder = imaps://imap.example.com/ realname = Real from = 'Me <a@b.example>'\nmy_hdr From: {header}\n"
    )
    [sent] = Client(binary, tmp_path).sent_headers(rc, tmp_path / "sent.eml")["From"].addresses
    assert (sent.addr_spec, sent.display_name) == ("b@b.example", "Hdr" if "Hdr" in header else "Real")
    result = import_paths(binary, [str(rc)], ReadOptions())
    account = result.accounts["work"]
    assert (account["address"], account.get("display_name"), result.warnings) == (
        sent.addr_spec,
        sent.display_name,
        (),
    )


#: what lint's MC002 says of each as an address (mailconf/schema_hints.py)
_GROUP_HINT = {
    "g: a@b.example;": "an address holds no spaces; write one like alice@example.com",
    "g:<a@b.example>": "write the address alone (a@b.example) and the name in display_name",
    "g:g:g:<a@b.example>": "write the address alone (a@b.example) and the name in display_name",
}


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
@pytest.mark.parametrize("sender", sorted(_GROUP_HINT))
def test_a_from_of_a_group_is_no_address(tmp_path: Path, binary: str, sender: str) -> None:
    # Python's parser finds a@b.example in each (aerc's Go in the first); both clients send the group's name, as a
    # mailbox without a domain (and MAIL FROM:<g> over SMTP), so the import has no address of the file's
    need(binary)
    rc = tmp_path / "work.muttrc"
    rc.write_text(f"set folder = imaps://imap.example.com/\nset from = '{sender}'\n")
    sent = Client(binary, tmp_path).sent_headers(rc, tmp_path / "sent.eml")
    assert [address.addr_spec for address in sent["From"].addresses] == ["g"]
    result = import_paths(binary, [str(rc)], ReadOptions())
    assert (result.accounts, result.warnings) == (
        {},
        (
            f"{rc}:1:5: account work: not imported, it cannot be valid: address: `address` is not valid (got "
            f'"{sender}"): {_GROUP_HINT[sender]}',
        ),
    )
