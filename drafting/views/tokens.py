"""Personal API tokens on the profile page: create one (shown once) and revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from ..extensions import db
from ..forms import ChangePasswordForm, LanguageForm, MailPreferenceForm
from ..models import User
from ..services import tokens as token_service
from ..services.errors import DomainError
from .common import commit

bp = Blueprint("tokens", __name__)

NEVER = "never"


def _lifetime_label(days: int | None) -> str:
    if days is None:
        return _("Tills jag återkallar den")
    if days == 365:
        return _("Ett år")
    return ngettext("%(num)d dag", "%(num)d dagar", days)


def token_context(user: User) -> dict:
    """What templates/auth/_tokens.html needs on the profile page."""
    return {"api_tokens": token_service.user_tokens(user), "new_api_token": None,
            "new_api_token_name": None, "api_token_error": None, "api_token_error_field": None,
            "api_token_name": "",
            "api_token_lifetime": str(token_service.DEFAULT_LIFETIME),
            "api_token_lifetimes": [(str(days) if days else NEVER, _lifetime_label(days))
                                    for days in token_service.LIFETIMES],
            "token_is_expired": token_service.is_expired}


def _profile(status: int, **context):
    """The profile page as auth.profile renders it, with the tokens section filled in."""
    user = current_user._get_current_object()
    locale = session.get("locale") or user.preferred_locale or "sv"
    page = {
        "form": ChangePasswordForm(formdata=None),
        "language_form": LanguageForm(prefix="lang", locale=locale, formdata=None),
        "mail_form": MailPreferenceForm.of(user, formdata=None),
        **token_context(user), **context,
    }
    return render_template("auth/profile.html", **page), status, {"Cache-Control": "no-store"}


def _lifetime(raw: str) -> int | None:
    """The lifetime field: a number of days, or "never"; anything else is refused by the service."""
    if raw == NEVER:
        return None
    return int(raw) if raw.isdigit() and len(raw) < 6 else -1


@bp.post("/profile/tokens")
@login_required
def create():
    user = current_user._get_current_object()
    name = request.form.get("name", "")
    lifetime = request.form.get("lifetime", str(token_service.DEFAULT_LIFETIME))
    try:
        token, plaintext = token_service.create_token(user, name, _lifetime(lifetime))
    except DomainError as error:
        db.session.rollback()
        return _profile(error.status, api_token_error=error.message, api_token_name=name[:200],
                        api_token_error_field=error.field or "name", api_token_lifetime=lifetime[:10])
    commit()
    # Rendered, not redirected: the plaintext must not travel through a flash cookie.
    return _profile(200, new_api_token=plaintext, new_api_token_name=token.name)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = token_service.revoke_token(current_user._get_current_object(), token_id)
    commit()
    flash(_("API-nyckeln ”%(name)s” är återkallad.", name=token.name), "success")
    return redirect(url_for("auth.profile"))
