"""Write a corpus letter (tests/corpus/letters.py) as a flat ODT file for LibreOffice.

The .fodt files in sources/ are what LibreOffice turns into the .docx files in docx/
(`python -m tests.corpus.build`); the product's own Word writer takes no part in them.

Inline markup in paragraph text: **bold**, *italic*, [[url|text]] links, ((footnote text)),
{+inserted+} and {-deleted-} tracked changes, {!comment!} Word comments, and "\\n" line breaks.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"'
)

STYLES = """
 <style:default-style style:family="paragraph"><style:text-properties style:font-name="Liberation Sans" fo:font-size="11pt" fo:language="sv" fo:country="SE"/></style:default-style>
 <style:style style:name="Standard" style:family="paragraph" style:class="text"><style:paragraph-properties fo:margin-bottom="0.2cm"/></style:style>
 <style:style style:name="Title" style:family="paragraph" style:parent-style-name="Standard" style:next-style-name="Standard" style:class="chapter"><style:text-properties fo:font-size="20pt" fo:font-weight="bold"/></style:style>
 <style:style style:name="Subtitle" style:family="paragraph" style:parent-style-name="Standard" style:class="chapter"><style:text-properties fo:font-size="14pt"/></style:style>
 <style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph" style:parent-style-name="Standard" style:default-outline-level="1" style:class="text"><style:text-properties fo:font-size="16pt" fo:font-weight="bold"/></style:style>
 <style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph" style:parent-style-name="Standard" style:default-outline-level="2" style:class="text"><style:text-properties fo:font-size="13pt" fo:font-weight="bold"/></style:style>
 <style:style style:name="Heading_20_3" style:display-name="Heading 3" style:family="paragraph" style:parent-style-name="Standard" style:default-outline-level="3" style:class="text"><style:text-properties fo:font-size="12pt" fo:font-weight="bold"/></style:style>
 <style:style style:name="Quotations" style:family="paragraph" style:parent-style-name="Standard" style:class="html"><style:paragraph-properties fo:margin-left="1cm" fo:margin-right="1cm"/><style:text-properties fo:font-style="italic"/></style:style>
 <style:style style:name="Table_20_Contents" style:display-name="Table Contents" style:family="paragraph" style:parent-style-name="Standard" style:class="extra"/>
 <style:style style:name="Footnote" style:family="paragraph" style:parent-style-name="Standard" style:class="extra"><style:text-properties fo:font-size="9pt"/></style:style>
"""

AUTOMATIC = """
 <style:style style:name="Pindent" style:family="paragraph" style:parent-style-name="Standard"><style:paragraph-properties fo:margin-left="1.25cm" fo:margin-right="0cm" fo:text-indent="0cm"/></style:style>
 <style:style style:name="Tb" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
 <style:style style:name="Ti" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
 <style:style style:name="Tsmall" style:family="text"><style:text-properties fo:font-size="8pt"/></style:style>
 <text:list-style style:name="Lbullet">
  <text:list-level-style-bullet text:level="1" text:bullet-char="•"><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.635cm" fo:margin-left="1.27cm"/></style:list-level-properties></text:list-level-style-bullet>
  <text:list-level-style-bullet text:level="2" text:bullet-char="◦"><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.635cm" fo:margin-left="1.905cm"/></style:list-level-properties></text:list-level-style-bullet>
 </text:list-style>
 <text:list-style style:name="Lnumber">
  <text:list-level-style-number text:level="1" style:num-suffix="." style:num-format="1"><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.635cm" fo:margin-left="1.27cm"/></style:list-level-properties></text:list-level-style-number>
  <text:list-level-style-number text:level="2" style:num-suffix=")" style:num-format="a"><style:list-level-properties text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment text:label-followed-by="listtab" fo:text-indent="-0.635cm" fo:margin-left="1.905cm"/></style:list-level-properties></text:list-level-style-number>
 </text:list-style>
 <style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" fo:margin-top="1.5cm" fo:margin-bottom="2cm" fo:margin-left="2.5cm" fo:margin-right="2.5cm"/><style:header-style><style:header-footer-properties fo:min-height="0cm" fo:margin-bottom="0.5cm"/></style:header-style></style:page-layout>
