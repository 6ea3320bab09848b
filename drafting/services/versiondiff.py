"""How one version differs from another, as readers see the text (not its Markdown source).

Each section's stored, sanitized HTML (VersionSection.body_html) is read into blocks:
paragraphs, headings, list items, quoted paragraphs, code and tables, each with its visible
text only (a link is its text; emphasis markers and table syntax are no text at all).
Sections are matched by key (moves found as in a longest increasing run), the blocks of a
section are aligned, similar blocks in a replaced stretch are paired, and words are diffed
within each pair (services/textdiff.py: numbers stay whole words).  Lists are compared item
by item, tables row by row and cell by cell.

Everything here is data; templates/drafting/_diff.html draws it.

Bounded: blocks are aligned by patience diff (textdiff.align), pairing within a replaced
stretch is exact only for small stretches and greedy beyond, and all word diffs of one
comparison share one work budget (textdiff.new_budget), after which a changed block is
shown as replaced.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from flask_babel import gettext as _
from flask_babel import ngettext
from lxml import etree
from lxml import html as lxml_html

from .textdiff import DiffOp, align, count_words, diff_words, longest_increasing, new_budget, words

BlockKind = Literal["paragraph", "heading", "item", "code", "rule", "table"]
# "formatting": the same words, but other emphasis, link targets, list depth or block kind.
Status = Literal["equal", "changed", "formatting", "added", "removed"]
ChangeKind = Literal["unchanged", "changed", "added", "removed", "moved", "moved_and_changed"]

PAIR_EXACT_LIMIT = 400  # replaced stretches up to this many block pairs are paired optimally
SIMILAR_TEXT = 0.4  # blocks at least this alike (Dice over their words) are one changed block
SIMILAR_TABLE = 0.2
_MAX_DEPTH = 60  # deeper HTML is read as the text of one paragraph
_HEADING_LABEL_MAX = 80

_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_LISTS = frozenset({"ul", "ol"})
# Elements that start blocks of their own; everything else is inline text.
_BLOCK_TAGS = frozenset({"p", "pre", "blockquote", "table", "hr", "li", "div", "thead", "tbody",
                         "tfoot", "tr", "td", "th", *_LISTS, *_HEADINGS})

T = TypeVar("T")


# --- blocks of rendered HTML --------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A table cell: its text, and whether it is a header cell."""

    text: str
    header: bool
    markup: str


@dataclass(frozen=True)
class Block:
    """One block of rendered text, as a reader sees it."""

    kind: BlockKind
    text: str  # visible text, whitespace collapsed (code keeps its lines)
    markup: str  # the HTML it came from, whitespace collapsed: formatting edits show here
    level: int = 0  # heading level (1-6), or list depth (1 = outermost list)
    ordered: bool = False  # an item of a numbered list
    number: int = 0  # an item's place in its list, from 1
    quoted: int = 0  # blockquotes around it
    rows: tuple[tuple[Cell, ...], ...] = ()  # a table's rows, head rows first
    head_rows: int = 0

    @property
    def key(self) -> tuple[object, ...]:
        """What must be equal for two blocks to be the same (an item's number may shift)."""
        return (self.kind, self.level, self.ordered, self.quoted, self.markup)


def parse_blocks(html: str) -> list[Block]:
    """The blocks of sanitized HTML (rendering.render_markdown's output), in reading order."""
    if not html or not html.strip():
        return []
    parser = lxml_html.HTMLParser(huge_tree=True)
    root = lxml_html.fragment_fromstring(html, create_parent="div", parser=parser)
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for br in root.iter("br"):
        br.tail = " " + (br.tail or "")  # a line break reads as a space
    blocks: list[Block] = []
    _read_container(root, blocks, quoted=0, list_depth=0, depth=0)
    return blocks


def _collapse(text: str) -> str:
    return " ".join(text.split())  # as rendering.plain_text collapses: every kind of space


def _markup(element: etree._Element) -> str:
    return etree.tostring(element, encoding="unicode", method="html", with_tail=False)


