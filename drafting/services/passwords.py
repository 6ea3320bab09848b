"""Passwords people choose themselves: the rule, and one-time links sent by e-mail.

An administrator never chooses or sees a password. A new account gets an invitation link, and
anyone who has forgotten their password can ask for a link: a random secret of which only the
SHA-256 hash is stored. A link works once, until it expires, and only while it is the newest
link of its account; setting a password through it ends every session of that account.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from contextvars import ContextVar
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from flask_babel import force_locale, format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..auth import MIN_PASSWORD_LENGTH, renew_session_nonce
from ..config import is_development
from ..extensions import db
from ..jobs import enqueue, task
from ..limits import MAX_PASSWORD_LENGTH
from ..models import Cooperation, PasswordLink, PasswordLinkPurpose, User, utcnow
from .audit import record_event
from .errors import DomainError, InvalidInput, NotFound
from .mailer import send_mail

log = logging.getLogger(__name__)

SECRET_BYTES = 32
# Longer than any secret we issue; anything longer is not looked up at all.
MAX_SECRET_CHARS = 100
# Where `make run` serves the app: links printed by the command line in development.
DEVELOPMENT_BASE_URL = "http://127.0.0.1:5000"


class LinkNoLongerValid(DomainError):
    """The link existed but cannot be used any more: used, expired, replaced or deactivated."""

    status = 410


class NotConfigured(DomainError):
    """The service does not know its own address, so it cannot put a link in an e-mail."""

    status = 503


# --- the password rule --------------------------------------------------------------------------


def check_new_password(password: str) -> None:
    """Refuse a password the rule does not allow (the profile page's rule, as its form says)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("Lösenordet måste ha minst %(min)d tecken.", min=MIN_PASSWORD_LENGTH),
                           field="new_password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(_("Lösenordet är för långt: högst %(max)d tecken.",
                             max=MAX_PASSWORD_LENGTH), field="new_password")


def set_password(user: User, password: str) -> None:
    """Give the user this password (checked against the rule) and end all their sessions."""
    check_new_password(password)
    user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    if user.password_set_at is None:
        user.password_set_at = utcnow()
    renew_session_nonce(user)


def set_unusable_password(user: User) -> None:
    """An invited account: a hash of a secret nobody knows, so no password logs in.

    A real hash, not an empty field: checking it costs what checking any password costs, so
    the login page's timing does not tell invited accounts apart.
    """
    user.set_password(secrets.token_urlsafe(SECRET_BYTES),
                      current_app.config.get("PASSWORD_HASH_METHOD"))
    user.password_set_at = None


# --- links --------------------------------------------------------------------------------------


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# The address the request that queued a mail had, for the job that sends it (development only:
# outside development the base is always EXTERNAL_BASE_URL).
_queued_base: ContextVar[str | None] = ContextVar("queued_base", default=None)


def _base_url() -> str:
    """The address in front of every link: EXTERNAL_BASE_URL, or in development the request's."""
    queued = _queued_base.get()
    if queued:
        return queued
    configured = (current_app.config.get("EXTERNAL_BASE_URL") or "").strip()
    if configured:
        return configured.rstrip("/")
    if not is_development(current_app):
        # The request's Host header is the client's to choose: a forged one would make the
        # e-mail carry someone's password link to another site.
        raise NotConfigured(_("Tjänstens adress för länkar i e-post (EXTERNAL_BASE_URL) är inte "
                              "inställd. Be den som driftar tjänsten att ställa in den."))
    if has_request_context():
        return request.url_root.rstrip("/")
    return DEVELOPMENT_BASE_URL


def link_url(secret: str) -> str:
    """The one place a password link is built."""
    return page_url("auth.set_password", token=secret)


