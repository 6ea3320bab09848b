"""Dashboard, opening a response, the response page, participation, stages and audit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from ..csv_export import csv_download
from ..extensions import db
from ..forms import (
    AnswerInvitationForm,
    InviteForm,
    PositionForm,
    ReasonForm,
    ResponseForm,
    SentForm,
    SignOffForm,
    choices,
)
from ..labels import EVENT_KIND_LABELS, FOCUS_AREA_LABELS
from ..limits import MAX_LIST_PAGE
from ..models import (
    Cooperation,
    CooperationRole,
    EventKind,
    FocusArea,
    JointResponse,
    Role,
    Stage,
    local_today,
)
from ..permissions import Action, CooperationAction, can, ensure, ensure_in_cooperation
from ..services import audit as audit_service
from ..services import home as home_service
from ..services import notifications, stages
from ..services import responses as response_service
from ..services.drafting import has_unpublished_changes
from ..services.errors import DomainError
from ..services.next_steps import next_step
from ..services.overview import (
    DeadlineWindow,
    ResponseFilter,
    list_responses,
    overview,
)
from ..services.planning import home_round_due
from .common import RefusedSubmission, commit, load_response, query_choice, query_int, refuse
from .document_column import document_context
from .planning import plan_context
from .response_page import SharedFacts, shared_facts, show_page

bp = Blueprint("responses", __name__)


def my_cooperations() -> list[Cooperation]:
    if current_user.is_system_admin:
        return list(db.session.scalars(select(Cooperation).order_by(Cooperation.name)))
    return list(db.session.scalars(
        select(Cooperation).join(CooperationRole, CooperationRole.cooperation_id == Cooperation.id)
        .where(CooperationRole.user_id == current_user.id).order_by(Cooperation.name)
    ))


def _rows(summaries) -> list[dict]:
    rows = []
    for summary in summaries:
        mine = next((p for p in summary.participations
                     if p.municipality_id == current_user.municipality_id), None)
        rows.append({"response": summary.response, "overview": summary, "mine": mine,
                     "next_step": next_step(summary, current_user)})
    return rows


@bp.route("/")
@login_required
def dashboard():
    return _overview_page(archive=False)


@bp.route("/archive")
@login_required
def archive():
    return _overview_page(archive=True)


def _overview_page(*, archive: bool):
    """The overview: what to do now, and the list (search, filters, pages); or the archive."""
    cooperations = my_cooperations()
    # A reviewer-only account sees no response of the cooperation, only its home rounds.
    ids = [c.id for c in cooperations if current_user.role_in(c.id) not in (None, Role.REVIEWER)]
    wanted = ResponseFilter(
        search=request.args.get("q", "").strip(), stage=query_choice("stage", Stage),
        focus_area=query_choice("focus_area", FocusArea),
        deadline=query_choice("deadline", DeadlineWindow), archive=archive,
        page=query_int("page", 1, maximum=MAX_LIST_PAGE))
    listed = list_responses(ids, wanted, local_today())
    # The to-do list covers every active response, whatever the list below shows.
    todo = [] if archive else [row for row in _rows(list_responses(
        ids, ResponseFilter(), local_today(), page_size=MAX_LIST_PAGE).overviews)
        if row["next_step"]]
    arguments = request.args.to_dict()
    return render_template(
        "responses/dashboard.html", rows=_rows(listed.overviews), listed=listed, wanted=wanted,
        page_url=lambda number: url_for(request.endpoint, **{**arguments, "page": number}),
        todo=todo, cooperations=cooperations, archive=archive,
        home_rounds=[] if archive else home_service.reviewed_responses(current_user),
        stages=[stage for stage in Stage if stage.is_closed == archive],
        focus_areas=list(FocusArea), deadlines=list(DeadlineWindow))


def _response_form(cooperation: Cooperation) -> ResponseForm:
    form = ResponseForm()
    form.focus_area.choices = choices((area.value, FOCUS_AREA_LABELS[area]) for area in FocusArea)
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
                our_reference=form.our_reference.data or "",
            )
        except DomainError as error:
            refused = refuse(form, error, "deadline")
            return render_template("responses/new.html", form=form, cooperation=cooperation,
                                   refused=refused), error.status
        commit()
        flash(_("Yttrandet är öppnat. Bjud in kommunerna och skriv utkastet."), "success")
        return redirect(url_for("responses.show", response_id=response.id))
    status = 400 if form.errors else 200
    return render_template("responses/new.html", form=form, cooperation=cooperation), status


def overview_context(response: JointResponse, facts: SharedFacts | None = None) -> dict:
    """What every page about a response shows of where it stands (the header, status, matrix),
    from the rows its viewers share (views/response_page.shared_facts)."""
    summary = overview(response, (facts or shared_facts(response)).rows)
    return {
        "response": response, "overview": summary, "stage": summary.stage,
        "version": summary.version, "status": summary.status, "positions": summary.positions,
        "signoffs": summary.signoffs, "participations": summary.participations,
    }


def response_page_context(response: JointResponse, *, municipality_filter: int | None = None,
                          comment_state: str | None = None, with_document: bool = True) -> dict:
    """Everything the response page shows, in a fixed number of queries.

    Without the document (the text and its threads) when a cached rendering of it is used.
    """
    facts = shared_facts(response)
    context = overview_context(response, facts)
    version = context["version"]
    mine = next((p for p in response.participations
                 if p.municipality_id == current_user.municipality_id), None)
    unpublished = (can(current_user, Action.PUBLISH_VERSION, response)
                   and has_unpublished_changes(response, version))
    may_comment = can(current_user, Action.COMMENT, response)

    def offered(action: Action, form):
        """The form of an action the viewer may take now; None (the page shows none) otherwise."""
        return form() if can(current_user, action, response) else None

    number = version.number if version else ""
    context.update({
        "next_step": next_step(context["overview"], current_user, unpublished=unpublished),
        "mine": mine, "my_position": context["positions"].get(current_user.municipality_id),
        "position_form": offered(Action.RECORD_POSITION, lambda: PositionForm(version_number=number)),
        "sign_off_form": offered(Action.SIGN_OFF, lambda: SignOffForm(
            version_number=number, signatory_name=current_user.name,
            signatory_title=current_user.title or "", decision_date=None)),
        "comment_form": None,  # only a refused comment is shown again in its form
        "answer_form": offered(Action.ANSWER_INVITATION, AnswerInvitationForm),
        "step_aside_form": offered(Action.STEP_ASIDE, lambda: ReasonForm(prefix="aside")),
        "withdraw_form": offered(Action.WITHDRAW, lambda: ReasonForm(prefix="withdraw")),
        "invite_form": _invite_form(response), "sent_form": offered(Action.RECORD_SENT, SentForm),
        "unpublished": unpublished, "members": facts.members,
        "municipality_filter": municipality_filter, "comment_state": comment_state,
        # Decided once per page, not once per comment.
        "may_comment": may_comment,
        "may_decide": can(current_user, Action.DECIDE_SUGGESTION, response),
        "csrf": generate_csrf(),
        "refused": None,
    })
    # The plan's dates and warnings, beside the status.
    context.update(plan_context(response, every_milestone=False, known_plan=facts.plan))
    # What the home round said, beside the position form: for the municipality's own people.
    context["home"] = (home_service.home_round(
        response, current_user, with_text=False, version=version,
        plan_due=home_round_due(response, context["plan"].today, known_plan=context["plan"]))
        if can(current_user, Action.VIEW_HOME_ROUND, response) else None)
    if with_document:
        context.update(document_context(response, context))
    return context


def rerender_show(response_id: int, status: int, refused: RefusedSubmission | None = None,
                  **overrides):
    """The response page as it is now, with a refused form and what was typed in it."""
    db.session.rollback()
    context = response_page_context(load_response(response_id))
    context.update(overrides, refused=refused)
    return render_template("responses/show.html", **context), status


def _invite_form(response: JointResponse) -> InviteForm:
    """The coordinator's invitation form; with no choices for anyone else (the page hides it)."""
    form = InviteForm()
    if not can(current_user, Action.MANAGE_PARTICIPANTS, response):
        form.municipalities.choices = []
        return form
    invited = {p.municipality_id for p in response.participations}
    form.municipalities.choices = choices((m.id, m.name) for m in response.cooperation.municipalities
                                          if m.id not in invited)
    return form


