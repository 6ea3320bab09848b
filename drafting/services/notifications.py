"""In-app notifications; each is mailed through the job queue (services/mail.py)."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import date
from email.message import EmailMessage

from flask import current_app
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    CooperationRole,
    HomeReviewer,
    HomeRound,
    JointResponse,
    Notification,
    ParticipationStatus,
    Role,
    Stage,
    User,
    Version,
)
from . import consensus
from .errors import DomainError
from .signatures import missing_signatures

log = logging.getLogger(__name__)


def _users_of(response: JointResponse, municipality_ids: Iterable[int], roles: set[Role]) -> list[User]:
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


def _coordinators(response: JointResponse) -> list[User]:
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
        if key and db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
            continue
        notification = Notification(user_id=user.id, response_id=response.id if response else None,
                                    kind=kind, message=in_language_of(user, message),
                                    dedupe_key=key)
        # A savepoint: a concurrent job that inserted the same key first wins quietly.
        try:
            with db.session.begin_nested():
                db.session.add(notification)
        except IntegrityError:
            continue
        created += 1
        log.info("notification to %s: %s", user.email, notification.message)
        if not user.mail_digest:
            from .mail import queue_notification_mail

            queue_notification_mail(notification, response)
    return created


# A message is made with lazy_gettext, so that each recipient reads it in their own language.
Message = str | LazyString


def language_of(user: User) -> str:
    """The language a person reads the product in (their choice, else Swedish)."""
    languages = current_app.config["LANGUAGES"]
    return user.preferred_locale if user.preferred_locale in languages else \
        current_app.config["BABEL_DEFAULT_LOCALE"]


def in_language_of(user: User, message: Message) -> str:
    with force_locale(language_of(user)):
        return str(message)


def _joined_ids(response: JointResponse) -> list[int]:
    return [p.municipality_id for p in response.participations
            if p.status == ParticipationStatus.JOINED]


def version_published(response: JointResponse, version: Version) -> None:
    message = _l("Version %(number)d av ”%(title)s” är ute för ställningstagande.",
                number=version.number, title=response.title)
    notify(_users_of(response, _joined_ids(response), {Role.OFFICIAL}), response,
           "version_published", message, f"version:{version.id}")
    # The colleagues reviewing it at home read each new version too.
    notify(_home_reviewers(response.id), response, "home_version",
           _l("Version %(number)d av ”%(title)s” finns att granska i hemmaberedningen.",
             number=version.number, title=response.title), f"home-version:{version.id}")


def _home_reviewers(response_id: int, municipality_id: int | None = None) -> list[User]:
    """The internal reviewers of a response (of one municipality's home round, if given)."""
    statement = (select(User).join(HomeReviewer, HomeReviewer.user_id == User.id)
                 .where(HomeReviewer.response_id == response_id,
                        HomeReviewer.municipality_id == User.municipality_id))
    if municipality_id is not None:
        statement = statement.where(HomeReviewer.municipality_id == municipality_id)
    return list(db.session.scalars(statement))


def invited(response: JointResponse, municipality_id: int) -> None:
    message = _l("Din kommun är inbjuden att delta i ”%(title)s”.", title=response.title)
    notify(_users_of(response, [municipality_id], {Role.OFFICIAL, Role.DIRECTOR}), response,
           "invited", message, f"invite:{response.id}:{municipality_id}")


def objection_raised(response: JointResponse, municipality_name: str, version: Version) -> None:
    message = _l("%(municipality)s invänder mot version %(number)d av ”%(title)s”.",
                municipality=municipality_name, number=version.number, title=response.title)
    notify(_coordinators(response), response, "objection", message)


def consensus_reached(response: JointResponse, version: Version) -> None:
    message = _l("Samsyn om version %(number)d av ”%(title)s”. Underskrift behövs.",
                number=version.number, title=response.title)
    users = _coordinators(response) + _users_of(response, _joined_ids(response),
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
    notify([u for u in _coordinators(response) if u.id != author.id], response,
           "suggestion" if is_suggestion else "comment", message)


def response_sent(response: JointResponse) -> None:
    """Everyone who took part hears that the yttrande has gone to the ministry."""
    message = _l("”%(title)s” är skickat till %(recipient)s.", title=response.title,
                recipient=response.consultation.sender)
    notify(_users_of(response, _joined_ids(response), {Role.OFFICIAL, Role.DIRECTOR}), response,
           "sent", message, f"sent:{response.id}")


def remind_now(response: JointResponse, today: date) -> int:
    """The coordinator's reminder: whoever the response waits for hears it, at most once a day."""
    stage = Stage(response.stage)
    invited = [p.municipality_id for p in response.participations
               if p.status == ParticipationStatus.INVITED]
    sent = notify(_users_of(response, invited, {Role.OFFICIAL, Role.DIRECTOR}), response, "reminder",
                  _l("Påminnelse: svara på inbjudan till ”%(title)s”.", title=response.title),
                  f"remind:{response.id}:{today.isoformat()}:invited")
    if stage.takes_signoffs:
        names = set(missing_signatures(response))
        ids = [p.municipality_id for p in response.participations if p.municipality.name in names]
        sent += notify(_users_of(response, ids, {Role.DIRECTOR}), response, "reminder",
                       _l("Påminnelse: registrera kommunens beslut och skriv under ”%(title)s”.",
                         title=response.title),
                       f"remind:{response.id}:{today.isoformat()}:sign")
    elif stage.takes_positions:
        waiting = set(consensus.current_status(response).not_answered)
        ids = [p.municipality_id for p in response.participations if p.municipality.name in waiting]
        sent += notify(_users_of(response, ids, {Role.OFFICIAL}), response, "reminder",
                       _l("Påminnelse: ta ställning till den senaste versionen av ”%(title)s”.",
                         title=response.title),
                       f"remind:{response.id}:{today.isoformat()}:position")
    return sent


def send_deadline_reminders(today: date) -> int:
    """Remind, 7 and 2 days before the deadline, the municipalities that have not yet answered."""
    sent = 0
    responses = db.session.scalars(
        select(JointResponse).where(JointResponse.stage.in_(
            [stage for stage in Stage if stage.text_is_open]))
    )
    for response in responses:
        days_left = (response.deadline - today).days
        if days_left not in (7, 2):
            continue
        if Stage(response.stage).takes_signoffs:
            names = set(missing_signatures(response))
            ids = [p.municipality_id for p in response.participations if p.municipality.name in names]
            roles = {Role.DIRECTOR}
            message = _l("%(days)d dagar kvar till sista svarsdag för ”%(title)s”, och din kommun "
                        "har inte skrivit under.", days=days_left, title=response.title)
        else:
            status = consensus.current_status(response)
            waiting = set(status.not_answered)
            ids = [p.municipality_id for p in response.participations
                   if p.municipality.name in waiting
                   or p.status == ParticipationStatus.INVITED]
            roles = {Role.OFFICIAL}
            message = _l("%(days)d dagar kvar till sista svarsdag för ”%(title)s”, och din kommun "
                         "har inte svarat.", days=days_left, title=response.title)
        sent += notify(_users_of(response, ids, roles), response, "deadline", message,
                       f"deadline:{response.id}:{days_left}")
    return sent + _home_deadline_reminders(today)


def _home_deadline_reminders(today: date) -> int:
    """Two days before a home round's internal deadline in effect (the official's own, else the
    plan's home-round date: services/home.py) its invited colleagues are reminded, once."""
    from .home import internal_deadline

    sent = 0
    rounds = db.session.execute(select(HomeReviewer.response_id, HomeReviewer.municipality_id)
                                .distinct().order_by(HomeReviewer.response_id,
                                                     HomeReviewer.municipality_id)).all()
    for response_id, municipality_id in rounds:
        response = db.session.get(JointResponse, response_id)
        if response is None or not Stage(response.stage).discussion_is_open:
            continue
        day = internal_deadline(response, municipality_id, today).day
        if day is None or (day - today).days != 2:
            continue
        sent += notify(_home_reviewers(response.id, municipality_id), response, "home_deadline",
                       _l("2 dagar kvar till den interna svarsdagen för ”%(title)s” (%(day)s).",
                         title=response.title, day=day.isoformat()),
                       f"home-deadline-reminder:{response.id}:{municipality_id}:{day.isoformat()}")
    return sent


def send_plan_reminders(today: date) -> int:
    """Remind, before each of the plan's internal dates (services/planning.py), whoever that date
    waits for: the officials before the home round ends and before comments and positions are
    due (positions: those not yet answered); the coordinators when a body cannot decide in time."""
    from .planning import REMIND_DAYS_BEFORE, MilestoneKind, response_plan

    sent = 0
    responses = db.session.scalars(
        select(JointResponse).where(JointResponse.stage.in_(
            [stage for stage in Stage if stage.can_be_planned]))
    )
    for response in responses:
        plan = response_plan(response, today)
        for kind, day in plan.due.items():
            days_left = (day - today).days
            if days_left not in REMIND_DAYS_BEFORE:
                continue
            ids = _joined_ids(response)
            if kind is MilestoneKind.POSITIONS:
                if not Stage(response.stage).takes_positions:
                    continue
                waiting = set(consensus.current_status(response).not_answered)
                ids = [p.municipality_id for p in response.participations
                       if p.municipality.name in waiting]
            elif not Stage(response.stage).text_is_open or response.consensus_version_id:
                continue
            users = _users_of(response, ids, {Role.OFFICIAL})
            if kind is MilestoneKind.HOME_ROUND:
                # The plan's date is each home round's default (services/home.py): its officials
                # are reminded of it here unless they set their own internal deadline; the
                # invited colleagues hear of the date in effect from _home_deadline_reminders.
                own = set(db.session.scalars(select(HomeRound.municipality_id).where(
                    HomeRound.response_id == response.id, HomeRound.deadline.is_not(None))))
                users = _users_of(response, [i for i in ids if i not in own], {Role.OFFICIAL})
            messages = {
                MilestoneKind.HOME_ROUND: _l("Beredningen på hemmaplan av ”%(title)s” ska vara klar "
                                            "%(date)s enligt planen.", title=response.title,
                                            date=day.isoformat()),
                MilestoneKind.COMMENTS: _l("Sista dag för synpunkter på ”%(title)s” är %(date)s "
                                          "enligt planen.", title=response.title, date=day.isoformat()),
                MilestoneKind.POSITIONS: _l("Sista dag att ta ställning till ”%(title)s” är %(date)s "
                                           "enligt planen, så att alla hinner besluta.",
                                           title=response.title, date=day.isoformat()),
            }
            sent += notify(users, response, "plan", messages[kind],
                           f"plan:{response.id}:{kind.value}:{day.isoformat()}")
        if plan.late:
            sent += notify(_coordinators(response), response, "plan",
                           _l("Alla kommuner hinner inte besluta om ”%(title)s” före sista svarsdag: "
                             "%(names)s. Se planen; begär anstånd vid behov.", title=response.title,
                             names=", ".join(p.municipality for p in plan.late)),
                           f"plan-late:{response.id}:{','.join(p.municipality for p in plan.late)}")
    return sent


class MailNotSent(DomainError):
    """The mail server could not be reached or refused the message."""

    status = 503


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one e-mail now: through SMTP if configured, else to the log.

    The one door for mail that cannot wait for a job (invitations, password links), so that
    delivery can move elsewhere (a queue) without its callers changing.
    """
    server_name = current_app.config.get("MAIL_SERVER")
    if not server_name:
        # A warning, not info: without SMTP nobody receives it, and in development the log
        # is where the link is read.
        log.warning("e-mail (no MAIL_SERVER configured) to %s: %s\n%s", to, subject, body)
        return
    mail = EmailMessage()
    mail["From"] = current_app.config["MAIL_SENDER"]
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    try:
        with smtplib.SMTP(server_name, int(current_app.config.get("MAIL_PORT", 25)),
                          timeout=30) as smtp:
            smtp.send_message(mail)
    except OSError as error:  # refused connections and SMTPException alike
        log.exception("e-mail to %s could not be sent", to)
        raise MailNotSent(_("E-postmeddelandet kunde inte skickas just nu. Inget sparades; "
                            "försök igen om en stund.")) from error
