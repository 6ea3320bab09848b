"""Download names and Content-Disposition headers."""

from __future__ import annotations

import re
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from drafting.export.filenames import ascii_fallback, content_disposition, export_filename

FORBIDDEN = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)$", re.IGNORECASE)


def test_typical_names():
    assert export_filename("I2024/01234", "MalmöLundregionen") == (
        "Yttrande I2024-01234 MalmöLundregionen.docx"
    )
    assert export_filename("I2024/01234", "MalmöLundregionen", "granskningsexemplar v3", "pdf") == (
        "Yttrande I2024-01234 MalmöLundregionen granskningsexemplar v3.pdf"
    )
    assert export_filename("", "") == "Yttrande.docx"
    assert export_filename("  ", "...", "", "") == "Yttrande.docx"


def test_hostile_parts_are_neutralised():
    name = export_filename('a:b*c?"d<e>f|g\\h', "x\u202eexe.docx\n\tny rad", "..", "../pdf")
    assert not FORBIDDEN.search(name) and "\u202e" not in name
    assert name.endswith(".pdf") and "  " not in name
    assert len(export_filename("I" * 500, "😀" * 500)) <= 150
    assert len(export_filename("I" * 500, "😀" * 500).encode("utf-8")) <= 255


def test_content_disposition_has_ascii_fallback_and_utf8_name():
    header = content_disposition("Yttrande I2024-01234 MalmöLundregionen Åre.docx")
    assert header == (
        'attachment; filename="Yttrande I2024-01234 MalmoLundregionen Are.docx"; '
        "filename*=UTF-8''Yttrande%20I2024-01234%20Malm%C3%B6Lundregionen%20%C3%85re.docx"
    )
    assert ascii_fallback("Ærøskøbing – Straße.pdf") == "AEroskobing - Strasse.pdf"
    assert ascii_fallback("😀😀.docx") == "docx" or ascii_fallback("😀😀.docx").endswith(".docx")
    assert content_disposition('evil"\r\nSet-Cookie: x\\.docx').count('"') == 2


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(), st.text(), st.text(max_size=12))
def test_export_filename_is_always_safe(reference, cooperation, suffix, ext):
    name = export_filename(reference, cooperation, suffix, ext)
    stem, _, extension = name.rpartition(".")
    assert name and stem and extension
    assert not FORBIDDEN.search(name)
    assert not re.search(r"[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]", name)
    assert not RESERVED.match(stem.split(".")[0])
    assert not stem.endswith((" ", ".")) and not name.endswith((" ", "."))
    assert len(name) <= 150 and len(name.encode("utf-8")) <= 255


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_content_disposition_is_a_safe_latin1_header(filename):
    header = content_disposition(filename)
    header.encode("latin-1")  # must not raise
    assert "\r" not in header and "\n" not in header
    match = re.fullmatch(r'attachment; filename="([^"\\]*)"; filename\*=UTF-8\'\'(\S+)', header)
    assert match, header
    assert match.group(1).isascii() and match.group(1)
    assert not FORBIDDEN.search(unquote(match.group(2)))