def _escaped(text: str | None) -> str:
    return html_lib.escape(text, quote=False) if text else ""


class _Inline:
    """Inline text and markup gathered until the next block starts."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.marks: list[str] = []

    def add_text(self, text: str | None) -> None:
        if text:
            self.texts.append(text)
            self.marks.append(_escaped(text))

    def add_element(self, element: etree._Element) -> None:
        self.texts.append(element.text_content())
        self.marks.append(_markup(element))

    def separate(self) -> None:
        self.texts.append(" ")
        self.marks.append(" ")

    def take(self) -> tuple[str, str]:
        text, markup = _collapse("".join(self.texts)), _collapse("".join(self.marks))
        self.texts.clear()
        self.marks.clear()
        return text, markup


def _read_container(container: etree._Element, out: list[Block], *, quoted: int,
                    list_depth: int, depth: int) -> None:
    """Blocks of a container (the root, a quote, a div): loose inline text is a paragraph."""
    inline = _Inline()

    def flush() -> None:
        text, markup = inline.take()
        if text:
            out.append(Block("paragraph", text, markup, quoted=quoted))

    inline.add_text(container.text)
    for child in container:
        if not isinstance(child.tag, str):
            continue
        if child.tag in _BLOCK_TAGS:
            flush()
            _read_block(child, out, quoted=quoted, list_depth=list_depth, depth=depth + 1)
        else:
            inline.add_element(child)
        inline.add_text(child.tail)
    flush()


def _read_block(element: etree._Element, out: list[Block], *, quoted: int, list_depth: int,
                depth: int) -> None:
    tag = element.tag
    if depth > _MAX_DEPTH:
        text = _collapse(element.text_content())
        if text:
            out.append(Block("paragraph", text, _collapse(_markup(element)), quoted=quoted))
        return
    if tag == "p" or tag in _HEADINGS:
        text, markup = _inline_of(element)
        if text:
            kind: BlockKind = "heading" if tag in _HEADINGS else "paragraph"
            out.append(Block(kind, text, markup, level=_HEADINGS.get(tag, 0), quoted=quoted))
    elif tag == "pre":
        text = element.text_content().strip("\n")
        if text.strip():
            out.append(Block("code", text, _collapse(_markup(element)), quoted=quoted))
    elif tag == "hr":
        out.append(Block("rule", "", "<hr>", quoted=quoted))
    elif tag == "blockquote":
        _read_container(element, out, quoted=quoted + 1, list_depth=list_depth, depth=depth)
    elif tag in _LISTS:
        number = 0
        for child in element:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "li":
                number += 1
                _read_item(child, out, ordered=tag == "ol", number=number, quoted=quoted,
                           list_depth=list_depth + 1, depth=depth + 1)
            else:  # not valid HTML, but text is text
                _read_block(child, out, quoted=quoted, list_depth=list_depth, depth=depth + 1)
    elif tag == "li":  # an item outside a list
        _read_item(element, out, ordered=False, number=1, quoted=quoted,
                   list_depth=list_depth + 1, depth=depth)
    elif tag == "table":
        table = _read_table(element)
        if table is not None:
            out.append(Block("table", " ".join(c.text for row in table[0] for c in row),
                             _collapse(_markup(element)), quoted=quoted, rows=table[0],
                             head_rows=table[1]))
    else:  # div, and table parts outside a table
        _read_container(element, out, quoted=quoted, list_depth=list_depth, depth=depth)


def _inline_of(element: etree._Element) -> tuple[str, str]:
    """Text and markup of an element whose content is inline (a paragraph, a heading, a cell)."""
    inline = _Inline()
    inline.add_text(element.text)
    for child in element:
        if isinstance(child.tag, str):
            if child.tag in _BLOCK_TAGS:
                inline.separate()
            inline.add_element(child)
        inline.add_text(child.tail)
    return inline.take()


def _read_item(item: etree._Element, out: list[Block], *, ordered: bool, number: int,
               quoted: int, list_depth: int, depth: int) -> None:
    """A list item: its own text (paragraphs of a loose item joined), then what nests in it."""
    inline = _Inline()
    nested: list[etree._Element] = []
    inline.add_text(item.text)
    for child in item:
        if not isinstance(child.tag, str):
            inline.add_text(child.tail)
            continue
        if child.tag in _LISTS or child.tag in ("blockquote", "table", "pre", "hr", *_HEADINGS):
            nested.append(child)
        elif child.tag in ("p", "div"):
            inline.separate()
            inline.add_element(child)
            inline.separate()
        else:
            inline.add_element(child)
        inline.add_text(child.tail)
    text, markup = inline.take()
    if text or not nested:
        out.append(Block("item", text, markup, level=list_depth, ordered=ordered,
                         number=number, quoted=quoted))
    for child in nested:
        _read_block(child, out, quoted=quoted, list_depth=list_depth, depth=depth + 1)


def _read_table(table: etree._Element) -> tuple[tuple[tuple[Cell, ...], ...], int] | None:
    """The rows of a table (head rows first) and how many head rows it has."""
    head: list[tuple[Cell, ...]] = []
    body: list[tuple[Cell, ...]] = []
    for part in table:
        if not isinstance(part.tag, str):
            continue
        rows = [part] if part.tag == "tr" else [r for r in part if r.tag == "tr"]
        target = head if part.tag == "thead" else body
        for row in rows:
            cells = []
            for cell in row:
                if cell.tag in ("td", "th"):
                    text, markup = _inline_of(cell)
                    cells.append(Cell(text, cell.tag == "th", markup))
            target.append(tuple(cells))
    if not head and not body:
        return None
    return (*head, *body), len(head)


# --- the diff of blocks -------------------------------------------------------------------


@dataclass(frozen=True)
class CellChange:
    """One cell of a compared table; a side without the cell has None there."""

    status: Literal["equal", "changed", "formatting", "added", "removed", "empty"]
    header: bool
    ops: tuple[DiffOp, ...]


@dataclass(frozen=True)
class Column:
    """A column of a compared table: does it exist in the old table, in the new one?"""

    in_old: bool
    in_new: bool


@dataclass(frozen=True)
class RowChange:
    status: Literal["equal", "changed", "formatting", "added", "removed"]
    head: bool
    cells: tuple[CellChange, ...]  # one per column of TableChange.columns


@dataclass(frozen=True)
class TableChange:
    columns: tuple[Column, ...]
    rows: tuple[RowChange, ...]


@dataclass(frozen=True)
class BlockChange:
    """How one block changed; the template draws it in the shape of ``block``."""

    status: Status
    old: Block | None
    new: Block | None
    ops: tuple[DiffOp, ...] = ()  # word ops of the text (not for tables)
    table: TableChange | None = None

    @property
    def block(self) -> Block:
        """The block whose shape is drawn: the new one, or the old one if it was removed."""
        return self.new or self.old  # type: ignore[return-value]

    def number_on(self, side: str) -> int:
        """An item's number as drawn on one side ('old', 'new' or 'both', which reads as new)."""
        block = (self.old or self.new) if side == "old" else self.block
        return block.number  # type: ignore[union-attr]

    def word_counts(self) -> tuple[int, int]:
        """(inserted words, deleted words)."""
        if self.table is None:
            return count_words(self.ops)
        inserted = deleted = 0
        for row in self.table.rows:
            for cell in row.cells:
                i, d = count_words(cell.ops)
                inserted, deleted = inserted + i, deleted + d
        return inserted, deleted


