"""No input, however hostile, crashes lint: bytes and YAML-shaped text from hypothesis.

Lint must turn every input into findings (never an exception). The same for render, on
every target (render it, or refuse it with a MailconfError: one line, a documented exit
code), is part of the target contract: tests/targets/test_contract.py.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.document import load_document
from mailconf.lint import lint_document
from mailconf.settings import Policy

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


# Render: any text in any field renders or is refused cleanly, for every target: tests/targets/test_contract.py.
# Whole hostile account files rendered by every target and read back by its importer: tests/test_fuzz_render.py.
