"""The final remissvar and the review copy: layout, metadata, templates, comments."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections import defaultdict
from datetime import UTC, date, datetime

import docx
import pytest
from docx.oxml.ns import qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafting.export.docx_builder import (
    DocSection,
    FinalDocument,
    InvalidTemplate,
    ReviewComment,
    ReviewCopy,
    Signatory,
    build_final_docx,
    build_review_copy_docx,
    validate_template,
)
from drafting.services import anchoring

SIGNATORIES = (
    Signatory(
        "Malmö",
        "Kommunstyrelsen",
        date(2026, 11, 18),
        "Anna Andersson",
        "Kommundirektör",
        "KS § 123",
    ),
    Signatory(
        "Lund", "Kommunstyrelsens arbetsutskott", date(2026, 11, 19), "Bo Berg", "Stadsdirektör"
    ),
    Signatory(
        "Höör",
        "Kommundirektören på delegation",
        date(2026, 11, 20),
        "Cilla Ceder",
        "Kommundirektör",
        "Delegationsbeslut 7",
    ),
)

SECTIONS = (
    DocSection("Sammanfattning", "MalmöLundregionen **tillstyrker** förslaget."),
    DocSection(
        "Synpunkter",
        "# Kollektivtrafik\n\nRegionen växer. Regionen växer snabbt.\n\n"
        "- Spårväg\n- Pendeltåg\n\n| Åtgärd | Kostnad |\n|---|---|\n| Spår | 10 mnkr |\n\n"
        "Läs [planen](https://www.regeringen.se/plan).",
    ),
)


def final_document(**changes) -> FinalDocument:
    values = dict(
        cooperation_name="MalmöLundregionen",
        letterhead_lines=("Box 123", "211 00 Malmö"),
        document_date=date(2026, 11, 23),
        recipient="Infrastrukturdepartementet",
        reference_number="I2024/01234",
        consultation_title="Nationell plan för transportinfrastrukturen",
        title="Yttrande över Nationell plan för transportinfrastrukturen",
        sections=SECTIONS,
        signatories=SIGNATORIES,
        author="MalmöLundregionen",
    )
    values.update(changes)
    return FinalDocument(**values)


def open_docx(data: bytes):
    assert data[:2] == b"PK"
    return docx.Document(io.BytesIO(data))


def body_rows(document) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs]


def make_template(
    remove_style_ids: tuple[str, ...] = (),
    header: str = "Logo Kommunförbundet",
    footer: str = "Adress: Storgatan 1",
) -> bytes:
    template = docx.Document()
    template.add_paragraph("MALLTEXT som ska bort")
    template.add_table(rows=1, cols=1).cell(0, 0).text = "MALLTABELL"
    section = template.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    if footer:
        section.footer.paragraphs[0].text = footer
    for style_id in remove_style_ids:
        style = template.styles.element.get_by_id(style_id)
        template.styles.element.remove(style)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


# --------------------------------------------------------------------------------------------
# Final document


def test_final_document_layout_in_order():
    document = open_docx(build_final_docx(final_document()))
    rows = body_rows(document)
    texts = [text for _, text in rows]
    # Addressed to the remitting body; date and references are in the head.
    assert texts[:2] == ["Infrastrukturdepartementet", ""]
    # The heading carries the ministry's diarienummer, as remissvar guidance asks.
    assert rows[2] == ("Title", "Yttrande över Nationell plan för transportinfrastrukturen, I2024/01234")
    headings = [(style, text) for style, text in rows if style.startswith("Heading")]
    assert headings == [
        ("Heading 1", "Sammanfattning"),
        ("Heading 1", "Synpunkter"),
        ("Heading 2", "Kollektivtrafik"),
        ("Heading 1", "Underskrifter"),
    ]
    assert ("Normal", "MalmöLundregionen tillstyrker förslaget.") in rows
    assert [t for s, t in rows if s == "List Bullet"] == ["Spårväg", "Pendeltåg"]
    bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert "tillstyrker" in bold
    link = next(p for p in document.paragraphs if p.hyperlinks).hyperlinks[0]
    assert link.text == "planen" and link.url == "https://www.regeringen.se/plan"
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == [
        ["Åtgärd", "Kostnad"],
        ["Spår", "10 mnkr"],
    ]
    assert "UTKAST" not in document.element.xml


def head_cells(story) -> list[list[str]]:
    """The texts of the head table's cells, paragraph by paragraph."""
    table = story.tables[0]
    return [[p.text for p in cell.paragraphs] for cell in table.rows[0].cells]


