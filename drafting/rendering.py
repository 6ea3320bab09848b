"""Safe, bounded Markdown rendering.

Markdown is rendered once, when a text is saved, and the caller stores the resulting HTML.

Safe: Python-Markdown ("tables", "sane_lists", "fenced_code", "footnotes") output is sanitized
with nh3:
an allowlist of tags, only a[href, title] and td/th[align] attributes, http/https/mailto
links with rel="noopener noreferrer nofollow", no images (replaced by their alt text), no
styles or event handlers.  Raw HTML tags from the allowlist (e.g. <sup>) pass on to nh3;
any other raw tag (<script>, <iframe>, comments...) is shown as escaped text.

Bounded: Python-Markdown is quadratic (or worse) on many inputs.  Cheap linear pre-filters
reject those with a Swedish message (MarkdownRejected), and rendering itself runs under a
cooperative time budget, so every input of at most MAX_BODY_CHARS characters renders or is
rejected within about two seconds.  Measured with Python-Markdown 3.11 at 200 000 chars
(the timing loop is in tests/unit/test_rendering.py):

* "[" * N (> 15 s even at 5 000 chars), "[a](" * N, "![" * N, "[](" * N, "[x][" * N:
  every "[" is scanned in Python to its "]" or the end of the paragraph, every "](" to its
  ")".  Stopped by MAX_RUN and MAX_SCAN_COST.
* "``a`" * N: an unmatched backtick run is scanned to the end of the paragraph (and
  Python-Markdown may resume inside a run).  MAX_SCAN_COST.
* "*a" / "a*" / "**a" / "*_" / "\\*" / "&amp;" / "<b>" / "a  \n" repeated: every inline
  match rebuilds the whole paragraph string.  MAX_INLINE_COST (matches x paragraph length).
* "# a\n", "---\n", "a\n===\n", "[a]: url\nb\n", also inside quotes: each such line splits
  its block and every block processor re-tests the rest (97 s for "# a\n" * 50 000).
  MAX_SPLIT_COST.
* "a\n\n", "- a\n", "> a\n>\n", table rows, many small formatted list items: tens of
  microseconds per element add up to seconds.  MAX_ELEMENT_COST.
* "```\n" * N: the fence pre-processor rebuilds the text per fenced block.  MAX_FENCE_COST.
* "> > > ...", deeply indented lists, "<b>" * 5000: recursion / nesting depth.
  MAX_NESTING_DEPTH (and twice that for raw HTML tags); RecursionError is also caught.
* "<a " * N (14 s at 30 000 chars): the HTML block pre-processor, which is disabled here
  (raw HTML is recognised inline only).
* long runs of one markup character ("(" "*" "_" "`" "<" "&" "\\" "|" ...): MAX_RUN.

Anything the pre-filters miss is stopped by RENDER_STEP_BUDGET, counted on every
block-processor test and every inline match: a count of work, not of seconds, so an ordinary
document is never refused because the server happens to be busy. RENDER_TIME_BUDGET stays as a
generous last resort for a single step that is slow in itself.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import markdown
import nh3
from lxml import etree
from lxml import html as lxml_html
from markdown.inlinepatterns import HTML_RE, HtmlInlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor

from .limits import MAX_BODY_CHARS, MAX_COMMENT_CHARS

MARKDOWN_EXTENSIONS = ("tables", "sane_lists", "fenced_code", "footnotes")

MAX_NESTING_DEPTH = 20
MAX_RUN = 500
# Budgets for the cost models in _check_complexity, in their own work units.  Each is sized
# so that the worst input just under it renders in about half a second on the development
# machine (measured per input family, see the table above).
MAX_SCAN_COST = 600_000  # characters scanned one by one in Python
MAX_INLINE_COST = 200_000_000  # inline matches x length of the text they are found in
MAX_SPLIT_COST = 4_000_000  # block-splitting lines x length of their block
MAX_ELEMENT_COST = 40_000  # 3 per block-level element + 2 per inline markup character
MAX_FENCE_COST = 200_000_000  # fence lines x text length
# A realistic 200,000-character response takes about 33,000 steps (0.2 s on a quiet machine).
RENDER_STEP_BUDGET = 500_000
RENDER_TIME_BUDGET = 30.0  # seconds; only for a shape that makes single steps slow

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "b", "i", "code",
        "pre", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td",
        "a", "hr", "del", "sup", "sub",
    }
)  # fmt: skip
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

_ALIGN_VALUES = {"left", "center", "right"}
FOOTNOTE_CLASSES = {"div": {"footnote"}, "a": {"footnote-ref", "footnote-backref"}}
_NH3_OPTIONS: dict[str, Any] = {
    "tags": set(ALLOWED_TAGS) | {"div"},
    # rel is set by nh3 itself (link_rel), so it must not be an allowed attribute.  Footnote
    # references and notes link to each other by id (see _FootnoteIds).
    "attributes": {"a": {"href", "title"}, "sup": {"id"}, "li": {"id"}, "ol": {"start"}},
    "allowed_classes": FOOTNOTE_CLASSES,
    "attribute_filter": lambda tag, name, value: _keep_attribute(tag, name, value),
    "tag_attribute_values": {"td": {"align": _ALIGN_VALUES}, "th": {"align": _ALIGN_VALUES}},
    "url_schemes": set(ALLOWED_URL_SCHEMES),
    "link_rel": LINK_REL,
    # Drop the content too: the text of a script or style element is never prose.
    "clean_content_tags": {"script", "style"},
    "strip_comments": True,
}

# C0 controls except \t \n \r; PostgreSQL refuses NUL, and \x02/\x03 are Python-Markdown's
# own placeholder markers, so user text must never contain them.  Lone surrogates cannot
# be encoded as UTF-8 at all.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
_BLANK_LINE_SPLIT_RE = re.compile(r"\n[ \t]*\n")
_RUN_CHARS = "[]()*_`<>&\\!|~"
# Container prefix of a line: indentation, quote markers and list markers.
_CONTAINER_LINE_RE = re.compile(
    r"^(?=[ \t>*+\-\d])[ \t]*(?:(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t]))[ \t]*)*", re.MULTILINE
)
_CONTAINER_MARK_RE = re.compile(r">|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])")
# Headings, rules and setext underlines: each becomes an element of its own.
_HEADING_LINE_RE = re.compile(r"^[ \t>]*(?:#|(?:[-*_=][ \t]*){3,}$)", re.MULTILINE)
# Lines that make Python-Markdown split a block and re-test the remainder.
# A quote takes the rest of its block as one piece, but inside it (markers stripped) the
# same lines split again, so quote markers are skipped rather than counted.
_SPLIT_LINE_RE = re.compile(
    r"^(?: {0,3}>)* {0,3}(?:#|(?:[-*_][ \t]*){3,}$|[=-]+[ \t]*$|\[[^\]\n]*\]:|```|~~~)",
    re.MULTILINE,
)
# List item lines as sane_lists sees them (same kind as the list's first item).
_LIST_ITEM_RES = (
    (re.compile(r"[ ]{0,3}[*+-][ ]+"), re.compile(r"^[ ]{0,3}[*+-][ ]+", re.MULTILINE)),
    (re.compile(r"[ ]{0,3}\d+\.[ ]+"), re.compile(r"^[ ]{0,3}\d+\.[ ]+", re.MULTILINE)),
)
_FENCE_LINE_RE = re.compile(r"^[ \t>]*(?:```|~~~)", re.MULTILINE)
# Anything that can become an inline match (each match rebuilds the paragraph string).
_INLINE_TRIGGER_RE = re.compile(r"\\.|`+|!?\[|\]|<[A-Za-z/!?]|&#?\w+;|[*_]|  \n")
# Characters that start an inline element (a lone "]" does not).
_INLINE_START_RE = re.compile(r"\\.|`+|!?\[|<[A-Za-z/!?]|&#?\w+;|[*_]|  \n")
_RAW_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
_BRACKET_RE = re.compile(r"[\[\]]")
_PAREN_RE = re.compile(r"[()]")
_BACKTICKS_RE = re.compile(r"`+")
_WS_RE = re.compile(r"\s+")

_BLOCK_TAGS = frozenset(
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "li",
        "table", "thead", "tbody", "tr", "th", "td", "hr", "div",
    }
)  # fmt: skip


_FOOTNOTE_ID_RE = re.compile(r"^fn(?:ref\d*)?-[0-9a-f]{8}-[\w-]+$")


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    """Only footnote ids and classes (raw HTML could otherwise name any element on the page),
    and list start numbers that are numbers."""
    if name == "id" and not _FOOTNOTE_ID_RE.match(value):
        return None
    if name == "class" and value not in FOOTNOTE_CLASSES.get(tag, ()):
        return None
    if name == "start" and not (value.isdigit() and len(value) <= 9):
        return None  # a list's first number ("7. sju" starts at 7)
    return value


class MarkdownRejected(ValueError):
    """Markdown text that cannot be rendered safely; ``message`` is meant for the user."""

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        # Short machine-readable cause (e.g. "too_long", "nesting"), for logs and tests.
        self.reason = reason


class _BudgetExceeded(Exception):
    """Internal: the render time budget ran out."""


def strip_control_chars(text: str) -> str:
    """Remove C0 control characters (except tab and newlines) and lone surrogates."""
    return _CONTROL_RE.sub("", text)


def check_markdown(text: str, *, max_chars: int = MAX_BODY_CHARS) -> None:
    """Raise MarkdownRejected if the text is too long or too complex to render quickly."""
    if len(text) > max_chars:
        raise MarkdownRejected(
            f"Texten är för lång ({_fmt(len(text))} tecken). Högst {_fmt(max_chars)} tecken "
            "är tillåtet.",
            reason="too_long",
        )
    text = strip_control_chars(text).replace("\r\n", "\n").replace("\r", "\n")
    # Python-Markdown expands tabs before splitting blocks; do the same so blocks line up.
    text = text.expandtabs(4)
    _check_runs(text)
    _check_complexity(text)


def render_markdown(text: str, *, max_chars: int = MAX_BODY_CHARS) -> str:
    """Render Markdown to sanitized HTML, or raise MarkdownRejected."""
    check_markdown(text, max_chars=max_chars)
    text = strip_control_chars(text)
    if not text.strip():
        return ""
    deadline = time.monotonic() + RENDER_TIME_BUDGET
    md = _build_markdown(deadline)
    try:
        raw_html = md.convert(text)
    except RecursionError:
        raise MarkdownRejected(
            "Texten har för djup nästling och kan inte visas. Förenkla listorna, citaten "
            "eller länkarna.",
            reason="recursion",
        ) from None
    except _BudgetExceeded:
        raise MarkdownRejected(
            "Texten är för komplex för att kunna visas. Förenkla formateringen eller dela "
            "upp texten i flera avsnitt.",
            reason="timeout",
        ) from None
    return nh3.clean(raw_html, **_NH3_OPTIONS).strip()


def render_plain_comment(text: str) -> str:
    """Render a comment (same pipeline, shorter length limit)."""
    return render_markdown(text, max_chars=MAX_COMMENT_CHARS)


# HTML whitespace: what parsers may keep or drop between tags (and what a browser collapses).
HTML_SPACE = "\t\n\f\r "
_CHECKPOINT = 256
_OTHER_SPACE_RE = re.compile(r"[^\S\t\n\f\r ]")  # whitespace to Python, text to HTML (e.g. nbsp)


@dataclass(frozen=True)
class PlainText:
    """The plain text of rendered HTML (see ``text_content``) and where each character stands.

    A character's page position counts the UTF-16 code units of the characters other than
    HTML whitespace that come before it in the HTML's text nodes.  lxml and browsers may keep
    or drop whitespace between tags differently, never the other characters, so this is a
    position both sides agree on (static/app.js counts the same way).
    """

    text: str
    # (index, units): other whitespace (e.g. no-break spaces) that collapsing took out of
    # the text, which counts for the characters after text[index].
    collapsed: tuple[tuple[int, int], ...] = ()

    def position(self, index: int) -> int:
        """Page position of text[index] (or of the end, for index == len(text))."""
        block = index // _CHECKPOINT
        counted = self._checkpoints[block] + counted_units(self.text[block * _CHECKPOINT : index])
        return counted + sum(u for at, u in self.collapsed if at < index)

    @cached_property
    def _checkpoints(self) -> list[int]:
        """Counted units before every _CHECKPOINT-th character: a position costs little then."""
        out = [0]
        for start in range(0, len(self.text), _CHECKPOINT):
            out.append(out[-1] + counted_units(self.text[start : start + _CHECKPOINT]))
        return out


def text_content(html: str) -> str:
    """Return the plain text of rendered HTML: one line per block, whitespace collapsed."""
    return plain_text(html).text


def counted_units(text: str) -> int:
    """UTF-16 code units of text, HTML whitespace not counted (see PlainText)."""
    units = len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2
    return units - sum(map(text.count, HTML_SPACE))  # (str.translate is slow here)


def plain_text(html: str) -> PlainText:
    """``text_content`` together with what places its characters on the page."""
    if not html or not html.strip():
        return PlainText("")
    # huge_tree lifts libxml2's nesting limit of 255, which would silently drop text.
    parser = lxml_html.HTMLParser(huge_tree=True)
    root = lxml_html.fragment_fromstring(html, create_parent="div", parser=parser)
    # Comments and processing instructions have no visible text, but their tails do.
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    # A footnote's way back to its reference ("↩") is navigation, not text.
    for backlink in root.xpath("//a[@class='footnote-backref']"):
        backlink.text = ""
    blocks: list[str] = []
    buffer: list[str] = []
    collapsed: list[tuple[int, int]] = []
    length = 0  # of "\n".join(blocks)

    def flush() -> None:
        nonlocal length
        joined = "".join(buffer)
        buffer.clear()
        line = _WS_RE.sub(" ", joined).strip()
        start = length + 1 if blocks else 0
        if _OTHER_SPACE_RE.search(joined):  # rare: only then do positions need correcting
            for run in _WS_RE.finditer(joined):
                units = counted_units(run.group())
                if not units:
                    continue
                if not line or run.start() == 0:
                    at = start - 1  # stripped at the start: counts from the line's first character
                elif run.end() == len(joined):
                    at = start + len(line)  # stripped at the end: counts from the next line
                else:
                    at = start + len(_WS_RE.sub(" ", joined[: run.start()]).lstrip())
                collapsed.append((at, units))
        if line:
            blocks.append(line)
            length = start + len(line)

    # iterwalk instead of recursion: stored HTML may come from anywhere and nest deeply.
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag in _BLOCK_TAGS:
                flush()
            if tag == "br":
                buffer.append(" ")  # reads as a space; no text node, but a space counts for nothing
            if element.text:
                buffer.append(element.text)
        else:
            if tag in _BLOCK_TAGS:
                flush()
            if element.tail and element is not root:
                buffer.append(element.tail)
    flush()
    return PlainText("\n".join(blocks), tuple(collapsed))


# --- pre-filters --------------------------------------------------------------------------


def _fmt(number: int) -> str:
    """Format an integer the Swedish way (space as thousands separator)."""
    return f"{number:,}".replace(",", "\u00a0")


def _check_runs(text: str) -> None:
    """Reject long runs of one markup character (brackets, emphasis markers, backticks...)."""
    # str.find per character: a regex backtracks inside every shorter run (quadratic).
    for char in _RUN_CHARS:
        if char * (MAX_RUN + 1) not in text:
            continue
        raise MarkdownRejected(
            f"Texten innehåller en för lång följd av tecknet ”{char}” (över "
            f"{MAX_RUN} i rad) och kan inte visas. Ta bort eller korta av följden.",
            reason="run",
        )


def _container_markers(text: str) -> int:
    """Count quote/list markers at line starts; reject lines nested too deeply."""
    markers = 0
    for match in _CONTAINER_LINE_RE.finditer(text):
        prefix = match.group(0)
        if not prefix.strip() and text[match.end() : match.end() + 1] in ("\n", ""):
            continue  # whitespace-only lines are blank lines, however long
        count = len(_CONTAINER_MARK_RE.findall(prefix))
        markers += count
        # Four columns of indentation open one more level (Python-Markdown's tab length).
        if count + prefix.count(" ") // 4 > MAX_NESTING_DEPTH:
            raise MarkdownRejected(
                f"Texten har för djup nästling (över {MAX_NESTING_DEPTH} nivåer) och kan inte "
                "visas. Förenkla listorna eller citaten.",
                reason="nesting",
            )
    return markers


def _check_raw_html_depth(text: str) -> None:
    """Reject raw HTML tags nested deeper than twice MAX_NESTING_DEPTH (e.g. "<b>" * 5000)."""
    depth = 0
    for match in _RAW_TAG_RE.finditer(text):
        name = match.group(2).lower()
        if name not in ALLOWED_TAGS or name in ("br", "hr"):
            continue  # other tags are shown as text; br and hr never nest
        depth = max(0, depth - 1) if match.group(1) else depth + 1
        if depth > 2 * MAX_NESTING_DEPTH:
            raise MarkdownRejected(
                f"Texten har för djup nästling av HTML-taggar (över {2 * MAX_NESTING_DEPTH} "
                "nivåer) och kan inte visas. Ta bort överflödiga taggar.",
                reason="nesting",
            )


def _check_complexity(text: str) -> None:
    """Estimate Python-Markdown's work with linear cost models and reject costly inputs."""
    markers = _container_markers(text)
    if "<" in text:
        _check_raw_html_depth(text)
    fences = len(_FENCE_LINE_RE.findall(text))
    if fences * len(text) > MAX_FENCE_COST:
        raise MarkdownRejected(
            "Texten innehåller för många kodblock (```) och kan inte visas. Minska antalet "
            "kodblock eller dela upp texten i flera avsnitt.",
            reason="fences",
        )
    blocks = [block for block in _BLANK_LINE_SPLIT_RE.split(text) if block.strip()]
    # Every element costs tens of microseconds in Python-Markdown, however small it is.
    block_elements = len(blocks) + markers + len(_HEADING_LINE_RE.findall(text)) + text.count("|")
    element_cost = 3 * block_elements + 2 * len(_INLINE_START_RE.findall(text))
    if element_cost > MAX_ELEMENT_COST:
        raise MarkdownRejected(
            "Texten innehåller för många stycken, rubriker, listpunkter, tabellceller eller "
            "formateringar och kan inte visas. Dela upp texten i flera avsnitt.",
            reason="elements",
        )
    table_test = _table_tester()
    scan_cost = 0
    inline_cost = 0
    split_cost = 0
    for block in blocks:
        splits = len(_SPLIT_LINE_RE.findall(block))
        if splits:
            # Each split re-tests the rest of the block with every block processor.
            split_cost += splits * len(block)
            kind, units = "paragraph", [block]  # parsed piece by piece: assume the worst
        else:
            kind, units = _inline_units(block, table_test)
        for unit in units:
            inline_cost += len(_INLINE_TRIGGER_RE.findall(unit)) * len(unit)
            scan_cost += _scan_cost(unit)
        if kind == "list":
            # List items are built by appending line after line: quadratic in item length.
            inline_cost += sum(unit.count("\n") * len(unit) for unit in units)
    if split_cost > MAX_SPLIT_COST:
        raise MarkdownRejected(
            "Texten innehåller ett mycket långt stycke med många rubriker, linjer eller "
            "kodblock utan tomma rader emellan och kan inte visas. Lägg in tomma rader mellan "
            "delarna.",
            reason="block_structure",
        )
    if inline_cost > MAX_INLINE_COST or scan_cost > MAX_SCAN_COST:
        raise MarkdownRejected(
            "Texten innehåller för många formateringstecken (som *, _, [, ], `, \\ eller <) i "
            "samma stycke och kan inte visas. Dela upp stycket med tomma rader eller ta bort "
            "överflödiga tecken.",
            reason="inline_complexity",
        )


