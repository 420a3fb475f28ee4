"""Thunderbird's own autoconfig fetch, pointed at ``mailconf serve``.

Thunderbird 153's ISPDB lookup (FetchConfig.fromDB, FORMATS2 B1) fetches the URL in the pref
``mailnews.auto_config_url``, with ``{{domain}}`` replaced by the mail domain, and reads the
answer with its own readFromXML. The pref points it at the server on 127.0.0.1 with
``?emailaddress=probe@{{domain}}``, so the server picks the domain's document exactly as it
does for ``https://autoconfig.DOMAIN/mail/config-v1.1.xml?emailaddress=...``. What Thunderbird
read (host, port, socket type, username of every server) is compared with the file.

Not covered here: Thunderbird's fromISP URLs (``https://autoconfig.DOMAIN/...``) need the
name to resolve to this machine and a trusted certificate on port 443, and its Exchange
Autodiscover POST goes to ``https://autodiscover.DOMAIN/``; both need DNS and TLS this
test rig does not have (the Autodiscover answer itself is read by Thunderbird's
readAutoDiscoverXML in tests/targets).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import need
from tests.targets._marionette import thunderbird, write_user_js

from ._server import serving

pytestmark = [pytest.mark.real, pytest.mark.slow]

HERE = Path(__file__).resolve().parent

FETCH = """
const [domain, done] = arguments;
const { FetchConfig } = ChromeUtils.importESModule("resource:///modules/accountcreation/FetchConfig.sys.mjs");
const name = value => Object.keys(Ci.nsMsgSocketType).find(key => Ci.nsMsgSocketType[key] === value);
const server = s => ({type: s.type, hostname: s.hostname, port: s.port, socketType: name(s.socketType),
                      username: s.username});
FetchConfig.fromDB(domain, new AbortController().signal).then(
  config => done({source: config.source, subSource: config.subSource,
                  incoming: [config.incoming, ...config.incomingAlternatives].map(server),
                  outgoing: [config.outgoing, ...config.outgoingAlternatives].map(server)}),
  error => done({error: String(error)}));
"""


def test_thunderbird_fetches_the_declared_servers(tmp_path: Path) -> None:
    binary = need("thunderbird")["thunderbird"]
    accounts = tmp_path / "accounts.yaml"
    shutil.copyfile(HERE / "accounts.yaml", accounts)
    with serving(accounts) as server:
        url = f"{server.url}/mail/config-v1.1.xml?emailaddress=probe%40{{{{domain}}}}"
        profile = Path(tempfile.mkdtemp(prefix="mailconf-tb-serve-"))
        try:
            write_user_js(profile, f"user_pref({json.dumps('mailnews.auto_config_url')}, {json.dumps(url)});\n")
            with thunderbird(profile, binary) as client:
                read: dict[str, Any] = {d: client.execute_async(FETCH, [d]) for d in ("example.com", "other.test")}
        finally:
            shutil.rmtree(profile, ignore_errors=True)
        fetched = [line for line in server.lines if '"GET /mail/config-v1.1.xml?emailaddress=probe' in line]
    assert read["example.com"] == {
        "source": "xml",  # AccountConfig.kSourceXML: read from an autoconfig document
        "subSource": "xml-from-db",  # ... fetched by the ISPDB lookup
        "incoming": [{"type": "imap", "hostname": "imap.example.com", "port": 993, "socketType": "SSL",
                      "username": "%EMAILADDRESS%"}],
        "outgoing": [{"type": "smtp", "hostname": "smtp.example.com", "port": 465, "socketType": "SSL",
                      "username": "%EMAILADDRESS%"}],
    }  # fmt: skip
    # carol's servers declare auth: oauth2, which the document says as <authentication>OAuth2; Thunderbird
    # takes OAuth2 only for the providers it knows, so it read the document and refused the account for that
    assert read["other.test"] == {"error": "Error: Lacking OAuth2 config for imap.other.test"}
    assert len(fetched) == 2  # the access log saw Thunderbird's two fetches
