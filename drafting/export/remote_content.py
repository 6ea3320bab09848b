"""Strip everything in a Word package that makes Word fetch content from elsewhere.

A template's parts (document, headers, footers, settings, footnotes, glossary...) go into every
exported yttrande. Word loads some references by itself when a recipient opens the file: an
attached template, a linked picture, a linked OLE object or sub-document, INCLUDEPICTURE /
INCLUDETEXT / LINK / DDE fields, a mail-merge data source, ActiveX controls, alternative-format
chunks. Each such load tells a third party who opened the document (and over SMB leaks the
recipient's Windows credentials). This module removes them from every part and keeps what is
only followed on a click: ordinary http(s)/mailto hyperlinks.

It works on the zip package itself, so parts python-docx does not model are covered too, and
leaves untouched parts byte for byte as they were.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from .markdown_to_docx import LINK_SCHEMES, R_NS, w

RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
O_NS = "urn:schemas-microsoft-com:office:office"
V_NS = "urn:schemas-microsoft-com:vml"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
_REL_TYPES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"

# Field types that pull in a file, a picture, an object or data from a path or address.
REMOTE_FIELDS = frozenset(
    {"INCLUDEPICTURE", "INCLUDETEXT", "INCLUDE", "IMPORT", "LINK", "DDE", "DDEAUTO", "DATABASE"}
)
# Relationship types dropped even when internal: what they point at is imported or executed.
_ACTIVE_REL_TYPES = frozenset({"aFChunk", "control", "attachedTemplate", "subDocument", "frame"})
_ACTIVE_NAMES = {"aFChunk": "altChunk", "control": "ActiveX"}
# Elements that are nothing but a pointer to remote or active content.
_REMOVED_ELEMENTS = {
    w("attachedTemplate"): None,  # reported with its relationship
    w("linkStyles"): None,  # "update styles from the attached template when opened"
    w("mailMerge"): "active",  # data source, connection string and query
    w("saveThroughXslt"): None,
    w("frameset"): "active",  # frames load other documents
    w("subDoc"): None,
    w("altChunk"): None,  # HTML/RTF/MHT imported on open, with whatever it links
    w("control"): None,  # ActiveX; both reported with their relationships
}
# Elements whose only job is their relationship reference: removed when it is.
_REFERENCE_ELEMENTS = frozenset(
    {
        w("attachedTemplate"),
        w("subDoc"),
        w("altChunk"),
        w("control"),
        w("sourceFileName"),
        w("dataSource"),
        w("headerSource"),
        w("saveThroughXslt"),
        w("objectLink"),
        f"{{{O_NS}}}OLEObject",
        f"{{{A_NS}}}hlinkClick",
        f"{{{A_NS}}}hlinkHover",
    }
)
# Elements that may point at an (external) hyperlink relationship: followed only on a click.
_HYPERLINK_ELEMENTS = frozenset({w("hyperlink"), f"{{{A_NS}}}hlinkClick", f"{{{A_NS}}}hlinkHover"})
# VML keeps a picture's original address in plain attributes beside its relationship.
_VML_SOURCES = {
    f"{{{V_NS}}}imagedata": ("src", f"{{{O_NS}}}href", f"{{{O_NS}}}althref"),
    f"{{{V_NS}}}fill": ("src", f"{{{O_NS}}}href", f"{{{O_NS}}}althref"),
}
_O_RELID = f"{{{O_NS}}}relid"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_PICTURE_SOURCES = frozenset({f"{{{A_NS}}}blip", f"{{{V_NS}}}imagedata"})
_PICTURES = (w("drawing"), w("pict"), w("object"))
_FLD_CHAR, _INSTR, _DEL_INSTR = w("fldChar"), w("instrText"), w("delInstrText")
_FLD_SIMPLE, _R, _RPR, _TXBX = w("fldSimple"), w("r"), w("rPr"), w("txbxContent")
_FLD_TYPE = w("fldCharType")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_FIELD_NAME = re.compile(r"\s*([A-Za-z]+)")
_QUOTED = re.compile(r'"([^"]*)"')
# No entities, no DTDs, nothing fetched: the package is untrusted.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


class UnreadablePackage(ValueError):
    """A part of the package is not well-formed XML; the message is Swedish and user-facing."""


class RemovedKind(StrEnum):
    ATTACHED_TEMPLATE = "attached_template"  # a template Word fetches (and may update styles from)
    LINKED_IMAGE = "linked_image"  # a picture fetched from an address
    FIELD = "field"  # INCLUDEPICTURE, INCLUDETEXT, LINK, DDE...
    LINKED_CONTENT = "linked_content"  # an object, sub-document, frame or data source elsewhere
    UNSAFE_LINK = "unsafe_link"  # a hyperlink to a file path, UNC share or script
    ACTIVE = "active"  # ActiveX, mail merge, frames, imported chunks


@dataclass(frozen=True)
class Removed:
    kind: RemovedKind
    detail: str  # an address, path or field name, for the notice


@dataclass(frozen=True)
class Scrubbed:
    data: bytes
    removed: tuple[Removed, ...]


@dataclass
class _Rel:
    element: Any
    rel_type: str
    target: str
    external: bool


def strip_remote_content(data: bytes) -> Scrubbed:
    """The package without anything Word would fetch by itself, and what was taken out.

    `data` must be a zip already checked for size (docx_archive_problem); raises
    UnreadablePackage if a part cannot be parsed.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        payloads = {info.filename: archive.read(info) for info in infos}
    trees: dict[str, Any] = {}
    for name, payload in payloads.items():
        lowered = name.lower()
        if lowered.endswith((".xml", ".rels", ".vml")):
            try:
                trees[name] = etree.fromstring(payload, _PARSER)
            except etree.XMLSyntaxError:
                if lowered.endswith(".vml"):
                    continue  # legacy VML is often not XML; its relationships are still checked
                raise UnreadablePackage(
                    f"Mallen innehåller en skadad del ({name[:100]}) och kan inte användas."
                ) from None
    removed: list[Removed] = []
    changed: set[str] = set()
    for rels_name in [n for n in trees if n.lower().endswith(".rels")]:
        source = _source_part(rels_name)
        if _scrub_relationships(trees[rels_name], trees.get(source) if source else None, removed):
            changed.add(rels_name)
    for name, tree in trees.items():
        if name.lower().endswith(".rels"):
            continue
        # References to removed relationships, and any that never resolved (LibreOffice writes
        # a header's linked picture into the document's relationships): nothing may later
        # take that id over.
        rels = trees.get(_rels_part(name))
        known = (
            {rel.element.get("Id") for rel in _relationships(rels)} if rels is not None else set()
        )
        dangling = {element.get(attr) for element, attr in _references(tree)} - known
        if dangling:
            _drop_references(tree, dangling)
            changed.add(name)
        if _scrub_part(tree, removed):
            changed.add(name)
    if not changed:
        return Scrubbed(data, ())
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in infos:
            payload = payloads[info.filename]
            if info.filename in changed:
                payload = etree.tostring(
                    trees[info.filename], xml_declaration=True, encoding="UTF-8", standalone=True
                )
            target.writestr(info, payload, compress_type=zipfile.ZIP_DEFLATED)
    return Scrubbed(out.getvalue(), tuple(dict.fromkeys(removed)))


