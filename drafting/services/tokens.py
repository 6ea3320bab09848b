"""Personal API tokens: created (with an expiry) and revoked by their owner, stored only as a
SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import ApiToken, User, utcnow
from .audit import record_event
from .errors import DomainError, InvalidInput, NotAllowed, NotFound

# A recognisable prefix lets secret scanners and people tell a leaked token for what it is.
TOKEN_PREFIX = "ytt_"
MAX_NAME_CHARS = 120
MAX_ACTIVE_TOKENS = 20
# Longer than any token we issue; anything longer is rejected before hashing.
MAX_TOKEN_CHARS = 200
# Writing last_used_at on every call would make each read a write; once a minute is enough.
LAST_USED_PRECISION = timedelta(minutes=1)
# How long a new token may live, in days; None is until revoked. A forgotten token should
# not work for ever, so the default is a quarter of a year.
LIFETIMES: tuple[int | None, ...] = (30, 90, 365, None)
DEFAULT_LIFETIME = 90


class TokenExpired(DomainError):
    """A real token whose time is up: refused, and the caller is told so."""

    status = 401


def hash_token(plaintext: str) -> str:
    """The stored form of a token: its SHA-256 hex digest."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def user_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ))


def is_expired(token: ApiToken, now: datetime | None = None) -> bool:
    return token.expires_at is not None and token.expires_at <= (now or utcnow())


def create_token(user: User, name: str,
                 lifetime_days: int | None = DEFAULT_LIFETIME) -> tuple[ApiToken, str]:
    """Create a token for the user, valid for one of LIFETIMES; the plaintext is returned once
    and never stored."""
    if lifetime_days not in LIFETIMES:
        raise InvalidInput(_("Välj hur länge nyckeln ska gälla."), field="lifetime")
    name = " ".join((name or "").split())
    if not name:
        raise InvalidInput(_("Ge nyckeln ett namn, till exempel systemet som ska använda den."))
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(_("Namnet är för långt: högst %(max)d tecken.", max=MAX_NAME_CHARS))
    now = utcnow()
    active = db.session.scalar(select(func.count(ApiToken.id)).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None),
        (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now)))
    if active >= MAX_ACTIVE_TOKENS:
        raise InvalidInput(_("Du har redan %(max)d aktiva nycklar. Återkalla någon som inte "
                             "används.", max=MAX_ACTIVE_TOKENS))
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plaintext), created_at=now,
                     expires_at=now + timedelta(days=lifetime_days) if lifetime_days else None)
    db.session.add(token)
    db.session.flush()
    record_event("api_token_created", user,
                 summary=_("Skapade API-nyckeln ”%(name)s”.", name=name),
                 details={"token_id": token.id, "name": name, "lifetime_days": lifetime_days})
    return token, plaintext


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; revoking twice changes nothing."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("API-nyckeln finns inte."))
    if token.user_id != user.id:
        raise NotAllowed(_("Du kan bara återkalla dina egna API-nycklar."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event("api_token_revoked", user,
                     summary=_("Återkallade API-nyckeln ”%(name)s”.", name=token.name),
                     details={"token_id": token.id, "name": token.name})
    return token


def revoke_all_tokens(user: User) -> int:
    """Revoke every token of the user that still works (the account was deactivated)."""
    now = utcnow()
    tokens = list(db.session.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))))
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


def authenticate_token(plaintext: str | None) -> User | None:
    """The active user a valid, unrevoked token belongs to, or None; TokenExpired if its time
    is up (the one refusal worth explaining: the caller holds a real token)."""
    if not plaintext or len(plaintext) > MAX_TOKEN_CHARS or not plaintext.startswith(TOKEN_PREFIX):
        return None
    try:
        digest = hash_token(plaintext)
    except UnicodeEncodeError:  # lone surrogates cannot be a token we issued
        return None
    # Looking up the hash compares no secret byte by byte: timing reveals nothing useful.
    token = db.session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).first()
    if token is None or not secrets.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None or not token.user.is_active_account:
        return None
    now = utcnow()
    if is_expired(token, now):
        raise TokenExpired(_("API-nyckeln ”%(name)s” gick ut %(when)s. Skapa en ny nyckel på "
                             "sidan Mitt konto.", name=token.name,
                             when=format_datetime(token.expires_at, "yyyy-MM-dd HH:mm")))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
    return token.user