def test_page_is_a4_with_margins_and_page_of_pages_in_the_head():
    document = open_docx(build_final_docx(final_document()))
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0
    assert round(section.page_height.cm, 1) == 29.7
    assert round(section.left_margin.cm, 1) == round(section.right_margin.cm, 1) == 2.5
    for story in (section.first_page_header, section.header):
        instructions = [el.text.strip() for el in story._element.iter(qn("w:instrText"))]
        assert instructions == ["PAGE", "NUMPAGES"]
        kinds = [el.get(qn("w:fldCharType")) for el in story._element.iter(qn("w:fldChar"))]
        assert kinds == ["begin", "separate", "end"] * 2
        assert head_cells(story)[-1] == ["1 (1)"]  # "1 (3)" once laid out
    assert not list(section.footer._element.iter(qn("w:instrText")))


def test_first_page_head_follows_the_official_letter_convention():
    document = open_docx(build_final_docx(final_document(our_reference="MLR 2026/14")))
    section = document.sections[0]
    assert section.different_first_page_header_footer
    letterhead, facts, _page = head_cells(section.first_page_header)
    assert letterhead == ["MalmöLundregionen", "Box 123", "211 00 Malmö"]
    assert facts == [
        "YTTRANDE",
        "Datum: 2026-11-23",
        "Vår beteckning: MLR 2026/14",
        "Er beteckning: I2024/01234",
    ]
    # Later pages: a short head, no letterhead.
    (short, _page) = head_cells(section.header)
    assert short == ["MalmöLundregionen – YTTRANDE – 2026-11-23 – I2024/01234"]
    # Room between the head and the body.
    last = section.first_page_header._element.findall(qn("w:p"))[-1]
    assert int(last.find(f"{qn('w:pPr')}/{qn('w:spacing')}").get(qn("w:after"))) >= 240


def test_signature_block_keeps_together_and_with_the_text_before_it():
    document = open_docx(build_final_docx(final_document()))
    body = document.element.body
    heading = next(p for p in document.paragraphs if p.text == "Underskrifter")
    assert heading._p.pPr.keepNext is not None
    before = heading._p.getprevious()  # the last paragraph of the text
    assert before.pPr is not None and before.pPr.keepNext is not None
    table = body.findall(qn("w:tbl"))[-1]
    rows = table.findall(qn("w:tr"))
    assert all(row.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None for row in rows)
    for row in rows[:-1]:
        assert all(p.pPr is not None and p.pPr.keepNext is not None for p in row.iter(qn("w:p")))
    assert all(p.pPr.keepNext is None for p in rows[-1].iter(qn("w:p")))


def test_core_properties():
    props = open_docx(build_final_docx(final_document())).core_properties
    assert props.title == "Yttrande över Nationell plan för transportinfrastrukturen, I2024/01234"
    assert props.author == "MalmöLundregionen"
    assert props.subject == "I2024/01234"
    assert props.language == "sv-SE"
    assert props.created.date() == date(2026, 11, 23)


def test_default_style_is_swedish_calibri():
    document = open_docx(build_final_docx(final_document()))
    assert document.styles["Normal"].font.name == "Calibri"
    assert document.styles["Normal"].font.size.pt == 11
    lang = document.styles.element.find(f"{qn('w:docDefaults')}//{qn('w:lang')}")
    assert lang.get(qn("w:val")) == "sv-SE"


def test_signatories_in_given_order_with_all_fields():
    document = open_docx(build_final_docx(final_document()))
    table = document.tables[-1]
    rows = [[cell.text for cell in row.cells] for row in table.rows]
    assert rows[0] == ["Kommun", "Beslut", "Underskrift"]
    assert [row[0] for row in rows[1:]] == ["Malmö", "Lund", "Höör"]
    for row, signatory in zip(rows[1:], SIGNATORIES, strict=True):
        assert signatory.deciding_body in row[1]
        assert signatory.decision_date.isoformat() in row[1]
        assert signatory.minutes_paragraph in row[1]
        assert signatory.signatory_name in row[2] and signatory.signatory_title in row[2]
    # A signature line (bottom border) sits above each name.
    assert len(table._tbl.xpath(".//w:pBdr/w:bottom")) == 3


