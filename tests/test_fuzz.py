"""No input, however hostile, crashes lint or render: bytes and YAML-shaped text from hypothesis.

Lint must turn every input into findings (never an exception); render must either
render or refuse with a MailconfError (one line, a documented exit code).
"""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.document import load_document
from mailconf.errors import MailconfError
from mailconf.lint import lint_document
from mailconf.render import common_gaps, render_model
from mailconf.settings import Policy
from mailconf.targets import TARGETS

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_YAML_BITS = st.sampled_from(
    [
        "version: 1\n", "accounts:\n", "  a:\n", "    address: a@b.example\n", "    incoming:\n",
        "      protocol: imap\n", "      host: imap.example.com\n", "      port: 993\n", "      security: none\n",
        "    outgoing: {host: smtp.example.com, port: 25, auth: none}\n", "defaults: {timeout: 0}\n",
        "- x\n", "&a [*a]\n", "!!python/object:os.system x\n", "<<: *a\n", "? [a]\n: b\n", "\t", "'", '"',
        "\ufeff", "\r\n", "\x00", "#", "|\n  x\n", "---\n", "...\n", "{", "}", "[", "]", ": ", "*x", "&x ",
        "%YAML 1.2\n", "%TAG ! tag:x,2000:\n", "!x ", "# mailconf: disable=MC101 x\n", "\u2028",
    ]
)  # fmt: skip


@FUZZ
@given(st.binary(max_size=512))
def test_lint_never_raises_on_bytes(raw: bytes) -> None:
    doc = load_document("fuzz.yaml", raw)
    for finding in lint_document(doc, Policy()):
        assert finding.location.line >= 1 and finding.location.column >= 1


@FUZZ
@given(st.lists(_YAML_BITS, max_size=30).map("".join))
def test_lint_never_raises_on_yaml_shaped_text(text: str) -> None:
    doc = load_document("fuzz.yaml", text.encode("utf-8", "surrogatepass"))
    for finding in lint_document(doc, Policy()):
        assert finding.location.line >= 1 and finding.location.column >= 1


_VALUE = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
_FIELDS = st.fixed_dictionaries(
    {
        "host": _VALUE,
        "user": _VALUE,
        "command": _VALUE,
        "name": _VALUE,
        "path": _VALUE,
        "protocol": st.sampled_from(["imap", "pop3"]),
        "security": st.sampled_from(["tls", "starttls", "none"]),
        "auth": st.sampled_from(["password", "oauth2", "gssapi", "ntlm", "client-cert", "none"]),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_FIELDS)
def test_render_renders_or_refuses_for_every_target(fields: dict[str, str]) -> None:
    """Any string in any field: every target renders it or refuses it cleanly (MailconfError or a gap)."""
    server = {
        "protocol": fields["protocol"],
        "host": fields["host"],
        "security": fields["security"],
        "auth": fields["auth"],
        "username": fields["user"],
        "password_command": fields["command"],
        "token_command": fields["command"],
        "tls": {"ca_file": fields["path"]},
    }
    account = {
        "address": "a@example.com",
        "display_name": fields["name"],
        "incoming": server,
        "outgoing": {**server, "protocol": "smtp"},
    }
    doc = load_document("fuzz.yaml", json.dumps({"version": 1, "accounts": {"fuzz": account}}).encode())
    if not doc.model.accounts:
        assert doc.issues  # rejected by the schema: located findings, nothing to render
        return
    _gaps, refusals = common_gaps(doc.model)
    assert not refusals
    for target in TARGETS.values():
        with contextlib.suppress(MailconfError):
            render_model(target, doc.model, {})
