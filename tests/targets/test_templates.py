"""Templates read a target's NamedTuples by field name, and every name they read is a field.

The targets hand their templates NamedTuples; the templates read them by name
(``{{ p.host }}``), never by unpacking them by position (``{% for name, host, ... in polls %}``),
where a field added or moved in Python would silently write values under the wrong keyword.
Reading by name costs little: rendering 10,000 accounts, the fetchmail and msmtp templates
took 25-27 ms by position and 36-38 ms by name (CPU time, one process), while a whole
``mailconf render -t T`` of the same file takes 1.3-1.7 s either way (benchmarks/render_bench.py
reading, into /dev/shm: no target's figure moved beyond the noise), so the positional form
does not matter and is gone. Plain pairs (``for name, value in prefs``: a pref's name and value,
built as plain tuples for speed) are unpacked, like ``dict.items()``.

A name misspelt or a field renamed in Python without the template following is caught
here: StrictUndefined would only catch it when a render reaches that line.
"""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import nodes

from mailconf.render import environment
from mailconf.targets import _muttlike, fetchmail, mbsync, msmtp, outlook, outlook_prf, thunderbird
from mailconf.targets.autoconfig import AutoconfigDomain, AutoconfigServer
from mailconf.targets.autodiscover import PoxProtocol, PoxResponse

#: template -> {the name a NamedTuple goes by in it (a loop variable, a macro argument): its class}
READ_BY_NAME: dict[str, dict[str, Any]] = {
    "fetchmail/fetchmailrc.j2": {"p": fetchmail.FetchmailPoll},
    "mbsync/mbsyncrc.j2": {"a": mbsync.MbsyncAccount},
    "msmtp/msmtprc.j2": {"a": msmtp.MsmtpAccount},
    _muttlike.TEMPLATE: {"rc": _muttlike.AccountRc, "d": _muttlike.Dialect, "s": _muttlike.ServerRc},
    "outlook/outlook.reg.j2": {"key": outlook.RegKey},
    "outlook-prf/outlook.prf.j2": {"a": outlook_prf.PrfAccount},
    "thunderbird/user.js.j2": {"block": thunderbird.Block},
    "thunderbird/cert_override.txt.j2": {"o": thunderbird.Override},
    "thunderbird/import-ca.sh.j2": {"ca": thunderbird.CaImport},
    "autoconfig/config-v1.1.xml.j2": {"d": AutoconfigDomain, "s": AutoconfigServer},
    "autodiscover/autodiscover.xml.j2": {"r": PoxResponse, "p": PoxProtocol},
}
#: The plain pairs a template may unpack: (template, the iterable's name or attribute).
PAIRS = {("outlook-prf/outlook.prf.j2", "values"), ("thunderbird/user.js.j2", "globals"),
         ("thunderbird/user.js.j2", "prefs"), (_muttlike.TEMPLATE, "tls_versions")}  # fmt: skip


def _parse(template: str) -> nodes.Template:
    env = environment()
    assert env.loader is not None
    source, _name, _uptodate = env.loader.get_source(env, template)
    return env.parse(source)


def unknown_names(tree: nodes.Template, names: dict[str, Any]) -> list[str]:
    """Every ``VAR.attr`` read in the template whose VAR is a NamedTuple there and attr is not one of its fields."""
    wrong = []
    for node in tree.find_all(nodes.Getattr):
        name = node.node.name if isinstance(node.node, nodes.Name) else None
        if name in names and node.attr not in names[name]._fields:
            wrong.append(f"{name}.{node.attr}")
    return wrong


def unpacked(tree: nodes.Template, template: str) -> list[str]:
    """The iterables a loop unpacks by position, other than the plain pairs."""
    found = []
    for loop in tree.find_all(nodes.For):
        if isinstance(loop.target, nodes.Tuple):
            it = loop.iter
            name = it.name if isinstance(it, nodes.Name) else it.attr if isinstance(it, nodes.Getattr) else "?"
            if (template, name) not in PAIRS or len(loop.target.items) != 2:
                found.append(name)
    return found


def test_every_template_is_listed() -> None:
    env = environment()
    assert sorted(t for t in env.list_templates() if t.endswith(".j2")) == sorted(READ_BY_NAME)


@pytest.mark.parametrize("template", sorted(READ_BY_NAME))
def test_a_template_reads_fields_by_name(template: str) -> None:
    tree = _parse(template)
    assert unpacked(tree, template) == []
    assert unknown_names(tree, READ_BY_NAME[template]) == []
    read = {n.node.name for n in tree.find_all(nodes.Getattr) if isinstance(n.node, nodes.Name)}
    assert set(READ_BY_NAME[template]) <= read  # the names listed are the ones the template uses


def test_the_checks_can_fail() -> None:
    """A misspelt field and a positional unpacking are both found."""
    env = environment()
    tree = env.parse("{% for p in polls %}{{ p.hots }}{% endfor %}{% for a, b, c in accounts %}{% endfor %}")
    assert unknown_names(tree, {"p": fetchmail.FetchmailPoll}) == ["p.hots"]
    assert unpacked(tree, "x") == ["accounts"]


def test_mutt_and_neomutt_share_one_template() -> None:
    """Their differences are data (the Dialect), not a second template."""
    env = environment()
    assert not [t for t in env.list_templates() if t.startswith("neomutt/")]
    from mailconf.targets import mutt, neomutt

    assert (mutt.DIALECT.real_name_variable, neomutt.DIALECT.real_name_variable) == ("realname", "real_name")
    assert (mutt.DIALECT.spool_file_variable, neomutt.DIALECT.spool_file_variable) == ("spoolfile", "spool_file")
    assert (mutt.DIALECT.smtp_user, neomutt.DIALECT.smtp_user) == (False, True)