def _table_tester() -> Callable[[str], bool]:
    """Return Python-Markdown's own table test (a fresh instance: the test keeps state)."""
    md = markdown.Markdown(extensions=["tables"])
    processor = md.parser.blockprocessors["table"]
    return lambda block: bool(processor.test(None, block))


def _inline_units(block: str, table_test: Callable[[str], bool]) -> tuple[str, list[str]]:
    """Split a block free of block-splitting lines into the texts parsed inline one by one."""
    if block.startswith("    "):
        return "code", [block]  # indented code or list continuation: keep it whole
    if table_test(block):
        return "table", block.split("\n")  # every row is its own set of cells
    for list_start, item_re in _LIST_ITEM_RES:
        if list_start.match(block):
            # Every line that starts an item of the list's own kind starts a new unit.
            starts = [m.start() for m in item_re.finditer(block)]
            ends = starts[1:] + [len(block)]
            return "list", [block[a:b] for a, b in zip(starts, ends, strict=True)]
    return "paragraph", [block]


def _scan_cost(block: str) -> int:
    """Characters Python-Markdown scans one by one for brackets, link targets and code spans."""
    cost = 0
    length = len(block)
    if "[" in block:
        # Each "[" is scanned to its matching "]" (or to the end), by three link processors.
        stack: list[int] = []
        for match in _BRACKET_RE.finditer(block):
            pos = match.start()
            if block[pos] == "[":
                stack.append(pos)
            elif stack:
                cost += 3 * (pos - stack.pop())
        cost += sum(3 * (length - pos) for pos in stack)
        if "](" in block:
            # "](" starts a link target that is scanned to its balancing ")".
            closing: dict[int, int] = {}
            parens: list[int] = []
            for match in _PAREN_RE.finditer(block):
                pos = match.start()
                if block[pos] == "(":
                    parens.append(pos)
                elif parens:
                    closing[parens.pop()] = pos
            start = block.find("](")
            while start != -1:
                cost += closing.get(start + 1, length) - start
                start = block.find("](", start + 2)
    if "`" in block:
        # A backtick run is scanned to the next run of the same length (or to the end).
        # Python-Markdown may resume in the middle of a run, so every tail of a run counts.
        runs = [(m.start(), m.end() - m.start()) for m in _BACKTICKS_RE.finditer(block)]
        next_same: dict[int, int] = {}
        for pos, size in reversed(runs):
            for tail in range(1, size + 1):
                cost += next_same.get(tail, length) - pos
            next_same[size] = pos
    return cost