@dataclass(frozen=True)
class BlockGroup:
    """Blocks drawn together: the items of one list, or a single other block."""

    is_list: bool
    ordered: bool
    quoted: int
    changes: tuple[BlockChange, ...]


def diff_blocks(old: Sequence[Block], new: Sequence[Block],
                budget: list[int] | None = None) -> list[BlockChange]:
    """Align two block sequences and diff the words of the blocks that changed."""
    budget = new_budget() if budget is None else budget
    known: dict[str, frozenset[str]] = {}  # pairing asks about the same blocks again and again

    def alike(a: Block, b: Block) -> float:
        return _alike(a, b, known)

    changes: list[BlockChange] = []
    for tag, i1, i2, j1, j2 in align([b.key for b in old], [b.key for b in new]):
        if tag == "equal":  # the same text and shape (an item's number may have moved)
            changes.extend(_equal(a, b) for a, b in zip(old[i1:i2], new[j1:j2], strict=True))
            continue
        pairs = _pair(old[i1:i2], new[j1:j2], alike)
        for i, j in pairs:
            if j is None:
                changes.append(_removed(old[i1 + i]))  # type: ignore[operator]
            elif i is None:
                changes.append(_added(new[j1 + j]))
            else:
                changes.append(_changed(old[i1 + i], new[j1 + j], budget))
    return changes


