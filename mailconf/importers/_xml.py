"""Untrusted XML for the provider formats (autoconfig, autodiscover): defusedxml only, every element located.

A file with a DTD (and so any entity declaration: an "entity bomb", an external entity) is
refused at the ``<!DOCTYPE`` that starts it; XML that is not well-formed at expat's position, and an encoding
declaration expat cannot read (an unknown or a multi-byte codec) at its value. A file in UTF-32 is refused at 1:1
as such (:mod:`mailconf.utf32`) before expat, which takes it for UTF-16, calls it not well-formed.
Each element's line and column are kept, so that a warning or an error can name them.

A file over MAX_XML_BYTES is refused before it is parsed: an autoconfig file or an Autodiscover response is a
few kilobytes, and the tree of 64 MiB (the cap of other files) of ``<a/>`` took 4.5 GB of memory.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from ..model import Location
from ..utf32 import utf_32
from . import Unreadable
from ._base import read_bytes

#: 100 times the largest provider document; ElementTree and the positions kept take ~70 bytes per byte of ``<a/>``
MAX_XML_BYTES = 1024 * 1024
SAVE_AS_UTF_8 = 'save the file as UTF-8 and declare encoding="UTF-8"'


class Parsed:
    """The root element of a file, and where each element starts in it."""

    def __init__(self, path: str, root: Element, starts: dict[int, tuple[int, int]]) -> None:
        self.path = path
        self.root = root
        self._starts = starts

    def at(self, element: Element) -> Location:
        line, column = self._starts.get(id(element), (1, 0))
        return Location(self.path, line, column + 1)


class _Located:
    """A TreeBuilder that notes where expat is when each element starts (expat's position is its ``<``)."""

    def __init__(self) -> None:
        self.builder = TreeBuilder()
        self.starts: dict[int, tuple[int, int]] = {}
        self.expat: Any = None

    def start(self, tag: str, attrib: dict[str, str]) -> Element:
        element = self.builder.start(tag, attrib)
        self.starts[id(element)] = (self.expat.CurrentLineNumber, self.expat.CurrentColumnNumber)
        return element

    def end(self, tag: str) -> Element:
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> Element:
        return self.builder.close()


def parse(path: str, what: str) -> Parsed:
    """The file's XML tree (read bounded), or Unreadable naming the line and column of what is refused."""
    from defusedxml import DefusedXmlException  # only for the XML formats
    from defusedxml.ElementTree import DefusedXMLParser

    data = read_bytes(path, what, MAX_XML_BYTES)
    wide = utf_32(data)  # expat takes it for UTF-16, and finds it "not well-formed" at 1:2
    if wide is not None:
        raise Unreadable(Location(path, 1, 1), f"the XML is in UTF-32 ({wide}), which cannot be read",
                         SAVE_AS_UTF_8)  # fmt: skip
    target = _Located()
    parser = DefusedXMLParser(target=target, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    target.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except DefusedXmlException as exc:
        # expat calls the DTD handler at the end of "<!DOCTYPE name": point at the "<!DOCTYPE" on that line
        line, column = target.expat.CurrentLineNumber, target.expat.CurrentColumnNumber
        lines = data.split(b"\n")
        text = lines[line - 1] if line <= len(lines) else b""
        found = text.rfind(b"<!DOCTYPE", 0, column + 1)
        where = Location(path, line, (found if found >= 0 else column) + 1)
        raise Unreadable(where, f"XML with a DTD or entities ({type(exc).__name__}) is refused",
                         "remove the <!DOCTYPE> and entity declarations") from None  # fmt: skip
    except (LookupError, ValueError):  # expat asks Python for the declared encoding: unknown, or multi-byte
        where = Location(path, target.expat.CurrentLineNumber, target.expat.CurrentColumnNumber + 1)
        raise Unreadable(where, "the XML declaration names an encoding that cannot be read", SAVE_AS_UTF_8) from None
    except ParseError as exc:
        line, column = exc.position
        raise Unreadable(Location(path, line, column + 1), "not well-formed XML", "fix the XML (xmllint shows where)") \
            from None  # fmt: skip
    return Parsed(path, root, target.starts)
