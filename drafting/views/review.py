"""Recording a municipality's position and a director's sign-off."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import PositionForm, SignOffForm
from ..ints import InvalidNumber, parse_int
from ..models import Decision
from ..permissions import Action, ensure, ensure_role, ensure_stage, stage_allows
from ..services import review as review_service
from ..services.errors import DomainError
from ..services.fingerprint import version_fingerprint
from .common import RefusedSubmission, commit, load_response, refuse
from .responses import response_page_context

bp = Blueprint("review", __name__, url_prefix="/responses/<int:response_id>")


def _rerender(response_id: int, status: int, refused: RefusedSubmission | None = None, **forms):
    """The response page again, as it is now, with the submitted form and what was typed."""
    context = response_page_context(load_response(response_id))
    version = context["version"]
    for form in forms.values():
        # A refused form offered again must point at the version that is current now.
        form.version_number.data = version.number if version else ""
    context.update(forms, refused=refused)
    return render_template("responses/show.html", **context), status


def _version_number(raw: str | None, minimum: int = 1) -> int:
    # InvalidNumber: shown beside the form
    return parse_int(raw or "", name="version_number", minimum=minimum)


@bp.post("/position")
@login_required
def record_position(response_id: int):
    response = load_response(response_id, for_update=True)
    form = PositionForm()
    try:
        ensure(current_user, Action.RECORD_POSITION, response)
        if not form.validate_on_submit():
            db.session.rollback()
            return _rerender(response_id, 400, position_form=form)
        review_service.record_position(response, current_user, _version_number(form.version_number.data),
                                       Decision(form.decision.data), form.note.data or "")
    except DomainError as error:
        db.session.rollback()
        return _rerender(response_id, error.status, refuse(form, error, "note"), position_form=form)
    commit()
    flash(_("Kommunens ställningstagande är registrerat."), "success")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/sign-off")
@login_required
def sign_off(response_id: int):
    response = load_response(response_id, for_update=True)
    form = SignOffForm()
    try:
        ensure_role(current_user, Action.SIGN_OFF, response)
        if not stage_allows(Action.SIGN_OFF, response):
            # Signing is closed: say why (a stale tab names the new version) whatever was sent.
            try:
                sent_number = _version_number(form.version_number.data)
            except InvalidNumber:
                sent_number = None
            if sent_number is None:
                ensure_stage(Action.SIGN_OFF, response)
            else:
                review_service.ensure_signing_open(response, sent_number)
        if not form.validate_on_submit():
            db.session.rollback()
            return _rerender(response_id, 400, sign_off_form=form)
        data = review_service.SignOffInput(
            deciding_body=form.deciding_body.data, decision_date=form.decision_date.data,
            signatory_name=form.signatory_name.data, signatory_title=form.signatory_title.data,
            minutes_paragraph=form.minutes_paragraph.data or "")
        number = _version_number(form.version_number.data)
        if "edit" in request.form:  # back from the confirmation page, with what was typed
            db.session.rollback()
            return _rerender(response_id, 200, sign_off_form=form)
        if form.confirmed.data != "1":
            # First show exactly what will be signed; nothing is recorded yet.
            version = review_service.check_sign_off(response, current_user, number, data)
            db.session.rollback()
            return render_template("responses/confirm_sign_off.html", response=response,
                                   version=version, form=form, data=data,
                                   fingerprint=version_fingerprint(version))
        review_service.sign_off(response, current_user, number, data)
    except DomainError as error:
        db.session.rollback()
        return _rerender(response_id, error.status, refuse(form, error, "signatory_name"),
                         sign_off_form=form)
    commit()
    flash(_("Underskriften är registrerad."), "success")
    return redirect(url_for("responses.show", response_id=response.id))
