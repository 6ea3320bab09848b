"""Recording a municipality's position and a director's sign-off."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import PositionForm, SignOffForm
from ..ints import parse_int
from ..models import Decision
from ..services import review as review_service
from ..services.errors import DomainError
from .common import commit, load_response
from .responses import response_page_context

bp = Blueprint("review", __name__, url_prefix="/responses/<int:response_id>")


def _rerender(response_id: int, status: int, **forms):
    context = response_page_context(load_response(response_id))
    context.update(forms)
    return render_template("responses/show.html", **context), status


def _version_number(raw: str | None) -> int:
    return parse_int(raw or "", name="version_number")  # InvalidNumber: shown beside the form


@bp.post("/position")
@login_required
def record_position(response_id: int):
    response = load_response(response_id, for_update=True)
    form = PositionForm()
    if not form.validate_on_submit():
        return _rerender(response_id, 400, position_form=form)
    try:
        review_service.record_position(response, current_user, _version_number(form.version_number.data),
                                       Decision(form.decision.data), form.note.data or "")
    except DomainError as error:
        db.session.rollback()
        form.note.errors.append(error.message)
        return _rerender(response_id, error.status, position_form=form)
    commit()
    flash(_("Kommunens ställningstagande är registrerat."), "success")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/sign-off")
@login_required
def sign_off(response_id: int):
    response = load_response(response_id, for_update=True)
    form = SignOffForm()
    if not form.validate_on_submit():
        return _rerender(response_id, 400, sign_off_form=form)
    try:
        review_service.sign_off(response, current_user, _version_number(form.version_number.data),
                                review_service.SignOffInput(
                                    deciding_body=form.deciding_body.data,
                                    decision_date=form.decision_date.data,
                                    signatory_name=form.signatory_name.data,
                                    signatory_title=form.signatory_title.data,
                                    minutes_paragraph=form.minutes_paragraph.data or ""))
    except DomainError as error:
        db.session.rollback()
        form.signatory_name.errors.append(error.message)
        return _rerender(response_id, error.status, sign_off_form=form)
    commit()
    flash(_("Underskriften är registrerad."), "success")
    return redirect(url_for("responses.show", response_id=response.id))
