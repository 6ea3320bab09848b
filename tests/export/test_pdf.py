"""PDF conversion through LibreOffice (skipped only when soffice is missing outside CI)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pypdf
import pytest

from drafting.export import pdf
from drafting.export.docx_builder import (
    DocSection,
    build_final_docx,
    build_review_copy_docx,
)
from drafting.export.pdf import PdfConversionFailed, PdfUnavailable, docx_to_pdf, soffice_path

from .test_docx_builder import comment, final_document, review_copy

pytestmark = pytest.mark.soffice

needs_soffice = pytest.mark.skipif(
    soffice_path() is None and not os.environ.get("CI"),
    reason="LibreOffice (soffice) is not installed",
)
WORKTREE = Path(__file__).resolve().parents[2]


def pdf_text(data: bytes) -> str:
    """The text of every page, as a PDF reader would copy it out."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


@pytest.fixture
def private_slots(monkeypatch, tmp_path) -> Path:
    """Slot locks of this test alone: fake converters must not queue behind real ones."""
    folder = tmp_path / "slots"
    monkeypatch.setenv(pdf.LOCK_DIR_ENV, str(folder))
    return folder


def fake_soffice(tmp_path: Path, body: str) -> Path:
    """A stand-in for soffice: a shell script that knows its --outdir and profile."""
    script = tmp_path / "soffice"
    script.write_text(
        "#!/bin/sh\n"
        'out=""; prev=""; profile=""\n'
        'for a in "$@"; do\n'
        '  [ "$prev" = "--outdir" ] && out="$a"\n'
        '  case "$a" in -env:UserInstallation=*) profile="${a#*=}";; esac\n'
        '  prev="$a"\n'
        "done\n"
        f'echo "$profile" >> {tmp_path / "profiles.log"}\n' + body
    )
    script.chmod(0o755)
    return script


WRITE_PDF = 'printf "%%PDF-1.4 fake\\n" > "$out/dokument.pdf"\n'


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
def test_final_review_copy_and_hostile_document_convert_in_parallel(monkeypatch):
    documents = {
        "final": (build_final_docx(final_document()), "Yttrande över Nationell plan"),
        "review": (
            build_review_copy_docx(review_copy([comment(0, "förslaget")])),
            "Yttrande över Nationell plan",
        ),
        "hostile": (hostile_document(), "Yttrande över hostilt innehåll"),
    }
    # Two slots: parallel runs prove each conversion has its own LibreOffice profile, and the
    # third must queue. The machine-wide lock folder is the real one, shared with whatever
    # else converts on this machine.
    monkeypatch.setenv(pdf.PARALLEL_ENV, "2")
    running, peak, guard = 0, 0, threading.Lock()
    convert_once = pdf._convert_once

    def counted(*args):
        nonlocal running, peak
        with guard:
            running += 1
            peak = max(peak, running)
        try:
            return convert_once(*args)
        finally:
            with guard:
                running -= 1

    monkeypatch.setattr(pdf, "_convert_once", counted)
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            name: pool.submit(docx_to_pdf, data, 240, 900) for name, (data, _) in documents.items()
        }
        results = {name: future.result() for name, future in futures.items()}
    assert 1 <= peak <= 2
    for name, data in results.items():
        assert data.startswith(b"%PDF"), name
        assert len(data) > 1000
        assert documents[name][1] in " ".join(pdf_text(data).split()), name


def test_missing_soffice_raises_pdf_unavailable(monkeypatch):
    monkeypatch.delenv(pdf.SOFFICE_ENV, raising=False)
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    monkeypatch.setattr(pdf, "_MAC_SOFFICE", "/nonexistent/soffice")
    assert soffice_path() is None
    with pytest.raises(PdfUnavailable, match="LibreOffice"):
        docx_to_pdf(b"PK")


def test_configured_soffice_is_used_and_a_wrong_one_is_named(monkeypatch, tmp_path, private_slots):
    fake = fake_soffice(tmp_path, WRITE_PDF)
    monkeypatch.setenv(pdf.SOFFICE_ENV, str(fake))
    assert soffice_path() == str(fake)
    assert docx_to_pdf(b"PK") == b"%PDF-1.4 fake\n"
    monkeypatch.setenv(pdf.SOFFICE_ENV, str(tmp_path / "saknas"))
    assert soffice_path() is None
    with pytest.raises(PdfUnavailable, match="DRAFTING_SOFFICE=.*saknas"):
        docx_to_pdf(b"PK")


def test_failed_conversion_raises_a_pdf_unavailable_subclass(monkeypatch, tmp_path, private_slots):
    fake = fake_soffice(tmp_path, "echo boom >&2\nexit 3\n")
    monkeypatch.setenv(pdf.SOFFICE_ENV, str(fake))
    with pytest.raises(PdfConversionFailed, match="misslyckades två gånger") as info:
        docx_to_pdf(b"PK")
    assert isinstance(info.value, PdfUnavailable)
    assert "felkod 3" in str(info.value) and "boom" in str(info.value)


def test_a_crash_is_retried_once_with_a_fresh_profile(monkeypatch, tmp_path, private_slots):
    marker = tmp_path / "crashed-once"
    # The first run dies of SIGSEGV, as soffice did under load; the second one works.
    fake = fake_soffice(
        tmp_path, f"if [ ! -e {marker} ]; then : > {marker}; kill -SEGV $$; fi\n{WRITE_PDF}"
    )
    monkeypatch.setenv(pdf.SOFFICE_ENV, str(fake))
    assert docx_to_pdf(b"PK") == b"%PDF-1.4 fake\n"
    profiles = (tmp_path / "profiles.log").read_text().split()
    assert len(profiles) == 2 and profiles[0] != profiles[1]
    assert not any(Path(profile.removeprefix("file://")).parent.exists() for profile in profiles)


