"""The PDF for sending and archiving: PDF/A-2b, tagged (PDF/UA structure), fonts embedded,
title and language set, all the text there, and the signature block on one page.

Conversions go through drafting.export.pdf, whose machine-wide slots bound how many LibreOffice
processes run at once.
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from dataclasses import replace
from datetime import date
from functools import cache

import docx
import pypdf
import pytest

from drafting.export.docx_builder import DocSection, build_final_docx
from drafting.export.docx_import import parse_docx
from drafting.export.pdf import docx_to_pdf, soffice_path
from drafting.rendering import render_markdown
from tests.corpus.letters import LETTERS
from tests.export.test_corpus import corpus_path, final_for

pytestmark = [
    pytest.mark.soffice,
    # Outside CI only: in CI a missing LibreOffice fails these tests instead of hiding them.
    pytest.mark.skipif(soffice_path() is None and not os.environ.get("CI"),
                       reason="LibreOffice is not installed"),
]

LETTERS_IN_PDF = [LETTERS[0], LETTERS[2], LETTERS[9]]  # footnotes, tables and lists, notes again
_WORDS = re.compile(r"[^\W\d_]+")


@cache
def converted(name: str) -> tuple[bytes, bytes]:
    letter = next(letter for letter in LETTERS if letter.name == name)
    data = build_final_docx(final_for(letter, parse_docx(corpus_path(letter).read_bytes())))
    return data, docx_to_pdf(data, timeout=120, wait=600)


def _docx_words(data: bytes) -> Counter[str]:
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    texts += [c.text for t in document.tables for row in t.rows for c in row.cells]
    return Counter(word for text in texts for word in _WORDS.findall(text))


def _fonts(reader: pypdf.PdfReader) -> list[tuple[str, bool]]:
    """(base font, embedded) of every font the pages use."""
    found: dict[str, bool] = {}
    for page in reader.pages:
        fonts = page.get("/Resources", {}).get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            embedded = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
            found[str(font.get("/BaseFont"))] = embedded
    return sorted(found.items())


@pytest.mark.parametrize("letter", LETTERS_IN_PDF, ids=lambda letter: letter.name)
def test_pdf_is_archival_tagged_and_complete(letter):
    data, pdf = converted(letter.name)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root, "tagged PDF: structure tree"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert root["/Lang"] == "sv-SE"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r"<pdfaid:part>2</pdfaid:part>\s*<pdfaid:conformance>B</pdfaid:conformance>", xmp)
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp
    title = docx.Document(io.BytesIO(data)).core_properties.title
    assert reader.metadata.title == title and title in xmp
    fonts = _fonts(reader)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert any("Carlito" in name for name, _ in fonts), fonts  # Calibri's metrics, installed
    text = "".join(page.extract_text() for page in reader.pages)
    missing = _docx_words(data) - Counter(_WORDS.findall(text))
    assert not missing, missing


@pytest.mark.parametrize("filler", [34, 37, 40, 43])
def test_signature_block_is_on_one_page_with_the_text_before_it(filler):
    """Whatever the length of the text, the block never splits and never stands alone."""
    letter = LETTERS[0]
    document = final_for(letter, parse_docx(corpus_path(letter).read_bytes()))
    body = "\n\n".join(f"Stycke {n} som fyller ut sidan." for n in range(filler))
    body += "\n\nSista stycket före underskrifterna."
    document = replace(
        document, sections=(DocSection("Synpunkter", body, render_markdown(body)),),
        document_date=date(2024, 5, 2),
    )
    pdf = docx_to_pdf(build_final_docx(document), timeout=120, wait=600)
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]
    with_block = [i for i, text in enumerate(pages) if "Underskrifter" in text]
    assert len(with_block) == 1, pages
    page = pages[with_block[0]]
    for signatory in document.signatories:
        assert signatory.municipality in page and signatory.signatory_name in page
    assert "Sista stycket före underskrifterna." in page
