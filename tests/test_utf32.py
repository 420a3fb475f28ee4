"""mailconf.utf32: a document in UTF-32 is known by its first four bytes, one in UTF-8 or UTF-16 never taken for it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mailconf.utf32 import BOM, PADDED, utf_32

_CHARACTERS = st.characters(exclude_characters="\x00", exclude_categories=["Cs"])  # a surrogate encodes in none
#: documents as they start: XML, YAML, a first character that is not ASCII (Latin-1, BMP, astral); never U+0000,
#: which neither XML nor YAML allows
DOCUMENTS = st.one_of(
    st.sampled_from(["<", '<?xml version="1.0"?>', "version: 1", " ", "\ufeff<", "é: x", "\u4e2d: x", "\U0001f600"]),
    st.text(_CHARACTERS, max_size=6),
).flatmap(lambda head: st.text(_CHARACTERS, max_size=6).map(lambda tail: head + tail))


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.sampled_from(["utf-32", "utf-32-le", "utf-32-be"]))
def test_a_utf_32_document_is_known_by_its_mark_or_its_padded_first_character(text: str, encoding: str) -> None:
    """With a byte-order mark, always; without, when its first character is padded with three zero bytes: below
    U+0100 (``<``, ``v``, ``é``), as XML 1.0 Appendix F and YAML 1.2.2 section 5.2 detect it."""
    data = text.encode(encoding)
    marked = encoding == "utf-32" or text.startswith("\ufeff")  # the codec writes the mark, or the text holds it
    expected = BOM if marked else PADDED if text and ord(text[0]) < 0x100 else None
    assert utf_32(data) == expected
    if expected is not None:
        assert data.decode("utf-32" if encoding == "utf-32" else encoding) == text


@settings(max_examples=300, deadline=None)
@given(DOCUMENTS, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"]))
def test_a_utf_8_or_utf_16_document_is_never_taken_for_utf_32(text: str, encoding: str) -> None:
    assert utf_32(text.encode(encoding)) is None