@bp.route("/responses/<int:response_id>")
@login_required
def show(response_id: int):
    response = load_response(response_id, with_last_event=True)
    state = request.args.get("comments")
    municipality_filter = query_int("municipality", None)
    comment_state = state if state in ("open", "resolved") else None
    return show_page(response, lambda: response_page_context(
        response, municipality_filter=municipality_filter, comment_state=comment_state,
        with_document=False), municipality_filter=municipality_filter, comment_state=comment_state)


@bp.route("/responses/<int:response_id>/matrix")
@login_required
def matrix(response_id: int):
    response = load_response(response_id)
    return render_template("responses/matrix.html", **overview_context(response))


@bp.post("/responses/<int:response_id>/invite")
@login_required
def invite(response_id: int):
    response = load_response(response_id, for_update=True)
    form = _invite_form(response)
    try:
        ensure(current_user, Action.MANAGE_PARTICIPANTS, response)
        if not form.validate_on_submit():
            return rerender_show(response_id, 400, invite_form=form)
        invited = response_service.invite(response, current_user, form.municipalities.data)
    except DomainError as error:
        return rerender_show(response_id, error.status, refuse(form, error, "municipalities"),
                             invite_form=form)
    commit()
    flash(ngettext("%(num)d kommun är inbjuden.", "%(num)d kommuner är inbjudna.", len(invited)),
          "success")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/responses/<int:response_id>/remind")
