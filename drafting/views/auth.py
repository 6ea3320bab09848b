"""Logging in and out, changing one's own password and language."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..auth import authenticate, renew_session_nonce, verify_password_limited
from ..extensions import db
from ..forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    MailPreferenceForm,
    SetPasswordForm,
)
from ..security import count_link_request, ensure_link_requests_left, start_authenticated_session
from ..services import passwords
from ..services.audit import record_event
from ..services.errors import DomainError, InvalidInput
from .common import commit, refuse, safe_next_url
from .tokens import token_context

bp = Blueprint("auth", __name__)

# The link's secret is in the address: no cache keeps the page, no other site learns the address.
LINK_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Fel e-postadress eller lösenord."))
            return render_template("auth/login.html", form=form), 401
        session.clear()  # a fresh session at login: nothing carried over from before
        if not user.session_nonce:
            renew_session_nonce(user)
        login_user(user)
        start_authenticated_session()
        record_event("logged_in", user)
        commit()
        return redirect(safe_next_url(form.next.data) or url_for("responses.dashboard"))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        ensure_link_requests_left(form.email.data)
        try:
            passwords.request_reset(form.email.data)
        except DomainError as error:  # the service is not set up to send links: said to everyone
            db.session.rollback()
            return render_template("auth/forgot_password.html", form=form,
                                   refused=refuse(form, error, "email")), error.status
        commit()
        count_link_request(form.email.data)
        # The same answer whether or not the address has an account.
        return render_template("auth/forgot_password_sent.html", email=form.email.data,
                               hours=current_app.config["PASSWORD_RESET_LINK_HOURS"])
    status = 400 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form, refused=None), status


def _invalid_link(error: DomainError):
    db.session.rollback()
    return (render_template("auth/link_invalid.html", message=error.message), error.status,
            LINK_PAGE_HEADERS)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    # Opening the link changes nothing (mail scanners open links); only the form uses it up.
    try:
        link = passwords.find_link(token)
    except DomainError as error:
        return _invalid_link(error)
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            user = passwords.use_link(token, form.new_password.data)
        except InvalidInput as error:
            db.session.rollback()
            refuse(form, error, "new_password")
        except DomainError as error:  # used up by another tab a moment ago
            return _invalid_link(error)
        else:
            commit()
            if current_user.is_authenticated and current_user.id == user.id:
                logout_user()  # this session ended with all the others
                session.clear()
            flash(_("Ditt lösenord är sparat. Logga in med din e-postadress och det nya "
                    "lösenordet."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.errors else 200
    return (render_template("auth/set_password.html", form=form, link=link, token=token),
            status, LINK_PAGE_HEADERS)


@bp.post("/logout")
@login_required
def logout():
    user = current_user._get_current_object()
    renew_session_nonce(user)
    commit()
    logout_user()
    session.clear()
    flash(_("Du är utloggad."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ChangePasswordForm()
    language_form = LanguageForm(prefix="lang", locale=session.get("locale") or current_user.preferred_locale or "sv")
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not verify_password_limited(user, user.email, form.current_password.data):
            form.current_password.errors.append(_("Det nuvarande lösenordet stämmer inte."))
            return render_template("auth/profile.html", form=form, language_form=language_form,
                                   mail_form=_mail_form(), **token_context(current_user)), 400
        user.set_password(form.new_password.data, current_app.config.get("PASSWORD_HASH_METHOD"))
        renew_session_nonce(user)
        record_event("password_changed", user)
        commit()
        login_user(user)  # this browser stays logged in; every other session is ended
        start_authenticated_session()
        flash(_("Lösenordet är bytt. Andra inloggningar har loggats ut."), "success")
        return redirect(url_for("auth.profile"))
    status = 400 if form.errors else 200
    return render_template("auth/profile.html", form=form, language_form=language_form,
                           mail_form=_mail_form(), **token_context(current_user)), status


def _mail_form() -> MailPreferenceForm:
    return MailPreferenceForm.of(current_user)


@bp.post("/profile/mail")
@login_required
def set_mail_preference():
    """E-mail of notifications at once, or one digest a day."""
    form = MailPreferenceForm(prefix="mail")
    if not form.validate_on_submit():
        return render_template("auth/profile.html", form=ChangePasswordForm(),
                               language_form=LanguageForm(prefix="lang"), mail_form=form,
                               **token_context(current_user)), 400
    current_user.mail_digest = form.mail.data == "digest"
    commit()
    flash(_("Du får en sammanfattning om dagen.") if current_user.mail_digest
          else _("Du får e-post genast om varje avisering."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/language")
def set_language():
    form = LanguageForm(prefix="lang")
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.preferred_locale = form.locale.data
            commit()
    return redirect(safe_next_url(request.form.get("next")) or url_for("responses.dashboard"))
