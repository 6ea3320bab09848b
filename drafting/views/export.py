"""Downloading Word and PDF documents, and starting a draft from a Word file."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from .. import jobs
from ..export import docx_import
from ..export.assemble import (
    cooperation_template,
    email_subject,
    final_document,
    is_final,
    review_copy,
)
from ..export.docx_builder import build_final_docx, build_review_copy_docx
from ..export.docx_import import DocxImportError, ImportPreview
from ..export.filenames import content_disposition, export_filename
from ..extensions import db
from ..forms import PublishForm, SectionForm, StructureForm
from ..ints import parse_int
from ..models import JobStatus, JointResponse, Version
from ..permissions import Action, ensure
from ..services import documents, imports
from ..services.audit import record_event
from ..services.drafting import (
    add_sections,
    ensure_room,
    prepare_texts,
    remove_section,
    working_sections,
)
from ..services.errors import Conflict, DomainError, InvalidInput, NotFound
from ..services.responses import set_document_fields
from .common import RefusedSubmission, commit, end_read, form_int, load_response

bp = Blueprint("export", __name__, url_prefix="/responses/<int:response_id>/export")

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _final(response: JointResponse) -> tuple[bytes, str, int | None]:
    document = final_document(response)
    data = build_final_docx(document, cooperation_template(response.cooperation_id))
    suffix = "" if is_final(response) else f"utkast v{document.version_number or 0}"
    filename = export_filename(response.consultation.reference_number, response.cooperation.name, suffix)
    return data, filename, document.version_number


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": content_disposition(filename)})


@bp.route("/")
@login_required
def options(response_id: int):
    return _options_page(load_response(response_id))


def _options_page(response: JointResponse, *, status: int = 200, typed_reference: str | None = None,
                  reference_error: str | None = None):
    versions = list(db.session.scalars(select(Version).where(Version.response_id == response.id)
                                       .order_by(Version.number.desc())))
    return render_template("export/options.html", response=response, versions=versions,
                           final=is_final(response), pdf_available=documents.pdf_possible(),
                           email_subject=email_subject(response),
                           our_reference=response.our_reference if typed_reference is None
                           else typed_reference, reference_error=reference_error), status


@bp.post("/our-reference")
@login_required
def set_our_reference(response_id: int):
    """The cooperation's own diarienummer, printed in the document's head."""
    response = load_response(response_id, for_update=True)
    try:
        ensure(current_user, Action.EDIT_DRAFT, response)  # permission before validation
        value = request.form.get("our_reference", "")
        if not value.strip():
            raise InvalidInput(_("Ange en beteckning."), field="our_reference")
        set_document_fields(response, current_user, our_reference=value)
    except DomainError as error:
        db.session.rollback()
        # The message on the field, the typed text kept in it.
        return _options_page(load_response(response_id), status=error.status,
                             typed_reference=request.form.get("our_reference", ""),
                             reference_error=error.message)
    commit()
    flash(_("Beteckningen är sparad."), "success")
    return redirect(url_for("export.options", response_id=response_id)), 303


@bp.route("/final.docx")
@login_required
def final_docx(response_id: int):
    response = load_response(response_id)
    ensure(current_user, Action.EXPORT, response)
    data, filename, version_number = _final(response)
    record_event("exported", current_user, response=response, version_number=version_number,
                 summary=_("Laddade ner %(file)s.", file=filename))
    commit()
    return _download(data, filename, DOCX_MIMETYPE)


@bp.route("/final.pdf")
@login_required
def final_pdf(response_id: int):
    """The PDF if it is stored already; otherwise its conversion is queued and a page waits for it."""
    response = load_response(response_id)
    ensure(current_user, Action.EXPORT, response)
    if not documents.pdf_possible():
        flash(_("PDF kan inte skapas på den här servern (LibreOffice saknas). Ladda ner Word-filen "
                "och spara som PDF i Word."), "error")
        return redirect(url_for("export.options", response_id=response.id)), 303
    key, job = documents.request_pdf(response, current_user, _pdf_filename(response))
    commit()
    if job is None:
        return _download(documents.stored(key).data, _pdf_filename(response), "application/pdf")
    return redirect(url_for("export.pdf_job", response_id=response.id, job_id=job.id)), 303


def _pdf_filename(response: JointResponse) -> str:
    version = final_document(response).version_number
    suffix = "" if is_final(response) else f"utkast v{version or 0}"
    name = export_filename(response.consultation.reference_number, response.cooperation.name, suffix)
    return name.rsplit(".", 1)[0] + ".pdf"


def _load_pdf_job(response_id: int, job_id: int):
    response = load_response(response_id)
    ensure(current_user, Action.EXPORT, response)
    job = documents.pdf_job(response, job_id)
    if job is None:
        raise NotFound(_("Det finns ingen sådan PDF."))
    return response, job


@bp.route("/pdf/<int:job_id>")
@login_required
def pdf_job(response_id: int, job_id: int):
    """'PDF skapas…' until the file is ready (refresh by hand, or static/jobs.js does it)."""
    response, job = _load_pdf_job(response_id, job_id)
    if documents.pdf_of(job) is not None:
        return redirect(url_for("export.pdf_file", response_id=response.id, job_id=job.id)), 303
    documents.remake_if_gone(job)  # done long ago, its file purged since: made again
    commit()
    return render_template("export/pdf_job.html", response=response, job=job,
                           failed=job.status == JobStatus.FAILED.value)


@bp.route("/pdf/<int:job_id>/status.json")
@login_required
def pdf_job_status(response_id: int, job_id: int):
    """The job's state for static/jobs.js."""
    response, job = _load_pdf_job(response_id, job_id)
    ready = documents.pdf_of(job) is not None
    return {"state": "done" if ready else
            JobStatus.QUEUED.value if job.status == JobStatus.DONE.value else job.status,
            "url": url_for("export.pdf_file", response_id=response.id, job_id=job.id) if ready
            else url_for("export.pdf_job", response_id=response.id, job_id=job.id),
            "message": _("PDF:en är klar.") if ready else
            _("PDF:en kunde inte skapas.") if job.status == JobStatus.FAILED.value else
            _("PDF skapas…")}


