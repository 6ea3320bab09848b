"""In-app notifications; each is mailed through the job queue (services/mail.py).

Who hears what, and `notify`, which every service calls; the scheduled reminders that use them
are in services/reminders.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..database import insert_unless_taken
from ..extensions import db
from ..models import (
    CooperationRole,
    HomeReviewer,
    JointResponse,
    Notification,
    ParticipationStatus,
    Role,
    Stage,
    User,
    Version,
)
from . import consensus
from .mail import queue_notification_mail
from .mailer import Message, in_language_of
from .signatures import missing_signatures

log = logging.getLogger(__name__)


def users_of(response: JointResponse, municipality_ids: Iterable[int], roles: set[Role]) -> list[User]:
    """The active people of these municipalities with one of these roles in the cooperation."""
    ids = set(municipality_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        select(User)
        .join(CooperationRole, CooperationRole.user_id == User.id)
        .where(
            CooperationRole.cooperation_id == response.cooperation_id,
            CooperationRole.role.in_([r.value for r in roles]),
            User.municipality_id.in_(ids),
            User.is_active_account.is_(True),
        )
    ))


def coordinators(response: JointResponse) -> list[User]:
    """The coordinators of the response's cooperation."""
    return list(db.session.scalars(
        select(User).join(CooperationRole, CooperationRole.user_id == User.id).where(
            CooperationRole.cooperation_id == response.cooperation_id,
            CooperationRole.role == Role.COORDINATOR.value,
        )
    ))


def notify(users: Iterable[User], response: JointResponse | None, kind: str, message: Message,
           dedupe_prefix: str | None = None) -> int:
    """Create one notification per user, in that user's language, and queue its e-mail.

    With a dedupe prefix each user gets it only once. Whoever chose a daily digest gets the
    e-mail with the next digest instead.
    """
    created = 0
    for user in users:
        if not user.is_active_account:  # a deactivated account hears nothing more
            continue
        key = f"{dedupe_prefix}:{user.id}" if dedupe_prefix else None
        # A key given before, or by a concurrent job that inserted it first: that one stands.
        notification = insert_unless_taken(
            Notification, user_id=user.id, response_id=response.id if response else None,
            kind=kind, message=in_language_of(user, message), dedupe_key=key)
        if notification is None:
            continue
        created += 1
        log.info("notification to %s: %s", user.email, notification.message)
        if not user.mail_digest:
            queue_notification_mail(notification, response)
    return created


def joined_ids(response: JointResponse) -> list[int]:
    """The municipalities that have joined the response."""
    return [p.municipality_id for p in response.participations
            if p.status == ParticipationStatus.JOINED]


def version_published(response: JointResponse, version: Version) -> None:
    message = _l("Version %(number)d av ”%(title)s” är ute för ställningstagande.",
                number=version.number, title=response.title)
    notify(users_of(response, joined_ids(response), {Role.OFFICIAL}), response,
           "version_published", message, f"version:{version.id}")
    # The colleagues reviewing it at home read each new version too.
    notify(home_reviewers(response.id), response, "home_version",
           _l("Version %(number)d av ”%(title)s” finns att granska i hemmaberedningen.",
             number=version.number, title=response.title), f"home-version:{version.id}")


def home_reviewers(response_id: int, municipality_id: int | None = None) -> list[User]:
    """The internal reviewers of a response (of one municipality's home round, if given)."""
    statement = (select(User).join(HomeReviewer, HomeReviewer.user_id == User.id)
                 .where(HomeReviewer.response_id == response_id,
                        HomeReviewer.municipality_id == User.municipality_id))
    if municipality_id is not None:
        statement = statement.where(HomeReviewer.municipality_id == municipality_id)
    return list(db.session.scalars(statement))


def invited(response: JointResponse, municipality_id: int) -> None:
    message = _l("Din kommun är inbjuden att delta i ”%(title)s”.", title=response.title)
    notify(users_of(response, [municipality_id], {Role.OFFICIAL, Role.DIRECTOR}), response,
           "invited", message, f"invite:{response.id}:{municipality_id}")


