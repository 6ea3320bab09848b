"""Large Word imports, parsed by a job; small ones are parsed in the request (limits.py decides)."""

from __future__ import annotations

import hashlib

from ..export import docx_import
from ..extensions import db
from ..jobs import PermanentFailure, enqueue, task
from ..limits import IMPORT_IN_JOB_BYTES
from ..models import Job, JointResponse, User
from .documents import store, stored

IMPORT_TASK = "import.parse"


def parses_in_job(data: bytes) -> bool:
    """Whether this upload is large enough to be parsed off the request."""
    return len(data) > IMPORT_IN_JOB_BYTES


def queue_import(response: JointResponse, user: User, data: bytes, filename: str) -> Job:
    """Keep the upload and queue its parsing (the same file twice: the same job)."""
    digest = hashlib.sha256(data).hexdigest()[:32]
    file_key = f"import:r{response.id}:{digest}"
    store(file_key + ":docx", data)
    return enqueue(IMPORT_TASK, file_key, filename, key=file_key,
                   cooperation_id=response.cooperation_id, created_by_id=user.id)


def import_job(response: JointResponse, job_id: int) -> Job | None:
    """The import job `job_id` if it is one of this response's."""
    job = db.session.get(Job, job_id)
    if job is None or job.task != IMPORT_TASK or not job.key.startswith(f"import:r{response.id}:"):
        return None
    return job


@task(IMPORT_TASK, attempts=2, timeout=300)
def parse(file_key: str, filename: str = "") -> dict:
    """The preview of the stored upload, or the reason it cannot be read (which is no failure)."""
    source = stored(file_key + ":docx")
    if source is None:
        raise PermanentFailure(f"Word-filen för {file_key} finns inte längre.")
    try:
        preview = docx_import.parse_docx(source.data)
    except docx_import.DocxImportError as error:
        return {"error": str(error)}
    return {"preview": preview.to_data()}
