"""Dashboard, opening a response, the response page, participation, stages and audit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..csv_export import csv_download
from ..extensions import db
from ..forms import (
    AnswerInvitationForm,
    CommentForm,
    InviteForm,
    PositionForm,
    ReasonForm,
    ResponseForm,
    SentForm,
    SignOffForm,
    choices,
)
from ..models import (
    AuditEvent,
    Cooperation,
    CooperationRole,
    FocusArea,
    JointResponse,
    Participation,
    ParticipationStatus,
    Position,
    SignOff,
    Stage,
)
from ..permissions import Action, CooperationAction, can, ensure, ensure_in_cooperation
from ..services import consensus, stages
from ..services import responses as response_service
from ..services.comments import comment_threads
from ..services.drafting import has_unpublished_changes, reader_sections
from ..services.errors import DomainError
from ..services.queries import latest_version
from ..templating import FOCUS_AREA_LABELS
from .common import commit, load_response, query_int

EDITABLE = {s.value for s in stages.EDITABLE_STAGES}

bp = Blueprint("responses", __name__)


def my_cooperations() -> list[Cooperation]:
    if current_user.is_system_admin:
        return list(db.session.scalars(select(Cooperation).order_by(Cooperation.name)))
    return list(db.session.scalars(
        select(Cooperation).join(CooperationRole, CooperationRole.cooperation_id == Cooperation.id)
        .where(CooperationRole.user_id == current_user.id).order_by(Cooperation.name)
    ))


@bp.route("/")
@login_required
def dashboard():
    cooperations = my_cooperations()
    ids = [c.id for c in cooperations if current_user.role_in(c.id)]
    responses = list(db.session.scalars(
        select(JointResponse)
        .options(selectinload(JointResponse.participations).selectinload(Participation.municipality),
                 selectinload(JointResponse.consultation))
        .where(JointResponse.cooperation_id.in_(ids))
        .order_by(JointResponse.id.desc())
    ))
    rows = []
    for response in responses:
        status = consensus.current_status(response)
        missing = stages.missing_signatures(response) if response.stage == Stage.CONSENSUS else []
        invited = [p.municipality.name for p in response.participations
                   if p.status == ParticipationStatus.INVITED]
        mine = next((p for p in response.participations
                     if p.municipality_id == current_user.municipality_id), None)
        rows.append({"response": response, "status": status, "missing_signatures": missing,
                     "unanswered_invitations": invited, "mine": mine})
    active = [r for r in rows if r["response"].stage not in (Stage.SENT, Stage.WITHDRAWN)]
    closed = [r for r in rows if r["response"].stage in (Stage.SENT, Stage.WITHDRAWN)]
    return render_template("responses/dashboard.html", active=active, closed=closed,
                           cooperations=cooperations)


def _response_form(cooperation: Cooperation) -> ResponseForm:
    form = ResponseForm()
    form.focus_area.choices = choices((area.value, FOCUS_AREA_LABELS[area.value]) for area in FocusArea)
    return form


@bp.route("/cooperations/<int:cooperation_id>/responses/new", methods=["GET", "POST"])
@login_required
def new_response(cooperation_id: int):
    cooperation = db.session.get(Cooperation, cooperation_id) or abort(404)
    ensure_in_cooperation(current_user, CooperationAction.OPEN_RESPONSE, cooperation)
    form = _response_form(cooperation)
    if form.validate_on_submit():
        try:
            response = response_service.open_response(
                cooperation, current_user,
                response_service.ConsultationInput(
                    sender=form.sender.data, reference_number=form.reference_number.data,
                    title=form.consultation_title.data, deadline=form.deadline.data,
                    received_on=form.received_on.data, url=form.url.data or "",
                ),
                FocusArea(form.focus_area.data), form.title.data,
            )
        except DomainError as error:
            flash(error.message, "error")
            return render_template("responses/new.html", form=form, cooperation=cooperation), error.status
        commit()
        flash(_("Yttrandet är öppnat. Bjud in kommunerna och skriv utkastet."), "success")
        return redirect(url_for("responses.show", response_id=response.id))
    status = 400 if form.errors else 200
    return render_template("responses/new.html", form=form, cooperation=cooperation), status


def response_page_context(response: JointResponse) -> dict:
    """Everything the response page shows, in a fixed number of queries."""
    version = latest_version(response)
    sections = reader_sections(response, version)
    municipality_filter = query_int("municipality", None)
    comment_state = request.args.get("comments") if request.args.get("comments") in ("open", "resolved") else None
    threads = comment_threads(response, municipality_id=municipality_filter, state=comment_state)
    status = consensus.current_status(response, version)
    positions = {}
    if version is not None:
        for position in db.session.scalars(select(Position).where(
                Position.version_id == version.id, Position.is_current.is_(True))):
            positions[position.municipality_id] = position
    signoffs = {s.municipality_id: s for s in db.session.scalars(
        select(SignOff).where(SignOff.response_id == response.id))}
    mine = next((p for p in response.participations
                 if p.municipality_id == current_user.municipality_id), None)
    position_form = PositionForm(version_number=version.number if version else "")
    my_position = positions.get(current_user.municipality_id)
    sign_off_form = SignOffForm(version_number=version.number if version else "",
                                signatory_name=current_user.name,
                                signatory_title=current_user.title or "", decision_date=None)
    return {
        "response": response, "version": version, "sections": sections, "threads": threads,
        "status": status, "positions": positions, "signoffs": signoffs, "mine": mine,
        "my_position": my_position, "position_form": position_form,
        "sign_off_form": sign_off_form, "comment_form": CommentForm(),
        "answer_form": AnswerInvitationForm(),
        "step_aside_form": ReasonForm(prefix="aside"), "withdraw_form": ReasonForm(prefix="withdraw"),
        "invite_form": _invite_form(response),
        "missing_signatures": stages.missing_signatures(response),
        "unpublished": (can(current_user, Action.EDIT_DRAFT, response)
                        and has_unpublished_changes(response, version)),
        "participations": sorted(response.participations, key=lambda p: p.municipality.name),
        "municipality_filter": municipality_filter, "comment_state": comment_state,
        "sent_form": SentForm(),
        # Decided once per page, not once per comment.
        "may_comment": can(current_user, Action.COMMENT, response) and response.stage in EDITABLE,
        "may_decide": can(current_user, Action.DECIDE_SUGGESTION, response) and response.stage in EDITABLE,
        "csrf": generate_csrf(),
    }


def _invite_form(response: JointResponse) -> InviteForm:
    form = InviteForm()
    invited = {p.municipality_id for p in response.participations}
    form.municipalities.choices = choices((m.id, m.name) for m in response.cooperation.municipalities
                                          if m.id not in invited)
    return form


@bp.route("/responses/<int:response_id>")
@login_required
def show(response_id: int):
    response = load_response(response_id)
    return render_template("responses/show.html", **response_page_context(response))


@bp.route("/responses/<int:response_id>/matrix")
@login_required
def matrix(response_id: int):
    response = load_response(response_id)
    return render_template("responses/matrix.html", **response_page_context(response))


@bp.post("/responses/<int:response_id>/invite")
@login_required
def invite(response_id: int):
    response = load_response(response_id, for_update=True)
    ensure(current_user, Action.MANAGE_PARTICIPANTS, response)
    form = _invite_form(response)
    if not form.validate_on_submit():
        flash(_("Välj minst en kommun att bjuda in."), "error")
        return render_template("responses/show.html", **response_page_context(response)), 400
    invited = response_service.invite(response, current_user, form.municipalities.data)
    commit()
    flash(_("%(count)d kommuner inbjudna.", count=len(invited)), "success")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/responses/<int:response_id>/participation")
@login_required
def answer_invitation(response_id: int):
    response = load_response(response_id, for_update=True)
    form = AnswerInvitationForm()
    if not form.validate_on_submit():
        context = response_page_context(response)
        context["answer_form"] = form
        return render_template("responses/show.html", **context), 400
    try:
        response_service.answer_invitation(response, current_user, form.answer.data == "join",
                                           form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        context = response_page_context(load_response(response_id))
        context["answer_form"] = form
        flash(error.message, "error")
        return render_template("responses/show.html", **context), error.status
    commit()
    flash(_("Svaret är registrerat."), "success")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/responses/<int:response_id>/step-aside")
@login_required
def step_aside(response_id: int):
    response = load_response(response_id, for_update=True)
    ensure(current_user, Action.STEP_ASIDE, response)
    form = ReasonForm(prefix="aside")
    if not form.validate_on_submit():
        flash(_("Ange ett skäl till att kommunen avstår."), "error")
        return redirect(url_for("responses.show", response_id=response.id))
    response_service.step_aside(response, current_user, form.reason.data)
    commit()
    flash(_("Kommunen avstår från yttrandet."), "success")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/responses/<int:response_id>/withdraw")
@login_required
def withdraw(response_id: int):
    response = load_response(response_id, for_update=True)
    ensure(current_user, Action.CHANGE_STAGE, response)
    form = ReasonForm(prefix="withdraw")
    if not form.validate_on_submit():
        flash(_("Ange varför yttrandet återkallas."), "error")
        return redirect(url_for("responses.show", response_id=response.id))
    stages.withdraw(response, current_user, form.reason.data)
    commit()
    flash(_("Yttrandet är återkallat."), "success")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/responses/<int:response_id>/sent")
@login_required
def record_sent(response_id: int):
    response = load_response(response_id, for_update=True)
    ensure(current_user, Action.CHANGE_STAGE, response)
    form = SentForm()
    if not form.validate_on_submit():
        flash(_("Ange datum som ÅÅÅÅ-MM-DD."), "error")
        return redirect(url_for("responses.show", response_id=response.id))
    stages.record_sent(response, current_user, form.sent_on.data)
    commit()
    flash(_("Yttrandet är markerat som skickat."), "success")
    return redirect(url_for("responses.show", response_id=response.id))


def _audit_events(response: JointResponse) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent)
        .options(selectinload(AuditEvent.user), selectinload(AuditEvent.municipality))
        .where(AuditEvent.response_id == response.id)
        .order_by(AuditEvent.created_at, AuditEvent.id)
    ))


@bp.route("/responses/<int:response_id>/audit")
@login_required
def audit(response_id: int):
    response = load_response(response_id)
    return render_template("responses/audit.html", response=response, events=_audit_events(response))


@bp.route("/responses/<int:response_id>/audit.csv")
@login_required
def audit_csv(response_id: int):
    response = load_response(response_id)
    rows = [["tid_utc", "person", "kommun", "handelse", "version", "beskrivning"]]
    rows += [[event.created_at.isoformat(timespec="seconds"),
              event.user.name if event.user else "",
              event.municipality.name if event.municipality else "",
              event.action, event.version_number or "", event.summary]
             for event in _audit_events(response)]
    return csv_download(rows, f"granskningslogg-yttrande-{response.id}.csv")