def test_no_signatories_still_exports():
    document = open_docx(build_final_docx(final_document(signatories=())))
    assert "Inga underskrifter är registrerade ännu." in [p.text for p in document.paragraphs]


def test_draft_is_marked_in_header_body_and_title():
    document = open_docx(build_final_docx(final_document(is_draft=True, version_number=3)))
    marking = "UTKAST – version 3 – ej beslutat"
    section = document.sections[0]
    for story in (section.first_page_header, section.header):
        first = story.paragraphs[0]
        assert first.text == marking and all(run.bold for run in first.runs)
    title = next(p.text for p in document.paragraphs if p.style.name == "Title")
    assert title.startswith("UTKAST – Yttrande över")
    assert document.core_properties.title.startswith("UTKAST")
    unnumbered = open_docx(build_final_docx(final_document(is_draft=True)))
    assert unnumbered.sections[0].first_page_header.paragraphs[0].text == "UTKAST – ej beslutat"


def test_template_keeps_header_styles_and_replaces_body():
    template = make_template()
    document = open_docx(build_final_docx(final_document(), template=template))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "MALLTEXT" not in text and "MALLTABELL" not in document.element.xml
    assert [p.text for p in document.sections[0].header.paragraphs] == ["Logo Kommunförbundet"]
    footer = document.sections[0].footer
    assert footer.paragraphs[0].text == "Adress: Storgatan 1"
    assert [el.text.strip() for el in footer._element.iter(qn("w:instrText"))] == [
        "PAGE",
        "NUMPAGES",
    ]
    # The template's header stays; the head (letterhead, type, date, references) opens the body.
    letterhead, facts, _page = head_cells(document)
    assert letterhead[0] == "MalmöLundregionen" and facts[0] == "YTTRANDE"
    assert "Sammanfattning" in text


def test_template_missing_styles_fall_back():
    template = make_template(
        remove_style_ids=(
            "Title",
            "Heading1",
            "Heading2",
            "ListBullet",
            "ListNumber",
            "TableGrid",
            "Quote",
        ),
    )
    sections = SECTIONS + (DocSection("Mer", "1. a\n2. b\n    - c\n\n> citat"),)
    document = open_docx(build_final_docx(final_document(sections=sections), template=template))
    styles = {p.text: p.style.name for p in document.paragraphs}
    assert styles["Sammanfattning"] == "Heading 1"
    assert styles["Kollektivtrafik"] == "Heading 2"
    assert styles["Yttrande över Nationell plan för transportinfrastrukturen, I2024/01234"] == "Title"
    numbered = [
        p for p in document.paragraphs if p._p.pPr is not None and p._p.pPr.numPr is not None
    ]
    assert [p.text for p in numbered] == ["Spårväg", "Pendeltåg", "a", "b", "c"]
    assert "citat" in styles


def test_template_header_naming_the_cooperation_is_not_repeated_and_draft_goes_on_top():
    template = make_template(header="MalmöLundregionen – logotyp")
    document = open_docx(
        build_final_docx(final_document(is_draft=True, version_number=2), template=template)
    )
    header = [p.text for p in document.sections[0].header.paragraphs]
    assert header == ["UTKAST – version 2 – ej beslutat", "MalmöLundregionen – logotyp"]
    assert document.paragraphs[0].text == "UTKAST – version 2 – ej beslutat"
    _letterhead, facts, _page = head_cells(document)
    assert facts[1] == "Datum: 2026-11-23"


def test_dotx_template_is_accepted():
    data = make_template()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                payload = payload.replace(b"document.main+xml", b"template.main+xml")
            dst.writestr(info, payload)
    validate_template(out.getvalue())
    document = open_docx(build_final_docx(final_document(), template=out.getvalue()))
    assert "Sammanfattning" in [p.text for p in document.paragraphs]


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in members.items():
            archive.writestr(name, payload)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "tom"),
        (b"hello world, not a zip", "inte ett Word-dokument"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, ".doc"),
        (b"PK\x03\x04broken", "skadad"),
        (_zip({"hello.txt": b"hi"}), "word/document.xml"),
        (
            _zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"<not-word/>"}),
            "kunde inte läsas",
        ),
    ],
)
def test_invalid_templates_are_rejected_in_swedish(data, fragment):
    with pytest.raises(InvalidTemplate) as info:
        validate_template(data)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(InvalidTemplate):
        build_final_docx(final_document(), template=data)


