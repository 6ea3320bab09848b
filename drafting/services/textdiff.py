"""Word-by-word and section-level diffs between two versions of a response."""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

OpKind = Literal["equal", "insert", "delete"]
ChangeKind = Literal["unchanged", "changed", "added", "removed", "moved", "moved_and_changed"]

_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")
_WORD_RE = re.compile(r"\w+")
# Coarser units for aligning large texts: lines, then sentences, then words.
_UNIT_RES = (
    re.compile(r"[^\n]*(?:\n+|$)"),
    # The lookbehind makes a long run of punctuation a single attempt, not a quadratic one.
    re.compile(r".*?(?:(?<![.!?;:])[.!?;:]++(?:\s+|$)|\n+|$)", re.DOTALL),
    re.compile(r"\s*\w+[^\w]*|\s*[^\w]+"),
)

# SequenceMatcher on tokens costs up to about len(a) * len(b) steps (small vocabularies and
# whitespace tokens everywhere).  Larger regions are first aligned on coarser units, and
# the total for one diff is capped so that the worst case stays well under a second.
MAX_TOKEN_PRODUCT = 1_000_000
MAX_TOTAL_TOKEN_WORK = 1_500_000  # inner-loop steps of all token matchers in one diff
_SMALL_UNIT_PRODUCT = 10_000  # unit gaps this small are aligned with SequenceMatcher
_MAX_PATIENCE_DEPTH = 12
_HEADING_LABEL_MAX = 80


@dataclass(frozen=True)
class DiffOp:
    """One run of text that is unchanged, inserted or deleted."""

    kind: OpKind
    text: str


@dataclass(frozen=True)
class SectionInput:
    """A section of one version, as input to diff_sections."""

    key: int  # stable section identity across versions (section id)
    heading: str
    body: str


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
    body_ops: list[DiffOp]


# --- word diff ----------------------------------------------------------------------------


def tokenize(text: str) -> list[str]:
    """Split text into words, whitespace runs and single punctuation characters."""
    return _TOKEN_RE.findall(text)


def diff_words(old: str, new: str) -> list[DiffOp]:
    """Diff two texts word by word; equal+delete ops rebuild old, equal+insert ops rebuild new."""
    if old == new:
        return [DiffOp("equal", old)] if old else []
    raw: list[tuple[OpKind, str]] = []
    _diff_tokens(tokenize(old), tokenize(new), raw, 0, [MAX_TOTAL_TOKEN_WORK])
    return _cleanup(raw)


def _diff_tokens(
    a: list[str], b: list[str], out: list[tuple[OpKind, str]], level: int, budget: list[int]
) -> None:
    """Append the ops turning token list a into b to out (budget: token work left)."""
    # Common prefix and suffix are cheap to find and usually cover most of the text.
    limit = min(len(a), len(b))
    start = 0
    while start < limit and a[start] == b[start]:
        start += 1
    end_a, end_b = len(a), len(b)
    while end_a > start and end_b > start and a[end_a - 1] == b[end_b - 1]:
        end_a -= 1
        end_b -= 1
    if start:
        out.append(("equal", "".join(a[:start])))
    mid_a, mid_b = a[start:end_a], b[start:end_b]
    product = len(mid_a) * len(mid_b)
    if not product:
        out.append(("delete", "".join(mid_a)))
        out.append(("insert", "".join(mid_b)))
    elif product <= MAX_TOKEN_PRODUCT and budget[0] > 0:
        # Whitespace may extend a match but never anchor one: no alignment on lone spaces.
        # A lone space may extend a match but never start one.
        matcher = BoundedMatcher(mid_a, mid_b, budget, str.isspace)
        try:
            opcodes = matcher.get_opcodes()
        except OverBudget:
            opcodes = None
        if opcodes is not None:
            for tag, i1, i2, j1, j2 in opcodes:
                if tag == "equal":
                    out.append(("equal", "".join(mid_a[i1:i2])))
                else:
                    out.append(("delete", "".join(mid_a[i1:i2])))
                    out.append(("insert", "".join(mid_b[j1:j2])))
        elif level < len(_UNIT_RES):
            _diff_units("".join(mid_a), "".join(mid_b), out, level, budget)
        else:
            out.append(("delete", "".join(mid_a)))
            out.append(("insert", "".join(mid_b)))
    elif level < len(_UNIT_RES) and budget[0] > 0:
        _diff_units("".join(mid_a), "".join(mid_b), out, level, budget)
    else:
        # Out of finer units or of budget: show the region as replaced (bounded work).
        out.append(("delete", "".join(mid_a)))
        out.append(("insert", "".join(mid_b)))
    if end_a < len(a):
        out.append(("equal", "".join(a[end_a:])))


