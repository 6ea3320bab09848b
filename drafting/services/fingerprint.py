"""The text fingerprint: the one definition of "the identical text" (likalydande).

Every municipality decides on the same consensus version; its fingerprint, the SHA-256 of a
canonical form of the text, lets each of them show that the text in its own decision basis, its
sign-off and the final yttrande is the same. The canonical form:

- sections in their order, each as its heading, an empty line and its Markdown source;
- every piece normalised to Unicode NFC, line ends \\r\\n and \\r made \\n, trailing whitespace
  stripped from every line, empty lines at the start and end of a body dropped, and the
  heading's runs of whitespace made one space;
- sections joined by a fixed separator line, the whole prefixed with the form's name, so a
  later change of form can never be mistaken for a change of text.

Nothing else (who published it, when, its number) is part of it: two versions with the same
text have the same fingerprint.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

CANONICAL_FORM = "yttrande-text-v1"
SECTION_SEPARATOR = "\n\u241e\n"  # a line holding only SYMBOL FOR RECORD SEPARATOR
SHORT_GROUPS = 4  # the short form: the first four groups of four hex digits
_WHITESPACE = re.compile(r"\s+")


def _lines(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def canonical_text(sections: Iterable[tuple[str, str]]) -> str:
    """The canonical form of a text given as (heading, Markdown body) pairs in order."""
    parts = []
    for heading, body in sections:
        heading = _WHITESPACE.sub(" ", unicodedata.normalize("NFC", heading)).strip()
        parts.append(f"{heading}\n\n{_lines(body)}")
    return CANONICAL_FORM + "\n" + SECTION_SEPARATOR.join(parts)


def text_fingerprint(sections: Iterable[tuple[str, str]]) -> str:
    """SHA-256 (64 lowercase hex digits) of the canonical form of the text."""
    return hashlib.sha256(canonical_text(sections).encode("utf-8")).hexdigest()


def version_fingerprint(version) -> str:
    """The fingerprint of a published version's text (its sections, in order)."""
    ordered = sorted(version.sections, key=lambda s: s.sort_order)
    return text_fingerprint((s.heading, s.body) for s in ordered)


def short_fingerprint(fingerprint: str) -> str:
    """The short form people compare by eye: "3f2a 9c01 77de 0b45"."""
    digits = fingerprint[: 4 * SHORT_GROUPS]
    return " ".join(digits[i:i + 4] for i in range(0, len(digits), 4))