# --------------------------------------------------------------------------------------------
# Relationships


def _source_part(rels_name: str) -> str | None:
    """word/_rels/header1.xml.rels -> word/header1.xml; _rels/.rels (the package) -> None."""
    folder, base = posixpath.split(rels_name)
    if posixpath.basename(folder) != "_rels" or not base.endswith(".rels"):
        return None
    source = base[: -len(".rels")]
    return posixpath.join(posixpath.dirname(folder), source) if source else None


def _rels_part(name: str) -> str:
    """word/header1.xml -> word/_rels/header1.xml.rels"""
    folder, base = posixpath.split(name)
    return posixpath.join(folder, "_rels", f"{base}.rels")


def _relationships(tree: Any) -> list[_Rel]:
    out = []
    for element in tree.iter(f"{{{RELS_NS}}}Relationship"):
        target = element.get("Target", "")
        mode = element.get("TargetMode", "").lower()
        # A target with a scheme or a UNC/protocol-relative path is remote whatever its mode.
        external = (
            mode == "external" or bool(_SCHEME.match(target)) or target.startswith(("\\\\", "//"))
        )
        out.append(_Rel(element, element.get("Type", ""), target, external))
    return out


def _is_safe_hyperlink(rel: _Rel) -> bool:
    if not rel.rel_type.endswith("/hyperlink"):
        return False
    try:
        return urlsplit(rel.target.strip()).scheme.lower() in LINK_SCHEMES
    except ValueError:
        return False