def objection_raised(response: JointResponse, municipality_name: str, version: Version) -> None:
    message = _l("%(municipality)s invänder mot version %(number)d av ”%(title)s”.",
                municipality=municipality_name, number=version.number, title=response.title)
    notify(coordinators(response), response, "objection", message)


def consensus_reached(response: JointResponse, version: Version) -> None:
    message = _l("Samsyn om version %(number)d av ”%(title)s”. Underskrift behövs.",
                number=version.number, title=response.title)
    users = coordinators(response) + users_of(response, joined_ids(response),
                                                {Role.OFFICIAL, Role.DIRECTOR})
    notify(users, response, "consensus", message, f"consensus:{version.id}")


def reply_posted(response: JointResponse, parent_author_id: int, replier: User) -> None:
    """Someone answered my comment."""
    if parent_author_id == replier.id:
        return
    author = db.session.get(User, parent_author_id)
    message = _l("%(name)s svarade på din kommentar i ”%(title)s”.",
                name=replier.display_name, title=response.title)
    notify([author] if author else [], response, "reply", message)


def suggestion_decided(response: JointResponse, author_id: int, accepted: bool) -> None:
    """My suggestion was taken in, or declined."""
    author = db.session.get(User, author_id)
    message = (_l("Ditt ändringsförslag i ”%(title)s” är infört i utkastet.", title=response.title)
               if accepted else
               _l("Ditt ändringsförslag i ”%(title)s” togs inte med; se svaret.", title=response.title))
    notify([author] if author else [], response, "suggestion_decided", message)


def comment_added(response: JointResponse, author: User, is_suggestion: bool, heading: str) -> None:
    """The coordinator hears of every new comment and suggestion."""
    message = (_l("%(name)s föreslog en ändring i ”%(heading)s”.", name=author.display_name,
                 heading=heading) if is_suggestion else
               _l("%(name)s kommenterade ”%(heading)s”.", name=author.display_name, heading=heading))
    notify([u for u in coordinators(response) if u.id != author.id], response,
           "suggestion" if is_suggestion else "comment", message)


def response_sent(response: JointResponse) -> None:
    """Everyone who took part hears that the yttrande has gone to the ministry."""
    message = _l("”%(title)s” är skickat till %(recipient)s.", title=response.title,
                recipient=response.consultation.sender)
    notify(users_of(response, joined_ids(response), {Role.OFFICIAL, Role.DIRECTOR}), response,
           "sent", message, f"sent:{response.id}")


def remind_now(response: JointResponse, today: date) -> int:
    """The coordinator's reminder: whoever the response waits for hears it, at most once a day."""
    stage = Stage(response.stage)
    invited = [p.municipality_id for p in response.participations
               if p.status == ParticipationStatus.INVITED]
    sent = notify(users_of(response, invited, {Role.OFFICIAL, Role.DIRECTOR}), response, "reminder",
                  _l("Påminnelse: svara på inbjudan till ”%(title)s”.", title=response.title),
                  f"remind:{response.id}:{today.isoformat()}:invited")
    if stage.takes_signoffs:
        names = set(missing_signatures(response))
        ids = [p.municipality_id for p in response.participations if p.municipality.name in names]
        sent += notify(users_of(response, ids, {Role.DIRECTOR}), response, "reminder",
                       _l("Påminnelse: registrera kommunens beslut och skriv under ”%(title)s”.",
                         title=response.title),
                       f"remind:{response.id}:{today.isoformat()}:sign")
    elif stage.takes_positions:
        waiting = set(consensus.current_status(response).not_answered)
        ids = [p.municipality_id for p in response.participations if p.municipality.name in waiting]
        sent += notify(users_of(response, ids, {Role.OFFICIAL}), response, "reminder",
                       _l("Påminnelse: ta ställning till den senaste versionen av ”%(title)s”.",
                         title=response.title),
                       f"remind:{response.id}:{today.isoformat()}:position")
    return sent


