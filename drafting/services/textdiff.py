"""Word-by-word diffs of plain text, with bounded work.

What counts as a word: a run of letters and digits, where digits joined by a decimal comma,
point, colon, slash or hyphen stay one word ("0,8", "2020:8", "I2024/01234", "3,5-4"), and
so do digit groups separated by thousands spaces ("1 200", "750 000").  A changed figure
then reads as one replaced word ("0,8" → "1,1"), never as digits shuffled around.
Whitespace runs and other characters are tokens of their own.

The diff of a version's rendered text (blocks, tables, lists) is built on this in
services/versiondiff.py.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

OpKind = Literal["equal", "insert", "delete"]

# Thousands groups first: "1 200" (also with no-break or thin spaces), then words with their
# joined digits, then whitespace runs, then any other single character.
_NUMBER = r"\d{1,3}(?:[ \u00a0\u202f]\d{3}(?!\d))+(?:,\d+)?"
_WORD = r"\w+(?:(?<=\d)[,.:/\-\u2013](?=\d)\w+)*"
_TOKEN_RE = re.compile(rf"{_NUMBER}(?!\w)|{_WORD}|\s+|[^\w\s]")
_HAS_WORD_RE = re.compile(r"\w")
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


@dataclass(frozen=True)
class DiffOp:
    """One run of text that is unchanged, inserted or deleted."""

    kind: OpKind
    text: str


# --- word diff ----------------------------------------------------------------------------


def tokenize(text: str) -> list[str]:
    """Split text into words (numbers kept whole), whitespace runs and single other characters."""
    return _TOKEN_RE.findall(text)


def new_budget() -> list[int]:
    """A work budget for diff_words, to share between all the diffs of one comparison."""
    return [MAX_TOTAL_TOKEN_WORK]


def diff_words(old: str, new: str, budget: list[int] | None = None) -> list[DiffOp]:
    """Diff two texts word by word; equal+delete ops rebuild old, equal+insert ops rebuild new.

    budget (from new_budget) is spent by the matching and may be shared by many calls: once
    it is gone, what differs between two texts is shown as replaced (bounded work).
    """
    if old == new:
        return [DiffOp("equal", old)] if old else []
    raw: list[tuple[OpKind, str]] = []
    _diff_tokens(tokenize(old), tokenize(new), raw, 0, new_budget() if budget is None else budget)
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
    for tag, i1, i2, j1, j2 in align(units_a, units_b):
        if tag == "equal":
            out.append(("equal", "".join(units_a[i1:i2])))
        elif i1 == i2 or j1 == j2:
            out.append(("delete", "".join(units_a[i1:i2])))
            out.append(("insert", "".join(units_b[j1:j2])))
        else:
            a = tokenize("".join(units_a[i1:i2]))
            b = tokenize("".join(units_b[j1:j2]))
            _diff_tokens(a, b, out, level + 1, budget)


def align(a: Sequence[Hashable], b: Sequence[Hashable]) -> list[tuple[str, int, int, int, int]]:
    """Opcodes ("equal"/"replace", i1, i2, j1, j2) aligning two sequences by patience diff.

    Units unique to both sides anchor the alignment; small gaps are aligned exactly.  Used
    for lines and sentences here, and for the blocks and table rows of versiondiff.
    """
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
    a: Sequence[Hashable], b: Sequence[Hashable], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Units occurring once on each side, longest run in the same order on both."""
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and a[i] in where_b]
    chosen = longest_increasing([j for _, j in pairs])
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
            inserted += word_count(op.text)
        elif op.kind == "delete":
            deleted += word_count(op.text)
    return inserted, deleted


def word_count(text: str) -> int:
    """Words in text, as tokenize counts them ("1 200" is one)."""
    return sum(1 for token in tokenize(text) if _HAS_WORD_RE.search(token))


def words(text: str) -> frozenset[str]:
    """The distinct words of text, for telling how alike two texts are."""
    return frozenset(token for token in tokenize(text) if _HAS_WORD_RE.search(token))


# --- helpers ------------------------------------------------------------------------------


def longest_increasing(values: Sequence[int]) -> set[int]:
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
