"""Login plumbing: loading users from the session cookie, password checks, session revocation."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_login import LoginManager
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .models import User
from .security import count_wrong_password, ensure_password_attempts_left

_DUMMY_HASHES: dict[str | None, str] = {}


def _dummy_hash() -> str:
    """A hash made like real ones, checked when the e-mail is unknown: both failures cost the same."""
    from flask import current_app

    method = current_app.config.get("PASSWORD_HASH_METHOD")
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = (generate_password_hash("not-a-real-password", method) if method
                                 else generate_password_hash("not-a-real-password"))
    return _DUMMY_HASHES[method]

MIN_PASSWORD_LENGTH = 10

# The user of every signed-in request. Roles and municipality come along: every page asks for
# them (one query, not three). Built once: its loader options cost as much to build again for
# each request as the query costs to run (make bench).
_SIGNED_IN_USER = select(User).where(User.id == bindparam("user_id")).options(
    joinedload(User.roles), joinedload(User.municipality))


def configure_login(login_manager: LoginManager) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Logga in för att fortsätta.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        user_id, _, nonce = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = db.session.scalars(_SIGNED_IN_USER, {"user_id": int(user_id)}).unique().one_or_none()
        # A logout, password change or deactivation renews the nonce, so an old cookie stops
        # working; a deactivated account is refused even if its nonce was left alone.
        if user is None or not secrets.compare_digest(user.session_nonce, nonce):
            return None
        if not user.is_active_account:
            return None
        return user


def verify_password_limited(user: User | None, email: str, password: str) -> bool:
    """Is this the password of `user` (the account `email` names, if any)?

    Every password check goes through here, the login's and every check of a signed-in
    user's current password, so they share one limiter of wrong guesses per account: when
    it is used up, TooManyRequests (429) even for the right password.
    """
    ensure_password_attempts_left(email)
    if user is None:
        check_password_hash(_dummy_hash(), password)  # an unknown e-mail costs the same
        right = False
    else:
        right = user.check_password(password)
    if not right:
        count_wrong_password(email)
    return right


def authenticate(email: str, password: str) -> User | None:
    """The user with this e-mail and password, or None; same work either way."""
    user = db.session.scalars(
        select(User).where(func.lower(User.email) == email.strip().lower())
    ).first()
    if not verify_password_limited(user, email, password) or not user.is_active_account:
        return None
    return user


def renew_session_nonce(user: User) -> None:
    """Invalidate every session cookie issued to this user so far."""
    user.session_nonce = secrets.token_hex(16)