def _scrub_relationships(rels: Any, source: Any | None, removed: list[Removed]) -> bool:
    """Remove remote and active relationships; True if any was."""
    kept_links: set[str] = set()
    dropped: set[str] = set()
    for rel in _relationships(rels):
        short_type = rel.rel_type.removeprefix(_REL_TYPES)
        rid = rel.element.get("Id", "")
        if rel.external and _is_safe_hyperlink(rel):
            kept_links.add(rid)
            continue
        if not rel.external and short_type not in _ACTIVE_REL_TYPES:
            continue
        kind = _kind_of(short_type, rel)
        detail = (
            _ACTIVE_NAMES.get(short_type, short_type) if kind is RemovedKind.ACTIVE else rel.target
        )
        removed.append(Removed(kind, detail[:200]))
        dropped.add(rid)
        rels.remove(rel.element)
    if source is not None and kept_links:
        # A hyperlink relationship used as a picture's or object's source would be fetched.
        for element, attr in _references(source):
            rid = element.get(attr)
            if rid in kept_links and element.tag not in _HYPERLINK_ELEMENTS:
                kept_links.discard(rid)
                for rel in _relationships(rels):
                    if rel.element.get("Id") == rid:
                        removed.append(Removed(RemovedKind.LINKED_CONTENT, rel.target[:200]))
                        rels.remove(rel.element)
                dropped.add(rid)
    return bool(dropped)


def _kind_of(short_type: str, rel: _Rel) -> RemovedKind:
    if short_type == "attachedTemplate":
        return RemovedKind.ATTACHED_TEMPLATE
    if short_type == "image":
        return RemovedKind.LINKED_IMAGE
    if short_type == "hyperlink":
        return RemovedKind.UNSAFE_LINK
    if short_type in ("aFChunk", "control") and not rel.external:
        return RemovedKind.ACTIVE
    return RemovedKind.LINKED_CONTENT


def _references(tree: Any) -> list[tuple[Any, str]]:
    """(element, attribute) pairs that name a relationship id."""
    out = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # comments and processing instructions
        for attr in element.attrib:
            if attr.startswith(f"{{{R_NS}}}") or attr == _O_RELID:
                out.append((element, attr))
    return out


def _drop_references(tree: Any, dropped: set[str]) -> None:
    """Remove what pointed at removed relationships; a hyperlink keeps its text."""
    for element, attr in _references(tree):
        if element.get(attr) not in dropped:
            continue
        if element.tag == w("hyperlink"):
            _unwrap(element)
        elif element.tag in _REFERENCE_ELEMENTS:
            _remove(element)
        else:
            del element.attrib[attr]
            if element.tag in _PICTURE_SOURCES and not _has_reference(element):
                _remove(_picture_of(element))  # an empty frame would show a broken image


def _has_reference(element: Any) -> bool:
    return any(attr.startswith(f"{{{R_NS}}}") or attr == _O_RELID for attr in element.attrib)


def _picture_of(source: Any) -> Any:
    """The drawing or VML picture a picture source belongs to (with its alternatives)."""
    picture = next(source.iterancestors(*_PICTURES), source)
    parent = picture.getparent()
    if parent is not None and parent.tag in (f"{{{MC_NS}}}Choice", f"{{{MC_NS}}}Fallback"):
        return parent.getparent() if parent.getparent() is not None else picture
    return picture


# --------------------------------------------------------------------------------------------
# Elements and fields inside a part