# --- Python-Markdown set-up ---------------------------------------------------------------


class _InlineHtmlProcessor(HtmlInlineProcessor):
    """Pass through raw inline tags that the sanitizer allows; show all others as text."""

    _TAG_NAME_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")

    def handleMatch(  # noqa: N802 - Python-Markdown API name
        self, m: re.Match[str], data: str
    ) -> tuple[str, int, int]:
        """Stash allowed tags as HTML and everything else (script, comments...) escaped."""
        name = self._TAG_NAME_RE.match(m.group(1))
        if name and name.group(1).lower() in ALLOWED_TAGS:
            return super().handleMatch(m, data)
        # Escaping (rather than leaving it to nh3) keeps tags such as <plaintext> or
        # <textarea> from swallowing the rest of the document when the HTML is parsed.
        escaped = html_lib.escape(self.backslash_unescape(self.unescape(m.group(1))))
        return self.md.htmlStash.store(escaped), m.start(0), m.end(0)


class _ImagesToAltText(Treeprocessor):
    """Replace every <img> by its alt text: no remote images are ever loaded."""

    def run(self, root: ET.Element) -> None:
        """Rewrite the tree in place."""
        parents = [p for p in root.iter() if any(child.tag == "img" for child in p)]
        for parent in parents:
            kept: list[ET.Element] = []
            for child in list(parent):
                if child.tag != "img":
                    kept.append(child)
                    continue
                text = (child.get("alt") or "") + (child.tail or "")
                if kept:
                    kept[-1].tail = (kept[-1].tail or "") + text
                else:
                    parent.text = (parent.text or "") + text
            parent[:] = kept