def _equal(old: Block, new: Block) -> BlockChange:
    if new.kind == "table":
        return BlockChange("equal", old, new, table=_whole_table(new, "equal"))
    return BlockChange("equal", old, new, _single("equal", new.text))


def _added(block: Block) -> BlockChange:
    if block.kind == "table":
        return BlockChange("added", None, block, table=_whole_table(block, "added"))
    return BlockChange("added", None, block, _single("insert", block.text))


def _removed(block: Block) -> BlockChange:
    if block.kind == "table":
        return BlockChange("removed", block, None, table=_whole_table(block, "removed"))
    return BlockChange("removed", block, None, _single("delete", block.text))


def _changed(old: Block, new: Block, budget: list[int]) -> BlockChange:
    if old.kind == "table" and new.kind == "table":
        table = _diff_tables(old, new, budget)
        # Paired tables differ (else they were equal): in words, or only in their formatting.
        same_words = all(row.status in ("equal", "formatting") for row in table.rows)
        return BlockChange("formatting" if same_words else "changed", old, new, table=table)
    if old.text == new.text:
        return BlockChange("formatting", old, new, _single("equal", new.text))
    return BlockChange("changed", old, new, tuple(diff_words(old.text, new.text, budget)))


def _single(kind: str, text: str) -> tuple[DiffOp, ...]:
    return (DiffOp(kind, text),) if text else ()  # type: ignore[arg-type]


def _similarity(a: Block, b: Block, known: dict[str, frozenset[str]]) -> float:
    """How alike two blocks are, 0 to 1: shared words (Dice), a little less across kinds."""
    if a.kind == "table" or b.kind == "table" or a.kind == "rule" or b.kind == "rule":
        if a.kind != b.kind:
            return 0.0
        if a.kind == "rule":
            return 1.0
        return max(_dice(a.text, b.text, known), SIMILAR_TABLE)  # two tables in a stretch: one
    score = _dice(a.text, b.text, known)
    return score if a.kind == b.kind else 0.9 * score


def _dice(a: str, b: str, known: dict[str, frozenset[str]]) -> float:
    """Shared words over all words; known keeps each text's words for the rest of the diff."""
    words_a = known.get(a)
    if words_a is None:
        words_a = known[a] = words(a)
    words_b = known.get(b)
    if words_b is None:
        words_b = known[b] = words(b)
    if not words_a and not words_b:
        return 1.0 if a == b else 0.5
    return 2 * len(words_a & words_b) / (len(words_a) + len(words_b))


def _alike(a: Block, b: Block, known: dict[str, frozenset[str]]) -> float:
    """The likeness of two blocks if enough to pair them, else 0."""
    score = _similarity(a, b, known)
    return score if score >= (SIMILAR_TABLE if a.kind == "table" else SIMILAR_TEXT) else 0.0