def _scrub_part(tree: Any, removed: list[Removed]) -> bool:
    changed = False
    for element in list(tree.iter(*_REMOVED_ELEMENTS)):
        kind = _REMOVED_ELEMENTS[element.tag]
        if kind is not None:
            removed.append(Removed(RemovedKind(kind), etree.QName(element).localname))
        _remove(element)
        changed = True
    for element in list(tree.iter(*_VML_SOURCES)):
        for attr in _VML_SOURCES[element.tag]:
            value = element.attrib.pop(attr, None)
            if value is not None:
                removed.append(Removed(RemovedKind.LINKED_IMAGE, value[:200]))
                changed = True
    for simple in list(tree.iter(_FLD_SIMPLE)):
        instruction = simple.get(w("instr"), "")
        if _field_name(instruction) in REMOTE_FIELDS:
            removed.append(_field_removed(instruction))
            _unwrap(simple)  # the last result shown stays, as plain content
            changed = True
    return _scrub_complex_fields(tree, removed) or changed


class _Field:
    """A complex field being read: its code (begin .. separate) and instruction text."""

    __slots__ = ("elements", "instruction", "in_code", "opaque")

    def __init__(self, begin: Any) -> None:
        self.elements = [begin]
        self.instruction: list[str] = []
        self.in_code = True
        self.opaque = False  # its name comes from a nested field: cannot be checked


def _scrub_complex_fields(tree: Any, removed: list[Removed]) -> bool:
    """Remove the code of remote fields (begin, instruction, separate, end); keep the result."""
    stories: dict[Any, list[Any]] = {}
    for run in tree.iter(_R):
        box = next(run.iterancestors(_TXBX), None)  # a text box is a story of its own
        stories.setdefault(box, []).append(run)
    changed = False
    for runs in stories.values():
        stack: list[_Field] = []
        doomed: list[_Field] = []
        for run in runs:
            for child in list(run):
                if child.tag == _RPR:
                    continue
                kind = child.get(_FLD_TYPE) if child.tag == _FLD_CHAR else None
                if kind == "begin":
                    if stack and stack[-1].in_code and not "".join(stack[-1].instruction).strip():
                        stack[-1].opaque = True
                    _note(stack, child)
                    stack.append(_Field(child))
                elif kind in ("separate", "end") and stack:
                    field = stack[-1]
                    _note(stack[:-1], child)
                    field.elements.append(child)
                    field.in_code = False
                    if kind == "end":
                        stack.pop()
                        if _is_remote(field):
                            doomed.append(field)
                else:
                    if child.tag in (_INSTR, _DEL_INSTR) and stack and stack[-1].in_code:
                        stack[-1].instruction.append(child.text or "")
                    _note(stack, child)
        doomed += [field for field in stack if _is_remote(field)]  # never closed
        for field in doomed:
            instruction = "".join(field.instruction)
            removed.append(
                _field_removed(instruction)
                if instruction.strip()
                else Removed(RemovedKind.FIELD, "?")
            )
            for element in field.elements:
                run = element.getparent()
                if run is None:
                    continue  # already removed with an outer field
                run.remove(element)
                if run.tag == _R and all(c.tag == _RPR for c in run):
                    _remove(run)
            changed = True
    return changed


def _note(stack: list[_Field], element: Any) -> None:
    """`element` is part of the code of every enclosing field still reading its code."""
    for field in stack:
        if field.in_code:
            field.elements.append(element)


def _is_remote(field: _Field) -> bool:
    return field.opaque or _field_name("".join(field.instruction)) in REMOTE_FIELDS


def _field_name(instruction: str) -> str:
    match = _FIELD_NAME.match(instruction)
    return match.group(1).upper() if match else ""


def _field_removed(instruction: str) -> Removed:
    name = _field_name(instruction) or "?"
    quoted = _QUOTED.search(instruction)
    detail = f"{name} {quoted.group(1)}" if quoted else name
    return Removed(RemovedKind.FIELD, detail[:200])


def _unwrap(element: Any) -> None:
    """Replace an element by its children (its text content stays where it was)."""
    parent = element.getparent()
    if parent is None:
        return
    index = parent.index(element)
    for offset, child in enumerate(list(element)):
        parent.insert(index + offset, child)
    _remove(element)


def _remove(element: Any) -> None:
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:  # keep text that followed the element (only in mixed-content parts)
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)
