"""The home round pages: one municipality's internal review of a response.

Every route answers 404 to anyone outside the user's own municipality's home round (the
coordinator and other municipalities included), so nothing of it can be found by guessing,
then asks the permission for the action (403, or 409 when the stage no longer allows it).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..export.assemble import cooperation_template, home_review_copy
from ..export.docx_builder import build_review_copy_docx
from ..export.filenames import export_filename
from ..extensions import db
from ..forms import HomeDeadlineForm, HomeReviewerForm, InternalCommentForm, LiftForm
from ..models import JointResponse
from ..permissions import Action, can, ensure
from ..services import home as home_service
from ..services.drafting import get_section
from ..services.errors import DomainError, NotFound
from ..services.queries import get_response
from .common import RefusedSubmission, commit, refuse
from .export import DOCX_MIMETYPE, _download

bp = Blueprint("home", __name__, url_prefix="/responses/<int:response_id>/home")


def _load(response_id: int, *, for_update: bool = False) -> JointResponse:
    """The response, if the user is inside their municipality's home round of it; else 404."""
    try:
        response = get_response(response_id, for_update=for_update)
    except NotFound:
        abort(404)
    if not can(current_user, Action.VIEW_HOME_ROUND, response):
        abort(404)
    return response


def _page(response: JointResponse, status: int = 200, refused: RefusedSubmission | None = None,
          **forms):
    view = home_service.home_round(response, current_user)
    comment_forms = {s.section_id: InternalCommentForm(prefix=f"s{s.section_id}")
                     for s in view.sections}
    comment_forms.update(forms.pop("comment_forms", {}))
    lift_forms = {c.id: LiftForm(prefix=f"lift{c.id}", body=c.body) for c in view.comments
                  if c.lifted_comment_id is None}
    lift_forms.update(forms.pop("lift_forms", {}))
    return render_template(
        "home/show.html", response=response, home=view,
        events=home_service.home_events(response, current_user),
        reviewer_form=forms.get("reviewer_form") or HomeReviewerForm(),
        deadline_form=forms.get("deadline_form") or HomeDeadlineForm(deadline=view.own_deadline),
        comment_forms=comment_forms, lift_forms=lift_forms, refused=refused,
    ), status


def _rerender(response_id: int, status: int, refused: RefusedSubmission | None = None, **forms):
    db.session.rollback()
    return _page(_load(response_id), status, refused, **forms)


def _back(response: JointResponse, anchor: str = ""):
    return redirect(url_for("home.show", response_id=response.id) + anchor)


@bp.route("")
@login_required
def show(response_id: int):
    return _page(_load(response_id))


@bp.post("/reviewers")
@login_required
def invite(response_id: int):
    response = _load(response_id, for_update=True)
    ensure(current_user, Action.MANAGE_HOME_ROUND, response)
    form = HomeReviewerForm()
    if not form.validate_on_submit():
        return _rerender(response_id, 400, reviewer_form=form)
    try:
        reviewer, created = home_service.invite_reviewer(
            response, current_user, form.email.data, form.name.data or "", form.title.data or "")
    except DomainError as error:
        return _rerender(response_id, error.status, refuse(form, error, "email"), reviewer_form=form)
    name = reviewer.user.name
    commit()
    flash(_("%(name)s är inbjuden och har fått ett e-postmeddelande med en länk för att välja "
            "lösenord.", name=name) if created else
          _("%(name)s är inbjuden till hemmaberedningen.", name=name), "success")
    return _back(response, "#reviewers-heading")


@bp.post("/deadline")
@login_required
def set_deadline(response_id: int):
    response = _load(response_id, for_update=True)
    ensure(current_user, Action.MANAGE_HOME_ROUND, response)
    form = HomeDeadlineForm()
    if not form.validate_on_submit():
        return _rerender(response_id, 400, deadline_form=form)
    try:
        home_service.set_deadline(response, current_user, form.deadline.data)
    except DomainError as error:
        return _rerender(response_id, error.status, refuse(form, error, "deadline"),
                         deadline_form=form)
    commit()
    flash(_("Den interna svarsdagen är sparad."), "success")
    return _back(response)


@bp.post("/sections/<int:section_id>/comments")
@login_required
def add_comment(response_id: int, section_id: int):
    response = _load(response_id, for_update=True)
    ensure(current_user, Action.COMMENT_IN_HOME_ROUND, response)
    section = get_section(response, section_id)
    form = InternalCommentForm(prefix=f"s{section.id}")
    if not form.validate_on_submit():
        return _rerender(response_id, 400, comment_forms={section.id: form})
    try:
        comment = home_service.add_internal_comment(response, current_user, section,
                                                    form.body.data, form.exact.data or "")
    except DomainError as error:
        return _rerender(response_id, error.status, refuse(form, error, "body"),
                         comment_forms={section_id: form})
    commit()
    flash(_("Din interna kommentar är sparad. Den syns bara inom kommunen."), "success")
    return _back(response, f"#internal-{comment.id}")


@bp.post("/comments/<int:internal_comment_id>/lift")
@login_required
def lift(response_id: int, internal_comment_id: int):
    response = _load(response_id, for_update=True)
    ensure(current_user, Action.MANAGE_HOME_ROUND, response)
    internal = home_service.get_internal_comment(response, current_user, internal_comment_id)
    form = LiftForm(prefix=f"lift{internal.id}")
    if not form.validate_on_submit():
        return _rerender(response_id, 400, lift_forms={internal_comment_id: form})
    try:
        home_service.lift(response, current_user, internal, form.body.data)
    except DomainError as error:
        return _rerender(response_id, error.status, refuse(form, error, "body"),
                         lift_forms={internal_comment_id: form})
    commit()
    flash(_("Synpunkten finns nu i den gemensamma diskussionen som en kommentar från %(municipality)s.",
            municipality=current_user.municipality.name), "success")
    return _back(response, f"#internal-{internal_comment_id}")


@bp.route("/review-copy.docx")
@login_required
def review_copy(response_id: int):
    response = _load(response_id)
    view = home_service.home_round(response, current_user, with_text=False)
    if view.version is None:
        raise NotFound(_("Det finns ingen publicerad version ännu."))
    municipality = current_user.municipality
    data = build_review_copy_docx(
        home_review_copy(response, view.version, municipality.name, view.comments),
        cooperation_template(response.cooperation_id))
    filename = export_filename(response.consultation.reference_number, municipality.name,
                               f"hemmaberedning v{view.version.number}")
    return _download(data, filename, DOCX_MIMETYPE)
