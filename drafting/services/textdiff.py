# TEMPORARY placeholder until the real module lands (being written in parallel).
from dataclasses import dataclass
import difflib, re
from markupsafe import Markup, escape
@dataclass(frozen=True)
class DiffOp:
    kind: str
    text: str
@dataclass(frozen=True)
class SectionInput:
    key: int
    heading: str
    body: str
@dataclass(frozen=True)
class SectionChange:
    kind: str
    key: int
    old_heading: str | None
    new_heading: str | None
    old_index: int | None
    new_index: int | None
    heading_ops: list
    body_ops: list
def diff_words(old, new):
    a, b = re.findall(r"\w+|\s+|[^\w\s]", old), re.findall(r"\w+|\s+|[^\w\s]", new)
    ops = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal": ops.append(DiffOp("equal", "".join(a[i1:i2])))
        else:
            if i2 > i1: ops.append(DiffOp("delete", "".join(a[i1:i2])))
            if j2 > j1: ops.append(DiffOp("insert", "".join(b[j1:j2])))
    return ops
def diff_sections(old, new):
    o = {s.key: (i, s) for i, s in enumerate(old)}
    out = []
    for j, s in enumerate(new):
        if s.key in o:
            i, os_ = o[s.key]
            kind = "unchanged" if (os_.heading, os_.body) == (s.heading, s.body) else "changed"
            out.append(SectionChange(kind, s.key, os_.heading, s.heading, i, j, diff_words(os_.heading, s.heading), diff_words(os_.body, s.body)))
        else:
            out.append(SectionChange("added", s.key, None, s.heading, None, j, [DiffOp("insert", s.heading)], [DiffOp("insert", s.body)]))
    keys = {s.key for s in new}
    for i, s in enumerate(old):
        if s.key not in keys:
            out.append(SectionChange("removed", s.key, s.heading, None, i, None, [DiffOp("delete", s.heading)], [DiffOp("delete", s.body)]))
    return out
def summarize_changes(changes):
    return [f"{c.kind}: {c.new_heading or c.old_heading}" for c in changes if c.kind != "unchanged"]
def render_ops_html(ops):
    parts = []
    for op in ops:
        t = escape(op.text)
        parts.append(t if op.kind == "equal" else Markup(f"<ins>{t}</ins>") if op.kind == "insert" else Markup(f"<del>{t}</del>"))
    return Markup("").join(parts)
