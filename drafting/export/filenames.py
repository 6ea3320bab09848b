"""Download file names that are safe on Windows, macOS and Linux, and their HTTP header."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

MAX_CHARS = 150
MAX_UTF8_BYTES = 240  # most file systems cap a name at 255 bytes
DEFAULT_STEM = "Yttrande"

_FORBIDDEN = re.compile(r'[/\\:*?"<>|]')
_WINDOWS_RESERVED = re.compile(
    r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$", re.IGNORECASE
)
# Letters NFKD does not reduce to ASCII.
_TRANSLITERATE = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "Ð": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
        "–": "-",
        "—": "-",
        "‘": "'",
        "’": "'",
        "“": "",
        "”": "",
        "„": "",
        "«": "",
        "»": "",
        "§": "S",
        "€": "EUR",
    }
)
_RFC5987_SAFE = "!#$&+-.^_`|~"


def _clean(text: str) -> str:
    """Drop control/format characters, replace path and shell-hostile ones, squeeze spaces."""
    text = unicodedata.normalize("NFC", text or "")
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            # Cf includes right-to-left overrides that can disguise an extension.
            out.append(" " if ch in "\t\n\r\x0b\x0c" else "")
        elif category == "Zs":
            out.append(" ")
        else:
            out.append(ch)
    text = _FORBIDDEN.sub("-", "".join(out))
    return re.sub(r"\s+", " ", text).strip()


def _truncate(text: str, max_chars: int, max_bytes: int) -> str:
    text = text[:max_chars]
    while len(text.encode("utf-8")) > max_bytes:
        text = text[:-1]
    return text


def export_filename(
    reference_number: str, cooperation_name: str, suffix: str = "", ext: str = "docx"
) -> str:
    """E.g. "Yttrande I2024-01234 MalmöLundregionen.docx"; safe on every common OS."""
    extension = re.sub(r"[^A-Za-z0-9]", "", ext or "")[:10].lower() or "docx"
    parts = [DEFAULT_STEM, _clean(reference_number), _clean(cooperation_name), _clean(suffix)]
    stem = " ".join(part for part in parts if part)
    budget_chars = MAX_CHARS - len(extension) - 1
    stem = _truncate(stem, budget_chars, MAX_UTF8_BYTES - len(extension) - 1)
    stem = stem.rstrip(" .").lstrip(" .-") or DEFAULT_STEM
    if _WINDOWS_RESERVED.match(stem.split(".")[0].strip()):
        stem = f"_{stem}"
    return f"{stem}.{extension}"


def ascii_fallback(filename: str) -> str:
    """ASCII-only version of a file name: å->a, ä->a, ö->o, other symbols dropped."""
    text = _clean(filename).translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = re.sub(r'["\\%;]', "", text)  # quoting and percent-decoding trouble in old clients
    text = re.sub(r"[^\x20-\x7e]", "", text)
    text = re.sub(r"\s+", " ", text).strip(" .")
    if not text or text.startswith("."):
        extension = filename.rsplit(".", 1)[-1] if "." in filename else "docx"
        extension = re.sub(r"[^A-Za-z0-9]", "", extension)[:10] or "docx"
        text = f"yttrande.{extension}"
    return text


def content_disposition(filename: str) -> str:
    """An attachment header with an ASCII fallback name and the exact UTF-8 name (RFC 6266)."""
    cleaned = _clean(filename) or "yttrande.docx"
    encoded = quote(cleaned.encode("utf-8"), safe=_RFC5987_SAFE)
    return f"attachment; filename=\"{ascii_fallback(cleaned)}\"; filename*=UTF-8''{encoded}"
