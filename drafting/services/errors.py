"""Domain errors: each carries a user-facing message and the HTTP status it maps to."""

from __future__ import annotations


class DomainError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The form field the message belongs beside, when the input of one field is at fault.
        self.field = field


class InvalidInput(DomainError):
    status = 400


class NotAllowed(DomainError):
    status = 403


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class EditConflict(Conflict):
    """Someone saved the same section since this edit began."""

    def __init__(self, message: str, *, theirs, base_revision: int) -> None:
        super().__init__(message)
        self.theirs = theirs
        self.base_revision = base_revision


class ConfirmationNeeded(Conflict):
    """The action would discard something others did: the person must confirm it first."""

    def __init__(self, message: str, *, names: list[str]) -> None:
        super().__init__(message)
        self.names = names