@bp.post("/pdf/<int:job_id>/retry")
@login_required
def pdf_retry(response_id: int, job_id: int):
    response, job = _load_pdf_job(response_id, job_id)
    if job.status == JobStatus.FAILED.value:
        jobs.retry(job)
        commit()
    return redirect(url_for("export.pdf_job", response_id=response.id, job_id=job.id)), 303


@bp.route("/pdf/<int:job_id>/file")
@login_required
def pdf_file(response_id: int, job_id: int):
    response, job = _load_pdf_job(response_id, job_id)
    file = documents.pdf_of(job)
    if file is None:
        return redirect(url_for("export.pdf_job", response_id=response.id, job_id=job.id)), 303
    filename = str(job.args[2]) if len(job.args) > 2 else _pdf_filename(response)
    return _download(file.data, filename, "application/pdf")


@bp.route("/versions/<int:number>/review-copy.docx")
@login_required
def review_copy_docx(response_id: int, number: int):
    response = load_response(response_id)
    ensure(current_user, Action.EXPORT, response)
    version = db.session.scalars(select(Version).where(
        Version.response_id == response.id, Version.number == number)).first()
    if version is None:
        raise NotFound(_("Versionen finns inte."))
    data = build_review_copy_docx(review_copy(response, version), cooperation_template(response.cooperation_id))
    filename = export_filename(response.consultation.reference_number, response.cooperation.name,
                               f"granskningsexemplar v{number}")
    record_event("exported", current_user, response=response, version_number=number,
                 summary=_("Laddade ner granskningsexemplar av version %(n)d.", n=number))
    commit()
    return _download(data, filename, DOCX_MIMETYPE)


def _import_failed(response: JointResponse, message: str, status: int = 400):
    """The draft page again, the message on the file field."""
    return render_template(
        "drafting/draft.html", response=response, sections=working_sections(response),
        add_form=SectionForm(prefix="new"), publish_form=PublishForm(),
        structure_form=StructureForm(expected_revision=response.revision),
        versions=list(db.session.scalars(select(Version).where(Version.response_id == response.id)
                                         .order_by(Version.number.desc()))),
        import_error=message,
    ), status


