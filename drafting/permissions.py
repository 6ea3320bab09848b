"""Who may do what: every permission rule of the application, in one place.

Permissions answer "may this person, by role and municipality, do this at all?".
Whether the response's stage allows it now is a domain rule in services/stages.py.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from .models import Cooperation, JointResponse, ParticipationStatus, Role, User
from .services.errors import NotAllowed


class Action(StrEnum):
    VIEW = "view"
    EDIT_DRAFT = "edit_draft"
    PUBLISH_VERSION = "publish_version"
    MANAGE_PARTICIPANTS = "manage_participants"
    ANSWER_INVITATION = "answer_invitation"
    STEP_ASIDE = "step_aside"
    COMMENT = "comment"
    DECIDE_SUGGESTION = "decide_suggestion"
    RECORD_POSITION = "record_position"
    SIGN_OFF = "sign_off"
    CHANGE_STAGE = "change_stage"
    EXPORT = "export"


class CooperationAction(StrEnum):
    VIEW = "view"
    OPEN_RESPONSE = "open_response"
    ADMINISTER = "administer"


_COORDINATOR_ACTIONS = {
    Action.VIEW,
    Action.EDIT_DRAFT,
    Action.PUBLISH_VERSION,
    Action.MANAGE_PARTICIPANTS,
    Action.COMMENT,
    Action.DECIDE_SUGGESTION,
    Action.CHANGE_STAGE,
    Action.EXPORT,
}
# Actions a municipality's people take for their own municipality, by participation status.
_MUNICIPAL_ACTIONS: dict[Role, dict[ParticipationStatus | None, set[Action]]] = {
    Role.OFFICIAL: {
        ParticipationStatus.INVITED: {Action.ANSWER_INVITATION, Action.COMMENT},
        ParticipationStatus.JOINED: {
            Action.STEP_ASIDE, Action.COMMENT, Action.RECORD_POSITION,
        },
        ParticipationStatus.DECLINED: {Action.ANSWER_INVITATION},
        ParticipationStatus.STEPPED_ASIDE: set(),
    },
    Role.DIRECTOR: {
        ParticipationStatus.INVITED: {Action.ANSWER_INVITATION, Action.COMMENT},
        ParticipationStatus.JOINED: {
            Action.STEP_ASIDE, Action.COMMENT, Action.SIGN_OFF,
        },
        ParticipationStatus.DECLINED: {Action.ANSWER_INVITATION},
        ParticipationStatus.STEPPED_ASIDE: set(),
    },
}


def participation_status(response: JointResponse, municipality_id: int | None) -> ParticipationStatus | None:
    for participation in response.participations:
        if participation.municipality_id == municipality_id:
            return ParticipationStatus(participation.status)
    return None


def can(user: User | None, action: Action, response: JointResponse) -> bool:
    """May this user take this action on this response, by role and municipality?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    role = user.role_in(response.cooperation_id)
    if role is None:
        return False
    if action in (Action.VIEW, Action.EXPORT):
        return True
    if role is Role.COORDINATOR:
        return action in _COORDINATOR_ACTIONS
    if role in _MUNICIPAL_ACTIONS and user.municipality_id is not None:
        status = participation_status(response, user.municipality_id)
        if status is None:
            return False
        return action in _MUNICIPAL_ACTIONS[role][status]
    return False


def can_in_cooperation(user: User | None, action: CooperationAction, cooperation: Cooperation) -> bool:
    """May this user take this cooperation-wide action?"""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_system_admin:
        return True
    role = user.role_in(cooperation.id)
    if role is None:
        return False
    if action is CooperationAction.VIEW:
        return True
    if action is CooperationAction.OPEN_RESPONSE:
        return role is Role.COORDINATOR
    if action is CooperationAction.ADMINISTER:
        return role is Role.ADMIN
    return False


_DENIED_MESSAGES = {
    Action.RECORD_POSITION: _l("Bara en tjänsteman i en deltagande kommun kan ta ställning för sin kommun."),
    Action.SIGN_OFF: _l("Bara kommundirektören i en deltagande kommun kan skriva under för sin kommun."),
    Action.EDIT_DRAFT: _l("Bara koordinatorn kan redigera utkastet."),
    Action.PUBLISH_VERSION: _l("Bara koordinatorn kan publicera versioner."),
}


def ensure(user: User | None, action: Action, response: JointResponse) -> None:
    """Raise NotAllowed unless can(user, action, response)."""
    if not can(user, action, response):
        message = _DENIED_MESSAGES.get(action, _l("Du har inte behörighet att göra detta."))
        raise NotAllowed(str(message))


def ensure_in_cooperation(user: User | None, action: CooperationAction, cooperation: Cooperation) -> None:
    if not can_in_cooperation(user, action, cooperation):
        raise NotAllowed(str(_l("Du har inte behörighet att göra detta.")))