def _pair(a: Sequence[T], b: Sequence[T],
          alike: Callable[[T, T], float]) -> list[tuple[int | None, int | None]]:
    """Pair the items of a replaced stretch in order: alike ones (alike > 0) are one changed item.

    Small stretches get the pairing with the greatest total likeness; larger ones a greedy
    walk that looks one item ahead on each side (linear work).
    """
    n, m = len(a), len(b)
    if n * m <= PAIR_EXACT_LIMIT:
        score = [[0.0] * (m + 1) for _ in range(n + 1)]
        likeness = [[alike(x, y) for y in b] for x in a]
        for i in range(n - 1, -1, -1):
            for j in range(m - 1, -1, -1):
                best = max(score[i + 1][j], score[i][j + 1])
                if likeness[i][j]:
                    best = max(best, likeness[i][j] + score[i + 1][j + 1])
                score[i][j] = best
        pairs: list[tuple[int | None, int | None]] = []
        i = j = 0
        while i < n and j < m:
            if likeness[i][j] and score[i][j] == likeness[i][j] + score[i + 1][j + 1]:
                pairs.append((i, j))
                i, j = i + 1, j + 1
            elif score[i][j] == score[i + 1][j]:
                pairs.append((i, None))
                i += 1
            else:
                pairs.append((None, j))
                j += 1
        pairs.extend((k, None) for k in range(i, n))
        pairs.extend((None, k) for k in range(j, m))
        return _removals_first(pairs)

    def ok(i: int, j: int) -> bool:
        return i < n and j < m and alike(a[i], b[j]) > 0

    pairs = []
    i = j = 0
    while i < n and j < m:
        if ok(i, j):
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif ok(i + 1, j):
            pairs.append((i, None))
            i += 1
        elif ok(i, j + 1):
            pairs.append((None, j))
            j += 1
        else:
            pairs.extend([(i, None), (None, j)])
            i, j = i + 1, j + 1
    pairs.extend((k, None) for k in range(i, n))
    pairs.extend((None, k) for k in range(j, m))
    return _removals_first(pairs)


def _removals_first(pairs: list[tuple[int | None, int | None]]) -> list[tuple[int | None, int | None]]:
    """Within each run of unpaired items, the removed ones come before the added ones."""
    out: list[tuple[int | None, int | None]] = []
    run: list[tuple[int | None, int | None]] = []
    for pair in pairs:
        if pair[0] is not None and pair[1] is not None:
            out.extend(sorted(run, key=lambda p: p[0] is None))
            run.clear()
            out.append(pair)
        else:
            run.append(pair)
    out.extend(sorted(run, key=lambda p: p[0] is None))
    return out


# --- tables -------------------------------------------------------------------------------


def _whole_table(block: Block, status: Literal["equal", "added", "removed"]) -> TableChange:
    width = max((len(row) for row in block.rows), default=0)
    kind = {"equal": "equal", "added": "insert", "removed": "delete"}[status]
    column = Column(status != "added", status != "removed")
    rows = []
    for index, row in enumerate(block.rows):
        cells = [CellChange(status, c.header, _single(kind, c.text)) for c in row]
        cells += [CellChange("empty", False, ())] * (width - len(row))
        rows.append(RowChange(status, index < block.head_rows, tuple(cells)))
    return TableChange((column,) * width, tuple(rows))