def _payloads() -> URLSafeSerializer:
    # Signed: what the coordinator previewed is exactly what is imported.
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="docx-import-preview")


def _preview_page(response: JointResponse, preview: ImportPreview, filename: str, *,
                  keep: frozenset[int], mode: str, apply: frozenset[str], expected_revision: int,
                  status: int = 200, refused: str | None = None):
    payload = _payloads().dumps({"response": response.id, "file": filename, "preview": preview.to_data()})
    return render_template(
        "export/import_preview.html", response=response, preview=preview, filename=filename,
        refused=RefusedSubmission(refused, ()) if refused else None,
        sections=preview.sections(keep), keep=keep, mode=mode, apply=apply, payload=payload,
        existing=len(working_sections(response)), expected_revision=expected_revision,
        remiss_fields=_remiss_fields(response, preview),
    ), status


def _remiss_fields(response: JointResponse, preview: ImportPreview) -> list[tuple[str, str, str, str]]:
    """(name, label, recognised value, current value) of each field the letter can fill in."""
    fields = preview.fields
    remiss = response.consultation
    candidates = [
        ("reference_number", _("Remissens diarienummer (Er beteckning)"), fields.reference,
         remiss.reference_number),
        ("sender", _("Remissens avsändare (remittent)"), fields.recipient, remiss.sender),
        ("our_reference", _("Vår beteckning"), fields.our_reference, response.our_reference),
    ]
    return [c for c in candidates if c[2] and c[2] != c[3]]


@bp.post("/import")
@login_required
def import_docx(response_id: int):
    """Read the Word file and show what the import would do; nothing is saved yet."""
    response = load_response(response_id)
    ensure(current_user, Action.EDIT_DRAFT, response)
    upload = request.files.get("document")
    if upload is None or not upload.filename:
        return _import_failed(response, _("Välj en Word-fil (.docx) att läsa in."))
    if not upload.filename.lower().endswith(".docx"):
        return _import_failed(response, _("Filen måste vara ett Word-dokument i formatet .docx."))
    filename, data = upload.filename, upload.read()
    if imports.parses_in_job(data):
        job = imports.queue_import(response, current_user, data, filename[-200:])
        commit()
        return redirect(url_for("export.import_job", response_id=response.id, job_id=job.id)), 303
    end_read()  # parsing and rendering take a while: no transaction (and no lock) meanwhile
    try:
        preview = docx_import.parse_docx(data)
    except DocxImportError as error:
        return _import_failed(response, str(error))
    return _parsed(response, preview, filename[-200:])


def _parsed(response: JointResponse, preview: ImportPreview, filename: str):
    """The first preview of a parsed Word file, or why it cannot be imported."""
    if not preview.sections(frozenset(range(len(preview.blocks)))):
        return _import_failed(response, _("Word-filen innehåller ingen text att läsa in."))
    try:
        ensure_room(0, len(preview.sections()))  # more sections than any draft may hold
    except DomainError as error:
        return _import_failed(response, error.message)
    mode = "append" if working_sections(response) else "replace"
    apply = frozenset(name for name, *_rest in _remiss_fields(response, preview))
    return _preview_page(response, preview, filename, keep=frozenset(), mode=mode,
                         apply=apply, expected_revision=response.revision)


def _load_import_job(response_id: int, job_id: int):
    response = load_response(response_id)
    ensure(current_user, Action.EDIT_DRAFT, response)
    job = imports.import_job(response, job_id)
    if job is None:
        raise NotFound(_("Det finns ingen sådan inläsning."))
    return response, job


@bp.route("/import/<int:job_id>")
@login_required
def import_job(response_id: int, job_id: int):
    """A large Word file is read by a job: this page waits for it, then shows the preview."""
    response, job = _load_import_job(response_id, job_id)
    if job.status == JobStatus.DONE.value:
        result = job.result or {}
        if "error" in result:
            return _import_failed(response, str(result["error"]))
        return _parsed(response, ImportPreview.from_data(result["preview"]), str(job.args[1]))
    if job.status == JobStatus.FAILED.value:
        return _import_failed(response, _("Word-filen kunde inte läsas in. Försök igen, eller "
                                          "be administratören titta på felet."), status=503)
    return render_template("export/import_job.html", response=response, job=job)


