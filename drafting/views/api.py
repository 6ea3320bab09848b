"""The integration API under /api/v1: JSON, personal bearer tokens, the pages' permission layer.

Every response the token's owner may not view is a 404, so ids reveal nothing. Writes lock
the response row, check the permission before reading the body (whoever lacks it gets 403,
whatever they sent), call the same service as the page does, and commit once. Errors have one
shape, {"error": {"status", "code", "message"}}, built by drafting/errors.py.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.routing import IntegerConverter

from ..extensions import csrf, db
from ..ints import InvalidNumber, parse_int
from ..limits import MAX_ID
from ..models import (
    AuditEvent,
    Comment,
    Consultation,
    Cooperation,
    CooperationRole,
    Decision,
    JointResponse,
    Municipality,
    Position,
    Section,
    SignOff,
    Stage,
    User,
    Version,
    VersionSection,
)
from ..models.deciding_bodies import DecidingBody
from ..permissions import Action, CooperationAction, can, can_in_cooperation, ensure
from ..rendering import MAX_COMMENT_CHARS, strip_control_chars
from ..services import comments as comment_service
from ..services import review
from ..services.audit import record_event
from ..services.drafting import get_section
from ..services.errors import DomainError, NotFound
from ..services.overview import overview
from ..services.queries import get_response
from ..services.tokens import authenticate_token
from ..templating import STAGE_LABELS, days_left
from .api_spec import OPENAPI_SPEC
from .export import DOCX_MIMETYPE, _download, _final

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens only, never the session cookie: a cross-site form cannot act through the API.
csrf.exempt(bp)

MAX_BODY_BYTES = 1024 * 1024
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_EXACT_CHARS = 20_000
MAX_ANCHOR_CONTEXT_CHARS = 200
MAX_SIGNATORY_CHARS = 160
MAX_MINUTES_CHARS = 100
# Ids in paths use Werkzeug's plain integer converter, and the views answer 404 out of range.
# A converter with a max (as the app's "int" may be) makes Werkzeug answer 405, not 404, for
# POST /responses/<too large>/comments: the GET rule for the same path is what it reports.
ID = "api_id"


@bp.record_once
def _register_id_converter(state) -> None:
    # Recorded before the routes, so the converter exists when they are added.
    state.app.url_map.converters["api_id"] = IntegerConverter


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    user = authenticate_token(token.strip()) if scheme.lower() == "bearer" else None
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


def _json_object(allowed: set[str]) -> dict[str, Any]:
    """The body as a JSON object with no fields other than the allowed ones."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(_("Skicka kroppen som JSON med Content-Type: application/json."))
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except _RepeatedKey as repeated:
        raise MalformedBody(_("Fältet ”%(name)s” förekommer mer än en gång.",
                              name=_printable(repeated.key))) from None
    except (ValueError, RecursionError):
        raise MalformedBody(_("Kroppen är inte giltig JSON.")) from None
    if not isinstance(data, dict):
        raise MalformedBody(_("Kroppen måste vara ett JSON-objekt."))
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidRequest(_("Okänt fält: %(names)s.",
                               names=", ".join(f"”{_printable(name)}”" for name in unknown[:5])))
    return data


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


def _string(data: dict[str, Any], name: str, *, max_chars: int, required: bool = True,
            nullable: bool = False) -> str | None:
    if name not in data:
        if required:
            raise _field_error(name, _("saknas."))
        return None if nullable else ""
    value = data[name]
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _field_error(name, _("måste vara text."))
    # Every text field is read here: cleaned as a form field is (security.py), before any rule
    # sees it. Also drops lone surrogates from "\ud800" escapes, which UTF-8 cannot hold.
    value = strip_control_chars(value)
    if len(value) > max_chars:
        raise _field_error(name, _("för långt, högst %(max)d tecken.", max=max_chars))
    return value


