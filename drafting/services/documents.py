"""Documents made by jobs: the PDF of a response, stored once per version, kind, template and language."""

from __future__ import annotations

import hashlib

from flask_babel import force_locale, get_locale
from sqlalchemy import select

from ..database import insert_unless_taken
from ..export import pdf
from ..export.assemble import cooperation_template, final_document, is_final
from ..export.docx_builder import build_final_docx
from ..extensions import db
from ..jobs import PermanentFailure, RqBackend, backend, enqueue, retry, task
from ..models import Job, JobStatus, JointResponse, StoredFile, User

PDF_ATTEMPTS = 2  # a conversion (or its worker) that crashed is run once more; pdf.py retries inside too


def pdf_key(response: JointResponse) -> str:
    """The key of the response's PDF as it stands (cheap: no Word file is built for it).

    Keyed by version, kind (final or draft), template and language, and by a digest of the
    document itself, so that anything printed in it (a formal name, a reference) makes a new key.
    """
    document = final_document(response)
    template = cooperation_template(response.cooperation_id)
    kind = "final" if is_final(response) else "draft"
    template_digest = hashlib.sha256(template or b"").hexdigest()[:10]
    content = hashlib.sha256(repr(document).encode("utf-8")).hexdigest()[:16]
    return (f"pdf:r{response.id}:v{document.version_number or 0}:{kind}:t{template_digest}:"
            f"{get_locale() or 'sv'}:{content}")


def pdf_possible() -> bool:
    """Whether PDFs can be made: LibreOffice here, or workers elsewhere (with Redis) that have it."""
    return isinstance(backend(), RqBackend) or pdf.soffice_path() is not None


def stored(key: str) -> StoredFile | None:
    return db.session.scalar(select(StoredFile).where(StoredFile.key == key))


def store(key: str, data: bytes) -> None:
    """Keep `data` under `key` (written once: a second writer of the same key changes nothing)."""
    # Read first: the bytes are large, and a file asked for again is most often there already.
    if db.session.scalar(select(StoredFile.id).where(StoredFile.key == key)) is not None:
        return
    insert_unless_taken(StoredFile, key=key, data=data, size=len(data))


def request_pdf(response: JointResponse, user: User, filename: str) -> tuple[str, Job | None]:
    """The PDF's key and, unless it is already stored, the job that makes it (queued on commit)."""
    key = pdf_key(response)
    if stored(key) is not None:
        return key, None
    job = enqueue("pdf.convert", response.id, str(get_locale() or "sv"), filename, key=key,
                  cooperation_id=response.cooperation_id, created_by_id=user.id)
    remake_if_gone(job)
    return key, job


def remake_if_gone(job: Job) -> None:
    """A finished job whose PDF is gone (purged after JOBS_KEEP_DAYS) runs again, after commit."""
    if job.status == JobStatus.DONE.value and pdf_of(job) is None:
        retry(job)


def pdf_of(job: Job) -> StoredFile | None:
    """The PDF a finished job stored (under the key the document had when the job ran)."""
    if job.status != JobStatus.DONE.value:
        return None
    return stored((job.result or {}).get("key") or job.key)


def pdf_job(response: JointResponse, job_id: int) -> Job | None:
    """The PDF job `job_id` if it is one of this response's."""
    job = db.session.get(Job, job_id)
    if job is None or job.task != "pdf.convert" or not job.key.startswith(f"pdf:r{response.id}:"):
        return None
    return job


@task("pdf.convert", attempts=PDF_ATTEMPTS, timeout=600)
def convert(response_id: int, language: str, filename: str = "") -> dict:
    """Build the response's Word file, convert it to PDF and store it; nothing if it is stored."""
    response = db.session.get(JointResponse, response_id)
    if response is None:
        raise PermanentFailure(f"Yttrande {response_id} finns inte längre.")
    with force_locale(language):
        key = pdf_key(response)
        if stored(key) is not None:
            return {"key": key}
        data = build_final_docx(final_document(response),
                                cooperation_template(response.cooperation_id))
    db.session.commit()  # no transaction while LibreOffice works
    try:
        result = pdf.docx_to_pdf(data)
    except pdf.PdfConversionFailed:
        raise
    except pdf.PdfUnavailable as error:
        raise PermanentFailure(str(error)) from error
    store(key, result)
    return {"key": key, "size": len(result)}