class _FootnoteIds(Treeprocessor):
    """Footnote ids unique on a page that shows many texts: "fn:1" becomes "fn-<hash>-1"."""

    _ID_RE = re.compile(r"^(#?)(fn|fnref\d*):(.+)$")

    def __init__(self, md: markdown.Markdown, source: list[str]) -> None:
        super().__init__(md)
        self._source = source

    def run(self, root: ET.Element) -> None:
        """Rewrite ids and in-page links in place."""
        digest = hashlib.blake2s("\n".join(self._source).encode(), digest_size=4).hexdigest()
        for element in root.iter():
            for attribute in ("id", "href"):
                value = element.get(attribute)
                match = self._ID_RE.match(value) if value else None
                if match:
                    element.set(attribute, f"{match[1]}{match[2]}-{digest}-{match[3]}")


class _SourceLines(Preprocessor):
    """Keep the text's lines (for _FootnoteIds) without changing them."""

    def __init__(self, md: markdown.Markdown, sink: list[str]) -> None:
        super().__init__(md)
        self._sink = sink

    def run(self, lines: list[str]) -> list[str]:
        """Return the lines unchanged."""
        self._sink[:] = lines
        return lines


def _guard(func: Callable[..., Any], deadline: float, steps: list[int]) -> Callable[..., Any]:
    """Wrap a processor method so that it raises once the render's work budget is spent."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        steps[0] += 1
        if steps[0] > RENDER_STEP_BUDGET or time.monotonic() > deadline:
            raise _BudgetExceeded
        return func(*args, **kwargs)

    return guarded


def _build_markdown(deadline: float) -> markdown.Markdown:
    """Build a fresh (not thread-safe, so per-call) Markdown instance with time guards."""
    md = markdown.Markdown(
        extensions=list(MARKDOWN_EXTENSIONS),
        extension_configs={
            "tables": {"use_align_attribute": True},
            "footnotes": {"BACKLINK_TITLE": "Tillbaka till fotnot %d i texten"},
        },
        output_format="html",
    )
    # A table of only a header row stays one row (Python-Markdown adds an empty body row).
    md.parser.blockprocessors["table"]._build_empty_row = lambda parent, align: None  # type: ignore[attr-defined]
    source: list[str] = []
    md.preprocessors.register(_SourceLines(md, source), "source_lines", 100)
    md.treeprocessors.register(_FootnoteIds(md, source), "footnote_ids", 5)
    # The HTML block pre-processor runs html.parser over the whole text and is quadratic
    # on inputs like "<a " * N; raw HTML is still recognised inline and then sanitized.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.register(_InlineHtmlProcessor(HTML_RE, md), "html", 90)
    md.treeprocessors.register(_ImagesToAltText(md), "images_to_alt_text", 15)
    # Cooperative work budget: every block-processor test and every inline match counts.
    steps = [0]
    for processor in md.parser.blockprocessors:
        processor.test = _guard(processor.test, deadline, steps)  # type: ignore[method-assign]
    for pattern in md.inlinePatterns:
        pattern.handleMatch = _guard(pattern.handleMatch, deadline, steps)  # type: ignore[method-assign]
    return md
