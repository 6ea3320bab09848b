"""Sending one e-mail now, in its reader's language: the lowest home of mail.

Notifications (services/notifications.py), their e-mails through the job queue
(services/mail.py) and password links (services/passwords.py) all send through here, so that
delivery can move elsewhere without its callers changing and none of them imports another for it.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _

from ..models import User
from .errors import DomainError

log = logging.getLogger(__name__)

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