def _diff_tables(old: Block, new: Block, budget: list[int]) -> TableChange:
    """Rows aligned by their cells' text, columns by the head row, then cell by cell."""
    columns = _column_pairs(old, new)
    shared = [(ci, cj) for ci, cj in columns if ci is not None and cj is not None]
    known: dict[str, frozenset[str]] = {}

    def alike_rows(a: tuple[Cell, ...], b: tuple[Cell, ...]) -> float:
        """Shared words, or the share of cells unchanged in their column (a row keeps its label)."""
        same = sum(1 for ci, cj in shared if ci < len(a) and cj < len(b) and a[ci].text == b[cj].text)
        score = max(_dice(" ".join(c.text for c in a), " ".join(c.text for c in b), known),
                    same / len(shared) if shared else 0.0)
        return score if score >= SIMILAR_TEXT else 0.0

    rows: list[RowChange] = []
    old_keys = [(i < old.head_rows, *(c.text for c in row)) for i, row in enumerate(old.rows)]
    new_keys = [(j < new.head_rows, *(c.text for c in row)) for j, row in enumerate(new.rows)]
    for tag, i1, i2, j1, j2 in align(old_keys, new_keys):
        if tag == "equal":
            pairs: list[tuple[int | None, int | None]] = [
                (i1 + k, j1 + k) for k in range(i2 - i1)]
        else:
            pairs = [(None if i is None else i1 + i, None if j is None else j1 + j)
                     for i, j in _pair(old.rows[i1:i2], new.rows[j1:j2], alike_rows)]
        for i, j in pairs:
            rows.append(_row_change(old, new, i, j, columns, budget))
    return TableChange(tuple(Column(ci is not None, cj is not None) for ci, cj in columns),
                       tuple(rows))


def _column_pairs(old: Block, new: Block) -> list[tuple[int | None, int | None]]:
    """Which old column is which new one: by position, or by the head row if the count changed."""
    width_old = max((len(r) for r in old.rows), default=0)
    width_new = max((len(r) for r in new.rows), default=0)
    if width_old == width_new:
        return [(k, k) for k in range(width_old)]
    head_old = [c.text for c in old.rows[0]] + [""] * (width_old - len(old.rows[0]))
    head_new = [c.text for c in new.rows[0]] + [""] * (width_new - len(new.rows[0]))
    pairs: list[tuple[int | None, int | None]] = []
    for tag, i1, i2, j1, j2 in align(head_old, head_new):
        if tag == "equal":
            pairs.extend((i1 + k, j1 + k) for k in range(i2 - i1))
            continue
        common = min(i2 - i1, j2 - j1)
        pairs.extend((i1 + k, j1 + k) for k in range(common))
        pairs.extend((i, None) for i in range(i1 + common, i2))
        pairs.extend((None, j) for j in range(j1 + common, j2))
    return pairs


def _row_change(old: Block, new: Block, i: int | None, j: int | None,
                columns: list[tuple[int | None, int | None]], budget: list[int]) -> RowChange:
    old_row = old.rows[i] if i is not None else None
    new_row = new.rows[j] if j is not None else None
    cells: list[CellChange] = []
    for ci, cj in columns:
        before = old_row[ci] if old_row is not None and ci is not None and ci < len(old_row) else None
        after = new_row[cj] if new_row is not None and cj is not None and cj < len(new_row) else None
        if before is None and after is None:
            cells.append(CellChange("empty", False, ()))
        elif before is None:
            cells.append(CellChange("added", after.header, _single("insert", after.text)))  # type: ignore[union-attr]
        elif after is None:
            cells.append(CellChange("removed", before.header, _single("delete", before.text)))
        elif before.text != after.text:
            cells.append(CellChange("changed", after.header,
                                    tuple(diff_words(before.text, after.text, budget))))
        elif before.markup != after.markup or before.header != after.header:
            cells.append(CellChange("formatting", after.header, _single("equal", after.text)))
        else:
            cells.append(CellChange("equal", after.header, _single("equal", after.text)))
    if old_row is None:
        status: Literal["equal", "changed", "formatting", "added", "removed"] = "added"
    elif new_row is None:
        status = "removed"
    elif all(c.status in ("equal", "empty") for c in cells):
        status = "equal"
    elif all(c.status in ("equal", "empty", "formatting") for c in cells):
        status = "formatting"
    else:
        status = "changed"
    head = (j < new.head_rows) if j is not None else (i is not None and i < old.head_rows)
    return RowChange(status, head, tuple(cells))


# --- grouping for display -----------------------------------------------------------------