def page_url(endpoint: str, **values) -> str:
    """The absolute address of a page, for e-mail: built on EXTERNAL_BASE_URL, never a Host header."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return _base_url() + path


def _validity(purpose: PasswordLinkPurpose) -> timedelta:
    if purpose is PasswordLinkPurpose.INVITATION:
        return timedelta(days=int(current_app.config["INVITATION_LINK_DAYS"]))
    return timedelta(hours=int(current_app.config["PASSWORD_RESET_LINK_HOURS"]))


def issue_link(user: User, purpose: PasswordLinkPurpose, actor: User | None) -> tuple[PasswordLink, str]:
    """A new link for the user, replacing any earlier one; the secret is returned, never stored."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    now = utcnow()
    link = PasswordLink(user_id=user.id, purpose=purpose.value, token_hash=_hash(secret),
                        created_at=now, expires_at=now + _validity(purpose),
                        created_by_id=actor.id if actor is not None else None)
    db.session.add(link)
    db.session.flush()
    return link, secret


def expire_links(user: User) -> None:
    """No link of this user works any more (the account was deactivated)."""
    now = utcnow()
    db.session.execute(update(PasswordLink).where(
        PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None),
        PasswordLink.expires_at > now).values(expires_at=now))


def _local(moment: datetime) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm")


def find_link(secret: str) -> PasswordLink:
    """The link this secret opens, if it can still be used; otherwise say why not."""
    link = None
    if secret and len(secret) <= MAX_SECRET_CHARS:
        try:
            digest = _hash(secret)
        except UnicodeEncodeError:  # lone surrogates were never a secret we issued
            digest = None
        if digest is not None:
            # Looking up the hash compares no secret byte by byte: timing reveals nothing useful.
            link = db.session.scalars(
                select(PasswordLink).where(PasswordLink.token_hash == digest)).first()
    if link is None:
        raise NotFound(_("Länken finns inte. Kontrollera att du har fått med hela adressen från "
                         "e-postmeddelandet, eller be om en ny länk."))
    if link.used_at is not None:
        raise LinkNoLongerValid(_("Länken har redan använts; den fungerar bara en gång. Har du "
                                  "glömt ditt lösenord kan du be om en ny länk."))
    if not link.user.is_active_account:
        raise LinkNoLongerValid(_("Kontot är inaktiverat. Kontakta samarbetets administratör."))
    newest = db.session.scalar(select(func.max(PasswordLink.id))
                               .where(PasswordLink.user_id == link.user_id))
    if newest != link.id:
        raise LinkNoLongerValid(_("Det finns en nyare länk till ditt konto, och den här gäller "
                                  "inte längre. Använd länken i det senaste e-postmeddelandet."))
    if link.expires_at <= utcnow():
        raise LinkNoLongerValid(_("Länken gick ut %(when)s. Be om en ny länk.",
                                  when=_local(link.expires_at)))
    return link


def use_link(secret: str, password: str) -> User:
    """Set the password through a link, which then no longer works; returns the account."""
    link = find_link(secret)
    check_new_password(password)
    # Used once, even by two submissions at the same moment: only one update finds it unused.
    claimed = db.session.execute(update(PasswordLink).where(
        PasswordLink.id == link.id, PasswordLink.used_at.is_(None)).values(used_at=utcnow()))
    if claimed.rowcount != 1:
        raise LinkNoLongerValid(_("Länken har redan använts; den fungerar bara en gång. Har du "
                                  "glömt ditt lösenord kan du be om en ny länk."))
    user = link.user
    first = user.password_set_at is None
    set_password(user, password)
    record_event("password_set_by_link", user,
                 summary=_("%(name)s valde sitt lösenord via inbjudan.", name=user.name) if first
                 else _("%(name)s valde ett nytt lösenord via en länk i e-post.", name=user.name),
                 details={"link_id": link.id, "purpose": link.purpose})
    return user


# --- the e-mails --------------------------------------------------------------------------------


