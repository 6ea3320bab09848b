"""Downloading the Word document."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import current_user, login_required

from ..export.assemble import cooperation_template, final_document, is_final
from ..export.docx_builder import build_final_docx
from ..export.filenames import content_disposition, export_filename
from ..permissions import Action, ensure
from ..services.audit import record_event
from .common import commit, load_response

bp = Blueprint("export", __name__, url_prefix="/responses/<int:response_id>/export")

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.route("/final.docx")
@login_required
def final_docx(response_id: int):
    response = load_response(response_id)
    ensure(current_user, Action.EXPORT, response)
    document = final_document(response)
    data = build_final_docx(document, cooperation_template(response.cooperation_id))
    suffix = "" if is_final(response) else f"utkast v{document.version_number or 0}"
    filename = export_filename(response.consultation.reference_number, response.cooperation.name, suffix)
    record_event("exported", current_user, response=response, version_number=document.version_number,
                 summary=f"Word: {filename}")
    commit()
    return Response(data, mimetype=DOCX_MIMETYPE,
                    headers={"Content-Disposition": content_disposition(filename)})