@pytest.mark.parametrize(
    ("body", "reason"),
    [("kill -SEGV $$\n", "kraschade (SIGSEGV)"), ("exit 0\n", "skrev ingen PDF")],
)
def test_two_failures_give_up_with_a_swedish_message(
    monkeypatch, tmp_path, private_slots, body, reason
):
    monkeypatch.setenv(pdf.SOFFICE_ENV, str(fake_soffice(tmp_path, body)))
    monkeypatch.setenv(pdf.PARALLEL_ENV, "1")
    with pytest.raises(PdfConversionFailed) as info:
        docx_to_pdf(b"PK")
    assert str(info.value).startswith("PDF-konverteringen misslyckades två gånger")
    assert reason in str(info.value)
    assert len((tmp_path / "profiles.log").read_text().split()) == 2  # one retry, no more
    # The slot was given back: the only one is free again.
    with pdf.conversion_slot(wait=0) as slot:
        assert slot == 0


def test_conversions_beyond_the_bound_queue_in_every_process(monkeypatch, tmp_path, private_slots):
    monkeypatch.setenv(pdf.SOFFICE_ENV, str(fake_soffice(tmp_path, WRITE_PDF)))
    monkeypatch.setenv(pdf.PARALLEL_ENV, "2")
    convert = "from drafting.export.pdf import docx_to_pdf; docx_to_pdf(b'PK', wait=0)"
    child = [sys.executable, "-c", convert]
    with pdf.conversion_slot(wait=0) as first, pdf.conversion_slot(wait=0) as second:
        assert {first, second} == {0, 1}
        # Both slots are taken: a third conversion, in this process or another, must not start.
        with pytest.raises(PdfConversionFailed, match="upptagen: 2 konverteringar pågår"):
            docx_to_pdf(b"PK", wait=0)
        other = subprocess.run(child, cwd=WORKTREE, capture_output=True, text=True, timeout=120)
        assert other.returncode != 0 and "upptagen" in other.stderr
        assert not (tmp_path / "profiles.log").exists()  # soffice never ran
    assert docx_to_pdf(b"PK", wait=0) == b"%PDF-1.4 fake\n"
    done = subprocess.run(child, cwd=WORKTREE, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status  # an unreaped zombie is dead too


# Outside CI only: in CI a machine without /proc fails this test instead of hiding it.
@pytest.mark.skipif(not Path("/proc/self/status").exists() and not os.environ.get("CI"),
                    reason="needs /proc")
def test_timeout_kills_the_converter_and_its_children(monkeypatch, tmp_path, private_slots):
    pidfile, seen = tmp_path / "child.pid", tmp_path / "seen"
    # Like soffice -> soffice.bin: a helper child that outlives a plain kill of the parent.
    # It notes its own pid, process group, session and nice value (/proc/PID/stat fields).
    fake = fake_soffice(tmp_path, f"cut -d' ' -f1,5,6,19 /proc/$$/stat > {seen}\n"
                                  f"sleep 30 &\necho $! > {pidfile}\nwait\n")
    monkeypatch.setenv(pdf.SOFFICE_ENV, str(fake))
    with pytest.raises(PdfConversionFailed, match="avbröts"):
        docx_to_pdf(b"PK", timeout=1)
    # A run that used up its time is not retried: the user would only wait twice as long.
    assert len((tmp_path / "profiles.log").read_text().split()) == 1
    pid, group, session, nice = map(int, seen.read_text().split())
    # A process group of its own (the timeout kills it whole), but the worker's session: Linux
    # gives each session one share of the processor (autogroup), so a converter in a session of
    # its own would outweigh its lower priority.
    assert group == pid != os.getpgid(0)
    assert session == os.getsid(0)
    assert nice >= min(os.nice(0) + 1, 19)  # lower priority, unless already the lowest
    child = int(pidfile.read_text())
    deadline = datetime.now(UTC).timestamp() + 5
    while _alive(child) and datetime.now(UTC).timestamp() < deadline:
        time.sleep(0.05)  # the orphaned child is reaped by init, not by us
    assert not _alive(child)


ARABIC = "مرحبا بالعالم، هذا نص عربي"
HEBREW = "שלום עולם"
EMOJI = "😀🎉👍"


@needs_soffice
def test_arabic_and_emoji_reach_the_pdf_text():
    sections = (
        DocSection("ملخص", f"{ARABIC}.\n\n{HEBREW}\n\nSvenska med emoji {EMOJI} och {ARABIC}."),
    )
    data = build_final_docx(final_document(sections=sections))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode()
    arabic_paragraph = re.search(r"<w:p>(?:(?!</w:p>).)*" + ARABIC + r"\.<", body).group()
    assert "<w:bidi/>" in arabic_paragraph and "<w:rtl/>" in arabic_paragraph
    text = pdf_text(docx_to_pdf(data, 240, 900))
    # The reader may drop the spaces between Arabic words; every letter must be there.
    letters = set(text)
    assert set(ARABIC.replace(" ", "")) <= letters
    assert set(HEBREW.replace(" ", "")) <= letters
    assert set(EMOJI) <= letters, "emoji missing: is a font with emoji (Noto Color Emoji) installed?"
    assert "Yttrande över Nationell plan" in " ".join(text.split())