@login_required
def remind(response_id: int):
    response = load_response(response_id, for_update=True)
    ensure(current_user, Action.REMIND, response)
    sent = notifications.remind_now(response, local_today())
    commit()
    if sent:
        flash(ngettext("Påminnelsen är skickad till %(num)d person.",
                       "Påminnelsen är skickad till %(num)d personer.", sent), "success")
    else:
        flash(_("Alla som yttrandet väntar på har redan fått en påminnelse i dag."), "info")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/responses/<int:response_id>/participation")
@login_required
def answer_invitation(response_id: int):
    response = load_response(response_id, for_update=True)
    form = AnswerInvitationForm()
    try:
        ensure(current_user, Action.ANSWER_INVITATION, response)
        if not form.validate_on_submit():
            return rerender_show(response_id, 400, answer_form=form)
        response_service.answer_invitation(response, current_user, form.answer.data == "join",
                                           form.reason.data or "")
    except DomainError as error:
        return rerender_show(response_id, error.status, refuse(form, error, "reason"),
                             answer_form=form)
    commit()
    flash(_("Svaret är registrerat."), "success")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/responses/<int:response_id>/step-aside")
@login_required
def step_aside(response_id: int):
    response = load_response(response_id, for_update=True)
    form = ReasonForm(prefix="aside")
    try:
        ensure(current_user, Action.STEP_ASIDE, response)
        if not form.validate_on_submit():
            return rerender_show(response_id, 400, step_aside_form=form)
        response_service.step_aside(response, current_user, form.reason.data)
    except DomainError as error:
        return rerender_show(response_id, error.status, refuse(form, error, "reason"),
                             step_aside_form=form)
    commit()
    flash(_("Kommunen avstår från yttrandet."), "success")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/responses/<int:response_id>/withdraw")
@login_required
def withdraw(response_id: int):
    response = load_response(response_id, for_update=True)
    form = ReasonForm(prefix="withdraw")
    try:
        ensure(current_user, Action.WITHDRAW, response)
        if not form.validate_on_submit():
            return rerender_show(response_id, 400, withdraw_form=form)
        stages.withdraw(response, current_user, form.reason.data)
    except DomainError as error:
        return rerender_show(response_id, error.status, refuse(form, error, "reason"),
                             withdraw_form=form)
    commit()
    flash(_("Yttrandet är återkallat."), "success")
    return redirect(url_for("responses.show", response_id=response.id))


@bp.post("/responses/<int:response_id>/sent")
@login_required
def record_sent(response_id: int):
    response = load_response(response_id, for_update=True)
    form = SentForm()
    try:
        ensure(current_user, Action.RECORD_SENT, response)
        if not form.validate_on_submit():
            return rerender_show(response_id, 400, sent_form=form)
        stages.record_sent(response, current_user, form.sent_on.data)
    except DomainError as error:
        return rerender_show(response_id, error.status, refuse(form, error, "sent_on"),
                             sent_form=form)
    commit()
    flash(_("Yttrandet är markerat som skickat."), "success")
    return redirect(url_for("responses.show", response_id=response.id))


def _log_filters() -> dict:
    """The log's filters from the query string (the page and its CSV take the same)."""
    return {"municipality_id": query_int("municipality", None),
            "kind": query_choice("kind", EventKind),
            "version_number": query_int("version", None)}


@bp.route("/responses/<int:response_id>/audit")
@login_required
def audit(response_id: int):
    response = load_response(response_id)
    filters = _log_filters()
    version = overview(response).version
    return render_template(
        "responses/audit.html", response=response, events=audit_service.events(response, **filters),
        filters=filters, kinds=list(EventKind), versions=range(1, (version.number if version else 0) + 1),
        municipalities=sorted((p.municipality for p in response.participations), key=lambda m: m.name),
        filter_arguments={key: value for key, value in request.args.items()
                          if key in ("municipality", "kind", "version") and value})


@bp.route("/responses/<int:response_id>/audit.csv")
@login_required
def audit_csv(response_id: int):
    response = load_response(response_id)
    rows = [["tid_utc", "person", "kommun", "handelse", "version", "handelsetyp", "beskrivning"]]
    for event in audit_service.events(response, **_log_filters()):
        kind = audit_service.kind_of(event.action)
        rows.append([event.created_at.isoformat(timespec="seconds"),
                     event.user.name if event.user else "",
                     event.municipality.name if event.municipality else "",
                     event.action, event.version_number or "",
                     EVENT_KIND_LABELS[kind] if kind else "", event.summary])
    return csv_download(rows, f"granskningslogg-yttrande-{response.id}.csv")
