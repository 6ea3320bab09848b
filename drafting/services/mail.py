"""E-mail of notifications, through the job queue: at once, or gathered in a daily digest.

Each notification is mailed at most once, however often its job runs: the job first claims
the notification (``emailed`` turns true only where it was false, one row update, committed)
and only the run that claimed it sends. A refused send gives the claim back before the job is
retried, so a later attempt sends it; a worker that dies between claiming and sending loses
that one e-mail rather than sending it twice.
"""

from __future__ import annotations

import logging

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..extensions import db
from ..jobs import enqueue, task
from ..models import JointResponse, Notification, User, local_today
from .mailer import language_of, send_mail
from .passwords import page_url

log = logging.getLogger(__name__)

MAIL_ATTEMPTS = 5  # then the job is failed and shown to the administrator


def queue_notification_mail(notification: Notification, response: JointResponse | None) -> None:
    """Mail this notification as soon as the caller's transaction commits."""
    enqueue("mail.notification", notification.id, key=f"mail:{notification.id}",
            cooperation_id=response.cooperation_id if response is not None else None)


def _claim(ids: list[int]) -> list[int]:
    """The notifications among `ids` that this run may mail (nobody has mailed them)."""
    claimed = []
    for notification_id in ids:
        done = db.session.execute(
            update(Notification).where(Notification.id == notification_id,
                                       Notification.emailed.is_(False))
            .values(emailed=True).execution_options(synchronize_session=False)).rowcount
        if done:
            claimed.append(notification_id)
    db.session.commit()
    return claimed


def _give_back(ids: list[int]) -> None:
    db.session.rollback()
    db.session.execute(update(Notification).where(Notification.id.in_(ids))
                       .values(emailed=False).execution_options(synchronize_session=False))
    db.session.commit()


def _link(notification: Notification) -> str:
    if notification.response_id is None:
        return page_url("responses.dashboard")
    return page_url(notification.page_endpoint, response_id=notification.response_id)


@task("mail.notification", attempts=MAIL_ATTEMPTS, timeout=120)
def deliver_notification(notification_id: int) -> dict:
    """Mail one notification to its recipient, in their language, with a link to the page."""
    # The claim, the notification and its recipient in one transaction, committed before the
    # send: every comment's mail goes through here, so it costs two statements, not four.
    notification = db.session.scalars(
        update(Notification).where(Notification.id == notification_id,
                                   Notification.emailed.is_(False))
        .values(emailed=True).returning(Notification)
        .execution_options(synchronize_session=False)).first()
    if notification is None:  # mailed already, or gone
        db.session.rollback()
        return {"sent": False}
    try:
        user = db.session.get(User, notification.user_id)
        if user is None or not user.is_active_account:
            db.session.commit()  # claimed: a deactivated account is never mailed
            return {"sent": False}
        with force_locale(language_of(user)):
            subject = _("Yttrande: %(message)s", message=notification.message[:150])
            body = "\n".join([
                notification.message,
                "",
                _("Öppna yttrandet: %(link)s", link=_link(notification)),
                "",
                _("Du får det här brevet för att du deltar i arbetet med yttrandet. Under Mitt "
                  "konto kan du välja en sammanfattning om dagen i stället: %(link)s",
                  link=page_url("auth.profile")),
            ])
        email = user.email
        db.session.commit()
        send_mail(email, subject, body)
    except Exception:
        _give_back([notification_id])
        raise
    return {"sent": True}


def deliver_digests() -> int:
    """Queue today's digest for everyone who chose one and has unmailed notifications."""
    users = list(db.session.scalars(
        select(User).where(User.mail_digest.is_(True), User.is_active_account.is_(True),
                           User.id.in_(select(Notification.user_id)
                                       .where(Notification.emailed.is_(False))))))
    today = local_today().isoformat()
    for user in users:
        enqueue("mail.digest", user.id, today, key=f"digest:{user.id}:{today}")
    db.session.commit()
    return len(users)


@task("mail.digest", attempts=MAIL_ATTEMPTS, timeout=300)
def deliver_digest(user_id: int, day: str) -> dict:
    """One e-mail with every notification of the person not mailed yet."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active_account:
        return {"sent": 0}
    pending = list(db.session.scalars(
        select(Notification.id).where(Notification.user_id == user_id,
                                      Notification.emailed.is_(False))
        .order_by(Notification.id).limit(500)))
    claimed = _claim(pending)
    if not claimed:
        return {"sent": 0}
    try:
        notifications = list(db.session.scalars(
            select(Notification).where(Notification.id.in_(claimed)).order_by(Notification.id)))
        user = db.session.get(User, user_id)
        with force_locale(language_of(user)):
            subject = _("Yttrande: sammanfattning %(day)s", day=day)
            lines = []
            for notification in notifications:
                lines += [notification.message, _link(notification), ""]
            lines.append(_("Du får en sammanfattning om dagen. Under Mitt konto kan du välja "
                           "e-post genast i stället: %(link)s", link=page_url("auth.profile")))
        db.session.commit()
        send_mail(user.email, subject, "\n".join(lines))
    except Exception:
        _give_back(claimed)
        raise
    log.info("digest of %d notifications to %s", len(claimed), user.email)
    return {"sent": len(claimed)}
