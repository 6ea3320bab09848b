"""Convert .docx bytes to PDF with a headless LibreOffice (optional dependency).

A conversion costs LibreOffice a full core and a few hundred MB, and soffice now and then
crashes when several start at once on a busy machine. So every conversion first takes one of a
few machine-wide slots (file locks that every process honours: gunicorn workers, test workers),
runs with a private profile, and a crashed conversion is retried once with a fresh profile.

Read from the environment, so that every worker agrees:

- ``DRAFTING_SOFFICE``: the LibreOffice executable (default: ``soffice`` on the PATH);
- ``DRAFTING_PDF_PARALLEL``: conversions at once on this machine (default: half the cores, at
  least one);
- ``DRAFTING_PDF_LOCK_DIR``: where the slot locks live (default: a per-user folder in the
  system's temporary directory);
- ``DRAFTING_PDF_NICE``: how much lower than the web servers LibreOffice runs (default 10; 0 the
  same), so that a conversion takes the CPU that readers of pages leave.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_MAC_SOFFICE = "/Applications/LibreOffice.app/Contents/MacOS/soffice"
SOFFICE_ENV = "DRAFTING_SOFFICE"
PARALLEL_ENV = "DRAFTING_PDF_PARALLEL"
LOCK_DIR_ENV = "DRAFTING_PDF_LOCK_DIR"
NICE_ENV = "DRAFTING_PDF_NICE"
ATTEMPTS = 2  # the first run and one retry with a fresh profile
# For sending and archiving: PDF/A-2b, tagged with the structure PDF/UA asks for (headings,
# lists, tables, reading order, document title shown, language); fonts are embedded. LibreOffice
# takes the title and language from the .docx (core properties, default language sv-SE).
PDF_EXPORT_OPTIONS = {
    "SelectPdfVersion": {"type": "long", "value": "2"},  # PDF/A-2b
    "UseTaggedPDF": {"type": "boolean", "value": "true"},
    "PDFUACompliance": {"type": "boolean", "value": "true"},
    "ExportBookmarks": {"type": "boolean", "value": "true"},
    "ExportNotes": {"type": "boolean", "value": "false"},
}
PDF_FILTER = "pdf:writer_pdf_Export:" + json.dumps(PDF_EXPORT_OPTIONS, separators=(",", ":"))

log = logging.getLogger(__name__)


class PdfUnavailable(RuntimeError):
    """PDF cannot be produced here: LibreOffice is missing (or, via the subclass, failed)."""


class PdfConversionFailed(PdfUnavailable):
    """LibreOffice ran but produced no PDF (crash, timeout, busy or unreadable document)."""


class _AttemptFailed(Exception):
    """One soffice run ended without a PDF; a fresh profile may do better."""


def soffice_path() -> str | None:
    """Path of the LibreOffice executable, or None if it is not installed."""
    configured = os.environ.get(SOFFICE_ENV)
    if configured:
        found = shutil.which(configured)
        return found if found and os.access(found, os.X_OK) else None
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return _MAC_SOFFICE if os.access(_MAC_SOFFICE, os.X_OK) else None


def parallel_limit() -> int:
    """How many conversions may run at once on this machine."""
    value = os.environ.get(PARALLEL_ENV, "").strip()
    if value.isdigit() and int(value) >= 1:
        return min(int(value), 64)
    if value:
        log.warning("%s=%r is not a positive whole number; using the default", PARALLEL_ENV, value)
    return max(1, (os.cpu_count() or 2) // 2)


def lock_dir() -> Path:
    """Folder of the slot lock files shared by every process of this user."""
    configured = os.environ.get(LOCK_DIR_ENV)
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / f"yttrande-pdf-slots-{os.getuid()}"


@contextmanager
def conversion_slot(wait: float) -> Iterator[int]:
    """Hold one of the machine-wide conversion slots (its number) for the duration.

    flock locks belong to an open file, so threads of one process exclude each other as well as
    other processes, and a lock is released by the kernel when its holder dies.
    """
    limit = parallel_limit()
    folder = lock_dir()
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise _unusable(folder, error) from None
    deadline = time.monotonic() + max(0.0, wait)
    pause = 0.05
    while True:
        for slot in range(limit):
            try:
                fd = os.open(folder / f"slot-{slot}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as error:
                raise _unusable(folder, error) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            try:
                yield slot
            finally:
                os.close(fd)  # releases the lock
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PdfConversionFailed(
                f"PDF-konverteringen är upptagen: {limit} konverteringar pågår redan. "
                "Försök igen om en stund."
            )
        time.sleep(min(pause, remaining))  # waiting for another process: no event to wait on
        pause = min(pause * 2, 0.5)


def _unusable(folder: Path, error: OSError) -> PdfConversionFailed:
    return PdfConversionFailed(
        f"PDF-konverteringens låsmapp {folder} kan inte användas: {error.strerror}."
    )


def docx_to_pdf(data: bytes, timeout: float = 60, wait: float | None = None) -> bytes:
    """Convert a .docx to PDF; raises PdfUnavailable if LibreOffice is missing.

    `timeout` bounds each soffice run, `wait` the time spent queueing for a slot (default: as
    long as one conversion may take). A run that crashes, fails or writes no PDF is retried
    once with a fresh profile; a run that times out is not (it would most likely time out
    again, and the user would wait twice as long).
    """
    soffice = soffice_path()
    if soffice is None:
        configured = os.environ.get(SOFFICE_ENV)
        if configured:
            raise PdfUnavailable(
                f"{SOFFICE_ENV}={configured} är inte ett körbart program; PDF kan inte skapas."
            )
        raise PdfUnavailable("LibreOffice (soffice) är inte installerat; PDF kan inte skapas.")
    with conversion_slot(timeout if wait is None else wait):
        failures: list[str] = []
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return _convert_once(soffice, data, timeout)
            except _AttemptFailed as failure:
                failures.append(str(failure))
                log.warning("LibreOffice attempt %d of %d failed: %s", attempt, ATTEMPTS, failure)
    raise PdfConversionFailed(
        f"PDF-konverteringen misslyckades två gånger: LibreOffice {failures[-1]}"
    )


def _convert_once(soffice: str, data: bytes, timeout: float) -> bytes:
    """One soffice run in a fresh folder with a fresh profile."""
    with tempfile.TemporaryDirectory(prefix="yttrande-pdf-") as tmp:
        work = Path(tmp)
        source = work / "dokument.docx"
        source.write_bytes(data)
        # A private profile per run: concurrent soffice processes sharing one profile block on
        # its lock or silently hand the job to the first instance, and a crash can leave a
        # profile that makes the next start crash too.
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
            PDF_FILTER,
            "--outdir",
            str(work),
            str(source),
        ]
        command = _niced(command)
        env = {**os.environ, "HOME": tmp, "TMPDIR": tmp}
        with subprocess.Popen(
            command,
            cwd=tmp,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            # Its own process group, so a timeout kills its helpers too; but not its own
            # session: Linux schedules each session as one group (autogroup), so in a session
            # of its own LibreOffice would take a full share beside the whole web server,
            # whatever its nice value.
            process_group=0,
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
        detail = stderr.decode("utf-8", "replace").strip()[-500:]
        if process.returncode < 0:
            name = _signal_name(-process.returncode)
            raise _AttemptFailed(f"kraschade ({name}). {detail}".strip())
        if process.returncode != 0:
            raise _AttemptFailed(f"avslutades med felkod {process.returncode}. {detail}".strip())
        if not result.is_file() or result.stat().st_size == 0:
            raise _AttemptFailed(f"skrev ingen PDF. {detail}".strip())
        return result.read_bytes()


def _niced(command: list[str]) -> list[str]:
    """The command at a lower CPU priority (it and every helper it starts), if `nice` exists."""
    value = os.environ.get(NICE_ENV, "10").strip()
    nice = shutil.which("nice")
    if not value.isdigit() or int(value) == 0 or nice is None:
        return command
    return [nice, "-n", str(min(int(value), 19)), *command]


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


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