def group_blocks(changes: Sequence[BlockChange]) -> tuple[BlockGroup, ...]:
    """Consecutive items of lists of one kind become one list; every other block stands alone."""
    groups: list[BlockGroup] = []
    run: list[BlockChange] = []

    def flush() -> None:
        if run:
            first = run[0].block
            groups.append(BlockGroup(True, first.ordered, first.quoted, tuple(run)))
            run.clear()

    for change in changes:
        block = change.block
        if block.kind == "item":
            if run and (run[0].block.ordered, run[0].block.quoted) != (block.ordered, block.quoted):
                flush()
            run.append(change)
            continue
        flush()
        groups.append(BlockGroup(False, False, block.quoted, (change,)))
    flush()
    return tuple(groups)


# --- sections -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionInput:
    """A section of one version, as input to diff_sections."""

    key: int  # stable section identity across versions (section id)
    heading: str
    body_html: str  # the stored, sanitized rendering (VersionSection.body_html)


@dataclass(frozen=True)
class SectionChange:
    """How one section changed between two versions."""

    kind: ChangeKind
    key: int
    old_heading: str | None
    new_heading: str | None
    old_index: int | None
    new_index: int | None
    heading_ops: list[DiffOp]
    changes: tuple[BlockChange, ...] = ()
    groups: tuple[BlockGroup, ...] = field(default=(), compare=False)

    @property
    def body_changed(self) -> bool:
        return any(change.status != "equal" for change in self.changes)

    def word_counts(self) -> tuple[int, int]:
        """(inserted words, deleted words) of the body."""
        inserted = deleted = 0
        for change in self.changes:
            i, d = change.word_counts()
            inserted, deleted = inserted + i, deleted + d
        return inserted, deleted


def diff_sections(old: Sequence[SectionInput], new: Sequence[SectionInput],
                  budget: list[int] | None = None) -> list[SectionChange]:
    """Compare two versions section by section (matched by key), in new-document order."""
    budget = new_budget() if budget is None else budget  # shared by every word diff here
    old_pos = _positions(old)
    new_pos = _positions(new)
    kept_new = [j for j, section in enumerate(new) if section.key in old_pos]
    # Sections outside a longest increasing run of old positions are the ones that moved:
    # moving one section then marks only that section.
    in_order = longest_increasing([old_pos[new[j].key] for j in kept_new])
    moved = {new[j].key for n, j in enumerate(kept_new) if n not in in_order}

    entries: list[SectionChange] = []
    for j, section in enumerate(new):
        i = old_pos.get(section.key)
        if i is None:
            changes = tuple(_added(b) for b in parse_blocks(section.body_html))
            entries.append(_section("added", section.key, None, section.heading, None, j,
                                    list(_single("insert", section.heading)), changes))
            continue
        before = old[i]
        if before.body_html == section.body_html:
            changes = tuple(_equal(b, b) for b in parse_blocks(section.body_html))
        else:
            changes = tuple(diff_blocks(parse_blocks(before.body_html),
                                        parse_blocks(section.body_html), budget))
        changed = before.heading != section.heading or any(c.status != "equal" for c in changes)
        if section.key in moved:
            kind: ChangeKind = "moved_and_changed" if changed else "moved"
        else:
            kind = "changed" if changed else "unchanged"
        entries.append(_section(kind, section.key, before.heading, section.heading, i, j,
                                diff_words(before.heading, section.heading, budget), changes))

    # A removed section is shown right after the nearest earlier old section still present.
    removed_after: dict[int | None, list[SectionChange]] = {}
    last_kept: int | None = None
    for i, section in enumerate(old):
        if section.key in new_pos:
            last_kept = section.key
            continue
        changes = tuple(_removed(b) for b in parse_blocks(section.body_html))
        removed_after.setdefault(last_kept, []).append(
            _section("removed", section.key, section.heading, None, i, None,
                     list(_single("delete", section.heading)), changes))
    result = list(removed_after.get(None, []))
    for entry in entries:
        result.append(entry)
        if entry.kind != "added":
            result.extend(removed_after.get(entry.key, []))
    return result