class OverBudget(Exception):
    """The matching work budget is spent (shared by diffs and fuzzy anchoring)."""


class BoundedMatcher(difflib.SequenceMatcher):  # type: ignore[type-arg]
    """SequenceMatcher that charges its inner-loop work to a shared budget.

    difflib's worst case is quadratic; the budget (a one-item list, shared by all matchers of
    one operation) turns that into a bounded cost, raising OverBudget when it is spent.
    """

    def __init__(self, a: list[str], b: list[str], budget: list[int], isjunk=None) -> None:
        super().__init__(isjunk, a, b, autojunk=False)
        self._budget = budget

    def find_longest_match(
        self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None
    ) -> difflib.Match:
        """Charge the loop's iterations (occurrences of each a-unit in b) before running it."""
        ahi = len(self.a) if ahi is None else ahi
        b2j = self.b2j
        self._budget[0] -= (ahi - alo) + sum(len(b2j.get(unit, ())) for unit in self.a[alo:ahi])
        if self._budget[0] < 0:
            raise OverBudget
        return super().find_longest_match(alo, ahi, blo, bhi)


def _diff_units(
    old: str, new: str, out: list[tuple[OpKind, str]], level: int, budget: list[int]
) -> None:
    """Align large texts on units of one level and word-diff the units that differ."""
    units_a = [unit for unit in _UNIT_RES[level].findall(old) if unit]
    units_b = [unit for unit in _UNIT_RES[level].findall(new) if unit]
    for tag, i1, i2, j1, j2 in _unit_opcodes(units_a, units_b):
        if tag == "equal":
            out.append(("equal", "".join(units_a[i1:i2])))
        elif i1 == i2 or j1 == j2:
            out.append(("delete", "".join(units_a[i1:i2])))
            out.append(("insert", "".join(units_b[j1:j2])))
        else:
            a = tokenize("".join(units_a[i1:i2]))
            b = tokenize("".join(units_b[j1:j2]))
            _diff_tokens(a, b, out, level + 1, budget)


def _unit_opcodes(a: list[str], b: list[str]) -> list[tuple[str, int, int, int, int]]:
    """Opcodes aligning unit lists by patience diff (units unique to both sides anchor)."""
    matches: list[tuple[int, int]] = []
    stack = [(0, len(a), 0, len(b), 0)]
    while stack:
        alo, ahi, blo, bhi, depth = stack.pop()
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            matches.append((alo, blo))
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
            matches.append((ahi, bhi))
        if alo == ahi or blo == bhi:
            continue
        if (ahi - alo) * (bhi - blo) <= _SMALL_UNIT_PRODUCT:
            matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            for block in matcher.get_matching_blocks():
                matches.extend((alo + block.a + k, blo + block.b + k) for k in range(block.size))
            continue
        if depth >= _MAX_PATIENCE_DEPTH:
            continue  # left unaligned: shown as a replacement
        anchors = _unique_anchors(a, b, alo, ahi, blo, bhi)
        previous_a, previous_b = alo, blo
        for i, j in anchors:
            stack.append((previous_a, i, previous_b, j, depth + 1))
            matches.append((i, j))
            previous_a, previous_b = i + 1, j + 1
        if anchors:
            stack.append((previous_a, ahi, previous_b, bhi, depth + 1))
    matches.sort()
    opcodes: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for mi, mj in [*matches, (len(a), len(b))]:
        if mi > i or mj > j:
            opcodes.append(("replace", i, mi, j, mj))
        if mi < len(a):
            if opcodes and opcodes[-1][0] == "equal" and opcodes[-1][2] == mi:
                _, ei, _, ej, _ = opcodes[-1]
                opcodes[-1] = ("equal", ei, mi + 1, ej, mj + 1)
            else:
                opcodes.append(("equal", mi, mi + 1, mj, mj + 1))
        i, j = mi + 1, mj + 1
    return opcodes