"""

_INLINE = re.compile(
    r"\*\*(?P<b>.+?)\*\*|\*(?P<i>.+?)\*|\[\[(?P<url>[^|\]]+)\|(?P<label>[^\]]+)\]\]"
    r"|\(\((?P<note>.+?)\)\)|\{\+(?P<ins>.+?)\+\}|\{-(?P<del>.+?)-\}|\{!(?P<comment>.+?)!\}|(?P<br>\n)"
)


class _Writer:
    def __init__(self) -> None:
        self.changes: list[str] = []
        self.notes = 0

    def inline(self, text: str) -> str:
        out: list[str] = []
        pos = 0
        for m in _INLINE.finditer(text):
            out.append(escape(text[pos : m.start()]))
            pos = m.end()
            if m.group("b") is not None:
                out.append(f'<text:span text:style-name="Tb">{self.inline(m.group("b"))}</text:span>')
            elif m.group("i") is not None:
                out.append(f'<text:span text:style-name="Ti">{self.inline(m.group("i"))}</text:span>')
            elif m.group("url") is not None:
                out.append(
                    f'<text:a xlink:type="simple" xlink:href="{escape(m.group("url"))}">'
                    f"{escape(m.group('label'))}</text:a>"
                )
            elif m.group("note") is not None:
                self.notes += 1
                n = self.notes
                out.append(
                    f'<text:note text:id="ftn{n}" text:note-class="footnote">'
                    f"<text:note-citation>{n}</text:note-citation><text:note-body>"
                    f'<text:p text:style-name="Footnote">{self.inline(m.group("note"))}</text:p>'
                    "</text:note-body></text:note>"
                )
            elif m.group("ins") is not None:
                cid = self._change("insertion", "")
                out.append(
                    f'<text:change-start text:change-id="{cid}"/>{escape(m.group("ins"))}'
                    f'<text:change-end text:change-id="{cid}"/>'
                )
            elif m.group("del") is not None:
                cid = self._change("deletion", f"<text:p>{escape(m.group('del'))}</text:p>")
                out.append(f'<text:change text:change-id="{cid}"/>')
            elif m.group("comment") is not None:
                out.append(
                    "<office:annotation><dc:creator>Granskare</dc:creator>"
                    "<dc:date>2024-03-01T10:00:00</dc:date>"
                    f"<text:p>{escape(m.group('comment'))}</text:p></office:annotation>"
                )
            else:
                out.append("<text:line-break/>")
        out.append(escape(text[pos:]))
        return "".join(out)

    def _change(self, kind: str, content: str) -> str:
        cid = f"ct{len(self.changes) + 1}"
        self.changes.append(
            f'<text:changed-region text:id="{cid}"><text:{kind}><office:change-info>'
            "<dc:creator>Handläggare</dc:creator><dc:date>2024-02-20T09:00:00</dc:date>"
            f"</office:change-info>{content}</text:{kind}></text:changed-region>"
        )
        return cid

    def paragraph(self, text: str, style: str = "Standard") -> str:
        return f'<text:p text:style-name="{style}">{self.inline(text)}</text:p>'

    def heading(self, level: int, text: str) -> str:
        return (
            f'<text:h text:style-name="Heading_20_{level}" text:outline-level="{level}">'
            f"{self.inline(text)}</text:h>"
        )

    def table(self, rows: list[list[str]], name: str) -> str:
        ncols = max(len(r) for r in rows)
        out = [
            f'<table:table table:name="{name}">'
            f'<table:table-column table:number-columns-repeated="{ncols}"/>'
        ]
        for row in rows:
            out.append("<table:table-row>")
            for cell in row + [""] * (ncols - len(row)):
                paragraphs = "".join(
                    self.paragraph(line, "Table_20_Contents") for line in cell.split("\n\n")
                )
                out.append(f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>')
            out.append("</table:table-row>")
        out.append("</table:table>")
        return "".join(out)

    def list(self, items: list, style: str) -> str:
        out = [f'<text:list text:style-name="{style}">']
        for item in items:
            if isinstance(item, tuple):  # (text, [sub items])
                text, sub = item
                out.append(
                    f"<text:list-item>{self.paragraph(text)}{self.list(sub, style)}</text:list-item>"
                )
            else:
                out.append(f"<text:list-item>{self.paragraph(item)}</text:list-item>")
        out.append("</text:list>")
        return "".join(out)


def to_fodt(letter) -> str:
    """The flat ODT text of a letter."""
    writer = _Writer()
    body: list[str] = []
    tables = 0
    for block in letter.blocks:
        kind = block[0]
        if kind == "p":
            body.append(writer.paragraph(block[1]))
        elif kind == "empty":
            body.append('<text:p text:style-name="Standard"/>')
        elif kind == "title":
            body.append(writer.paragraph(block[1], "Title"))
        elif kind == "subtitle":
            body.append(writer.paragraph(block[1], "Subtitle"))
        elif kind == "h":
            body.append(writer.heading(block[1], block[2]))
        elif kind == "quote":
            body.append(writer.paragraph(block[1], "Quotations"))
        elif kind == "indent":
            body.append(writer.paragraph(block[1], "Pindent"))
        elif kind == "table":
            tables += 1
            body.append(writer.table(block[1], f"Tabell{tables}"))
        elif kind == "ul":
            body.append(writer.list(block[1], "Lbullet"))
        elif kind == "ol":
            body.append(writer.list(block[1], "Lnumber"))
        else:
            raise ValueError(kind)
    header = ""
    if letter.header:
        header = "<style:header>" + "".join(writer.paragraph(line) for line in letter.header) + "</style:header>"
    changes = ""
    if writer.changes:
        changes = f"<text:tracked-changes>{''.join(writer.changes)}</text:tracked-changes>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<office:document {NS} office:version="1.3" '
        'office:mimetype="application/vnd.oasis.opendocument.text">\n'
        f"<office:meta><dc:title>{escape(letter.name)}</dc:title><meta:generator>hand-written corpus</meta:generator></office:meta>\n"
        f"<office:styles>{STYLES}</office:styles>\n"
        f"<office:automatic-styles>{AUTOMATIC}</office:automatic-styles>\n"
        '<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1">'
        f"{header}</style:master-page></office:master-styles>\n"
        f"<office:body><office:text>{changes}\n" + "\n".join(body) + "\n</office:text></office:body></office:document>\n"
    )