def _section(kind: ChangeKind, key: int, old_heading: str | None, new_heading: str | None,
             old_index: int | None, new_index: int | None, heading_ops: list[DiffOp],
             changes: tuple[BlockChange, ...]) -> SectionChange:
    return SectionChange(kind, key, old_heading, new_heading, old_index, new_index, heading_ops,
                         changes, group_blocks(changes))


def _positions(sections: Sequence[SectionInput]) -> dict[int, int]:
    """Map each key to its index; keys must be unique within a version."""
    positions: dict[int, int] = {}
    for index, section in enumerate(sections):
        if section.key in positions:
            raise ValueError(f"duplicate section key {section.key!r}")
        positions[section.key] = index
    return positions


# --- summary ------------------------------------------------------------------------------


def summarize_changes(changes: list[SectionChange]) -> list[str]:
    """Short lines describing every section that is not unchanged."""
    lines: list[str] = []
    for change in changes:
        if change.kind == "added":
            lines.append(_("Nytt avsnitt %(label)s", label=_label(change.new_heading, change.new_index)))
        elif change.kind == "removed":
            lines.append(_("Avsnittet %(label)s har tagits bort",
                           label=_label(change.old_heading, change.old_index)))
        elif change.kind == "moved":
            lines.append(_("Avsnittet %(label)s har flyttats",
                           label=_label(change.new_heading, change.new_index)))
        elif change.kind in ("changed", "moved_and_changed"):
            lines.append(_describe_edit(change))
    return lines


def _describe_edit(change: SectionChange) -> str:
    """One line for a changed (and possibly moved) section."""
    new_label = _label(change.new_heading, change.new_index)
    old_label = _label(change.old_heading, change.old_index)
    heading_changed = change.old_heading != change.new_heading
    moved = change.kind == "moved_and_changed"
    if heading_changed and not change.body_changed:
        if moved:
            return _("Avsnittet %(old)s har bytt rubrik till %(new)s och flyttats",
                     old=old_label, new=new_label)
        return _("Avsnittet %(old)s har bytt rubrik till %(new)s", old=old_label, new=new_label)
    counts = _word_counts(change)
    if heading_changed:
        if moved:
            return _("Avsnitt %(new)s (tidigare %(old)s) har flyttats och ändrats (%(counts)s)",
                     new=new_label, old=old_label, counts=counts)
        return _("Avsnitt %(new)s (tidigare %(old)s) har ändrats (%(counts)s)",
                 new=new_label, old=old_label, counts=counts)
    if moved:
        return _("Avsnitt %(label)s har flyttats och ändrats (%(counts)s)", label=new_label,
                 counts=counts)
    return _("Avsnitt %(label)s har ändrats (%(counts)s)", label=new_label, counts=counts)


def _word_counts(change: SectionChange) -> str:
    """'12 ord tillagda, 3 borttagna' and its variants."""
    inserted, deleted = change.word_counts()
    if inserted and deleted:
        return ngettext("%(num)d ord tillagt", "%(num)d ord tillagda", inserted) + ", " + ngettext(
            "%(num)d borttaget", "%(num)d borttagna", deleted)
    if inserted:
        return ngettext("%(num)d ord tillagt", "%(num)d ord tillagda", inserted)
    if deleted:
        return ngettext("%(num)d ord borttaget", "%(num)d ord borttagna", deleted)
    if any(c.status == "formatting" for c in change.changes) and not any(
            c.status in ("changed", "added", "removed") for c in change.changes):
        return _("endast formatering")
    return _("endast skiljetecken eller blanksteg")


def _label(heading: str | None, index: int | None) -> str:
    """A quoted, shortened heading, or the position when the heading is empty."""
    text = " ".join((heading or "").split())
    if not text:
        if index is None:
            return _("(utan rubrik)")
        return _("nr %(n)d (utan rubrik)", n=index + 1)
    if len(text) > _HEADING_LABEL_MAX:
        text = text[: _HEADING_LABEL_MAX - 1].rstrip() + "…"
    return f"”{text}”"
