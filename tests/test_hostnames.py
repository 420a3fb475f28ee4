"""mailconf.hostnames: the one way a host name in another script is given its IDNA form (serve, discover, MC703 and the
aerc import call it), with the length checked before Punycode's quadratic cost is paid."""

from __future__ import annotations

import encodings.idna
from pathlib import Path
from typing import Any

import pytest

from mailconf.cli import main
from mailconf.hostnames import MAX_LABEL, ascii_lower, idna_form

#: a label of 20,000 distinct characters: Python's codec took minutes to encode it before refusing it as too long
HOSTILE = "".join(chr(0x4E00 + i) for i in range(20_000)) + ".example"


@pytest.fixture
def labels_encoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every label the IDNA codec was asked to encode."""
    seen: list[int] = []
    to_ascii = encodings.idna.ToASCII

    def recording(label: Any) -> bytes:
        seen.append(len(label))
        return to_ascii(label)

    monkeypatch.setattr(encodings.idna, "ToASCII", recording)
    return seen


@pytest.mark.parametrize(
    ("name", "form"),
    [
        ("bücher.example", "xn--bcher-kva.example"),
        ("BÜCHER.example.", "xn--bcher-kva.example."),
        ("a..example", None),  # an empty label: the codec refuses it
        ("ü" * 64 + ".example", None),  # its form is over 63 characters
        (HOSTILE, None),
    ],
)
def test_idna_form(name: str, form: str | None, labels_encoded: list[int]) -> None:
    assert idna_form(name) == form
    assert max(labels_encoded, default=0) <= MAX_LABEL


def test_a_hostile_host_in_an_aerc_file_is_refused_without_encoding_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], labels_encoded: list[int]
) -> None:
    path = tmp_path / "accounts.conf"
    path.write_text(f"[a]\nsource = imaps://u@{HOSTILE}:993\nfrom = a@example.org\n", encoding="utf-8")
    assert main(["import", "--from", "aerc", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'mailconf: {path}:2:1: source: the host "')
    assert err.endswith("aerc cannot use it; write the host name in ASCII\n")
    assert labels_encoded == []


def test_ascii_lower_maps_only_a_to_z() -> None:
    # str.lower() maps the dotted capital I and the Kelvin sign too; DNS and Thunderbird compare A-Z only
    assert ascii_lower("Mail.EXAMPLE.org\u0130\u212a") == "mail.example.org\u0130\u212a"
    assert "\u0130\u212a".lower() != "\u0130\u212a"
