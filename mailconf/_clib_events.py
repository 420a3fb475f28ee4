"""The one trick in the loader: ruamel.yaml's C parser made to emit plain tuples.

ruamel.yaml's C parser (ruamel.yaml.clib, libyaml) turns each libyaml event into
an instance of a Python class (``ruamel.yaml.events``), whose three chained
``__init__`` methods cost more than the parsing itself. The parser finds those
classes by name in its module (``_ruamel_yaml``), so while :func:`parse` runs,
the names are bound to factories that return plain tuples, which the loader's
loop also reads faster than attributes. The original classes are restored
before :func:`parse` returns (under a lock, so two threads never see each
other's swap). If the C parser ever stops calling them as below, the same
tuples are made from its ordinary events instead: slower, same result.

tests/test_loader_events.py guards both paths: they give identical results on
every kind of document, and the C module is left exactly as it was found.
Nothing outside this module knows about the swap: the loader calls
:func:`parse` with the text and the function that consumes the events.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ruamel.yaml.cyaml import CParser as _Parser  # needs ruamel.yaml.clib, a declared dependency
from ruamel.yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

#: The event kinds, the first item of every event tuple.
SCALAR, MAPPING, SEQUENCE, END, ALIAS, DOCUMENT, STREAM_END, OTHER = range(8)

#: (SCALAR, value, style, tag, anchor, start mark, end mark) | (MAPPING or SEQUENCE, tag, anchor, start mark)
#: | (END,) | (ALIAS, anchor, start mark) | (DOCUMENT, start mark) | (STREAM_END,) | (OTHER,)
Event = tuple[Any, ...]
GetEvent = Callable[[], Event]
_T = TypeVar("_T")

_FACTORIES: dict[str, Callable[..., Event]] = {
    "ScalarEvent": lambda anchor, tag, implicit, value, start, end, style: (
        SCALAR,
        value,
        style,
        tag,
        anchor,
        start,
        end,
    ),
    "MappingStartEvent": lambda anchor, tag, implicit, start, end, flow: (MAPPING, tag, anchor, start),
    "SequenceStartEvent": lambda anchor, tag, implicit, start, end, flow: (SEQUENCE, tag, anchor, start),
    "MappingEndEvent": lambda start, end: (END,),
    "SequenceEndEvent": lambda start, end: (END,),
    "AliasEvent": lambda anchor, start, end: (ALIAS, anchor, start),
    "DocumentStartEvent": lambda start, end, explicit, version, tags: (DOCUMENT, start),
    "DocumentEndEvent": lambda start, end, explicit: (OTHER,),
    "StreamStartEvent": lambda start, end, encoding: (OTHER,),
    "StreamEndEvent": lambda start, end: (STREAM_END,),
}
_SWAP_LOCK = threading.Lock()


def _as_tuple(event: Any) -> Event:  # noqa: PLR0911
    """An ordinary ruamel.yaml event -> the tuple the factories make."""
    cls = event.__class__
    if cls is ScalarEvent:
        return (SCALAR, event.value, event.style, event.tag, event.anchor, event.start_mark, event.end_mark)
    if cls is MappingStartEvent:
        return (MAPPING, event.tag, event.anchor, event.start_mark)
    if cls is SequenceStartEvent:
        return (SEQUENCE, event.tag, event.anchor, event.start_mark)
    if cls is MappingEndEvent or cls is SequenceEndEvent:
        return (END,)
    if cls is AliasEvent:
        return (ALIAS, event.anchor, event.start_mark)
    if cls is DocumentStartEvent:
        return (DOCUMENT, event.start_mark)
    if cls is StreamEndEvent:
        return (STREAM_END,)
    return (OTHER,)


def parse(text: str, consume: Callable[[GetEvent, Event], _T]) -> _T:
    """``consume(get_event, first_event)`` over the C parser's events of ``text``, as tuples.

    ruamel.yaml's ``YAMLError`` (a syntax error) propagates to the caller.
    """
    module = sys.modules.get(_Parser.__module__)  # the C extension
    if module is not None and all(hasattr(module, name) for name in _FACTORIES):
        with _SWAP_LOCK:
            saved = {name: getattr(module, name) for name in _FACTORIES}
            try:
                for name, factory in _FACTORIES.items():
                    setattr(module, name, factory)
                get_event = _Parser(text).get_event
                first = get_event()
                if first.__class__ is tuple:
                    return consume(get_event, first)
            except TypeError:
                pass  # the C parser calls the event classes differently now: use its ordinary events
            finally:
                for name, original in saved.items():
                    setattr(module, name, original)
    plain = _Parser(text).get_event
    return consume(lambda: _as_tuple(plain()), _as_tuple(plain()))
