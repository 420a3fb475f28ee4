"""Helpers the target tests share: an account file written from a dict, the typed model it loads
into, a render through one target, the CLI run, a target's own refusal, the examples each target
must render, and the building blocks of the hostile-value strategies."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st

from mailconf.document import Document, Issue, load_document
from mailconf.model import Account, Auth, Model, Protocol, Security, Server
from mailconf.render import RenderError, common_gaps, render_model, select_accounts
from mailconf.rules import STILL_READ
from mailconf.targets import Rendered, Target
from tests.conftest import ROOT


def yaml_text(accounts: dict[str, Any]) -> str:
    """An account file: JSON is YAML. Non-ASCII stays literal; YAML's own line breaks and the noncharacters
    U+FFFE and U+FFFF (which YAML takes only as escapes) are written as escapes."""
    text = json.dumps({"version": 1, "accounts": accounts}, ensure_ascii=False)
    text = text.replace("\u2028", "\\L").replace("\u2029", "\\P").replace("\x85", "\\N")
    return text.replace("\ufffe", "\\uFFFE").replace("\uffff", "\\uFFFF")  # YAML takes them escaped only


def load_issues(doc: Document) -> list[Issue]:
    """The document's load problems that stop a render: all but those of the rules the file is still read whole
    with (``rules.STILL_READ``, which lint.refusal asks too): MC713 (an invisible or bidirectional character) is a
    lint finding about a valid value, which the hostile-value tests put in on purpose, to see it read back exactly."""
    return [issue for issue in doc.issues if issue.rule not in STILL_READ]


def document(accounts: dict[str, Any]) -> Model:
    doc = load_document("accounts.yaml", yaml_text(accounts).encode("utf-8"))
    assert load_issues(doc) == []
    return doc.model


def render_with(target: Target, accounts: dict[str, Any], options: dict[str, str] | None = None) -> Rendered:
    return render_model(target, document(accounts), options or {})


def run_render(*args: str) -> subprocess.CompletedProcess[str]:
    """``mailconf render ARGS`` in a fresh interpreter, as a user runs it."""
    command = [sys.executable, "-m", "mailconf", "render", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)


def imap_server(**changes: Any) -> Server:
    """An IMAP server over implicit TLS with a password login, changed where the test says."""
    fields: dict[str, Any] = {"protocol": Protocol.IMAP, "host": "imap.example.org", "port": 993,
                              "security": Security.TLS, "auth": Auth.PASSWORD, "username": "alice"}  # fmt: skip
    return Server(**(fields | changes))


def refusal(target: Target, account: Account) -> str:
    """The error a target's own guard raises for an account (a Model built directly, past the schema)."""
    with pytest.raises(RenderError) as caught:
        render_model(target, Model((account,)), {})
    return str(caught.value)


def example_model(example: Path) -> Model:
    """An example file's accounts, without those that render refuses for every target."""
    doc = load_document(str(example))
    _, refusals = common_gaps(doc.model)
    refused = {line.split(":", 1)[0].removeprefix("account ") for line in refusals}
    return select_accounts(doc.model, [a.name for a in doc.model.accounts if a.name not in refused])


#: Non-ASCII text that any field takes; each target adds its own quoting characters. Not YAML 1.1's line breaks
#: (NEL, U+2028, U+2029): the schema refuses them in every name, user, path and command (tests/test_schema.py), and
#: each target's escaper is tested with them directly (tests/targets/test_contract.py puts them in the model).
NON_ASCII = ["é", "€", "😀", "𝄞", "\u00a0"]
#: More characters the schema takes that readers trip on: a noncharacter (a YAML "\uFFFE" escape), blanks that
#: Python's str.strip and Go's TrimSpace drop (U+3000, U+2000), a BOM (a JavaScript blank), a right-to-left
#: override and a combining mark. Only the targets that run here use it (not fetchmail's tests).
UNICODE_HOSTILE = ["\ufffe", "\u3000", "\u2000", "\ufeff", "\u202e", "e\u0301"]


def strings(alphabet: list[str], max_size: int = 12) -> st.SearchStrategy[str]:
    """1 to ``max_size`` pieces of the alphabet, joined."""
    return st.lists(st.sampled_from(alphabet), min_size=1, max_size=max_size).map("".join)


#: What an XML or plist writer can trip on: markup, entities, comment and CDATA openers, non-ASCII, a zero-width space.
XML_HOSTILE = ["<", ">", "&", '"', "'", "]]>", "&amp;", "<!--", "<![CDATA[", "😀", "𝄞", "é", "\u200b", " ", "a"]

#: Characters XML 1.0 cannot carry and read back as declared (C0 and C1 controls, DEL, a lone surrogate, U+FFFE).
XML_CONTROLS = ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\ud800", "\ufffe", "\uffff"]
#: What a provider target says about one of them.
XML_CONTROL_MESSAGE = (
    "a control character (line break, tab, NUL) cannot be written in an XML file and read back as declared"
)
#: What a provider target says about U+FFFE or U+FFFF (before, that it was a control character).
XML_NONCHARACTER_MESSAGE = (
    "a noncharacter (U+FFFE, U+FFFF) cannot be written in an XML file: XML 1.0 has no such character"
)


def xml_refusal(control: str) -> str:
    """What a provider target says about a value holding ``control``, one of XML_CONTROLS."""
    return XML_NONCHARACTER_MESSAGE if control in ("\ufffe", "\uffff") else XML_CONTROL_MESSAGE


def put_directly(model: Model, host: str, username: str | None = None, **fields: Any) -> Model:
    """The first account of ``model`` with ``fields`` changed and ``host`` (and ``username``) on both its servers,
    put into the model directly: the schema would refuse most hostile values in a host."""
    account = model.accounts[0]
    assert account.incoming is not None and account.outgoing is not None
    server: dict[str, Any] = {"host": host} if username is None else {"host": host, "username": username}
    incoming = dataclasses.replace(account.incoming, **server)
    outgoing = dataclasses.replace(account.outgoing, **server)
    return Model((dataclasses.replace(account, **fields, incoming=incoming, outgoing=outgoing),))


#: An account file with one IMAP account ``work``; a test appends one more line of its incoming server.
ONE_IMAP_ACCOUNT = (
    "version: 1\naccounts:\n  work:\n    address: a@example.org\n    incoming:\n      protocol: imap\n"
    "      host: h.example\n"
)


def refused_render(directory: Path, source_text: str, target: str, *options: str) -> tuple[Path, list[str]]:
    """Write the account file, run ``mailconf render OPTIONS --target TARGET FILE -o OUT``, check that it exits 1
    and writes nothing; the file's path and the lines of stderr."""
    source = directory / "accounts.yaml"
    source.write_text(source_text)
    out = directory / "out"
    done = run_render(*options, "--target", target, str(source), "-o", str(out))
    assert done.returncode == 1
    assert not out.exists()
    return source, done.stderr.splitlines()
