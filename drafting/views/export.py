"""Downloading Word and PDF documents, and starting a draft from a Word file."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..export.assemble import cooperation_template, final_document, is_final, review_copy
from ..export.docx_builder import build_final_docx, build_review_copy_docx
from ..export.filenames import content_disposition, export_filename
from ..export.pdf import PdfConversionFailed, PdfUnavailable, docx_to_pdf, soffice_path
from ..extensions import db
from ..models import JointResponse, Version
from ..permissions import Action, ensure
from ..services.audit import record_event
from ..services.errors import DomainError, NotFound
from .common import commit, end_read, load_response

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
    response = load_response(response_id)
    versions = list(db.session.scalars(select(Version).where(Version.response_id == response.id)
                                       .order_by(Version.number.desc())))
    return render_template("export/options.html", response=response, versions=versions,
                           final=is_final(response), pdf_available=soffice_path() is not None)


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
    response = load_response(response_id)
    ensure(current_user, Action.EXPORT, response)
    data, filename, _version = _final(response)
    try:
        pdf = docx_to_pdf(data)
    except PdfConversionFailed:
        flash(_("PDF-konverteringen misslyckades just nu. Ladda ner Word-filen och försök igen senare."),
              "error")
        return redirect(url_for("export.options", response_id=response.id)), 303
    except PdfUnavailable:
        flash(_("PDF kan inte skapas på den här servern (LibreOffice saknas). Ladda ner Word-filen "
                "och spara som PDF i Word."), "error")
        return redirect(url_for("export.options", response_id=response.id)), 303
    return _download(pdf, filename.rsplit(".", 1)[0] + ".pdf", "application/pdf")


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


def _import_failed(response: JointResponse, message: str):
    from ..forms import PublishForm, SectionForm, StructureForm
    from ..services.drafting import working_sections

    flash(message, "error")
    return render_template(
        "drafting/draft.html", response=response, sections=working_sections(response),
        add_form=SectionForm(prefix="new"), publish_form=PublishForm(),
        structure_form=StructureForm(expected_revision=response.revision),
        versions=list(db.session.scalars(select(Version).where(Version.response_id == response.id)
                                         .order_by(Version.number.desc()))),
    ), 400


@bp.post("/import")
@login_required
def import_docx(response_id: int):
    from ..export.docx_import import DocxImportError, import_sections
    from ..services.drafting import add_sections, prepare_texts, working_sections

    response = load_response(response_id)
    ensure(current_user, Action.EDIT_DRAFT, response)
    upload = request.files.get("document")
    if upload is None or not upload.filename:
        return _import_failed(response, _("Välj en Word-fil (.docx) att läsa in."))
    if not upload.filename.lower().endswith(".docx"):
        return _import_failed(response, _("Filen måste vara ett Word-dokument i formatet .docx."))
    filename, data = upload.filename, upload.read()
    end_read()  # parsing and rendering take a while: no transaction (and no lock) meanwhile
    try:
        # Section headings are Heading 1 and their Markdown '#' exports as Heading 2: round-trip.
        sections = import_sections(data, subheading_level=1)
        texts = prepare_texts([(heading or _("Utan rubrik"), body) for heading, body in sections])
    except DocxImportError as error:
        return _import_failed(response, str(error))
    except DomainError as error:
        return _import_failed(response, error.message)
    if not texts:
        return _import_failed(response, _("Word-filen innehåller ingen text att läsa in."))
    response = load_response(response_id, for_update=True)
    had_sections = bool(working_sections(response))
    try:
        add_sections(response, current_user, texts)
    except DomainError as error:
        db.session.rollback()
        return _import_failed(load_response(response_id), error.message)
    record_event("draft_imported", current_user, response=response,
                 summary=_("Läste in %(n)d avsnitt från %(file)s.", n=len(texts), file=filename))
    commit()
    if had_sections:
        flash(_("Utkastet hade redan avsnitt; de inlästa avsnitten ligger sist."), "info")
    flash(_("%(n)d avsnitt lästes in från Word-filen.", n=len(texts)), "success")
    return redirect(url_for("drafting.draft", response_id=response.id))
