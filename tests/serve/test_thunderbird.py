"""Thunderbird's own autoconfig fetch, pointed at ``mailconf serve``.

Two of Thunderbird 153's lookups (FetchConfig.sys.mjs, FORMATS2 B1), each reading the answer
with its own readFromXML:

- fromISP, the publisher's own URLs: ``https://autoconfig.DOMAIN/mail/config-v1.1.xml``,
  ``https://DOMAIN/.well-known/...``, then the same over ``http://``, each with
  ``?emailaddress=``. The test rig has no DNS for the domains and no trusted certificate, so
  Thunderbird's HTTP and HTTPS proxy prefs point at the server: the ``https`` URLs fail (the
  server refuses the proxy's CONNECT), and the ``http`` ones reach the server with the
  domain's name in ``Host``, as through a reverse proxy. What is left untested is TLS itself
  (the reverse proxy's job, docs/serve.md).
- fromDB, the ISPDB lookup: the URL in ``mailnews.auto_config_url`` with ``{{domain}}``
  replaced, here the server's ``?emailaddress=probe@{{domain}}``.

What Thunderbird read (host, port, socket type, username of every server) is compared with the
file. Its Exchange Autodiscover POST only goes to ``https://autodiscover.DOMAIN/`` (or an http
redirect to https), which needs TLS this rig does not have; the Autodiscover answer itself is
read by Thunderbird's readAutoDiscoverXML in tests/targets/test_autodiscover.py.
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

from ._server import Server, serving

pytestmark = [pytest.mark.real, pytest.mark.slow]

HERE = Path(__file__).resolve().parent

FETCH = """
const [lookup, domain, address, done] = arguments;
const { FetchConfig } = ChromeUtils.importESModule("resource:///modules/accountcreation/FetchConfig.sys.mjs");
const name = value => Object.keys(Ci.nsMsgSocketType).find(key => Ci.nsMsgSocketType[key] === value);
const server = s => ({type: s.type, hostname: s.hostname, port: s.port, socketType: name(s.socketType),
                      username: s.username});
const signal = new AbortController().signal;
(lookup == "fromISP" ? FetchConfig.fromISP(domain, address, signal) : FetchConfig.fromDB(domain, signal)).then(
  config => done({source: config.source, subSource: config.subSource,
                  incoming: [config.incoming, ...config.incomingAlternatives].map(server),
                  outgoing: [config.outgoing, ...config.outgoingAlternatives].map(server)}),
  error => done({error: String(error)}));
"""

EXAMPLE_COM = {
    "incoming": [{"type": "imap", "hostname": "imap.example.com", "port": 993, "socketType": "SSL",
                  "username": "%EMAILADDRESS%"}],
    "outgoing": [{"type": "smtp", "hostname": "smtp.example.com", "port": 465, "socketType": "SSL",
                  "username": "%EMAILADDRESS%"}],
}  # fmt: skip
#: carol's servers declare auth: oauth2, which the document says as <authentication>OAuth2; Thunderbird
#: takes OAuth2 only for the providers it knows, so it reads the document and refuses the account for that
OTHER_TEST = {"error": "Error: Lacking OAuth2 config for imap.other.test"}


def fetch(tmp_path: Path, lookup: str) -> tuple[dict[str, Any], Server]:
    """Start the server, and Thunderbird with the prefs that send ``lookup`` to it; run it for both domains."""
    binary = need("thunderbird")["thunderbird"]
    accounts = tmp_path / "accounts.yaml"
    shutil.copyfile(HERE / "accounts.yaml", accounts)
    with serving(accounts) as server:
        port = int(server.url.rsplit(":", 1)[1])
        chosen: dict[str, object] = {}
        if lookup == "fromISP":  # every http and https fetch goes to the server
            chosen.update({"network.proxy.type": 1, "network.proxy.http": "127.0.0.1", "network.proxy.http_port": port,
                           "network.proxy.ssl": "127.0.0.1", "network.proxy.ssl_port": port,
                           "network.proxy.no_proxies_on": ""})  # fmt: skip
        else:
            chosen["mailnews.auto_config_url"] = (
                f"{server.url}/mail/config-v1.1.xml?emailaddress=probe%40{{{{domain}}}}"
            )
        profile = Path(tempfile.mkdtemp(prefix="mailconf-tb-serve-"))
        try:
            write_user_js(
                profile, "".join(f"user_pref({json.dumps(k)}, {json.dumps(v)});\n" for k, v in chosen.items())
            )
            with thunderbird(profile, binary) as client:
                read = {d: client.execute_async(FETCH, [lookup, d, f"{who}@{d}"])
                        for d, who in (("example.com", "alice"), ("other.test", "carol"))}  # fmt: skip
        finally:
            shutil.rmtree(profile, ignore_errors=True)
    return read, server


def test_thunderbird_fetches_from_the_publishers_own_urls(tmp_path: Path) -> None:
    read, server = fetch(tmp_path, "fromISP")
    assert read["example.com"] == {"source": "xml", "subSource": "xml-from-isp-http", **EXAMPLE_COM}
    assert read["other.test"] == OTHER_TEST
    asked = [line.split('"')[1] for line in server.lines if "example.com" in line and '"GET ' in line]
    assert sorted(asked) == [
        "GET http://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=alice%40example.com HTTP/1.1",
        "GET http://example.com/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress=alice%40example.com HTTP/1.1",
    ]


def test_thunderbird_fetches_through_its_ispdb_url(tmp_path: Path) -> None:
    read, server = fetch(tmp_path, "fromDB")
    assert read["example.com"] == {"source": "xml", "subSource": "xml-from-db", **EXAMPLE_COM}
    assert read["other.test"] == OTHER_TEST
    assert len([line for line in server.lines if '"GET /mail/config-v1.1.xml?emailaddress=probe' in line]) == 2
