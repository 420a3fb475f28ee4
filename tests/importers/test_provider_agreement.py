"""``import --from autoconfig`` and ``import --from autodiscover`` agree on one account file's published forms.

Every example is rendered with both provider targets and each output imported back; for
every account, each server setting that both forms express (the same value in both
EXPRESSES projections of test_round_trip) is the same in both imports. The round trip
checks each form against the file; this checks the two readers against each other, so
that a client set up from either document gets the same servers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mailconf.document import load_document
from tests.conftest import EXAMPLES
from tests.importers.test_round_trip import _expected, renderable, round_trip


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("*.yaml")))
def test_both_provider_forms_import_to_the_same_servers(example: str, tmp_path: Path) -> None:
    model = renderable(load_document(str(EXAMPLES / example)).model)
    forms = {}
    for fmt in ("autoconfig", "autodiscover"):
        (tmp_path / fmt).mkdir()
        forms[fmt] = round_trip(fmt, model, tmp_path / fmt)
    compared = []
    for account in model.accounts:
        said = {fmt: _expected(fmt, account, model, gaps) for fmt, (_, gaps, _) in forms.items()}
        if said["autoconfig"] is None or said["autodiscover"] is None:
            continue
        both = [
            key for key, value in said["autoconfig"].items()
            if key.startswith(("incoming", "outgoing")) and said["autodiscover"].get(key, object()) == value
        ]  # fmt: skip
        got = {fmt: imported[account.name] for fmt, (imported, _, _) in forms.items()}
        differing = {k: (got["autoconfig"][k], got["autodiscover"][k]) for k in both
                     if got["autoconfig"][k] != got["autodiscover"][k]}  # fmt: skip
        assert differing == {}, f"account {account.name}: setting: (autoconfig, autodiscover)"
        compared += [k for k in both if k.endswith((".host", ".port", ".security"))]
    assert compared or not model.accounts
