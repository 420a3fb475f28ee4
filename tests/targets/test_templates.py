"""Templates that unpack a target's NamedTuple by position name its fields in the same order.

The targets hand their templates tuples (cheaper than attribute lookups per line) and
the templates unpack them: ``{% for name, host, ... in accounts %}``. A field added or
moved in Python without the template following would write values under the wrong
keyword; this reads each template's loops and compares the names with the fields. A
name starting with ``_`` is a placeholder for a field the loop does not use.
"""

from __future__ import annotations

from typing import Any

import pytest
from jinja2 import nodes

from mailconf.render import environment
from mailconf.targets import _muttlike, fetchmail, msmtp, outlook, outlook_prf, thunderbird

UNPACKED: list[tuple[str, str, Any]] = [
    ("fetchmail/fetchmailrc.j2", "polls", fetchmail.FetchmailPoll),
    ("msmtp/msmtprc.j2", "accounts", msmtp.MsmtpAccount),
    ("mutt/account.muttrc.j2", "servers", _muttlike.ServerRc),
    ("neomutt/account.muttrc.j2", "servers", _muttlike.ServerRc),
    ("outlook/outlook.reg.j2", "keys", outlook.RegKey),
    ("outlook-prf/outlook.prf.j2", "accounts", outlook_prf.PrfAccount),
    ("thunderbird/user.js.j2", "blocks", thunderbird.Block),
]


def _parse(template: str) -> nodes.Template:
    env = environment()
    assert env.loader is not None
    source, _name, _uptodate = env.loader.get_source(env, template)
    return env.parse(source)


def _loops(template: str, iterable: str) -> list[list[str]]:
    """The unpacked names of every ``{% for a, b, ... in ITERABLE %}`` in the template."""
    found = []
    for loop in _parse(template).find_all(nodes.For):
        if isinstance(loop.iter, nodes.Name) and loop.iter.name == iterable:
            assert isinstance(loop.target, nodes.Tuple), f"{template}: {iterable} is not unpacked"
            found.append([n.name for n in loop.target.items if isinstance(n, nodes.Name)])
    return found


def _misplaced(names: list[str], fields: tuple[str, ...]) -> list[str]:
    """The unpacked names that are not the field at their position (all of them when the counts differ)."""
    if len(names) != len(fields):
        return names
    return [n for n, f in zip(names, fields, strict=True) if not n.startswith("_") and n != f]


@pytest.mark.parametrize(("template", "iterable", "fields"), UNPACKED, ids=[u[0] for u in UNPACKED])
def test_a_template_unpacks_the_fields_in_order(template: str, iterable: str, fields: Any) -> None:
    loops = _loops(template, iterable)
    assert loops, f"{template} has no loop over {iterable}"
    for names in loops:
        assert _misplaced(names, fields._fields) == []


@pytest.mark.parametrize("target", ["mutt", "neomutt"])
def test_the_mutt_macro_takes_the_account_fields_in_order(target: str) -> None:
    (macro,) = _parse(f"{target}/account.muttrc.j2").find_all(nodes.Macro)
    assert [a.name for a in macro.args] == list(_muttlike.AccountRc._fields)


def test_a_field_out_of_order_or_missing_is_caught() -> None:
    """The check above can fail: two fields the other way round, or one missing, are found."""
    fields = ("name", "host", "port")
    assert _misplaced(["host", "name", "port"], fields) == ["host", "name"]
    assert _misplaced(["name", "host"], fields) == ["name", "host"]
    assert _misplaced(["name", "_host", "port"], fields) == []
