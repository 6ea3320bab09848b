"""Convert .docx bytes to PDF with a headless LibreOffice (optional dependency)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

_MAC_SOFFICE = "/Applications/LibreOffice.app/Contents/MacOS/soffice"


class PdfUnavailable(RuntimeError):
    """PDF cannot be produced here: LibreOffice is missing (or, via the subclass, failed)."""


class PdfConversionFailed(PdfUnavailable):
    """LibreOffice ran but produced no PDF (crash, timeout or unreadable document)."""


def soffice_path() -> str | None:
    """Path of the LibreOffice executable, or None if it is not installed."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return _MAC_SOFFICE if os.access(_MAC_SOFFICE, os.X_OK) else None


def docx_to_pdf(data: bytes, timeout: float = 60) -> bytes:
    """Convert a .docx to PDF; raises PdfUnavailable if LibreOffice is missing."""
    soffice = soffice_path()
    if soffice is None:
        raise PdfUnavailable("LibreOffice (soffice) är inte installerat; PDF kan inte skapas.")
    with tempfile.TemporaryDirectory(prefix="yttrande-pdf-") as tmp:
        work = Path(tmp)
        source = work / "dokument.docx"
        source.write_bytes(data)
        # A private profile per conversion: concurrent soffice processes sharing one profile
        # block on its lock or silently hand the job to the first instance.
        profile = (work / "profile").as_uri()
        command = [
            soffice,
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--nologo",
            f"-env:UserInstallation={profile}",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(work),
            str(source),
        ]
        env = {**os.environ, "HOME": tmp, "TMPDIR": tmp}
        with subprocess.Popen(
            command,
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # own group: timeout kills helpers too
        ) as process:
            try:
                _, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(process)
                raise PdfConversionFailed(
                    f"PDF-konverteringen tog längre än {timeout:g} sekunder och avbröts."
                ) from None
            finally:
                if process.poll() is None:
                    _kill_group(process)
        result = work / "dokument.pdf"
        if process.returncode != 0 or not result.is_file():
            detail = stderr.decode("utf-8", "replace").strip()[-500:]
            raise PdfConversionFailed(f"PDF-konverteringen misslyckades. {detail}".strip())
        return result.read_bytes()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the converter and every helper it started (they share its process group)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.communicate(timeout=5)  # reap it and drain/close the pipes
    except subprocess.TimeoutExpired:
        process.kill()