def _unique_anchors(
    a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Units occurring once on each side, longest run in the same order on both."""
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and a[i] in where_b]
    chosen = _lis_positions([j for _, j in pairs])
    return [pair for n, pair in enumerate(pairs) if n in chosen]


def _cleanup(raw: list[tuple[OpKind, str]]) -> list[DiffOp]:
    """Merge ops, and fold whitespace-only equal runs between changes into the change."""
    merged = _merge(raw)
    # "a b c" -> "x y z" reads better as one replacement than as three.
    for i in range(1, len(merged) - 1):
        kind, text = merged[i]
        between_changes = merged[i - 1][0] != "equal" and merged[i + 1][0] != "equal"
        if kind == "equal" and between_changes and text.isspace():
            merged[i] = ("replace", text)  # type: ignore[assignment]
    ops: list[DiffOp] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            ops.append(DiffOp("delete", "".join(deleted)))
        if inserted:
            ops.append(DiffOp("insert", "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for kind, text in merged:
        if kind == "equal":
            flush()
            ops.append(DiffOp("equal", text))
        else:
            if kind in ("delete", "replace"):
                deleted.append(text)
            if kind in ("insert", "replace"):
                inserted.append(text)
    flush()
    return ops


def _merge(raw: Iterable[tuple[OpKind, str]]) -> list[tuple[OpKind, str]]:
    """Join adjacent ops of the same kind and drop empty ones."""
    merged: list[tuple[OpKind, str]] = []
    for kind, text in raw:
        if not text:
            continue
        if merged and merged[-1][0] == kind:
            merged[-1] = (kind, merged[-1][1] + text)
        else:
            merged.append((kind, text))
    return merged


def old_text(ops: Iterable[DiffOp]) -> str:
    """Rebuild the old text from ops."""
    return "".join(op.text for op in ops if op.kind != "insert")


def new_text(ops: Iterable[DiffOp]) -> str:
    """Rebuild the new text from ops."""
    return "".join(op.text for op in ops if op.kind != "delete")


def count_words(ops: Iterable[DiffOp]) -> tuple[int, int]:
    """Return (inserted words, deleted words) in ops."""
    inserted = deleted = 0
    for op in ops:
        if op.kind == "insert":
            inserted += len(_WORD_RE.findall(op.text))
        elif op.kind == "delete":
            deleted += len(_WORD_RE.findall(op.text))
    return inserted, deleted


# --- section diff -------------------------------------------------------------------------


def diff_sections(old: Sequence[SectionInput], new: Sequence[SectionInput]) -> list[SectionChange]:
    """Compare two versions section by section (matched by key), in new-document order."""
    old_pos = _positions(old)
    new_pos = _positions(new)
    kept_new = [j for j, section in enumerate(new) if section.key in old_pos]
    # Sections outside a longest increasing run of old positions are the ones that moved:
    # moving one section then marks only that section.
    in_order = _lis_positions([old_pos[new[j].key] for j in kept_new])
    moved = {new[j].key for n, j in enumerate(kept_new) if n not in in_order}

    entries: list[SectionChange] = []
    for j, section in enumerate(new):
        i = old_pos.get(section.key)
        if i is None:
            entries.append(
                SectionChange("added", section.key, None, section.heading, None, j,
                              _single("insert", section.heading), _single("insert", section.body))
            )  # fmt: skip
            continue
        before = old[i]
        changed = (before.heading, before.body) != (section.heading, section.body)
        if section.key in moved:
            kind: ChangeKind = "moved_and_changed" if changed else "moved"
        else:
            kind = "changed" if changed else "unchanged"
        entries.append(
            SectionChange(kind, section.key, before.heading, section.heading, i, j,
                          diff_words(before.heading, section.heading),
                          diff_words(before.body, section.body))
        )  # fmt: skip

    # A removed section is shown right after the nearest earlier old section still present.
    removed_after: dict[int | None, list[SectionChange]] = {}
    last_kept: int | None = None
    for i, section in enumerate(old):
        if section.key in new_pos:
            last_kept = section.key
            continue
        removed_after.setdefault(last_kept, []).append(
            SectionChange("removed", section.key, section.heading, None, i, None,
                          _single("delete", section.heading), _single("delete", section.body))
        )  # fmt: skip
    result = list(removed_after.get(None, []))
    for entry in entries:
        result.append(entry)
        if entry.kind != "added":
            result.extend(removed_after.get(entry.key, []))
    return result


def _positions(sections: Sequence[SectionInput]) -> dict[int, int]:
    """Map each key to its index; keys must be unique within a version."""
    positions: dict[int, int] = {}
    for index, section in enumerate(sections):
        if section.key in positions:
            raise ValueError(f"duplicate section key {section.key!r}")
        positions[section.key] = index
    return positions


def _single(kind: OpKind, text: str) -> list[DiffOp]:
    """Ops for a text that is wholly inserted or deleted."""
    return [DiffOp(kind, text)] if text else []


def _lis_positions(values: Sequence[int]) -> set[int]:
    """Positions of one longest strictly increasing subsequence of distinct values."""
    tail_values: list[int] = []
    tail_positions: list[int] = []
    previous = [-1] * len(values)
    for position, value in enumerate(values):
        k = bisect_left(tail_values, value)
        if k == len(tail_values):
            tail_values.append(value)
            tail_positions.append(position)
        else:
            tail_values[k] = value
            tail_positions[k] = position
        previous[position] = tail_positions[k - 1] if k else -1
    result: set[int] = set()
    position = tail_positions[-1] if tail_positions else -1
    while position != -1:
        result.add(position)
        position = previous[position]
    return result


# --- summary ------------------------------------------------------------------------------


def summarize_changes(changes: list[SectionChange]) -> list[str]:
    """Short Swedish lines describing every section that is not unchanged."""
    lines: list[str] = []
    for change in changes:
        if change.kind == "added":
            lines.append(f"Nytt avsnitt {_label(change.new_heading, change.new_index)}")
        elif change.kind == "removed":
            lines.append(
                f"Avsnittet {_label(change.old_heading, change.old_index)} har tagits bort"
            )
        elif change.kind == "moved":
            lines.append(f"Avsnittet {_label(change.new_heading, change.new_index)} har flyttats")
        elif change.kind in ("changed", "moved_and_changed"):
            lines.append(_describe_edit(change))
    return lines


def _describe_edit(change: SectionChange) -> str:
    """One line for a changed (and possibly moved) section."""
    new_label = _label(change.new_heading, change.new_index)
    heading_changed = change.old_heading != change.new_heading
    body_changed = any(op.kind != "equal" for op in change.body_ops)
    verb = "har flyttats och ändrats" if change.kind == "moved_and_changed" else "har ändrats"
    if heading_changed and not body_changed:
        old_label = _label(change.old_heading, change.old_index)
        moved = " och flyttats" if change.kind == "moved_and_changed" else ""
        return f"Avsnittet {old_label} har bytt rubrik till {new_label}{moved}"
    name = new_label
    if heading_changed:
        name += f" (tidigare {_label(change.old_heading, change.old_index)})"
    return f"Avsnitt {name} {verb} ({_word_counts(change.body_ops)})"


def _word_counts(ops: list[DiffOp]) -> str:
    """'12 ord tillagda, 3 borttagna' and its variants."""
    inserted, deleted = count_words(ops)
    added = f"{inserted} ord {'tillagt' if inserted == 1 else 'tillagda'}"
    removed_word = "borttaget" if deleted == 1 else "borttagna"
    if inserted and deleted:
        return f"{added}, {deleted} {removed_word}"
    if inserted:
        return added
    if deleted:
        return f"{deleted} ord {removed_word}"
    return "endast skiljetecken eller blanksteg"


def _label(heading: str | None, index: int | None) -> str:
    """A quoted, shortened heading, or the position when the heading is empty."""
    text = " ".join((heading or "").split())
    if not text:
        return f"nr {index + 1} (utan rubrik)" if index is not None else "(utan rubrik)"
    if len(text) > _HEADING_LABEL_MAX:
        text = text[: _HEADING_LABEL_MAX - 1].rstrip() + "…"
    return f"”{text}”"
