"""Cooperations, municipalities, users and their roles."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import UTCDateTime, utcnow


class Role(StrEnum):
    COORDINATOR = "coordinator"
    OFFICIAL = "official"
    DIRECTOR = "director"
    ADMIN = "admin"
    # A colleague in a municipality who only reviews the responses they are invited to,
    # inside their municipality's home round (models/home.py).
    REVIEWER = "reviewer"


class Municipality(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)  # short: "Lund", in the interface
    # In documents: "Lunds kommun", "Malmö stad"; empty until an administrator sets it.
    formal_name: Mapped[str] = mapped_column(String(160), default="", server_default="")
    # Whether the municipality's delegation order lets the director decide on a joint response.
    director_may_decide: Mapped[bool] = mapped_column(default=False, server_default=false())

    @property
    def document_name(self) -> str:
        """The name a document uses: the formal name, or the short name until one is set."""
        return self.formal_name or self.name

    def __repr__(self) -> str:
        return f"<Municipality {self.name}>"


class Cooperation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    letterhead: Mapped[str] = mapped_column(String(1000), default="")
    chair_municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="SET NULL")
    )
    word_template: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    word_template_name: Mapped[str | None] = mapped_column(String(255))

    chair_municipality: Mapped[Municipality | None] = relationship()
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="cooperation", cascade="all, delete-orphan"
    )

    @property
    def municipalities(self) -> list[Municipality]:
        """Members, chair first, then alphabetically."""
        members = [m.municipality for m in self.memberships]
        return sorted(members, key=lambda m: (m.id != self.chair_municipality_id, m.name))


class Membership(db.Model):
    __table_args__ = (UniqueConstraint("cooperation_id", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperation_id: Mapped[int] = mapped_column(ForeignKey("cooperation.id", ondelete="CASCADE"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id", ondelete="CASCADE"))

    cooperation: Mapped[Cooperation] = relationship(back_populates="memberships")
    # Joined: whoever reads a cooperation's members reads their names.
    municipality: Mapped[Municipality] = relationship(lazy="joined")


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    title: Mapped[str] = mapped_column(String(160), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    is_system_admin: Mapped[bool] = mapped_column(default=False)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # Changing this invalidates every session cookie issued before (logout, password change).
    session_nonce: Mapped[str] = mapped_column(String(64), default="")
    preferred_locale: Mapped[str | None] = mapped_column(String(8))
    # E-mail of notifications: at once (False) or gathered in one message a day (True).
    mail_digest: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None until the person has chosen a password themselves (an invited account).
    password_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    municipality: Mapped[Municipality | None] = relationship()
    roles: Mapped[list[CooperationRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str, method: str | None = None) -> None:
        self.password_hash = (generate_password_hash(password, method) if method
                              else generate_password_hash(password))

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def role_in(self, cooperation_id: int) -> Role | None:
        for role in self.roles:
            if role.cooperation_id == cooperation_id:
                return Role(role.role)
        return None

    @property
    def display_name(self) -> str:
        if self.municipality is not None:
            return f"{self.name} ({self.municipality.name})"
        return self.name

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class CooperationRole(db.Model):
    """A user's one role within one cooperation."""

    __table_args__ = (UniqueConstraint("user_id", "cooperation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    cooperation_id: Mapped[int] = mapped_column(ForeignKey("cooperation.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="roles")
    cooperation: Mapped[Cooperation] = relationship()


class ApiToken(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None: valid until revoked.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class PasswordLinkPurpose(StrEnum):
    INVITATION = "invitation"
    RESET = "reset"


class PasswordLink(db.Model):
    """A one-time link, sent by e-mail, where a person chooses their own password.

    Only the SHA-256 hash of the link's secret is stored. A link works once, until it expires,
    and only while it is the newest link of its user.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who had it sent: an administrator for an invitation, nobody for a forgotten password.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