def test_zip_bomb_is_rejected_before_decompressing():
    bomb = _zip(
        {
            "[Content_Types].xml": b"<x/>",
            "word/document.xml": b"<w/>",
            "word/huge.bin": b"\0" * (51 * 1024 * 1024),
        }
    )
    assert len(bomb) < 200_000
    with pytest.raises(InvalidTemplate, match="50 MB"):
        validate_template(bomb)


def test_hostile_content_exports_and_keeps_user_text():
    nested = "\n".join("    " * i + f"- nivå{i}" for i in range(10))
    big = "långt " * (1_000_000 // 6)
    sections = (
        DocSection("Kontroll\x00tecken\x01", "a\x00b\x01c\x0bd e\ufffef"),
        DocSection("Emoji 😀 och RTL", "مرحبا بالعالم och שלום עולם 👍🏽"),
        DocSection("Rå HTML", "<script>alert(1)</script>\n\nFöre <b>fet</b> efter"),
        DocSection("Trasig", "**unclosed\n\n" + "[[[[[" * 1000),
        DocSection("Nästlad", nested),
        DocSection("", ""),
        DocSection("Tom", ""),
        DocSection("Stor", big),
    )
    data = build_final_docx(
        final_document(
            sections=sections,
            recipient="Dep\x07artementet",
            title="Yttrande \x1b😀",
            signatories=(Signatory("Malmö\x00", "KS", date(2026, 1, 1), "N\x0bN", "T"),),
        )
    )
    document = open_docx(data)
    text = "\n".join(p.text for p in document.paragraphs)
    for expected in (
        "Kontrolltecken",
        "abcd ef",
        "Emoji 😀 och RTL",
        "مرحبا بالعالم",
        "שלום עולם 👍🏽",
        "alert(1)",
        "Före fet efter",
        "**unclosed",
        "[" * 5000,
        "Departementet",
        "Yttrande 😀",
        "Tom",
    ):
        assert expected in text, expected
    assert all(f"nivå{i}" in text for i in range(10))
    assert text.count("långt") == 1_000_000 // 6
    assert "MalmöNN" not in text and "Malmö" in document.tables[-1].rows[1].cells[0].text


# --------------------------------------------------------------------------------------------
# Review copy


def comment(section_index: int, exact: str, body: str = "Bra", **changes) -> ReviewComment:
    values = dict(
        section_index=section_index,
        exact=exact,
        prefix="",
        suffix="",
        author_name="Cecilia Ek",
        municipality="Lomma",
        created_at=datetime(2026, 11, 19, 9, 30, tzinfo=UTC),
        body=body,
    )
    values.update(changes)
    return ReviewComment(**values)


def review_copy(
    comments=(), detached=(), changes=("Avsnitt 2 ”Synpunkter” ändrat",), version=2
) -> ReviewCopy:
    return ReviewCopy(
        cooperation_name="MalmöLundregionen",
        title="Yttrande över Nationell plan",
        consultation_title="Nationell plan för transportinfrastrukturen",
        reference_number="I2024/01234",
        deadline=date(2026, 12, 1),
        version_number=version,
        published_at=datetime(2026, 11, 20, 13, 0, tzinfo=UTC),
        sections=SECTIONS,
        comments=tuple(comments),
        detached_comments=tuple(detached),
        changes_since_previous=tuple(changes),
    )


def anchored_text(document) -> dict[int, str]:
    """Text between each comment's range markers, in document order."""
    active: set[int] = set()
    out: dict[int, str] = defaultdict(str)
    for el in document.element.body.iter():
        if el.tag == qn("w:commentRangeStart"):
            active.add(int(el.get(qn("w:id"))))
        elif el.tag == qn("w:commentRangeEnd"):
            active.discard(int(el.get(qn("w:id"))))
        elif el.tag == qn("w:t"):
            for comment_id in active:
                out[comment_id] += el.text or ""
    return dict(out)


def test_review_copy_heading_info_and_changes():
    document = open_docx(build_review_copy_docx(review_copy()))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "Yttrande över Nationell plan"
    for line in (
        "Remiss: Nationell plan för transportinfrastrukturen",
        "Diarienummer: I2024/01234",
        "Sista svarsdag: 2026-12-01",
        "Version: 2, publicerad 2026-11-20 14:00",
    ):
        assert line in texts
    index = texts.index("Ändringar sedan föregående version")
    assert document.paragraphs[index].style.name == "Heading 1"
    assert texts[index + 1] == "Avsnitt 2 ”Synpunkter” ändrat"
    assert document.paragraphs[index + 1]._p.pPr.numPr is not None
    first = open_docx(build_review_copy_docx(review_copy(changes=(), version=1)))
    assert "Första versionen." in [p.text for p in first.paragraphs]
    assert "Granskningsexemplar – version 2 – ej beslutat" in [
        p.text for p in document.sections[0].header.paragraphs
    ]


def test_comments_are_real_word_comments_on_the_exact_passage():
    replies = (
        ("Anna Andersson", "Malmö", datetime(2026, 11, 20, 8, 0, tzinfo=UTC), "Håller med"),
        ("Bo Berg", "Lund", datetime(2026, 11, 21, 8, 0, tzinfo=UTC), "Inte jag"),
    )
    comments = [
        comment(0, "tillstyrker förslaget", replies=replies),  # spans bold + plain runs
        comment(
            1,
            "Regionen växer",
            prefix="växer. ",
            suffix=" snabbt",
            author_name="Dan Dahl",
            municipality="Eslöv",
        ),
        comment(1, "planen", author_name="Eva Ek", municipality="Höör"),  # inside a hyperlink
        comment(1, "10 mnkr", author_name="Fia Fors", municipality="Kävlinge"),  # table cell
    ]
    document = open_docx(build_review_copy_docx(review_copy(comments)))
    by_author = {c.author: c for c in document.comments}
    assert set(by_author) == {
        "Cecilia Ek (Lomma)",
        "Dan Dahl (Eslöv)",
        "Eva Ek (Höör)",
        "Fia Fors (Kävlinge)",
    }
    assert by_author["Cecilia Ek (Lomma)"].initials == "CE"
    ranges = anchored_text(document)
    assert ranges[by_author["Cecilia Ek (Lomma)"].comment_id] == "tillstyrker förslaget"
    assert ranges[by_author["Dan Dahl (Eslöv)"].comment_id] == "Regionen växer"
    assert ranges[by_author["Eva Ek (Höör)"].comment_id] == "planen"
    assert ranges[by_author["Fia Fors (Kävlinge)"].comment_id] == "10 mnkr"
    # Formatting survives the run split.
    bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert "tillstyrker" in bold and " förslaget" not in bold
    text = by_author["Cecilia Ek (Lomma)"].text
    assert text.splitlines() == [
        "2026-11-19: Bra",
        "— Anna Andersson (Malmö), 2026-11-20: Håller med",
        "— Bo Berg (Lund), 2026-11-21: Inte jag",
    ]
    assert by_author["Cecilia Ek (Lomma)"].timestamp == datetime(2026, 11, 19, 9, 30, tzinfo=UTC)


def test_prefix_and_suffix_pick_the_right_occurrence():
    document = open_docx(
        build_review_copy_docx(
            review_copy(
                [
                    comment(1, "Regionen växer", prefix="växer. ", suffix=" snabbt"),
                ]
            )
        )
    )
    paragraph = next(p for p in document.paragraphs if p.text.startswith("Regionen växer."))
    xml = paragraph._p.xml
    # The range starts after the first sentence, not at the paragraph start.
    assert xml.index("commentRangeStart") > xml.index("Regionen växer.")


def test_a_comment_whose_occurrence_is_gone_is_not_put_on_another():
    # "Regionen växer" stands twice, but neither with this context: the commented one was
    # deleted.  The review copy asks the same passage finder as the page and lists it.
    gone = comment(1, "Regionen växer", prefix="Inledning. ", suffix=" långsamt", author_name="Lo Lind")
    found = comment(1, "Regionen växer", prefix="växer. ", suffix=" snabbt", author_name="Per Pil")
    document = open_docx(build_review_copy_docx(review_copy([gone, found])))
    assert [c.author for c in document.comments] == ["Per Pil (Lomma)"]
    texts = [p.text for p in document.paragraphs]
    listed = texts[texts.index("Kommentarer som inte längre kan knytas till texten") :]
    assert any(t.startswith("Lo Lind (Lomma)") for t in listed)


def test_whole_section_comment_and_suggestion_anchor_on_heading():
    document = open_docx(
        build_review_copy_docx(
            review_copy(
                [
                    comment(1, "", body="Omarbeta", is_suggestion=True, suggested_text="Ny text"),
                ]
            )
        )
    )
    (only,) = list(document.comments)
    assert anchored_text(document)[only.comment_id] == "Synpunkter"
    assert only.text.splitlines() == ["2026-11-19: Förslag: ersätt med: ”Ny text”", "Omarbeta"]


def test_passage_spanning_paragraphs_anchors_on_first_part():
    document = open_docx(
        build_review_copy_docx(
            review_copy(
                [
                    comment(1, "Kollektivtrafik Regionen växer"),  # heading + paragraph below
                    comment(1, "snabbt.\nSpårväg"),
                ]
            )
        )
    )
    ranges = sorted(anchored_text(document).values())
    assert ranges == ["Kollektivtrafik", "snabbt."]


def test_unfound_and_detached_comments_are_listed_never_dropped():
    detached = [
        comment(
            1,
            "gammal formulering",
            body="Stryk",
            author_name="Gun Gran",
            municipality="Lund",
            replies=(("Hans H", "Malmö", datetime(2026, 11, 2), "Ok"),),
        )
    ]
    lost = [
        comment(0, "finns inte längre", body="Hmm", author_name="Ivar Is"),
        comment(9, "fel avsnitt", body="Var?", author_name="Jan Jo"),
    ]
    found = [comment(0, "förslaget", author_name="Kim Ko")]
    document = open_docx(build_review_copy_docx(review_copy(found + lost, detached)))
    assert [c.author for c in document.comments] == ["Kim Ko (Lomma)"]
    texts = [p.text for p in document.paragraphs]
    start = texts.index("Kommentarer som inte längre kan knytas till texten")
    listed = "\n".join(texts[start:])
    for expected in (
        "Gun Gran (Lund), 2026-11-19 – avsnitt 2 ”Synpunkter”",
        "Citerad text: ”gammal formulering”",
        "2026-11-19: Stryk",
        "— Hans H (Malmö), 2026-11-02: Ok",
        "Ivar Is (Lomma)",
        "”finns inte längre”",
        "Jan Jo (Lomma)",
        "Var?",
    ):
        assert expected in listed, expected
    headers = [
        t for t in texts[start + 1 :] if t.startswith(("Gun Gran (", "Ivar Is (", "Jan Jo ("))
    ]
    assert len(document.comments) + len(headers) == 4


def test_review_copy_with_hostile_comment_text():
    document = open_docx(
        build_review_copy_docx(
            review_copy(
                [
                    comment(
                        0, "förslaget", body="a\x00b 😀 שלום\n\nrad\x0b två", author_name="Ö\x01 Å"
                    ),
                ]
            )
        )
    )
    (only,) = list(document.comments)
    assert only.author == "Ö Å (Lomma)"
    assert "ab 😀 שלום" in only.text and "rad två" in only.text


def test_section_comment_sits_on_the_heading_and_template_comments_are_dropped():
    # Headings are not part of the text a passage is quoted from (the page shows them
    # outside the section body), so only a comment on the whole section lands on one.
    template = docx.Document()
    paragraph = template.add_paragraph("Mallens text")
    template.add_comment(paragraph.runs, text="Mallens kommentar", author="Mall")
    out = io.BytesIO()
    template.save(out)
    document = open_docx(
        build_review_copy_docx(
            review_copy([comment(1, "", body="Rubriken")]), template=out.getvalue()
        )
    )
    (only,) = list(document.comments)
    assert only.text == "2026-11-19: Rubriken"
    assert anchored_text(document)[only.comment_id] == "Synpunkter"


def test_right_to_left_letterhead_and_comments_are_marked():
    arabic = "مرحبا بالعالم"
    document = open_docx(build_final_docx(final_document(letterhead_lines=(arabic, "Box 123"))))
    (letterhead, _facts, _page) = document.sections[0].first_page_header.tables[0].rows[0].cells
    header = {p.text: p._p for p in letterhead.paragraphs}
    assert header[arabic].find(f"{qn('w:pPr')}/{qn('w:bidi')}") is not None
    assert header["Box 123"].find(f"{qn('w:pPr')}/{qn('w:bidi')}") is None
    copy = build_review_copy_docx(review_copy([comment(0, "förslaget", body=arabic)]))
    with zipfile.ZipFile(io.BytesIO(copy)) as archive:
        comments = archive.read("word/comments.xml").decode()
    assert "<w:bidi/>" in comments and "<w:rtl/>" in comments


def test_metadata_names_this_product_and_swedish_everywhere():
    data = build_final_docx(final_document())
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        app = archive.read("docProps/app.xml").decode()
        settings = archive.read("word/settings.xml").decode()
    assert "<Application>Yttrande</Application>" in app
    assert "Normal.dotm" not in app and "Microsoft" not in app and "<Pages>" not in app
    assert 'w:themeFontLang w:val="sv-SE"' in settings


def test_many_comments_get_distinct_ids_their_own_dates_and_ranges():
    """The review copy numbers comments itself (python-docx rescans every id per comment)."""
    many = [comment(1, "Regionen växer", prefix="växer. ", suffix=" snabbt",
                    author_name=f"Person {n}", created_at=datetime(2026, 11, 1 + n % 20, 9, tzinfo=UTC))
            for n in range(60)]
    document = open_docx(build_review_copy_docx(review_copy(many)))
    ids = [c.comment_id for c in document.comments]
    assert len(ids) == 60 and len(set(ids)) == 60
    starts = [int(el.get(qn("w:id"))) for el in document.element.body.iter(qn("w:commentRangeStart"))]
    assert sorted(starts) == sorted(ids)
    assert {c.timestamp.day for c in document.comments} == {1 + n % 20 for n in range(60)}


# --- all comments at once: the same places as one at a time -----------------------------

PLAIN_WORDS = ("regionen", "växer", "snabbt", "spår", "tåg", "och", "kommunerna", "ö")


@st.composite
def commented_sections(draw):
    """A few sections of paragraphs with bold and italic words, and comments on passages of
    their text (any character range: inside words, across runs and paragraphs, blank)."""
    sections, texts = [], []
    for number in range(draw(st.integers(1, 3))):
        paragraphs, plain = [], []
        for _ in range(draw(st.integers(1, 3))):
            words = draw(st.lists(st.sampled_from(PLAIN_WORDS), min_size=2, max_size=10))
            marks = [draw(st.sampled_from(("", "**", "*"))) for _ in words]
            paragraphs.append(" ".join(f"{mark}{word}{mark}" for mark, word in zip(marks, words, strict=True)))
            plain.append(" ".join(words))
        sections.append(DocSection(f"Avsnitt {number + 1}", "\n\n".join(paragraphs)))
        texts.append("\n".join(plain))
    comments = []
    for number in range(draw(st.integers(1, 7))):
        index = draw(st.integers(0, len(sections) - 1))
        text = texts[index]
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start, min(len(text), start + 40)))
        quote = anchoring.quote_from_selection(text, start, end)
        comments.append(comment(index, quote.exact, prefix=quote.prefix, suffix=quote.suffix,
                                author_name=f"Person {number}"))
    return tuple(sections), comments


def placed_passages(sections, comments) -> dict[str, str]:
    """Each anchored comment's author and the text its Word comment covers."""
    copy = dataclasses.replace(review_copy(comments), sections=sections)
    document = open_docx(build_review_copy_docx(copy))
    ranges = anchored_text(document)
    return {c.author: ranges.get(c.comment_id, "") for c in document.comments}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commented_sections())
def test_comments_placed_together_sit_where_each_alone_sits(case):
    """Located a section at a time and split once per paragraph, every comment covers the
    same text as when it is the only comment of the review copy."""
    sections, comments = case
    together = placed_passages(sections, comments)
    alone: dict[str, str] = {}
    for single in comments:
        alone |= placed_passages(sections, [single])
    assert together == alone
