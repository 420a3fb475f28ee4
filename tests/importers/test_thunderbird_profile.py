"""A profile Thunderbird itself wrote: render user.js, let Thunderbird 153 start and quit (it writes
prefs.js), delete user.js, import the profile: the same accounts come back, and --compare finds no drift."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from mailconf.document import build_model, load_document
from mailconf.importers import ReadOptions
from mailconf.importers._core import compare, import_paths, settings
from mailconf.render import render_model
from mailconf.targets import TARGETS
from tests.conftest import EXAMPLES, need
from tests.importers.test_round_trip import _expected
from tests.targets._marionette import thunderbird, write_user_js


@pytest.mark.real
@pytest.mark.parametrize("example", ["company.yaml", "pop3-pinned.yaml"])
def test_prefs_js_written_by_thunderbird_imports_back(example: str) -> None:
    need("thunderbird")
    model = load_document(str(EXAMPLES / example)).model
    rendered = render_model(TARGETS["thunderbird"], model, {})
    files = {f.name: f.content for f in rendered.files}
    with tempfile.TemporaryDirectory(prefix="mailconf-tb-import-") as tmp:
        profile = Path(tmp)
        write_user_js(profile, files["user.js"].decode("utf-8"))
        if "cert_override.txt" in files:
            (profile / "cert_override.txt").write_bytes(files["cert_override.txt"])
        with thunderbird(profile) as client:
            assert client.execute("return MailServices.accounts.accounts.length;") == len(model.accounts)
        (profile / "user.js").unlink()
        assert "mail.server.server1.hostname" in (profile / "prefs.js").read_text(encoding="utf-8")
        result = import_paths("thunderbird", [str(profile)], ReadOptions())
        drift = compare("thunderbird", [str(profile)], model, ReadOptions())
    assert drift.differences == ()  # the profile Thunderbird wrote agrees with the file it came from
    got = {a.name: settings(a) for a in build_model({"version": 1, "accounts": dict(result.accounts)}).accounts}
    assert list(got) == [a.name for a in model.accounts]
    for account in model.accounts:
        expected = _expected("thunderbird", account, model, rendered.gaps)
        assert expected is not None
        assert {k: got[account.name][k] for k in expected} == expected
