# mypy: disable-error-code="untyped-decorator"
# (pyproject skips following hypothesis, so its decorators look untyped)
"""The three provider forms of one file agree on every host, port and security mode each can express
(mailconf.targets._provider.agreement renders autoconfig, Autodiscover and the Apple profile, reads each
back, and lists the servers on which they differ).

They are rendered from the same values, so the only disagreement is the one a domain's single autoconfig
document forces: accounts of one domain that declare different servers, where the document offers the
preferred one (implicit TLS first) to everyone. The oracle below computes those accounts independently;
:func:`test_the_check_bites` shows it finding the bugs automx2's users report (Encryption TLS sent for
993/465; a form that drops TLS).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.document import load_document
from mailconf.model import Model, Security
from mailconf.targets import autodiscover, mobileconfig
from mailconf.targets._provider import agreement
from tests.conftest import EXAMPLES


def model_from(accounts: dict[str, Any]) -> Model:
    doc = load_document("provider.yaml", json.dumps({"version": 1, "accounts": accounts}).encode())
    assert [i for i in doc.issues if i.rule in ("MC001", "MC002")] == []
    return doc.model


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_example_agrees(path: Any) -> None:
    model = load_document(str(path)).model
    usable = Model(tuple(a for a in model.accounts if all(s.security.value != "starttls-optional" for s in a.servers)))
    assert usable.accounts
    assert agreement(usable) == []


_SERVER = st.fixed_dictionaries({
    "host": st.sampled_from(["mail.a.example", "imap.a.example", "MAIL.a.example"]),
    "security": st.sampled_from(["tls", "starttls", "none"]),
    "port": st.sampled_from([None, 2525]),
})  # fmt: skip
_ACCOUNT = st.fixed_dictionaries({
    "domain": st.sampled_from(["a.example", "b.example", "c.example"]),
    "protocol": st.sampled_from(["imap", "pop3"]),
    "incoming": _SERVER,
    "outgoing": st.one_of(st.none(), _SERVER),
})  # fmt: skip
_RANK = {"tls": 0, "starttls": 1, "none": 2}


def expected_disagreements(model: Model) -> set[tuple[str, str]]:
    """(account, side) whose server is not the first its domain's autoconfig document offers: per domain
    and side, the distinct servers ranked implicit TLS, STARTTLS, plain, in file order within a rank."""
    found = set()
    for side in ("incoming", "outgoing"):
        by_domain: dict[str, list[tuple[str, Any]]] = {}
        for account in model.accounts:
            server = getattr(account, side)
            if server is not None:
                key = (server.protocol, server.host, server.port, server.security, server.auth,
                       server.leave_on_server, server.leave_days)  # fmt: skip
                by_domain.setdefault(account.address.rpartition("@")[2], []).append((account.name, key))
        for pairs in by_domain.values():
            first = min(enumerate(pairs), key=lambda p: (_RANK[p[1][1][3].value], p[0]))[1][1]
            found |= {(name, side) for name, key in pairs if (key[0], key[1].lower(), key[2], key[3]) !=
                      (first[0], first[1].lower(), first[2], first[3])}  # fmt: skip
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(accounts=st.lists(_ACCOUNT, min_size=1, max_size=6))
def test_generated_files_disagree_exactly_where_a_domain_has_different_servers(accounts: list[dict[str, Any]]) -> None:
    declared = {}
    for n, a in enumerate(accounts):
        incoming = {k: v for k, v in a["incoming"].items() if v is not None}
        entry: dict[str, Any] = {"address": f"u{n}@{a['domain']}",
                                 "incoming": {"protocol": a["protocol"], **incoming}}  # fmt: skip
        if a["outgoing"] is not None:
            entry["outgoing"] = {k: v for k, v in a["outgoing"].items() if v is not None}
        declared[f"u{n}"] = entry
    model = model_from(declared)
    found = agreement(model)
    assert {(line.split(":")[0].removeprefix("account "), line.split(": ")[1]) for line in found} == (
        expected_disagreements(model)
    )
    assert len(found) == len(set(found))


def test_a_disagreement_names_what_each_form_says() -> None:
    model = model_from({
        "a": {"address": "a@x.example", "incoming": {"protocol": "imap", "host": "imap.x.example"},
              "outgoing": {"host": "smtp.x.example", "security": "starttls"}},
        "b": {"address": "b@x.example", "incoming": {"protocol": "imap", "host": "imap.x.example"},
              "outgoing": {"host": "smtp.x.example"}},
    })  # fmt: skip
    assert agreement(model) == [
        "account a: outgoing: autoconfig says smtp smtp.x.example:465 tls, autodiscover says smtp smtp.x.example:587 "
        "starttls, mobileconfig says smtp smtp.x.example:587 tls or starttls"
    ]


def test_the_check_bites(monkeypatch: pytest.MonkeyPatch) -> None:
    model = model_from({"a": {"address": "a@x.example", "incoming": {"protocol": "imap", "host": "imap.x.example"},
                              "outgoing": {"host": "smtp.x.example"}}})  # fmt: skip
    assert agreement(model) == []
    # stalwart #3248: Encryption TLS (STARTTLS, to Outlook) sent for an implicit-TLS port
    monkeypatch.setitem(autodiscover.ENCRYPTION, Security.TLS, ("on", "TLS"))
    assert agreement(model) == [
        "account a: incoming: autoconfig says imap imap.x.example:993 tls, autodiscover says imap imap.x.example:993 "
        "starttls, mobileconfig says imap imap.x.example:993 tls or starttls",
        "account a: outgoing: autoconfig says smtp smtp.x.example:465 tls, autodiscover says smtp smtp.x.example:465 "
        "starttls, mobileconfig says smtp smtp.x.example:465 tls or starttls",
    ]
    monkeypatch.undo()
    # a profile that drops TLS
    real = mobileconfig.payload
    monkeypatch.setattr(mobileconfig, "payload", lambda a: {**real(a), "IncomingMailServerUseSSL": False})
    assert agreement(model) == [
        "account a: incoming: autoconfig says imap imap.x.example:993 tls, autodiscover says imap imap.x.example:993 "
        "tls, mobileconfig says imap imap.x.example:993 none"
    ]