def _integer(data: dict[str, Any], name: str, *, minimum: int = 1, maximum: int = MAX_ID) -> int:
    if name not in data:
        raise _field_error(name, _("saknas."))
    value = data[name]
    try:
        if not isinstance(value, int):  # a JSON number, not "5" or 5.0 (bool is refused too)
            raise InvalidNumber(name)
        return parse_int(value, name=name, minimum=minimum, maximum=maximum)
    except InvalidNumber:
        raise _field_error(name, _("måste vara ett heltal från %(min)d till %(max)d.",
                                   min=minimum, max=maximum)) from None


def _choice(data: dict[str, Any], name: str, choices: list[str]) -> str:
    if name not in data:
        raise _field_error(name, _("saknas."))
    value = data[name]
    if not isinstance(value, str) or value not in choices:
        raise _field_error(name, _("måste vara ett av %(choices)s.", choices=", ".join(choices)))
    return value


def _date(data: dict[str, Any], name: str) -> date:
    if name not in data:
        raise _field_error(name, _("saknas."))
    value = data[name]
    try:
        if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise _field_error(name, _("måste vara ett datum som ÅÅÅÅ-MM-DD.")) from None


def _query_int(name: str, default: int | None, minimum: int, maximum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse_int(raw, name=name, minimum=minimum, maximum=maximum)
    except InvalidNumber as error:
        raise InvalidRequest(error.message) from None


def _query_choice(name: str, choices: list[str]) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if raw not in choices:
        raise InvalidRequest(_("Parametern ”%(name)s” måste vara ett av %(choices)s.",
                               name=name, choices=", ".join(choices)))
    return raw


def _paging() -> tuple[int, int]:
    limit = _query_int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    offset = _query_int("offset", 0, 0, MAX_ID)
    assert limit is not None and offset is not None
    return limit, offset


def _page_of_query(statement, serialize) -> dict[str, Any]:
    limit, offset = _paging()
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = db.session.scalars(statement.limit(limit).offset(offset)).all()
    return {"items": [serialize(row) for row in rows], "total": total, "limit": limit,
            "offset": offset}


def _page_of_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    limit, offset = _paging()
    return {"items": items[offset:offset + limit], "total": len(items), "limit": limit,
            "offset": offset}


# --- loading -----------------------------------------------------------------------------------


def _in_range(id_: int) -> bool:
    # Larger ids overflow the database driver's integers; none exist anyway.
    return 1 <= id_ <= MAX_ID


def _load_response(response_id: int, *, for_update: bool = False) -> JointResponse:
    """The response if the token's owner may view it; 404 otherwise, so ids reveal nothing."""
    response = None
    if _in_range(response_id):
        try:
            response = get_response(response_id, for_update=for_update)
        except NotFound:
            pass
    if response is None or not can(_user(), Action.VIEW, response):
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


# --- serializers -------------------------------------------------------------------------------


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ref(obj: Municipality | Cooperation | User | None) -> dict[str, Any] | None:
    return {"id": obj.id, "name": obj.name} if obj is not None else None


def _consultation(consultation: Consultation) -> dict[str, Any]:
    return {
        "id": consultation.id, "sender": consultation.sender,
        "reference_number": consultation.reference_number, "title": consultation.title,
        "received_on": _iso(consultation.received_on),
        "deadline": consultation.deadline.isoformat(), "url": consultation.url,
    }


def _response_summary(response: JointResponse) -> dict[str, Any]:
    return {
        "id": response.id, "title": response.title, "stage": response.stage,
        "stage_label": str(STAGE_LABELS[response.stage]), "focus_area": response.focus_area,
        "cooperation": _ref(response.cooperation),
        "consultation": _consultation(response.consultation),
        "deadline": response.deadline.isoformat(), "days_left": days_left(response.deadline),
        "created_at": _iso(response.created_at),
    }


def _response_detail(response: JointResponse) -> dict[str, Any]:
    summary = overview(response)
    version, status = summary.version, summary.status
    numbers = _version_numbers(response)
    participants = [
        {"municipality": _ref(p.municipality), "status": p.status, "reason": p.reason,
         "answered_at": _iso(p.answered_at),
         "position": summary.positions[p.municipality_id].decision
         if p.municipality_id in summary.positions else None,
         "signed": bool(summary.signoffs.get(p.municipality_id)
                        and summary.signoffs[p.municipality_id].current)}
        for p in summary.participations
    ]
    return {
        **_response_summary(response),
        "latest_version_number": version.number if version else None,
        "consensus_version_number": numbers.get(response.consensus_version_id or 0),
        "consensus_at": _iso(response.consensus_at), "signed_at": _iso(response.signed_at),
        "sent_on": _iso(response.sent_on), "withdrawn_reason": response.withdrawn_reason,
        "participants": participants,
        "consensus": {
            "reached": status.reached, "version_number": status.version_number,
            "approved": list(status.approved), "not_answered": list(status.not_answered),
            "objections": [{"municipality": o.name, "municipality_id": o.municipality_id,
                            "reason": o.reason} for o in status.objections],
            "stale_approvals": [{"municipality": name, "version_number": number}
                                for name, number in sorted(status.stale_approvals.items())],
            "too_few_cosigners": status.too_few_cosigners,
        },
        "missing_signatures": list(summary.missing_signatures),
        "missing": summary.sentence(),
    }


def _version_summary(version: Version) -> dict[str, Any]:
    return {"number": version.number, "change_note": version.change_note,
            "published_at": _iso(version.published_at), "published_by": _ref(version.published_by)}


def _comment(comment: Comment, numbers: dict[int, int]) -> dict[str, Any]:
    return {
        "id": comment.id, "author": _ref(comment.author),
        "municipality": _ref(comment.municipality), "body": comment.body,
        "body_html": comment.body_html, "created_at": _iso(comment.created_at),
    } | ({} if comment.parent_id is not None else {
        "section_id": comment.section_id,
        "version_number": numbers.get(comment.version_id or 0),
        "anchor": {"state": comment.anchor_state, "exact": comment.anchor_exact,
                   "prefix": comment.anchor_prefix, "suffix": comment.anchor_suffix},
        "suggestion": ({"text": comment.suggested_text, "state": comment.suggestion_state}
                       if comment.is_suggestion else None),
        "state": "resolved" if comment.resolved_at is not None else "open",
        "resolved_at": _iso(comment.resolved_at),
    })


def _thread(thread: comment_service.Thread, numbers: dict[int, int]) -> dict[str, Any]:
    return _comment(thread.comment, numbers) | {
        "replies": [_comment(reply, numbers) for reply in thread.replies]}


def _position(position: Position) -> dict[str, Any]:
    return {
        "id": position.id, "version_number": position.version.number,
        "municipality": _ref(position.municipality), "user": _ref(position.user),
        "decision": position.decision, "note": position.note,
        "is_current": bool(position.is_current), "created_at": _iso(position.created_at),
    }


def _signoff(signoff: SignOff) -> dict[str, Any]:
    return {
        "id": signoff.id, "version_number": signoff.version.number,
        "municipality": _ref(signoff.municipality), "user": _ref(signoff.user),
        "deciding_body": signoff.deciding_body, "decision_date": signoff.decision_date.isoformat(),
        "minutes_paragraph": signoff.minutes_paragraph, "signatory_name": signoff.signatory_name,
        "signatory_title": signoff.signatory_title, "created_at": _iso(signoff.created_at),
    }


def _audit_event(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id, "action": event.action, "created_at": _iso(event.created_at),
        "user": _ref(event.user), "municipality": _ref(event.municipality),
        "version_number": event.version_number, "summary": event.summary,
        "details": event.details if isinstance(event.details, dict) else {},
    }


# --- endpoints ---------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return OPENAPI_SPEC


@bp.get("/me")
def me():
    user = _user()
    return {
        "id": user.id, "name": user.name, "email": user.email, "title": user.title,
        "municipality": _ref(user.municipality), "is_system_admin": user.is_system_admin,
        "roles": [{"cooperation": _ref(role.cooperation), "role": role.role}
                  for role in sorted(user.roles, key=lambda r: r.cooperation_id)],
    }


@bp.get("/cooperations")
def cooperations():
    user = _user()
    statement = select(Cooperation).order_by(Cooperation.name, Cooperation.id)
    if not user.is_system_admin:
        statement = statement.where(Cooperation.id.in_(
            select(CooperationRole.cooperation_id).where(CooperationRole.user_id == user.id)))

    def serialize(cooperation: Cooperation) -> dict[str, Any]:
        role = user.role_in(cooperation.id)
        return {"id": cooperation.id, "name": cooperation.name,
                "role": role.value if role else None,
                "chair_municipality": _ref(cooperation.chair_municipality),
                "municipalities": [_ref(m) for m in cooperation.municipalities]}

    return _page_of_query(statement, serialize)


@bp.get(f"/cooperations/<{ID}:cooperation_id>/consultations")
def consultations(cooperation_id: int):
    cooperation = _load_cooperation(cooperation_id)
    user = _user()
    statement = (select(Consultation).where(Consultation.cooperation_id == cooperation.id)
                 .order_by(Consultation.deadline, Consultation.id))

    def serialize(consultation: Consultation) -> dict[str, Any]:
        responses = db.session.scalars(select(JointResponse).where(
            JointResponse.consultation_id == consultation.id).order_by(JointResponse.id))
        return _consultation(consultation) | {"responses": [
            {"id": r.id, "title": r.title, "stage": r.stage}
            for r in responses if can(user, Action.VIEW, r)]}

    return _page_of_query(statement, serialize)


@bp.get("/responses")
def responses():
    user = _user()
    stage = _query_choice("stage", [s.value for s in Stage])
    statement = (
        select(JointResponse)
        .options(selectinload(JointResponse.consultation), selectinload(JointResponse.cooperation))
        .where(JointResponse.cooperation_id.in_(
            select(CooperationRole.cooperation_id).where(CooperationRole.user_id == user.id)))
        .order_by(JointResponse.id.desc())
    )
    if stage is not None:
        statement = statement.where(JointResponse.stage == stage)
    return _page_of_query(statement, _response_summary)


@bp.get(f"/responses/<{ID}:response_id>")
def response_detail(response_id: int):
    return _response_detail(_load_response(response_id))


@bp.get(f"/responses/<{ID}:response_id>/versions")
def versions(response_id: int):
    response = _load_response(response_id)
    statement = (select(Version).options(selectinload(Version.published_by))
                 .where(Version.response_id == response.id).order_by(Version.number))
    return _page_of_query(statement, _version_summary)


@bp.get(f"/responses/<{ID}:response_id>/versions/<{ID}:number>")
def version_detail(response_id: int, number: int):
    response = _load_response(response_id)
    version = _version(response, number)
    sections = db.session.scalars(select(VersionSection).where(
        VersionSection.version_id == version.id).order_by(VersionSection.sort_order))
    return _version_summary(version) | {"sections": [
        {"section_id": s.section_id, "sort_order": s.sort_order, "heading": s.heading,
         "body": s.body, "body_html": s.body_html} for s in sections]}


@bp.get(f"/responses/<{ID}:response_id>/comments")
def comments(response_id: int):
    response = _load_response(response_id)
    municipality_id = _query_int("municipality_id", None, 1, MAX_ID)
    state = _query_choice("state", ["open", "resolved"])
    by_section = comment_service.comment_threads(response, municipality_id=municipality_id,
                                                 state=state)
    threads = sorted((t for ts in by_section.values() for t in ts), key=lambda t: t.comment.id)
    numbers = _version_numbers(response)
    return _page_of_list([_thread(t, numbers) for t in threads])


@bp.post(f"/responses/<{ID}:response_id>/comments")
def add_comment(response_id: int):
    response = _load_response(response_id, for_update=True)
    ensure(_user(), Action.COMMENT, response)
    data = _json_object({"section_id", "body", "exact", "prefix", "suffix", "suggested_text"})
    section_id = _integer(data, "section_id")
    body = _string(data, "body", max_chars=MAX_COMMENT_CHARS)
    exact = _string(data, "exact", max_chars=MAX_EXACT_CHARS, required=False)
    prefix = _string(data, "prefix", max_chars=MAX_ANCHOR_CONTEXT_CHARS, required=False)
    suffix = _string(data, "suffix", max_chars=MAX_ANCHOR_CONTEXT_CHARS, required=False)
    suggested = _string(data, "suggested_text", max_chars=MAX_COMMENT_CHARS, required=False,
                        nullable=True)
    section: Section = get_section(response, section_id)
    comment = comment_service.add_comment(response, _user(), section, body or "", exact or "",
                                          prefix or "", suffix or "", suggested)
    db.session.commit()
    return _thread(comment_service.Thread(comment), _version_numbers(response)), 201


@bp.get(f"/responses/<{ID}:response_id>/positions")
def positions(response_id: int):
    response = _load_response(response_id)
    history = (select(Position).options(selectinload(Position.version),
                                        selectinload(Position.municipality),
                                        selectinload(Position.user))
               .where(Position.response_id == response.id)
               .order_by(Position.created_at, Position.id))
    current = db.session.scalars(history.where(Position.is_current.is_(True))).all()
    return {"current": [_position(p) for p in current]} | _page_of_query(history, _position)


@bp.post(f"/responses/<{ID}:response_id>/positions")
def record_position(response_id: int):
    response = _load_response(response_id, for_update=True)
    ensure(_user(), Action.RECORD_POSITION, response)
    data = _json_object({"version_number", "decision", "note"})
    version_number = _integer(data, "version_number")
    decision = Decision(_choice(data, "decision", [d.value for d in Decision]))
    note = _string(data, "note", max_chars=review.MAX_REASON_CHARS, required=False)
    # The position is always the token owner's municipality's: no field can name another.
    position = review.record_position(response, _user(), version_number, decision, note or "")
    db.session.commit()
    return _position(position), 201


@bp.get(f"/responses/<{ID}:response_id>/signoffs")
def signoffs(response_id: int):
    response = _load_response(response_id)
    statement = (select(SignOff).options(selectinload(SignOff.version),
                                         selectinload(SignOff.municipality),
                                         selectinload(SignOff.user))
                 .where(SignOff.response_id == response.id)
                 .order_by(SignOff.created_at, SignOff.id))
    return _page_of_query(statement, _signoff)


@bp.post(f"/responses/<{ID}:response_id>/signoffs")
def sign_off(response_id: int):
    response = _load_response(response_id, for_update=True)
    ensure(_user(), Action.SIGN_OFF, response)
    data = _json_object({"version_number", "deciding_body", "decision_date", "signatory_name",
                         "signatory_title", "minutes_paragraph"})
    version_number = _integer(data, "version_number")
    signoff_input = review.SignOffInput(
        deciding_body=_choice(data, "deciding_body", [body.value for body in DecidingBody]),
        decision_date=_date(data, "decision_date"),
        signatory_name=_string(data, "signatory_name", max_chars=MAX_SIGNATORY_CHARS) or "",
        signatory_title=_string(data, "signatory_title", max_chars=MAX_SIGNATORY_CHARS) or "",
        minutes_paragraph=_string(data, "minutes_paragraph", max_chars=MAX_MINUTES_CHARS,
                                  required=False) or "",
    )
    # The sign-off is always for the token owner's own municipality.
    signoff = review.sign_off(response, _user(), version_number, signoff_input)
    db.session.commit()
    return _signoff(signoff), 201


@bp.get(f"/responses/<{ID}:response_id>/audit")
def audit(response_id: int):
    response = _load_response(response_id)
    statement = (select(AuditEvent).options(selectinload(AuditEvent.user),
                                            selectinload(AuditEvent.municipality))
                 .where(AuditEvent.response_id == response.id)
                 .order_by(AuditEvent.created_at, AuditEvent.id))
    return _page_of_query(statement, _audit_event)


@bp.get(f"/responses/<{ID}:response_id>/export.docx")
def export_docx(response_id: int):
    response = _load_response(response_id)
    user = _user()
    ensure(user, Action.EXPORT, response)
    data, filename, version_number = _final(response)
    record_event("exported", user, response=response, version_number=version_number,
                 summary=_("Laddade ner %(file)s.", file=filename), details={"via": "api"})
    db.session.commit()
    return _download(data, filename, DOCX_MIMETYPE)
