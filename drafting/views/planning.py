"""Each municipality's own decision: the plan towards the deadline, meeting calendars, the
decision basis and the request for an extension."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..export.assemble import cooperation_template, decision_basis, extension_request
from ..export.decision_documents import build_decision_basis_docx, build_extension_request_docx
from ..export.filenames import export_filename
from ..extensions import db
from ..forms import (
    CalendarImportForm,
    DecisionBasisForm,
    DelegationForm,
    MeetingForm,
    PlanDatesForm,
)
from ..ints import parse_int
from ..limits import MAX_CALENDAR_BYTES, MAX_DOCUMENT_DEADLINE_DAYS
from ..models import Cooperation, JointResponse, Municipality, local_today
from ..permissions import (
    Action,
    CooperationAction,
    can_in_cooperation,
    ensure,
    ensure_in_cooperation,
)
from ..services import calendars
from ..services import decision_basis as basis_service
from ..services.audit import record_event
from ..services.errors import DomainError, InvalidInput
from ..services.planning import ADJUSTABLE, Plan, describe, milestone_label, response_plan
from .common import commit, load_response, refuse
from .export import DOCX_MIMETYPE, _download

bp = Blueprint("planning", __name__)

ICS_MIMETYPE = "text/calendar"


# --------------------------------------------------------------------------------------------
# The plan of one response


def plan_context(response: JointResponse, *, every_milestone: bool = True,
                 known_plan: Plan | None = None) -> dict:
    """What the plan shows: its dates, warnings and participants, with their sentences.

    every_milestone=False: only what is still ahead, worded (the response page's summary).
    `known_plan`: the plan of today when the caller has it (the response page keeps it).
    """
    plan = known_plan or response_plan(response, local_today())
    # The response page shows what is still ahead; the plan page shows it all.
    upcoming = [m for m in plan.milestones if not m.passed][:6]
    labels = {id(m): milestone_label(m) for m in (plan.milestones if every_milestone else upcoming)}
    return {
        "plan": plan,
        "plan_rows": [(m, labels[id(m)]) for m in plan.milestones] if every_milestone else [],
        "upcoming_rows": [(m, labels[id(m)]) for m in upcoming],
        "warning_texts": [describe(w) for w in plan.warnings],
    }


def _plan_page(response: JointResponse, *, status: int = 200, dates_form: PlanDatesForm | None = None,
               basis_form: DecisionBasisForm | None = None, refused=None):
    context = plan_context(response)
    mine = current_user.municipality_id
    saved = basis_service.current_basis(response, mine) if mine else None
    if dates_form is None:
        dates_form = PlanDatesForm(home_round_due=response.plan_home_round_due,
                                   comments_due=response.plan_comments_due,
                                   positions_due=response.plan_positions_due)
    if basis_form is None:
        basis_form = DecisionBasisForm(
            base_number=saved.number if saved else 0,
            deciding_body=saved.deciding_body if saved else None,
            local_reference=saved.local_reference if saved else "",
            local_considerations=saved.local_considerations if saved else "")
    calendar_links = [m for m in response.cooperation.municipalities
                      if can_in_cooperation(current_user, CooperationAction.KEEP_CALENDAR,
                                            response.cooperation, m.id)
                      and any(p.municipality_id == m.id for p in response.participations)]
    return render_template("planning/plan.html", response=response, **context,
                           dates_form=dates_form, basis_form=basis_form, saved_basis=saved,
                           calendar_links=calendar_links, adjustable=ADJUSTABLE,
                           refused=refused), status


@bp.route("/responses/<int:response_id>/plan")
@login_required
def plan(response_id: int):
    return _plan_page(load_response(response_id))


@bp.post("/responses/<int:response_id>/plan/dates")
@login_required
def set_dates(response_id: int):
    """The coordinator's own internal deadlines (empty: the plan's)."""
    response = load_response(response_id, for_update=True)
    form = PlanDatesForm()
    try:
        ensure(current_user, Action.ADJUST_PLAN, response)
        if not form.validate_on_submit():
            db.session.rollback()
            return _plan_page(load_response(response_id), status=400, dates_form=form)
        dates = {"home_round": form.home_round_due.data, "comments": form.comments_due.data,
                 "positions": form.positions_due.data}
        for name, day in dates.items():
            if day is not None and day > response.deadline:
                raise InvalidInput(_("Datumet ligger efter sista svarsdag %(date)s.",
                                     date=response.deadline.isoformat()), field=f"{name}_due")
        response.plan_home_round_due = dates["home_round"]
        response.plan_comments_due = dates["comments"]
        response.plan_positions_due = dates["positions"]
        record_event("plan_adjusted", current_user, response=response,
                     summary=_("Koordinatorn ändrade planens datum."),
                     details={k: v.isoformat() if v else None for k, v in dates.items()})
    except DomainError as error:
        db.session.rollback()
        return _plan_page(load_response(response_id), status=error.status,
                          dates_form=form, refused=refuse(form, error, "positions_due"))
    commit()
    flash(_("Planens datum är sparade."), "success")
    return redirect(url_for("planning.plan", response_id=response_id), 303)


@bp.route("/responses/<int:response_id>/plan.ics")
@login_required
def plan_ics(response_id: int):
    response = load_response(response_id)
    data = calendars.plan_calendar(response_plan(response, local_today()), response_id=response.id,
                                   title=response.title, host=request.host.split(":")[0] or "yttrande")
    filename = export_filename(response.consultation.reference_number, response.cooperation.name,
                               "plan", ext="ics")
    return _download(data, filename, ICS_MIMETYPE)


@bp.route("/responses/<int:response_id>/plan/extension.docx")
@login_required
def extension_docx(response_id: int):
    """The request for an extension (anstånd), naming the municipalities that cannot decide in time."""
    response = load_response(response_id)
    ensure(current_user, Action.REQUEST_EXTENSION, response)
    plan = response_plan(response, local_today())
    if plan.feasible:
        flash(_("Enligt planen hinner alla kommuner besluta före sista svarsdag; anstånd behövs inte."),
              "info")
        return redirect(url_for("planning.plan", response_id=response_id), 303)
    data = build_extension_request_docx(extension_request(response, current_user, plan),
                                        cooperation_template(response.cooperation_id))
    record_event("extension_requested", current_user, response=response,
                 summary=_("Tog fram en begäran om anstånd för %(names)s.",
                           names=", ".join(p.municipality for p in plan.late)),
                 details={"late": [p.municipality for p in plan.late],
                          "requested": plan.extended_deadline.isoformat()
                          if plan.extended_deadline else None})
    commit()
    filename = export_filename(response.consultation.reference_number, response.cooperation.name,
                               "begäran om anstånd")
    return _download(data, filename, DOCX_MIMETYPE)


# --------------------------------------------------------------------------------------------
# The decision basis of the user's own municipality


@bp.post("/responses/<int:response_id>/decision-basis")
@login_required
def save_basis(response_id: int):
    response = load_response(response_id, for_update=True)
    form = DecisionBasisForm()
    try:
        ensure(current_user, Action.EDIT_DECISION_BASIS, response)
        if not form.validate_on_submit():
            db.session.rollback()
            return _plan_page(load_response(response_id), status=400, basis_form=form)
        base = parse_int(form.base_number.data or "0", name="base_number", minimum=0)
        basis_service.save_basis(response, current_user, basis_service.BasisInput(
            form.deciding_body.data, form.local_reference.data or "",
            form.local_considerations.data or ""), base)
    except DomainError as error:
        db.session.rollback()
        return _plan_page(load_response(response_id), status=error.status, basis_form=form,
                          refused=refuse(form, error, "local_considerations"))
    commit()
    flash(_("Beslutsunderlaget är sparat."), "success")
    return redirect(url_for("planning.plan", response_id=response_id) + "#decision-basis", 303)


@bp.route("/responses/<int:response_id>/decision-basis.docx")
@login_required
def basis_docx(response_id: int):
    """The user's own municipality's decision basis, with the consensus version in full."""
    response = load_response(response_id)
    ensure(current_user, Action.DECISION_BASIS, response)
    document = decision_basis(response, current_user.municipality_id)
    data = build_decision_basis_docx(document, cooperation_template(response.cooperation_id))
    record_event("decision_basis_exported", current_user, response=response,
                 version_number=document.version_number,
                 summary=_("%(municipality)s laddade ner sitt beslutsunderlag (version %(n)d).",
                           municipality=current_user.municipality.name, n=document.version_number),
                 details={"text_fingerprint": document.text_fingerprint})
    commit()
    filename = export_filename(response.consultation.reference_number, current_user.municipality.name,
                               "beslutsunderlag")
    return _download(data, filename, DOCX_MIMETYPE)


# --------------------------------------------------------------------------------------------
# A municipality's meeting calendar


def _calendar_target(cooperation_id: int, municipality_id: int,
                     action: CooperationAction = CooperationAction.VIEW) -> tuple[Cooperation, Municipality]:
    """The cooperation and member municipality, if the user may take the action (else 403)."""
    cooperation = db.session.get(Cooperation, cooperation_id)
    if cooperation is None:
        abort(404)
    ensure_in_cooperation(current_user, action, cooperation, municipality_id)
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None or municipality_id not in {m.municipality_id for m in cooperation.memberships}:
        abort(404)
    return cooperation, municipality


def _calendar_page(cooperation: Cooperation, municipality: Municipality, *, status: int = 200,
                   meeting_form: MeetingForm | None = None,
                   import_form: CalendarImportForm | None = None, refused=None):
    return render_template(
        "planning/calendar.html", cooperation=cooperation, municipality=municipality,
        meetings=calendars.meetings(municipality),
        may_keep=can_in_cooperation(current_user, CooperationAction.KEEP_CALENDAR, cooperation,
                                    municipality.id),
        meeting_form=meeting_form or MeetingForm(), import_form=import_form or CalendarImportForm(),
        delegation_form=DelegationForm(director_may_decide=municipality.director_may_decide),
        refused=refused, max_kb=MAX_CALENDAR_BYTES // 1000), status


def _days(raw: str | None, field: str) -> int:
    try:
        return parse_int((raw or "").strip(), name=field, minimum=0, maximum=MAX_DOCUMENT_DEADLINE_DAYS)
    except InvalidInput as error:
        raise InvalidInput(_("Ange ett antal dagar mellan 0 och %(max)d.",
                             max=MAX_DOCUMENT_DEADLINE_DAYS), field=field) from error


@bp.route("/cooperations/<int:cooperation_id>/municipalities/<int:municipality_id>/calendar")
@login_required
def calendar(cooperation_id: int, municipality_id: int):
    return _calendar_page(*_calendar_target(cooperation_id, municipality_id))


@bp.post("/cooperations/<int:cooperation_id>/municipalities/<int:municipality_id>/calendar/meetings")
@login_required
def add_meeting(cooperation_id: int, municipality_id: int):
    cooperation, municipality = _calendar_target(cooperation_id, municipality_id,
                                                 CooperationAction.KEEP_CALENDAR)
    form = MeetingForm()
    try:
        if not form.validate_on_submit():
            return _calendar_page(cooperation, municipality, status=400, meeting_form=form)
        calendars.add_meeting(cooperation, municipality, current_user, form.meeting_body.data,
                              form.meets_on.data,
                              _days(form.document_deadline_days.data, "document_deadline_days"))
    except DomainError as error:
        db.session.rollback()
        return _calendar_page(*_calendar_target(cooperation_id, municipality_id), status=error.status,
                              meeting_form=form, refused=refuse(form, error, "meets_on"))
    commit()
    flash(_("Sammanträdet är inlagt."), "success")
    return redirect(url_for("planning.calendar", cooperation_id=cooperation_id,
                            municipality_id=municipality_id), 303)


@bp.post("/cooperations/<int:cooperation_id>/municipalities/<int:municipality_id>/calendar/remove")
@login_required
def remove_meeting(cooperation_id: int, municipality_id: int):
    cooperation, municipality = _calendar_target(cooperation_id, municipality_id,
                                                 CooperationAction.KEEP_CALENDAR)
    meeting_id = parse_int(request.form.get("meeting_id", ""), name="meeting_id")
    calendars.remove_meeting(cooperation, municipality, current_user, meeting_id)
    commit()
    flash(_("Sammanträdet är borttaget."), "success")
    return redirect(url_for("planning.calendar", cooperation_id=cooperation_id,
                            municipality_id=municipality_id), 303)


@bp.post("/cooperations/<int:cooperation_id>/municipalities/<int:municipality_id>/calendar/import")
@login_required
def import_calendar(cooperation_id: int, municipality_id: int):
    cooperation, municipality = _calendar_target(cooperation_id, municipality_id,
                                                 CooperationAction.KEEP_CALENDAR)
    form = CalendarImportForm()
    try:
        if not form.validate_on_submit():
            return _calendar_page(cooperation, municipality, status=400, import_form=form)
        upload = request.files.get("calendar")
        if upload is None or not upload.filename:
            raise InvalidInput(_("Välj en kalenderfil (.ics) att läsa in."), field="import_deadline_days")
        days = _days(form.import_deadline_days.data, "import_deadline_days")
        data = upload.read(MAX_CALENDAR_BYTES + 1)  # the limit is checked on what was read
        result = calendars.import_calendar(cooperation, municipality, current_user, data, days)
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, InvalidInput):
            error.field = "import_deadline_days"
        return _calendar_page(*_calendar_target(cooperation_id, municipality_id), status=error.status,
                              import_form=form, refused=refuse(form, error, "import_deadline_days"))
    commit()
    flash(ngettext("%(num)d sammanträde är inläst.", "%(num)d sammanträden är inlästa.",
                   len(result.added)), "success")
    if result.already_there or result.not_deciding:
        flash(_("%(already)d fanns redan; %(other)d gällde andra organ, var inställda eller har "
                "redan varit.", already=result.already_there, other=result.not_deciding), "info")
    return redirect(url_for("planning.calendar", cooperation_id=cooperation_id,
                            municipality_id=municipality_id), 303)


@bp.post("/cooperations/<int:cooperation_id>/municipalities/<int:municipality_id>/calendar/delegation")
@login_required
def set_delegation(cooperation_id: int, municipality_id: int):
    cooperation, municipality = _calendar_target(cooperation_id, municipality_id,
                                                 CooperationAction.KEEP_CALENDAR)
    form = DelegationForm()
    calendars.set_delegation(cooperation, municipality, current_user, bool(form.director_may_decide.data))
    commit()
    flash(_("Inställningen är sparad."), "success")
    return redirect(url_for("planning.calendar", cooperation_id=cooperation_id,
                            municipality_id=municipality_id), 303)

