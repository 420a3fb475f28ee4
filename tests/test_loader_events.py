"""The loader's two event sources give the same result, and the C parser is left as found.

The loader has ruamel.yaml's C parser make plain tuples instead of event objects
while it runs (mailconf/_clib_events.py, the only module that knows how), and
falls back to converting the ordinary event objects when that is not possible.
Both paths must agree exactly.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import events as ruamel_events
from ruamel.yaml.cyaml import CParser

from mailconf import _clib_events, loader

DOCUMENTS = [
    b"version: 1\naccounts:\n  work:\n    address: a@example.com\n    incoming: {protocol: imap, host: h.example}\n",
    b"a: &x [1, {b: 2}]\nc: *x\nd: 'q'\ne: \"1\"\nf: 1.5\ng: .inf\nh: 0x1F\ni: ~\nj: yes\n",
    b"x: &a {p: 1}\nz: &b {p: 3, r: 4}\ny:\n  <<: [*a, *b]\n  p: 9\n",
    b"a: 1\na: 2\n",
    b"a: !!python/object x\n",
    b"a: !!int x\n",
    b"a: [\n",
    b"---\na: 1\n---\nb: 2\n",
    b"[" * 70 + b"]" * 70,
    b"a: *nope\n",
    b"- &a [1]\n- *a\n- {k: v}\n",
    b"",
    "a: 1 # \u2028 and \x85 in a comment\nb: x\u2029y\nc: &\u2028k [1]\nd: *\u2028k\n".encode(),
    b"a: \"x\n  # y\"\nb: |\n  z\n\n# c\nc: {d: 'e\n  f', g: 'h'}\n? \"j\n k\"\n: >-\n   l\n   m\nn: plain\n  more\n",
]


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*prefix, index))
    return found


def _summary(loaded: loader.Loaded) -> tuple[Any, ...]:
    located = [
        (path, loaded.positions.locate(loaded.data, path), loaded.positions.locate(loaded.data, path, on_key=True))
        for path in _paths(loaded.data)
    ]
    return (repr(loaded.data), loaded.problems, located, loaded.positions.multiline)


@pytest.mark.parametrize("raw", DOCUMENTS)
def test_fallback_events_give_the_same_result(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _summary(loader.load(raw))
    # a name the C module does not have: the loader must use the ordinary event objects
    monkeypatch.setitem(_clib_events._FACTORIES, "NoSuchEvent", lambda: (0,))
    converted: list[object] = []
    convert = _clib_events._as_tuple

    def counting(event: Any) -> _clib_events.Event:
        converted.append(event)
        return convert(event)

    monkeypatch.setattr(_clib_events, "_as_tuple", counting)
    assert _summary(loader.load(raw)) == fast
    assert converted  # the ordinary events were used


@pytest.mark.parametrize("raw", DOCUMENTS)
def test_the_c_parser_keeps_its_event_classes(raw: bytes) -> None:
    loader.load(raw)
    module = sys.modules[CParser.__module__]
    for name in _clib_events._FACTORIES:
        assert getattr(module, name) is getattr(ruamel_events, name)


def test_the_swap_lives_in_one_module() -> None:
    """Only mailconf/_clib_events.py touches the C parser's module; the loader calls its one function."""
    for path in sorted((Path(loader.__file__).parent).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if path.name == "_clib_events.py":
            continue
        assert "cyaml" not in source, path
        assert "ruamel.yaml.events" not in source, path
    assert "_clib_events.parse(" in Path(loader.__file__).read_text(encoding="utf-8")
