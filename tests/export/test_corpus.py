"""The corpus of municipal letters: import proposes the right sections, export needs no fixes.

The letters (tests/corpus/letters.py) were turned into .docx by LibreOffice from flat ODT
(tests/corpus/sources/); the committed .docx files are the input, so the tests do not depend on
a conversion being repeatable.  `registrar_fixes` lists, item by item, what a registrar would
still have to fix before sending the answer; it must be empty for every letter.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from drafting.export.docx_builder import (
    DocSection,
    FinalDocument,
    Signatory,
    build_final_docx,
    document_heading,
)
from drafting.export.docx_import import ImportPreview, parse_docx
from drafting.models import Municipality
from drafting.rendering import render_markdown
from tests.corpus.fodt import to_fodt
from tests.corpus.letters import LETTERS, Letter

CORPUS = Path(__file__).parent.parent / "corpus"
SIGNERS = [("Malmö", "Malmö stad"), ("Lund", "Lunds kommun"), ("Höör", "Höörs kommun")]


def corpus_path(letter: Letter) -> Path:
    return CORPUS / "docx" / f"{letter.name}.docx"


def final_for(letter: Letter, preview: ImportPreview) -> FinalDocument:
    """The answer as the product would export it after importing the letter and signing it."""
    sections = preview.sections()
    title = preview.fields.title or "Yttrande"
    signatories = tuple(
        Signatory(Municipality(name=short, formal_name=formal).document_name, "Kommunstyrelsen",
                  date(2024, 5, 1), f"Namn {i}", "Kommundirektör")
        for i, (short, formal) in enumerate(SIGNERS)
    )
    return FinalDocument(
        cooperation_name="MalmöLundregionen", letterhead_lines=("Box 123", "211 00 Malmö"),
        document_date=date(2024, 5, 2), recipient=preview.fields.recipient or "Departementet",
        reference_number=preview.fields.reference or letter.reference,
        consultation_title="", title=title,
        sections=tuple(DocSection(s.heading, s.body, render_markdown(s.body)) for s in sections),
        signatories=signatories, author="MalmöLundregionen",
        our_reference=preview.fields.our_reference,
    )


def _paragraphs_text(element) -> str:
    return " ".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in element.iter(qn("w:p")))


def registrar_fixes(letter: Letter, preview: ImportPreview, data: bytes) -> list[str]:
    """Every fix a registrar would make before sending, one line each."""
    fixes: list[str] = []
    sections = preview.sections()
    # -- what the import made of the letter
    headings = [s.heading for s in sections]
    if headings != [h for h, _ in letter.sections]:
        fixes.append(f"sections: {headings} instead of {[h for h, _ in letter.sections]}")
    for (heading, passages), section in zip(letter.sections, sections, strict=False):
        for passage in passages:
            if passage not in section.body:
                fixes.append(f"section {heading!r}: {passage!r} lost or changed")
    everything = "\n".join(f"{s.heading}\n{s.body}" for s in sections)
    for text in letter.dropped:
        if text in everything:
            fixes.append(f"front matter or closing left in the text: {text!r}")
    fields = preview.fields
    for name in ("reference", "our_reference", "date", "recipient"):
        if getattr(letter, name) and getattr(fields, name) != getattr(letter, name):
            fixes.append(f"{name} {getattr(fields, name)!r} instead of {getattr(letter, name)!r}")
    # -- the document that leaves
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    title = next((p.text for p in document.paragraphs if p.style.name == "Title"), "")
    reference = fields.reference or letter.reference
    if reference and reference not in title:
        fixes.append(f"diarienummer missing from the heading {title!r}")
    first = section.first_page_header
    head = _paragraphs_text(first._element)
    for needed in ("YTTRANDE", "Datum: 2024-05-02", f"Er beteckning: {reference}" if reference else ""):
        if needed not in head:
            fixes.append(f"first-page head lacks {needed!r}")
    if fields.our_reference and f"Vår beteckning: {fields.our_reference}" not in head:
        fixes.append("our reference missing from the head")
    fields_in_head = [t.text.strip() for t in first._element.iter(qn("w:instrText"))]
    if fields_in_head != ["PAGE", "NUMPAGES"]:
        fixes.append("page 'n (m)' missing from the head")
    if not section.different_first_page_header_footer or "Box 123" in _paragraphs_text(section.header._element):
        fixes.append("letterhead repeated on later pages")
    table = document.tables[-1]
    names = [row.cells[0].text for row in table.rows[1:]]
    if names != [formal for _, formal in SIGNERS]:
        fixes.append(f"signatories not by formal name: {names}")
    rows = table._tbl.findall(qn("w:tr"))
    if not all(r.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None for r in rows) or not all(
        p.pPr is not None and p.pPr.keepNext is not None for r in rows[:-1] for p in r.iter(qn("w:p"))
    ):
        fixes.append("signature block can split across pages")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        app = archive.read("docProps/app.xml").decode()
        settings = archive.read("word/settings.xml").decode()
        notes = archive.read("word/footnotes.xml").decode() if "word/footnotes.xml" in archive.namelist() else ""
    if "<Application>Yttrande</Application>" not in app or "Normal.dotm" in app:
        fixes.append("metadata names another application or template")
    if 'w:themeFontLang w:val="sv-SE"' not in settings:
        fixes.append("theme language is not sv-SE")
    for note in re.findall(r"^\[\^\d+\]: (.+)$", everything, re.MULTILINE):
        plain = re.sub(r"[*_`]", "", note)
        if plain not in re.sub(r"<[^>]+>", "", notes):
            fixes.append(f"footnote not a Word footnote: {plain!r}")
    quotes = [p for p in document.paragraphs if p.style.name == "Quote"]
    if "\n> " in "\n" + everything and not quotes:
        fixes.append("block quote lost its indentation")
    for markdown_table, word_table in zip(
        re.findall(r"(?:^\|.*\|$\n?)+", everything, re.MULTILINE), document.tables[:-1], strict=False
    ):
        expected_rows = len([line for line in markdown_table.strip().split("\n") if "---" not in line])
        if len(word_table.rows) != expected_rows:
            fixes.append(f"table has {len(word_table.rows)} rows instead of {expected_rows}")
    return fixes


@pytest.fixture(scope="module", params=LETTERS, ids=lambda letter: letter.name)
def letter(request) -> Letter:
    return request.param


def test_the_corpus_is_large_and_varied_enough():
    assert len(LETTERS) >= 10
    kinds = {block[0] for letter in LETTERS for block in letter.blocks}
    assert {"title", "table", "quote", "indent", "ul", "ol", "h"} <= kinds
    sources = "".join(to_fodt(letter) for letter in LETTERS)
    for feature in ("<text:note ", "<text:tracked-changes>", "<office:annotation>", "<style:header>"):
        assert feature in sources, feature
    assert any(re.match(r"\d+\.\d+\.\d+ ", b[2]) for letter in LETTERS for b in letter.blocks if b[0] == "h")


def test_committed_sources_match_the_letters(letter):
    """sources/*.fodt are what letters.py writes (regenerate with python -m tests.corpus.build)."""
    source = CORPUS / "sources" / f"{letter.name}.fodt"
    assert source.read_text(encoding="utf-8") == to_fodt(letter)
    with zipfile.ZipFile(corpus_path(letter)) as archive:
        assert "LibreOffice" in archive.read("docProps/app.xml").decode()  # not our own writer


def test_preview_proposes_the_sections_and_drops_the_front_matter(letter):
    preview = parse_docx(corpus_path(letter).read_bytes())
    sections = preview.sections()
    assert [s.heading for s in sections] == [h for h, _ in letter.sections]
    everything = "\n".join(s.body for s in sections)
    assert not [text for text in letter.dropped if text in everything]
    assert preview.front, "front matter found"


def test_no_fixes_for_the_registrar(letter):
    preview = parse_docx(corpus_path(letter).read_bytes())
    data = build_final_docx(final_for(letter, preview))
    assert registrar_fixes(letter, preview, data) == []


def test_the_fix_counter_counts(letter):
    """The counter finds the faults this issue is about (so a zero count means something)."""
    preview = parse_docx(corpus_path(letter).read_bytes())
    everything_kept = preview.sections(frozenset(preview.front) | frozenset(preview.closing))
    bad = ImportPreview(blocks=preview.blocks, footnotes=preview.footnotes,
                        split_level=preview.split_level, title=None, front=(), closing=(),
                        fields=preview.fields)
    data = build_final_docx(final_for(letter, preview))
    assert registrar_fixes(letter, bad, data), everything_kept
    informal = final_for(letter, preview)
    informal = FinalDocument(**{**informal.__dict__, "signatories": tuple(
        Signatory(short, "KS", date(2024, 5, 1), "N", "T") for short, _ in SIGNERS)})
    assert any("formal name" in fix for fix in registrar_fixes(letter, preview, build_final_docx(informal)))


def test_heading_carries_the_diarienummer_once():
    assert document_heading("Yttrande över X (SOU 2020:8)", "Fi2020/00647/K") == (
        "Yttrande över X (SOU 2020:8), Fi2020/00647/K"
    )
    assert document_heading("Yttrande (Fi2020/00647/K)", "Fi2020/00647/K") == "Yttrande (Fi2020/00647/K)"
    assert document_heading("Yttrande", "") == "Yttrande"
