"""``import --from autoconfig`` and ``import --from autodiscover`` agree on one account file's published forms.

Each account file (every example, and hypothesis-generated ones with hostile values) is
rendered with both provider targets and each output imported back; for every account,
each server setting that both forms express, with the same value, is the same in both
imports. The round trips check each form against the file; this checks the two readers
against each other, so that a client set up from either document gets the same servers.

An autoconfig document serves a mail domain (``you@DOMAIN``): an account is compared as
its user gets it after putting their own address in, as the import's comment asks.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings

from mailconf import schema
from mailconf.document import build_model, load_document
from mailconf.importers._core import NoAccount
from mailconf.importers._core import settings as flat
from mailconf.model import Account, Model
from mailconf.render import RenderError, render_model
from mailconf.targets import TARGETS, Gap
from mailconf.targets import autoconfig as autoconfig_target
from mailconf.targets._provider import domain_of
from tests.conftest import EXAMPLES
from tests.importers.test_round_trip import (
    EXPRESSES,
    Flat,
    _not_expressed_by_providers,
    account_files,
    renderable,
    round_trip,
)

#: the settings of a server element of an autoconfig document: a gap naming one means that the account's
#: server is listed as an alternative after another account's (the client, and the importer, take the first)
_AUTOCONFIG_SERVER = ("protocol", "host", "port", "security", "auth", "leave_on_server", "leave_days")


def autoconfig_says(account: Account, model: Model) -> Flat | None:
    """What the domain's document says of the account's servers: the sides where its server comes first; None
    when the domain has no document (none of its accounts has an incoming server)."""
    domain = domain_of(account.address)
    decided = autoconfig_target.decide([a for a in model.accounts if domain_of(a.address) == domain], domain)
    if not decided.domain_.incoming:
        return None
    gaps = decided.gaps
    f = flat(account)
    _not_expressed_by_providers(f, account)
    for side in ("incoming", "outgoing"):
        if f[side] is None:
            f.pop(side)  # the document offers every user the domain's server of that side (another account's)
    for server in account.servers:
        side = server.side
        if any(g.account == account.name and g.setting in {f"{side}.{k}" for k in _AUTOCONFIG_SERVER} for g in gaps):
            for key in [k for k in f if k == side or k.startswith(f"{side}.")]:
                f.pop(key)  # another account's server comes first for everyone at the domain
    return f


def as_the_user(got: dict[str, Flat], model: Model) -> dict[str, Flat]:
    """Each account of a domain as its document imports, the user having put their own address in (the
    username placeholder then resolves to theirs: %EMAILADDRESS% is you@DOMAIN, %EMAILLOCALPART% you)."""
    found = {f["address"].rpartition("@")[2]: f for f in got.values()}
    mine: dict[str, Flat] = {}
    for account in model.accounts:
        f = found.get(domain_of(account.address))
        if f is None:
            continue
        you = f["address"]
        f = dict(f, address=account.address)
        for side in ("incoming", "outgoing"):
            if f.get(f"{side}.username") == you:
                f[f"{side}.username"] = account.address
            elif f.get(f"{side}.username") == you.partition("@")[0]:
                f[f"{side}.username"] = account.address.rpartition("@")[0]
        mine[account.name] = f
    return mine


def _without_gaps(f: Flat | None, account: Account, gaps: tuple[Gap, ...]) -> Flat | None:
    if f is None:
        return None
    named = [g.setting for g in gaps if g.account == account.name]
    return {k: v for k, v in f.items() if not any(k == s or k.startswith(f"{s}.") for s in named)}


def disagreements(model: Model, tmp: Path) -> tuple[dict[str, dict[str, Any]], int]:
    """Per account, each server setting both forms express alike on which the two imports differ; and how many
    host, port and security values were compared."""
    (tmp / "autoconfig").mkdir()
    (tmp / "autodiscover").mkdir()
    ac, ac_gaps, _ = round_trip("autoconfig", model, tmp / "autoconfig")
    try:
        ad, ad_gaps, _ = round_trip("autodiscover", model, tmp / "autodiscover")
    except NoAccount:  # every server has a blank LoginName, which the import leaves out (a gap says so)
        assert all(EXPRESSES["autodiscover"](a, model) is None for a in model.accounts)
        ad, ad_gaps = {}, render_model(TARGETS["autodiscover"], model, {}).gaps
    got = {"autoconfig": as_the_user(ac, model), "autodiscover": ad}
    found: dict[str, dict[str, Any]] = {}
    compared = 0
    for account in model.accounts:
        ac_says = _without_gaps(autoconfig_says(account, model), account, ac_gaps)
        ad_says = _without_gaps(EXPRESSES["autodiscover"](account, model), account, ad_gaps)
        if ac_says is None or ad_says is None:
            continue
        both = [
            key for key, value in ac_says.items()
            if key.startswith(("incoming", "outgoing")) and ad_says.get(key, object()) == value
        ]  # fmt: skip
        mine = {form: imported[account.name] for form, imported in got.items()}
        differing = {k: (mine["autoconfig"].get(k), mine["autodiscover"].get(k)) for k in both
                     if mine["autoconfig"].get(k) != mine["autodiscover"].get(k)}  # fmt: skip
        if differing:
            found[account.name] = differing
        compared += sum(k.endswith((".host", ".port", ".security")) for k in both)
    return found, compared


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_both_provider_forms_import_to_the_same_servers(example: str, tmp_path: Path) -> None:
    model = renderable(load_document(str(EXAMPLES / example)).model)
    found, compared = disagreements(model, tmp_path)
    assert found == {}, "account: {setting: (autoconfig, autodiscover)}"
    assert compared or not model.accounts


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=account_files())
# found by the long fuzzing campaign: a blank username, whose Protocol the autodiscover import leaves out
@example(data={"version": 1, "accounts": {
    "0": {"address": "0@example.org", "incoming": {"host": "imap.example.org", "protocol": "imap", "username": " "}},
}})  # fmt: skip
@example(data={"version": 1, "accounts": {
    "0": {"address": "0@example.org", "incoming": {"host": "imap.example.org", "protocol": "imap"}},
    "1": {"address": "1@example.org", "incoming": {"host": "imap.example.org", "protocol": "imap"},
          "outgoing": {"host": "imap.example.org", "username": " "}},
}})  # fmt: skip
def test_generated_files_import_to_the_same_servers(data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory)\
        -> None:  # fmt: skip
    problems, _ = schema.validate(copy.deepcopy(data))
    assume(not problems)
    model = build_model(data)
    try:
        for target in ("autoconfig", "autodiscover"):
            render_model(TARGETS[target], model, {})
    except RenderError:  # a value a target refuses to write: nothing to import
        assume(False)
    found, _ = disagreements(model, tmp_path_factory.mktemp("provider"))
    assert found == {}, "account: {setting: (autoconfig, autodiscover)}"