@bp.route("/import/<int:job_id>/status.json")
@login_required
def import_job_status(response_id: int, job_id: int):
    """The import job's state for static/jobs.js."""
    response, job = _load_import_job(response_id, job_id)
    return {"state": job.status,
            "url": url_for("export.import_job", response_id=response.id, job_id=job.id),
            "message": _("Word-filen läses in…")}


@bp.post("/import/preview")
@login_required
def import_preview(response_id: int):
    """Change the split level or what is kept (action=refresh), or import (action=import)."""
    response = load_response(response_id)
    ensure(current_user, Action.EDIT_DRAFT, response)
    try:
        data = _payloads().loads(request.form.get("payload", ""))
        if data["response"] != response.id:
            raise ValueError("another response")
        preview = ImportPreview.from_data(data["preview"])
        filename = str(data["file"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return _import_failed(response, _("Förhandsvisningen kunde inte läsas. Läs in Word-filen igen."))
    level = request.form.get("split_level", "")
    if level:
        preview = preview.with_split_level(parse_int(level, name="split_level", minimum=1, maximum=6))
    keep = frozenset(parse_int(index, name="keep", minimum=0, maximum=len(preview.blocks))
                     for index in request.form.getlist("keep"))
    mode = "replace" if request.form.get("mode") == "replace" else "append"
    apply = frozenset(request.form.getlist("apply"))
    expected_revision = form_int("expected_revision")
    if request.form.get("action") != "import":
        return _preview_page(response, preview, filename, keep=keep, mode=mode, apply=apply,
                             expected_revision=expected_revision)
    sections = preview.sections(keep)
    if not sections:
        return _preview_page(response, preview, filename, keep=keep, mode=mode, apply=apply,
                             expected_revision=expected_revision, status=400,
                             refused=_("Inga avsnitt blir kvar att läsa in. Behåll någon del eller "
                                       "välj en annan rubriknivå."))
    # Only the draft's first section may be without a heading.
    first_is_free = mode == "replace" or not working_sections(response)
    end_read()  # rendering takes a while: no transaction (and no lock) meanwhile
    try:
        texts = prepare_texts([
            (s.heading or ("" if first_is_free and i == 0 else _("Inledande stycke")), s.body)
            for i, s in enumerate(sections)
        ])
    except DomainError as error:
        return _preview_page(load_response(response_id), preview, filename, keep=keep, mode=mode,
                             apply=apply, expected_revision=expected_revision, status=error.status,
                             refused=error.message)
    response = load_response(response_id, for_update=True)
    try:
        ensure(current_user, Action.EDIT_DRAFT, response)
        if response.revision != expected_revision:
            raise Conflict(_("Utkastet har ändrats sedan du läste in filen. Kontrollera förhandsvisningen "
                             "och läs in igen."))
        removed = 0
        if mode == "replace":
            for section in working_sections(response):
                remove_section(section, current_user, response.revision)
                removed += 1
        fields = {name: value for name, _label, value, _current in _remiss_fields(response, preview)
                  if name in apply}
        set_document_fields(response, current_user, **fields)
        add_sections(response, current_user, texts)
    except DomainError as error:
        db.session.rollback()
        return _preview_page(load_response(response_id), preview, filename, keep=keep, mode=mode,
                             apply=apply, expected_revision=load_response(response_id).revision,
                             status=error.status, refused=error.message)
    record_event("draft_imported", current_user, response=response,
                 summary=_("Läste in %(n)d avsnitt från %(file)s.", n=len(texts), file=filename),
                 details={"replaced": removed, "kept_front_matter": sorted(keep)})
    commit()
    flash(_("%(n)d avsnitt lästes in från Word-filen.", n=len(texts)), "success")
    return redirect(url_for("drafting.draft", response_id=response.id))
