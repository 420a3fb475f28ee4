"""The variables the mutt and neomutt importers know (mailconf/importers/_mutt_variables.py) are the clients' own.

A set of a name the client does not know stops the command there and skips the rest of the line, so the lists
decide what the import reads. Each client is asked: its ``-D`` names every variable, and ``reset WORD``, for each
word its binary holds (each tail of each string, as a linker merges a name into the end of a longer one: neomutt's
``realname`` is the end of ``reverse_realname``), is an error for any word but a variable or a synonym.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from mailconf.importers._mutt_variables import MUTT, NEOMUTT
from tests.conftest import need
from tests.targets._mutt_client import Client, parse

#: how many reset lines go in one file: mutt and neomutt stop reading a file at its 128th error (MAXERRS)
_CHUNK = 100


def _words(binary: str) -> list[str]:
    """Every word the client's binary could spell a variable name with: each tail, from a letter, of each of its
    NUL-ended strings of lower-case letters, digits and ``_``."""
    path = shutil.which(binary)
    assert path is not None
    data = Path(os.path.realpath(path)).read_bytes()
    strings = {m.decode() for m in re.findall(rb"([a-z0-9_]{2,64})(?=\x00)", data)}
    # `reset all` resets every variable, and my_NAME is anyone's own variable: neither names one of the client's
    tails = {s[i:] for s in strings for i in range(len(s)) if s[i].isalpha()}
    return sorted(word for word in tails if word != "all" and not word.startswith("my_"))


def _variables(binary: str, home: Path) -> frozenset[str]:
    client = Client(binary, home)
    names = set(parse(binary, client.run(Path(os.devnull), "-D").stdout.decode("utf-8")))
    words = _words(binary)
    rc = home / "reset.rc"
    for start in range(0, len(words), _CHUNK):
        chunk = words[start : start + _CHUNK]
        rc.write_text("".join(f"reset {word}\n" for word in chunk))
        stderr = client.run(rc).stderr.decode("utf-8", "replace")
        said = rf"^(?:Error|Warning) in {re.escape(str(rc))}, line ([0-9]+): "  # neomutt warns of a no before a name
        refused = {int(line) for line in re.findall(said, stderr, re.M)}
        assert "too many errors" not in stderr, stderr
        names.update(word for number, word in enumerate(chunk, 1) if number not in refused)
    return frozenset(names)


@pytest.mark.parametrize(
    ("binary", "known", "synonyms"),
    [("mutt", MUTT, {"edit_hdrs", "forw_format"}), ("neomutt", NEOMUTT, {"realname", "spoolfile"})],
)
def test_the_variables_are_those_the_client_knows(
    tmp_path: Path, binary: str, known: frozenset[str], synonyms: set[str]
) -> None:
    need(binary)
    real = _variables(binary, tmp_path)
    assert synonyms <= real  # names -D does not print: mutt's old ones, those neomutt renamed
    assert (sorted(known - real), sorted(real - known)) == ([], []), "update mailconf/importers/_mutt_variables.py"
