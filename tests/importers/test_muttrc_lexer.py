"""The muttrc lexer reads values as mutt and neomutt read them (``-Q``), for quoting a hand-written file uses.

No value here holds a backtick or ``$``: ``-Q`` would run or expand them, and the lexer
never does (tests/importers/test_import_cli.py checks that nothing is run).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailconf.importers import ReadOptions
from mailconf.importers._base import Collector
from mailconf.importers._muttrc import Setting, _read_file
from mailconf.targets.mutt import DIALECT
from tests.conftest import need
from tests.targets._mutt_client import Client

MUTTRC = r"""# quoting as people write it
set from = "alice@example.com" hostname="mail\"example\".com"
set realname='O'\''Brien'   ;  set imap_user = alice\ smith
set folder = imaps://imap.example.com:993/ # a comment after the value
set ssl_ca_certificates_file = "/etc/ssl/a b.pem" ssl_starttls=no
set smtp_url = 'smtps://alice%40example.com@smtp.example.com:465/' \
    connect_timeout = 45
set pop_user = "back\\slash\101" imap_authenticators="plain:login"
set ssl_force_tls
unset ssl_verify_host
set pop_host = "pops://pop.example.com\072995/"
"""

VARIABLES = (
    "from", "hostname", "imap_user", "folder", "ssl_ca_certificates_file", "ssl_starttls", "smtp_url",
    "connect_timeout", "pop_user", "imap_authenticators", "ssl_force_tls", "ssl_verify_host", "pop_host",
)  # fmt: skip


@pytest.mark.parametrize("binary", ["mutt", "neomutt"])
def test_the_lexer_reads_values_as_the_client_does(binary: str, tmp_path: Path) -> None:
    need(binary)
    rc = tmp_path / "muttrc"
    rc.write_text(MUTTRC)
    client = Client(binary, tmp_path)
    real = client.query(rc, VARIABLES)
    settings: dict[str, Setting] = {}
    _read_file(str(rc), ReadOptions(), DIALECT, settings, [], Collector(), set())
    ours = {name: settings[name].value for name in VARIABLES}
    assert ours == real
    assert settings["realname"].value == "O'Brien"