def send_invitation(user: User, cooperation: Cooperation, actor: User | None) -> str:
    """Send the user an invitation link to choose their password; returns the link."""
    from_whom = actor.name if actor is not None else cooperation.name
    link, secret = issue_link(user, PasswordLinkPurpose.INVITATION, actor)
    url = link_url(secret)
    with force_locale(user.preferred_locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Inbjudan till Yttrande – %(cooperation)s", cooperation=cooperation.name)
        body = _(
            "Hej %(name)s!\n\n"
            "%(from_whom)s har gett dig ett konto i Yttrande, där medlemskommunerna i "
            "%(cooperation)s tar fram gemensamma remissvar.\n\n"
            "Välj ditt lösenord här. Länken fungerar en gång och gäller till %(until)s:\n"
            "%(url)s\n\n"
            "Logga sedan in med din e-postadress, %(email)s.\n\n"
            "Väntade du dig inte det här meddelandet kan du bortse från det.",
            name=user.name, from_whom=from_whom, cooperation=cooperation.name,
            until=_local(link.expires_at), url=url, email=user.email)
    send_mail(user.email, subject, body)
    record_event("invitation_sent", actor, cooperation_id=cooperation.id,
                 summary=_("En inbjudan skickades till %(email)s.", email=user.email),
                 details={"user_id": user.id, "link_id": link.id})
    return url


def queue_invitation(user: User, cooperation: Cooperation, actor: User | None) -> None:
    """Mail the user an invitation link, by a job once the caller commits (no SMTP in a request)."""
    enqueue("mail.invitation", user.id, cooperation.id, actor.id if actor else None, _base_url(),
            key=f"invitation:{user.id}:{secrets.token_hex(8)}", cooperation_id=cooperation.id,
            created_by_id=actor.id if actor else None)


@task("mail.invitation", attempts=5, timeout=120)
def _mail_invitation(user_id: int, cooperation_id: int, actor_id: int | None, base: str) -> dict:
    """The job: a new link (replacing earlier ones) and its e-mail; nothing kept if it fails."""
    user = db.session.get(User, user_id)
    cooperation = db.session.get(Cooperation, cooperation_id)
    if (user is None or cooperation is None or not user.is_active_account
            or user.password_set_at is not None):
        return {"sent": False}
    actor = db.session.get(User, actor_id) if actor_id else None
    token = _queued_base.set(base)
    try:
        send_invitation(user, cooperation, actor)
    finally:
        _queued_base.reset(token)
    return {"sent": True}


def request_reset(email: str) -> None:
    """Mail a link to choose a new password, if an active account has this address.

    Whether one has is never told to the person asking: the caller answers the same either way,
    and as fast (the e-mail is made and sent by a job).
    """
    base = _base_url()  # a missing setting refuses every request alike, not only real accounts
    email = email.strip().lower()
    user = db.session.scalars(select(User).where(func.lower(User.email) == email)).first()
    if user is None or not user.is_active_account:
        return
    enqueue("mail.password_reset", user.id, base, key=f"reset:{user.id}:{secrets.token_hex(8)}",
            cooperation_id=user.roles[0].cooperation_id if user.roles else None)


@task("mail.password_reset", attempts=5, timeout=120)
def _mail_reset(user_id: int, base: str) -> dict:
    """The job: a new link (replacing earlier ones) and its e-mail; nothing kept if it fails."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active_account:
        return {"sent": False}
    token = _queued_base.set(base)
    try:
        link, secret = issue_link(user, PasswordLinkPurpose.RESET, None)
        with force_locale(user.preferred_locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject = _("Välj ett nytt lösenord i Yttrande")
            body = _(
                "Hej %(name)s!\n\n"
                "Någon, troligen du, bad om ett nytt lösenord till ditt konto i Yttrande "
                "(%(email)s). Välj ett nytt lösenord här. Länken fungerar en gång och gäller till "
                "%(until)s:\n%(url)s\n\n"
                "Bad du inte om det kan du bortse från meddelandet: ditt lösenord är oförändrat.",
                name=user.name, email=user.email, until=_local(link.expires_at), url=link_url(secret))
        send_mail(user.email, subject, body)
        record_event("password_link_sent", user,
                     summary=_("En länk för att välja nytt lösenord skickades till %(email)s.",
                               email=user.email), details={"link_id": link.id})
    finally:
        _queued_base.reset(token)
    return {"sent": True}
