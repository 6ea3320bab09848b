"""The integration API under /api/v1: JSON, personal bearer tokens, the pages' permission layer.

Every response the token's owner may not view is a 404, so ids reveal nothing. Writes lock
the response row, check the permission before reading the body (whoever lacks it gets 403,
whatever they sent), call the same service as the page does, and commit once. Errors have one
shape, {"error": {"status", "code", "message"}}, built by drafting/errors.py.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, g, request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.routing import IntegerConverter

from .. import api_schemas as schemas
from ..api_schemas import FieldRule, Paging, RequestBody, field_rules
from ..export.assemble import cooperation_template, decision_basis
from ..export.decision_documents import build_decision_basis_docx
from ..export.filenames import export_filename
from ..extensions import csrf, db
from ..ints import InvalidNumber, parse_int
from ..labels import STAGE_LABELS
from ..limits import MAX_ID
from ..models import (
    AuditEvent,
    Comment,
    Consultation,
    Cooperation,
    CooperationRole,
    JointResponse,
    Municipality,
    Position,
    Role,
    Section,
    SignOff,
    User,
    Version,
    VersionSection,
    local_today,
)
from ..models.drafting import ThreadState
from ..permissions import Action, CooperationAction, can, can_in_cooperation, ensure
from ..services import calendars, review
from ..services import comments as comment_service
from ..services import home as home_service
from ..services.audit import record_event
from ..services.drafting import get_section
from ..services.errors import DomainError, NotFound
from ..services.fingerprint import version_fingerprint
from ..services.overview import overview
from ..services.planning import describe, milestone_label, response_plan
from ..services.queries import get_response
from ..services.tokens import TokenExpired, authenticate_token
from ..templating import days_left
from .api_spec import WRITE_ERRORS, openapi_document, operation
from .export import DOCX_MIMETYPE, _download, _final

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens only, never the session cookie: a cross-site form cannot act through the API.
csrf.exempt(bp)

MAX_BODY_BYTES = 1024 * 1024
# Ids in paths use Werkzeug's plain integer converter, and the views answer 404 out of range.
# A converter with a max (as the app's "int" may be) makes Werkzeug answer 405, not 404, for
# POST /responses/<too large>/comments: the GET rule for the same path is what it reports.
ID = "api_id"


@bp.record_once
def _register_id_converter(state) -> None:
    # Recorded before the routes, so the converter exists when they are added.
    state.app.url_map.converters["api_id"] = IntegerConverter


Body = TypeVar("Body", bound=RequestBody)
Query = TypeVar("Query", bound=Paging)
PageOf = TypeVar("PageOf", bound=schemas.Page)


class InvalidRequest(DomainError):
    """A well-formed request whose fields or parameters do not validate."""

    status = 422


class MalformedBody(DomainError):
    """A body that is not a JSON object."""

    status = 400


class UnsupportedMediaType(DomainError):
    status = 415


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    return {"error": {"status": status, "code": code, "message": message}}, status, headers or {}


@bp.before_request
def authenticate():
    """Every endpoint but the OpenAPI document needs `Authorization: Bearer <token>`."""
    # API bodies are small; refuse anything bigger than this before reading it.
    request.max_content_length = min(MAX_BODY_BYTES, current_app.config.get("MAX_CONTENT_LENGTH")
                                     or MAX_BODY_BYTES)
    if request.endpoint == "api.openapi":
        return None
    scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
    try:
        user = authenticate_token(token.strip()) if scheme.lower() == "bearer" else None
    except TokenExpired as error:
        return _error(401, "Unauthorized", error.message, {
            "WWW-Authenticate": 'Bearer realm="yttrande", error="invalid_token", '
                                'error_description="The token has expired"'})
    if user is None:
        return _error(401, "Unauthorized",
                      _("Ange en giltig API-nyckel i huvudet Authorization: Bearer <nyckel>."),
                      {"WWW-Authenticate": 'Bearer realm="yttrande"'})
    g.api_user = user
    # Set when authenticate_token wrote the token's last_used_at (at most once a minute).
    g.api_token_touched = bool(db.session.dirty)
    return None


@bp.after_request
def finish(response: Response) -> Response:
    # A read changes nothing but last_used_at: keep it unless the request failed.
    if g.get("api_token_touched") and response.status_code < 400:
        db.session.commit()
    response.headers["Cache-Control"] = "no-store"
    return response


def _user() -> User:
    return g.api_user


# --- request parsing ---------------------------------------------------------------------------


def _printable(text: str, limit: int = 40) -> str:
    return text[:limit].encode("utf-8", "replace").decode("utf-8")


def _body(model: type[Body]) -> Body:
    """The JSON body validated by its model (api_schemas.py), or the error a client can act on."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(_("Skicka kroppen som JSON med Content-Type: application/json."))
    raw = request.get_data(cache=True)
    # json.loads, not pydantic's parser: that one keeps the last of repeated keys silently.
    try:
        data = json.loads(raw, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except _RepeatedKey as repeated:
        raise MalformedBody(_("Fältet ”%(name)s” förekommer mer än en gång.",
                              name=_printable(repeated.key))) from None
    except (ValueError, RecursionError):
        raise MalformedBody(_("Kroppen är inte giltig JSON.")) from None
    if not isinstance(data, dict):
        raise MalformedBody(_("Kroppen måste vara ett JSON-objekt."))
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise _invalid(model, error) from None


def _invalid(model: type[BaseModel], error: ValidationError) -> InvalidRequest:
    """Pydantic's errors as one Swedish message: unknown fields first, else the first field."""
    problems = error.errors(include_url=False, include_input=False, include_context=False)
    unknown = sorted(str(p["loc"][0]) for p in problems if p["type"] == "extra_forbidden")
    if unknown:
        return InvalidRequest(_("Okänt fält: %(names)s.",
                                names=", ".join(f"”{_printable(name)}”" for name in unknown[:5])))
    rules = field_rules(model)
    order = list(rules)
    first = min(problems, key=lambda p: order.index(str(p["loc"][0])))
    name = str(first["loc"][0])
    return _field_error(name, _field_message(rules[name], missing=first["type"] == "missing"))


def _field_message(rule: FieldRule, *, missing: bool) -> str:
    if missing:
        return _("saknas.")
    if rule.kind == "integer":
        return _("måste vara ett heltal från %(min)d till %(max)d.",
                 min=rule.minimum, max=rule.maximum)
    if rule.kind == "choice":
        return _("måste vara ett av %(choices)s.", choices=", ".join(rule.choices))
    if rule.kind == "date":
        return _("måste vara ett datum som ÅÅÅÅ-MM-DD.")
    return _("måste vara text.")


def _reject_constant(name: str):
    raise ValueError(name)


class _RepeatedKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: json.loads would keep the last silently."""
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _RepeatedKey(key)
        data[key] = value
    return data


def _field_error(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(_("Fältet ”%(field)s”: %(message)s", field=field, message=message))


def _query(model: type[Query]) -> Query:
    """The query string's parameters as the model's fields (absent or empty: the default)."""
    values: dict[str, Any] = {}
    for name, rule in field_rules(model).items():
        raw = request.args.get(name)
        if raw is None or raw == "":
            continue
        if rule.kind == "choice":
            if raw not in rule.choices:
                raise InvalidRequest(_("Parametern ”%(name)s” måste vara ett av %(choices)s.",
                                       name=name, choices=", ".join(rule.choices)))
            values[name] = raw
        else:
            try:
                values[name] = parse_int(raw, name=name, minimum=rule.minimum or 0,
                                         maximum=rule.maximum or MAX_ID)
            except InvalidNumber as error:
                raise InvalidRequest(error.message) from None
    return model.model_validate(values)


def _page_of_query(statement, serialize, page: type[PageOf],
                   paging: Paging | None = None, **extra: Any) -> PageOf:
    paging = paging or _query(Paging)
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = db.session.scalars(statement.limit(paging.limit).offset(paging.offset)).all()
    return page(items=[serialize(row) for row in rows], total=total or 0, limit=paging.limit,
                offset=paging.offset, **extra)


def _page_of_list(items: list[Any], page: type[PageOf], paging: Paging) -> PageOf:
    return page(items=items[paging.offset:paging.offset + paging.limit], total=len(items),
                limit=paging.limit, offset=paging.offset)


def _json(model: BaseModel, status: int = 200) -> tuple[dict[str, Any], int]:
    # Every body leaves through its model, so it is what the document says.
    return model.model_dump(mode="json"), status


# --- loading -----------------------------------------------------------------------------------


def _in_range(id_: int) -> bool:
    # Larger ids overflow the database driver's integers; none exist anyway.
    return 1 <= id_ <= MAX_ID


def _load_response(response_id: int, *, for_update: bool = False,
                   action: Action = Action.VIEW) -> JointResponse:
    """The response if the token's owner may take `action` on it (view it); 404 otherwise, so ids
    reveal nothing."""
    response = None
    if _in_range(response_id):
        try:
            response = get_response(response_id, for_update=for_update)
        except NotFound:
            pass
    if response is None or not can(_user(), action, response):
        raise NotFound(_("Yttrandet finns inte."))
    return response


def _load_cooperation(cooperation_id: int) -> Cooperation:
    cooperation = db.session.get(Cooperation, cooperation_id) if _in_range(cooperation_id) else None
    if cooperation is None or not can_in_cooperation(_user(), CooperationAction.VIEW, cooperation):
        raise NotFound(_("Samarbetet finns inte."))
    return cooperation


def _version(response: JointResponse, number: int) -> Version:
    version = None
    if _in_range(number):
        version = db.session.scalars(select(Version).where(
            Version.response_id == response.id, Version.number == number)).first()
    if version is None:
        raise NotFound(_("Versionen finns inte."))
    return version


def _version_numbers(response: JointResponse) -> dict[int, int]:
    return dict(db.session.execute(
        select(Version.id, Version.number).where(Version.response_id == response.id)).all())


# --- serializers: the models of api_schemas.py from the database's objects ---------------------


def _ref(obj: Municipality | Cooperation | User | None) -> schemas.Ref | None:
    return schemas.Ref(id=obj.id, name=obj.name) if obj is not None else None


def _municipality(municipality: Municipality | None) -> schemas.MunicipalityRef | None:
    if municipality is None:
        return None
    return schemas.MunicipalityRef(id=municipality.id, name=municipality.name,
                                   formal_name=municipality.document_name)


def _consultation(consultation: Consultation) -> dict[str, Any]:
    return {
        "id": consultation.id, "sender": consultation.sender,
        "reference_number": consultation.reference_number, "title": consultation.title,
        "received_on": consultation.received_on, "deadline": consultation.deadline,
        "url": consultation.url,
    }


def _response_summary_fields(response: JointResponse) -> dict[str, Any]:
    return {
        "id": response.id, "title": response.title, "stage": response.stage,
        "stage_label": str(STAGE_LABELS[response.stage]), "focus_area": response.focus_area,
        "our_reference": response.our_reference,
        "cooperation": _ref(response.cooperation),
        "consultation": schemas.Consultation(**_consultation(response.consultation)),
        "deadline": response.deadline, "days_left": days_left(response.deadline),
        "created_at": response.created_at,
    }


def _response_summary(response: JointResponse) -> schemas.ResponseSummary:
    return schemas.ResponseSummary(**_response_summary_fields(response))


def _response_detail(response: JointResponse) -> schemas.ResponseDetail:
    summary = overview(response)
    version, status = summary.version, summary.status
    numbers = _version_numbers(response)
    participants = [
        schemas.Participant(
            municipality=_municipality(p.municipality), status=p.status, reason=p.reason,
            answered_at=p.answered_at,
            position=summary.positions[p.municipality_id].decision
            if p.municipality_id in summary.positions else None,
            signed=bool(summary.signoffs.get(p.municipality_id)
                        and summary.signoffs[p.municipality_id].current))
        for p in summary.participations
    ]
    return schemas.ResponseDetail(
        **_response_summary_fields(response),
        latest_version_number=version.number if version else None,
        consensus_version_number=numbers.get(response.consensus_version_id or 0),
        consensus_at=response.consensus_at, signed_at=response.signed_at,
        sent_on=response.sent_on, withdrawn_reason=response.withdrawn_reason,
        participants=participants,
        consensus=schemas.ConsensusStatus(
            reached=status.reached, version_number=status.version_number,
            approved=list(status.approved), not_answered=list(status.not_answered),
            objections=[schemas.Objection(municipality=o.name, municipality_id=o.municipality_id,
                                    reason=o.reason) for o in status.objections],
            stale_approvals=[schemas.StaleApproval(municipality=name, version_number=number)
                             for name, number in sorted(status.stale_approvals.items())],
            too_few_cosigners=status.too_few_cosigners,
        ),
        missing_signatures=list(summary.missing_signatures),
        missing=summary.sentence(),
    )


def _version_fields(version: Version) -> dict[str, Any]:
    return {"number": version.number, "change_note": version.change_note,
            "published_at": version.published_at, "published_by": _ref(version.published_by)}


def _version_summary(version: Version) -> schemas.Version:
    return schemas.Version(**_version_fields(version))


def _reply_fields(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id, "author": _ref(comment.author),
        "municipality": _ref(comment.municipality), "body": comment.body,
        "body_html": comment.body_html, "created_at": comment.created_at,
    }


def _thread(thread: comment_service.Thread, numbers: dict[int, int]) -> schemas.CommentThread:
    comment = thread.comment
    return schemas.CommentThread(
        **_reply_fields(comment),
        section_id=comment.section_id,
        version_number=numbers.get(comment.version_id or 0),
        anchor=schemas.Anchor(state=comment.anchor_state, exact=comment.anchor_exact,
                        prefix=comment.anchor_prefix, suffix=comment.anchor_suffix),
        suggestion=(schemas.Suggestion(text=comment.suggested_text, state=comment.suggestion_state)
                    if comment.is_suggestion else None),
        state=ThreadState.RESOLVED if comment.resolved_at is not None else ThreadState.OPEN,
        resolved_at=comment.resolved_at,
        replies=[schemas.Reply(**_reply_fields(reply)) for reply in thread.replies],
    )


def _position(position: Position) -> schemas.Position:
    return schemas.Position(
        id=position.id, version_number=position.version.number,
        municipality=_ref(position.municipality), user=_ref(position.user),
        decision=position.decision, note=position.note,
        is_current=bool(position.is_current), created_at=position.created_at,
    )


def _signoff(signoff: SignOff) -> schemas.SignOff:
    return schemas.SignOff(
        id=signoff.id, version_number=signoff.version.number,
        municipality=_ref(signoff.municipality), user=_ref(signoff.user),
        deciding_body=signoff.deciding_body, decision_date=signoff.decision_date,
        minutes_paragraph=signoff.minutes_paragraph, signatory_name=signoff.signatory_name,
        signatory_title=signoff.signatory_title, text_fingerprint=signoff.text_fingerprint,
        created_at=signoff.created_at,
    )


def _audit_event(event: AuditEvent) -> schemas.AuditEvent:
    return schemas.AuditEvent(
        id=event.id, action=event.action, created_at=event.created_at,
        user=_ref(event.user), municipality=_ref(event.municipality),
        version_number=event.version_number, summary=event.summary,
        details=event.details if isinstance(event.details, dict) else {},
    )


# --- endpoints ---------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return openapi_document(current_app)


@bp.get("/me")
@operation(operation_id="getMe", tag="people", summary="The token's owner and their roles.",
           result=schemas.Me, result_description="You.", errors=("401",))
def me():
    user = _user()
    return _json(schemas.Me(
        id=user.id, name=user.name, email=user.email, title=user.title,
        municipality=_municipality(user.municipality), is_system_admin=user.is_system_admin,
        roles=[schemas.RoleInCooperation(cooperation=_ref(role.cooperation), role=role.role)
               for role in sorted(user.roles, key=lambda r: r.cooperation_id)],
    ))


LIST = "One page of items."


@bp.get("/cooperations")
@operation(operation_id="listCooperations", tag="cooperations",
           summary="Cooperations you belong to.", query=schemas.Paging, result=schemas.CooperationPage,
           result_description=LIST, errors=("401", "422"))
def cooperations():
    user = _user()
    statement = select(Cooperation).order_by(Cooperation.name, Cooperation.id)
    if not user.is_system_admin:
        statement = statement.where(Cooperation.id.in_(
            select(CooperationRole.cooperation_id).where(CooperationRole.user_id == user.id)))

    def serialize(cooperation: Cooperation) -> schemas.Cooperation:
        return schemas.Cooperation(
            id=cooperation.id, name=cooperation.name, role=user.role_in(cooperation.id),
            chair_municipality=_municipality(cooperation.chair_municipality),
            municipalities=[_municipality(m) for m in cooperation.municipalities])

    return _json(_page_of_query(statement, serialize, schemas.CooperationPage))


@bp.get(f"/cooperations/<{ID}:cooperation_id>/consultations")
@operation(operation_id="listConsultations", tag="cooperations",
           summary="The remisser of a cooperation, by deadline.", query=schemas.Paging,
           result=schemas.ConsultationPage, result_description=LIST, errors=("401", "404", "422"))
def consultations(cooperation_id: int):
    cooperation = _load_cooperation(cooperation_id)
    user = _user()
    statement = (select(Consultation).where(Consultation.cooperation_id == cooperation.id)
                 .order_by(Consultation.deadline, Consultation.id))

    def serialize(consultation: Consultation) -> schemas.ConsultationWithResponses:
        responses = db.session.scalars(select(JointResponse).where(
            JointResponse.consultation_id == consultation.id).order_by(JointResponse.id))
        return schemas.ConsultationWithResponses(**_consultation(consultation), responses=[
            schemas.ResponseRef(id=r.id, title=r.title, stage=r.stage)
            for r in responses if can(user, Action.VIEW, r)])

    return _json(_page_of_query(statement, serialize, schemas.ConsultationPage))


@bp.get("/responses")
@operation(operation_id="listResponses", tag="responses",
           summary="Joint responses in your cooperations, newest first.", query=schemas.ResponseQuery,
           result=schemas.ResponsePage, result_description=LIST, errors=("401", "422"))
def responses():
    user = _user()
    query = _query(schemas.ResponseQuery)
    statement = (
        select(JointResponse)
        .options(selectinload(JointResponse.consultation), selectinload(JointResponse.cooperation))
        .where(JointResponse.cooperation_id.in_(
            select(CooperationRole.cooperation_id).where(
                CooperationRole.user_id == user.id,
                # A reviewer-only account sees no response, only its home rounds.
                CooperationRole.role != Role.REVIEWER.value)))
        .order_by(JointResponse.id.desc())
    )
    if query.stage is not None:
        statement = statement.where(JointResponse.stage == query.stage)
    return _json(_page_of_query(statement, _response_summary, schemas.ResponsePage, query))


@bp.get(f"/responses/<{ID}:response_id>")
@operation(operation_id="getResponse", tag="responses",
           summary="A response: stage, deadline, participants, consensus and what is missing.",
           result=schemas.ResponseDetail, result_description="The response.")
def response_detail(response_id: int):
    return _json(_response_detail(_load_response(response_id)))


@bp.get(f"/responses/<{ID}:response_id>/versions")
@operation(operation_id="listVersions", tag="versions", summary="Published versions, oldest first.",
           query=schemas.Paging, result=schemas.VersionPage, result_description=LIST,
           errors=("401", "404", "422"))
def versions(response_id: int):
    response = _load_response(response_id)
    statement = (select(Version).options(selectinload(Version.published_by))
                 .where(Version.response_id == response.id).order_by(Version.number))
    return _json(_page_of_query(statement, _version_summary, schemas.VersionPage))


@bp.get(f"/responses/<{ID}:response_id>/versions/<{ID}:number>")
@operation(operation_id="getVersion", tag="versions",
           summary="One published version with its sections.", result=schemas.VersionDetail,
           result_description="The version.")
def version_detail(response_id: int, number: int):
    response = _load_response(response_id)
    version = _version(response, number)
    sections = db.session.scalars(select(VersionSection).where(
        VersionSection.version_id == version.id).order_by(VersionSection.sort_order))
    return _json(schemas.VersionDetail(**_version_fields(version),
                                       text_fingerprint=version_fingerprint(version), sections=[
        schemas.VersionSection(section_id=vs.section_id, sort_order=vs.sort_order,
                            heading=vs.heading, body=vs.body, body_html=vs.body_html)
        for vs in sections]))


@bp.get(f"/responses/<{ID}:response_id>/comments")
@operation(operation_id="listComments", tag="comments",
           summary="Comment threads with their replies, oldest first.", query=schemas.CommentQuery,
           result=schemas.CommentPage, result_description=LIST, errors=("401", "404", "422"))
def comments(response_id: int):
    response = _load_response(response_id)
    query = _query(schemas.CommentQuery)
    by_section = comment_service.comment_threads(
        response, municipality_id=query.municipality_id,
        state=query.state.value if query.state is not None else None)
    threads = sorted((t for ts in by_section.values() for t in ts), key=lambda t: t.comment.id)
    numbers = _version_numbers(response)
    return _json(_page_of_list([_thread(t, numbers) for t in threads], schemas.CommentPage, query))


@bp.post(f"/responses/<{ID}:response_id>/comments")
@operation(operation_id="addComment", tag="comments",
           summary="Comment on a section, or on a quoted passage of it.", body=schemas.NewComment,
           result=schemas.CommentThread, result_description="Created.", errors=WRITE_ERRORS,
           description="With `exact`, the passage must occur in the section's text as shown "
                       "(the latest version, else the draft). `suggested_text` proposes a "
                       "replacement for that passage.")
def add_comment(response_id: int):
    response = _load_response(response_id, for_update=True)
    ensure(_user(), Action.COMMENT, response)
    data = _body(schemas.NewComment)
    section: Section = get_section(response, data.section_id)
    comment = comment_service.add_comment(response, _user(), section, data.body, data.exact,
                                          data.prefix, data.suffix, data.suggested_text)
    db.session.commit()
    return _json(_thread(comment_service.Thread(comment), _version_numbers(response)), 201)


def _load_home_round(response_id: int, *, for_update: bool = False) -> JointResponse:
    """The response if the token's owner is inside their municipality's home round of it."""
    return _load_response(response_id, for_update=for_update, action=Action.VIEW_HOME_ROUND)


def _internal_comment(comment, numbers: dict[int, int]) -> schemas.InternalComment:
    return schemas.InternalComment(
        id=comment.id, author=_ref(comment.author), municipality=_ref(comment.municipality),
        section_id=comment.section_id, version_number=numbers.get(comment.version_id),
        exact=comment.anchor_exact, body=comment.body, body_html=comment.body_html,
        created_at=comment.created_at, lifted_comment_id=comment.lifted_comment_id)


@bp.get(f"/responses/<{ID}:response_id>/home/comments")
@operation(operation_id="listInternalComments", tag="home-round",
           summary="Your municipality's internal comments of the home round, oldest first.",
           query=schemas.Paging, result=schemas.InternalCommentPage, result_description=LIST,
           errors=("401", "404", "422"),
           description="Only for the municipality's own officials, director and invited "
                       "reviewers; 404 for everyone else.")
def internal_comments(response_id: int):
    response = _load_home_round(response_id)
    view = home_service.home_round(response, _user(), with_text=False)
    numbers = _version_numbers(response)
    return _json(_page_of_list([_internal_comment(c, numbers) for c in view.comments],
                               schemas.InternalCommentPage, _query(schemas.Paging)))


@bp.post(f"/responses/<{ID}:response_id>/home/comments")
@operation(operation_id="addInternalComment", tag="home-round",
           summary="Comment inside your municipality's home round.",
           body=schemas.NewInternalComment, result=schemas.InternalComment,
           result_description="Created.", errors=WRITE_ERRORS,
           description="Seen only inside your municipality until an official lifts it into "
                       "the joint discussion.")
def add_internal_comment(response_id: int):
    response = _load_home_round(response_id, for_update=True)
    ensure(_user(), Action.COMMENT_IN_HOME_ROUND, response)
    data = _body(schemas.NewInternalComment)
    section: Section = get_section(response, data.section_id)
    comment = home_service.add_internal_comment(response, _user(), section, data.body, data.exact)
    db.session.commit()
    return _json(_internal_comment(comment, _version_numbers(response)), 201)


@bp.get(f"/responses/<{ID}:response_id>/positions")
@operation(operation_id="listPositions", tag="review",
           summary="Positions: the current ones per version, and the whole history.",
           query=schemas.Paging, result=schemas.PositionPage, result_description=LIST,
           errors=("401", "404", "422"))
def positions(response_id: int):
    response = _load_response(response_id)
    history = (select(Position).options(selectinload(Position.version),
                                        selectinload(Position.municipality),
                                        selectinload(Position.user))
               .where(Position.response_id == response.id)
               .order_by(Position.created_at, Position.id))
    current = db.session.scalars(history.where(Position.is_current.is_(True))).all()
    return _json(_page_of_query(history, _position, schemas.PositionPage,
                                current=[_position(p) for p in current]))


@bp.post(f"/responses/<{ID}:response_id>/positions")
@operation(operation_id="recordPosition", tag="review",
           summary="Record your municipality's position on the latest version.",
           body=schemas.NewPosition, result=schemas.Position, result_description="Created.",
           errors=WRITE_ERRORS,
           description="Officials of a participating municipality, during review or consensus. "
                       "The position is always for your own municipality.")
def record_position(response_id: int):
    response = _load_response(response_id, for_update=True)
    ensure(_user(), Action.RECORD_POSITION, response)
    data = _body(schemas.NewPosition)
    # The position is always the token owner's municipality's: no field can name another.
    position = review.record_position(response, _user(), data.version_number, data.decision,
                                      data.note)
    db.session.commit()
    return _json(_position(position), 201)


@bp.get(f"/responses/<{ID}:response_id>/signoffs")
@operation(operation_id="listSignOffs", tag="review",
           summary="Sign-offs, in the order they were made.", query=schemas.Paging,
           result=schemas.SignOffPage, result_description=LIST, errors=("401", "404", "422"))
def signoffs(response_id: int):
    response = _load_response(response_id)
    statement = (select(SignOff).options(selectinload(SignOff.version),
                                         selectinload(SignOff.municipality),
                                         selectinload(SignOff.user))
                 .where(SignOff.response_id == response.id)
                 .order_by(SignOff.created_at, SignOff.id))
    return _json(_page_of_query(statement, _signoff, schemas.SignOffPage))


@bp.post(f"/responses/<{ID}:response_id>/signoffs")
@operation(operation_id="signOff", tag="review",
           summary="Sign off the consensus version for your municipality.", body=schemas.NewSignOff,
           result=schemas.SignOff, result_description="Created.", errors=WRITE_ERRORS,
           description="Directors of a participating municipality, once consensus is reached. "
                       "Records the municipality's decision.")
def sign_off(response_id: int):
    response = _load_response(response_id, for_update=True)
    ensure(_user(), Action.SIGN_OFF, response)
    data = _body(schemas.NewSignOff)
    signoff_input = review.SignOffInput(
        deciding_body=data.deciding_body.value, decision_date=data.decision_date,
        signatory_name=data.signatory_name, signatory_title=data.signatory_title,
        minutes_paragraph=data.minutes_paragraph,
    )
    # The sign-off is always for the token owner's own municipality.
    signoff = review.sign_off(response, _user(), data.version_number, signoff_input)
    db.session.commit()
    return _json(_signoff(signoff), 201)


@bp.get(f"/responses/<{ID}:response_id>/audit")
@operation(operation_id="listAuditEvents", tag="audit", summary="The audit trail, oldest first.",
           query=schemas.Paging, result=schemas.AuditPage, result_description=LIST,
           errors=("401", "404", "422"))
def audit(response_id: int):
    response = _load_response(response_id)
    statement = (select(AuditEvent).options(selectinload(AuditEvent.user),
                                            selectinload(AuditEvent.municipality))
                 .where(AuditEvent.response_id == response.id)
                 .order_by(AuditEvent.created_at, AuditEvent.id))
    return _json(_page_of_query(statement, _audit_event, schemas.AuditPage))


@bp.get(f"/responses/<{ID}:response_id>/plan")
@operation(operation_id="getPlan", tag="planning",
           summary="The plan backwards from the deadline: each participant's deciding meeting, the "
                   "internal deadlines and the warnings.",
           result=schemas.Plan, result_description="The plan.")
def plan(response_id: int):
    response = _load_response(response_id)
    result = response_plan(response, local_today())
    return _json(schemas.Plan(
        deadline=result.deadline, consensus_by=result.consensus_by, feasible=result.feasible,
        extended_deadline=result.extended_deadline,
        participants=[schemas.PlanParticipant(
            municipality=p.municipality, deciding_body=p.body,
            decides_on=p.meeting.on if p.meeting else None, papers_due=p.papers_due,
            in_time=p.in_time, next_possible=p.next_possible.on if p.next_possible else None)
            for p in result.participants],
        milestones=[schemas.PlanMilestone(
            date=m.on, kind=m.kind.value, municipality=m.municipality, body=m.body,
            label=milestone_label(m), adjusted=m.adjusted, passed=m.passed)
            for m in result.milestones],
        warnings=[schemas.PlanWarning(problem=w.problem.value, municipality=w.municipality,
                                      text=describe(w)) for w in result.warnings],
    ))


@bp.get(f"/cooperations/<{ID}:cooperation_id>/municipalities/<{ID}:municipality_id>/meetings")
@operation(operation_id="listMeetings", tag="planning",
           summary="A member municipality's coming meetings of its deciding bodies.",
           result=schemas.MeetingList, result_description="The meetings, soonest first.")
def meetings(cooperation_id: int, municipality_id: int):
    cooperation = _load_cooperation(cooperation_id)
    municipality = db.session.get(Municipality, municipality_id) if _in_range(municipality_id) else None
    if municipality is None or municipality_id not in {m.municipality_id for m in cooperation.memberships}:
        raise NotFound(_("Kommunen finns inte."))
    return _json(schemas.MeetingList(
        municipality=_ref(municipality), director_may_decide=municipality.director_may_decide,
        items=[schemas.Meeting(id=m.id, body=m.body, meets_on=m.meets_on,
                               document_deadline_days=m.document_deadline_days,
                               papers_due=m.papers_due) for m in calendars.meetings(municipality)]))


@bp.get(f"/responses/<{ID}:response_id>/decision-basis.docx")
@operation(operation_id="exportDecisionBasis", tag="planning",
           summary="Your municipality's decision basis: the consensus version in full, with its "
                   "fingerprint.",
           result=None, result_description="The .docx file.", media_type=DOCX_MIMETYPE,
           errors=("401", "403", "404", "409"))
def decision_basis_docx(response_id: int):
    response = _load_response(response_id)
    user = _user()
    ensure(user, Action.DECISION_BASIS, response)
    document = decision_basis(response, user.municipality_id)
    data = build_decision_basis_docx(document, cooperation_template(response.cooperation_id))
    record_event("decision_basis_exported", user, response=response,
                 version_number=document.version_number,
                 summary=_("%(municipality)s laddade ner sitt beslutsunderlag (version %(n)d).",
                           municipality=user.municipality.name, n=document.version_number),
                 details={"text_fingerprint": document.text_fingerprint, "via": "api"})
    db.session.commit()
    filename = export_filename(response.consultation.reference_number, user.municipality.name,
                               "beslutsunderlag")
    return _download(data, filename, DOCX_MIMETYPE)


@bp.get(f"/responses/<{ID}:response_id>/export.docx")
@operation(operation_id="exportDocx", tag="export",
           summary="The Word document: the signed text, or the latest version as a draft.",
           result=None, result_description="The .docx file.", media_type=DOCX_MIMETYPE,
           errors=("401", "403", "404"))
def export_docx(response_id: int):
    response = _load_response(response_id)
    user = _user()
    ensure(user, Action.EXPORT, response)
    data, filename, version_number = _final(response)
    record_event("exported", user, response=response, version_number=version_number,
                 summary=_("Laddade ner %(file)s.", file=filename), details={"via": "api"})
    db.session.commit()
    return _download(data, filename, DOCX_MIMETYPE)
