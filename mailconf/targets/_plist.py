"""An XML property list writer for the mobileconfig target: the bytes of ``plistlib.dumps(value,
fmt=plistlib.FMT_XML, sort_keys=True)``, many times faster, for the types a profile holds.

plistlib's writer is the oracle, not the implementation: it writes one line at a time (encoding each,
escaping each text with five ``str.replace`` calls and a regex search), which was ~80% of the
mobileconfig target's time. :func:`dumps` builds a list of text pieces and joins and encodes them
once. :class:`Layout` goes further for values that all have one shape (a profile per account: the
same keys every time): the text between the leaves is computed once, by :func:`dumps` itself, and
each value only fills in its leaves. tests/targets/test_mobileconfig.py proves both equal plistlib's
output byte for byte for arbitrary values of these types, and that what plistlib refuses is refused
with the same kind of error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
from typing import Any

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
    '<plist version="1.0">\n'
)
_TAIL = "</plist>\n"
#: plistlib's refusal: C0 controls other than tab, line feed and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
CONTROL_MESSAGE = "strings can't contain control characters; use bytes instead"
#: plistlib writes integers from -2**63 to 2**64 - 1 and raises OverflowError outside.
_INT_MIN, _INT_END = -(1 << 63), 1 << 64


def dumps(value: object) -> bytes:
    """``value`` (str, int, bool, and lists and str-keyed dicts of them) as plistlib's XML property list.
    TypeError for any other type (float, bytes, None, tuple, datetime ... included), OverflowError for an
    integer outside -2**63 .. 2**64-1, ValueError for a text holding a control character plistlib refuses
    (UnicodeEncodeError, a ValueError, for a lone surrogate). The first error is the one plistlib raises."""
    return _text(value).encode("utf-8")


def escape(text: str) -> str:
    """``text`` as plistlib writes it in an element: ``& < >`` escaped, CR LF and CR made LF; ValueError for a
    C0 control other than tab, line feed, carriage return (plistlib's message), UnicodeEncodeError for a lone
    surrogate (plistlib raises it when it encodes the line)."""
    if text.isprintable():  # the usual case: no control character, no CR, no surrogate
        if "&" in text or "<" in text or ">" in text:
            return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return text
    if _CONTROL.search(text):
        raise ValueError(CONTROL_MESSAGE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text.encode("utf-8")  # refuse a surrogate here, at the element plistlib stops at
    return text


def _text(value: object) -> str:
    out = [_HEAD]
    _write(value, "", out)
    out.append(_TAIL)
    return "".join(out)


def _write(value: object, indent: str, out: list[str]) -> None:
    # plistlib's write_value, in its order (a bool is an int: True and False come first), and nothing it
    # writes in elements of its own (float, bytes, datetime) nor tuple: the profile holds none of them
    if isinstance(value, str):
        out.append(f"{indent}<string>{escape(value)}</string>\n")
    elif value is True:
        out.append(f"{indent}<true/>\n")
    elif value is False:
        out.append(f"{indent}<false/>\n")
    elif isinstance(value, int):
        if not _INT_MIN <= value < _INT_END:
            raise OverflowError(value)
        # plistlib's "%d": an int subclass (IntEnum) is written as its number, whatever its __format__ says
        out.append(f"{indent}<integer>{'%d' % value}</integer>\n")  # noqa: UP031
    elif isinstance(value, dict):
        _write_dict(value, indent, out)
    elif isinstance(value, list):
        if not value:
            out.append(f"{indent}<array/>\n")
            return
        out.append(f"{indent}<array>\n")
        inner = indent + "\t"
        for item in value:
            _write(item, inner, out)
        out.append(f"{indent}</array>\n")
    else:
        raise TypeError(f"unsupported type: {type(value)}")


def _write_dict(d: dict[Any, Any], indent: str, out: list[str]) -> None:
    if not d:
        out.append(f"{indent}<dict/>\n")
        return
    inner = indent + "\t"
    out.append(f"{indent}<dict>\n")
    # plistlib sorts the items (a key that is not a str fails here or below) and checks each key just before
    # its value is written, so the first error raised is the one plistlib raises
    for key, value in sorted(d.items()):
        if not isinstance(key, str):
            raise TypeError("keys must be strings")
        out.append(f"{inner}<key>{escape(key)}</key>\n")
        _write(value, inner, out)
    out.append(f"{indent}</dict>\n")


#: Where the leaves of a Layout's example are written: a numbered mark in private-use characters, in an
#: element no key is written in.
_SLOT = re.compile("<string>\ue000([0-9]+)\ue001</string>")
#: What a Layout writes around a leaf of each type (a bool is its whole element).
_AROUND = {str: ("<string>", "</string>"), bool: ("", ""), int: ("<integer>", "</integer>")}


class Layout:
    """The property list of any value shaped like ``example`` (the same keys in every dict, the same length of
    every list, and a leaf of the same type, str, bool or int, at each place), written as :func:`dumps` writes it.

    The text around the leaves is :func:`dumps`'s own, computed once: the example with each leaf replaced by a
    numbered mark, written, and cut at the marks. :meth:`dumps` checks a value's shape as it collects its leaves
    and hands a value of another shape, or with a text to escape or refuse, to :func:`dumps`.
    """

    __slots__ = ("_bools", "_containers", "_ints", "_pieces", "_runs", "_strings")

    def __init__(self, example: object) -> None:
        containers: list[tuple[int, Any, type, int]] = []  # (parent's index, key in it, type, length)
        leaves: list[tuple[int, Any, type]] = []  # (container's index, key in it, type), in the example's order

        def mark(value: object, parent: int, key: Any) -> object:
            if isinstance(value, (str, int)):
                kind = str if isinstance(value, str) else bool if value is True or value is False else int
                leaves.append((parent, key, kind))
                return f"\ue000{len(leaves) - 1}\ue001"
            if isinstance(value, dict):
                containers.append((parent, key, dict, len(value)))
                index = len(containers) - 1
                return {k: mark(v, index, k) for k, v in value.items()}
            if isinstance(value, list):
                containers.append((parent, key, list, len(value)))
                index = len(containers) - 1
                return [mark(v, index, i) for i, v in enumerate(value)]
            raise TypeError(f"unsupported type: {type(value)}")

        parts = _SLOT.split(_text(mark(example, -1, None)))  # text, mark number, text, ..., text
        written = [leaves[int(n)] for n in parts[1::2]]  # the leaves in the order they are written
        pieces: list[str | None] = [None] * len(parts)  # the text between leaves at even places; odd: the leaves
        pieces[0::2] = parts[0::2]
        for place, (_, _, kind) in enumerate(written):
            before, after = _AROUND[kind]
            pieces[2 * place] = f"{pieces[2 * place]}{before}"
            pieces[2 * place + 2] = f"{after}{pieces[2 * place + 2]}"
        self._pieces = pieces
        self._containers = tuple(containers)
        kinds = [kind for _, _, kind in written]
        self._strings = _getter([i for i, kind in enumerate(kinds) if kind is str])
        self._bools = tuple(i for i, kind in enumerate(kinds) if kind is bool)
        self._ints = tuple(i for i, kind in enumerate(kinds) if kind is int)
        runs: list[tuple[int, list[Any]]] = []  # consecutive leaves of one container: collected in one call
        for parent, key, _ in written:
            if runs and runs[-1][0] == parent:
                runs[-1][1].append(key)
            else:
                runs.append((parent, [key]))
        self._runs = tuple((parent, _getter(keys)) for parent, keys in runs)

    def dumps(self, value: object) -> bytes:
        """:func:`dumps` of ``value``: the same bytes and the same errors, fast when ``value`` has the shape."""
        try:
            root: Any = value
            nodes: list[Any] = []
            for parent, key, kind, length in self._containers:
                node = root if parent < 0 else nodes[parent][key]
                if len(node) != length or type(node) is not kind:  # len: a TypeError when not a container
                    return dumps(value)
                nodes.append(node)
            leaves: tuple[Any, ...] = ()
            for parent, collect in self._runs:
                leaves += collect(nodes[parent])  # KeyError: the same number of keys, not the same keys
            texts = "".join(self._strings(leaves))  # TypeError: not a text where the example has one
        except (KeyError, IndexError, TypeError):
            return dumps(value)
        if not texts.isprintable() or "&" in texts or "<" in texts or ">" in texts:
            return dumps(value)  # a text to escape or to refuse: the general writer does both
        args = list(leaves)
        for i in self._bools:
            if args[i] is True:
                args[i] = "<true/>"
            elif args[i] is False:
                args[i] = "<false/>"
            else:
                return dumps(value)
        for i in self._ints:
            if type(args[i]) is not int or not _INT_MIN <= args[i] < _INT_END:
                return dumps(value)
            args[i] = str(args[i])
        out = self._pieces.copy()
        out[1::2] = args
        return "".join(out).encode("utf-8")  # type: ignore[arg-type]  # every place is a text now


def _getter(keys: list[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """A function returning the items of ``keys`` in a dict or list as a tuple (itemgetter, whatever the count)."""
    if len(keys) == 1:
        key = keys[0]
        return lambda c: (c[key],)
    if not keys:
        return lambda c: ()
    return itemgetter(*keys)
