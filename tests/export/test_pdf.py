"""PDF conversion through LibreOffice (skipped only when soffice is missing outside CI)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drafting.export import pdf
from drafting.export.docx_builder import (
    DocSection,
    build_final_docx,
    build_review_copy_docx,
)
from drafting.export.pdf import PdfConversionFailed, PdfUnavailable, docx_to_pdf, soffice_path

from .test_docx_builder import comment, final_document, review_copy

needs_soffice = pytest.mark.skipif(
    soffice_path() is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) is not installed",
)


def pdf_text(data: bytes) -> str | None:
    """Text of a PDF via pdftotext, or None when poppler is not installed."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.pdf"
        path.write_bytes(data)
        return subprocess.run(
            [tool, "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
        ).stdout.decode("utf-8", "replace")


def hostile_document() -> bytes:
    nested = "\n".join("    " * i + f"- nivå{i}" for i in range(10))
    sections = (
        DocSection("Kontroll\x00tecken", "a\x00b\x01c\x0bd 😀 مرحبا بالعالم שלום עולם"),
        DocSection("Rå HTML", "<script>alert(1)</script>\n\n</body>efter"),
        DocSection("Trasig", "**unclosed\n\n" + "[[[[[" * 1000 + "\n\n" + "[a](" * 1000),
        DocSection("Nästlad", nested),
        DocSection("", ""),
        # 1 MB in one Markdown paragraph: split at 20,000 characters, LibreOffice copes.
        DocSection("Stor", "långt " * (1_000_000 // 6)),
    )
    return build_final_docx(
        final_document(title="Yttrande över hostilt innehåll", sections=sections)
    )


@needs_soffice
def test_final_review_copy_and_hostile_document_convert_in_parallel():
    documents = {
        "final": (build_final_docx(final_document()), "Yttrande över Nationell plan"),
        "review": (
            build_review_copy_docx(review_copy([comment(0, "förslaget")])),
            "Yttrande över Nationell plan",
        ),
        "hostile": (hostile_document(), "Yttrande över hostilt innehåll"),
    }
    # Parallel runs prove each conversion has its own LibreOffice profile.
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            name: pool.submit(docx_to_pdf, data, 240) for name, (data, _) in documents.items()
        }
        results = {name: future.result() for name, future in futures.items()}
    for name, data in results.items():
        assert data.startswith(b"%PDF"), name
        assert len(data) > 1000
        text = pdf_text(data)
        if text is not None:
            assert documents[name][1] in " ".join(text.split()), name


def test_missing_soffice_raises_pdf_unavailable(monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    monkeypatch.setattr(pdf, "_MAC_SOFFICE", "/nonexistent/soffice")
    assert soffice_path() is None
    with pytest.raises(PdfUnavailable, match="LibreOffice"):
        docx_to_pdf(b"PK")


def test_failed_conversion_raises_a_pdf_unavailable_subclass(monkeypatch, tmp_path):
    fake = tmp_path / "soffice"
    fake.write_text("#!/bin/sh\necho boom >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pdf, "soffice_path", lambda: str(fake))
    with pytest.raises(PdfConversionFailed, match="misslyckades") as info:
        docx_to_pdf(b"PK")
    assert isinstance(info.value, PdfUnavailable)
    assert "boom" in str(info.value)


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # an unreaped zombie is dead too


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_timeout_kills_the_converter_and_its_children(monkeypatch, tmp_path):
    fake = tmp_path / "soffice"
    pidfile = tmp_path / "child.pid"
    # Like soffice -> soffice.bin: a helper child that outlives a plain kill of the parent.
    fake.write_text(f"#!/bin/sh\nsleep 30 &\necho $! > {pidfile}\nwait\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pdf, "soffice_path", lambda: str(fake))
    started = datetime.now(UTC)
    with pytest.raises(PdfConversionFailed, match="avbröts"):
        docx_to_pdf(b"PK", timeout=1)
    assert (datetime.now(UTC) - started).total_seconds() < 10
    child = int(pidfile.read_text())
    deadline = datetime.now(UTC).timestamp() + 5
    while _alive(child) and datetime.now(UTC).timestamp() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
